"""LayerLab's own messages in Korean and English: every message the code marks has a Korean
translation with the same fields, the language is chosen as documented, and the Korean course
shows none of LayerLab's English in what its LayerLab cells print."""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from IPython.core.interactiveshell import InteractiveShell

from layerlab import i18n
from layerlab.i18n import catalog, language, ntr, set_language, tr

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "extension" / "src" / "layerlab"
KOREAN_NOTEBOOKS = [
    *sorted((ROOT / "notebooks" / "ko").glob("*.ipynb")),
    *sorted((ROOT / "solutions" / "ko").glob("*.ipynb")),  # with the checks' answers
]
KEYWORDS = {"tr": None, "ntr": (1, 2), "N_": None}


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    yield
    set_language(None)


def marked_messages() -> set[str | tuple[str, str]]:
    """Every message the code passes to ``tr`` or ``ntr`` (a plural as (singular, plural))."""
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), keywords=KEYWORDS, comment_tags=()
    ):
        found.add(tuple(message) if isinstance(message, (list, tuple)) else message)  # type: ignore[arg-type]
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_marked_message_has_a_korean_translation() -> None:
    korean = catalog("ko")
    marked = marked_messages()
    assert len(marked) > 50
    missing = sorted(str(m) for m in marked if m not in korean)
    assert not missing, f"no Korean for: {missing}"
    unused = sorted(str(m) for m in korean if m not in marked)
    assert not unused, f"the catalog keeps messages the code no longer has: {unused}"


def test_translations_keep_the_messages_fields() -> None:
    for message, text in catalog("ko").items():
        wanted = fields(" ".join(message) if isinstance(message, tuple) else message)
        for form in text if isinstance(text, tuple) else (text,):
            assert fields(form) == wanted, f"{message!r} -> {form!r}"


def test_the_language_is_chosen_then_the_environment_then_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LAYERLAB_LANG", raising=False)
    assert language() == "en" and tr("last build: {name}", name="app") == "last build: app"
    monkeypatch.setenv("LAYERLAB_LANG", "ko")
    assert tr("last build: {name}", name="app") == "마지막 빌드: app"
    set_language("en")
    assert tr("last build: {name}", name="app") == "last build: app"
    with pytest.raises(i18n.UnknownLanguage):
        set_language("xx")


def test_plurals() -> None:
    args = ("{count} layer · {size}", "{count} layers · {size}")
    assert ntr(*args, 1, size="1MB") == "1 layer · 1MB"
    assert ntr(*args, 3, size="1MB") == "3 layers · 1MB"
    set_language("ko")
    assert ntr(*args, 1, size="1MB") == "레이어 1개 · 1MB"
    assert ntr(*args, 3, size="1MB") == "레이어 3개 · 1MB"


def test_docker_lang_magic_switches_layerlab_and_not_docker(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_line_magic("docker_lang", "ko")
    assert capsys.readouterr().out == "언어: ko\n"
    ip.run_cell("%%docker\nrun --rm busybox echo hello")
    assert capsys.readouterr().out == "hello\n"  # Docker's output stays Docker's
    ip.run_line_magic("docker_lang", "en")
    assert capsys.readouterr().out == "language: en\n"


# What the Korean course's LayerLab cells print, and LayerLab's English that must not be there.
LAYERLAB_MAGICS = re.compile(
    r"^%(docker_graph|docker_explain_build|docker_state|docker_reset|docker_lang|docker_status|docker_check)\b",
    re.M,
)


def english_fragments() -> set[str]:
    """The words of every English message, between its fields, long enough to be telling."""
    pieces: set[str] = set()
    for message in marked_messages():
        for text in message if isinstance(message, tuple) else (message,):
            for literal, *_ in string.Formatter().parse(text):
                literal = literal.strip(" ·:()[]+…,'`")
                if len(literal) >= 6 and re.search(r"[a-z]{3}", literal):
                    pieces.add(literal)
    # Names the Korean keeps as they are (layers:v1, GREETING=hello) are not English.
    korean = " ".join(
        form
        for text in catalog("ko").values()
        for form in (text if isinstance(text, tuple) else (text,))
    )
    return {piece for piece in pieces if piece not in korean}


def layerlab_outputs(path: Path) -> Iterator[str]:
    """What LayerLab itself shows: its pictures and explanations (displayed objects), and the
    printed output of cells that run only LayerLab's magics (elsewhere it is Docker's)."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not LAYERLAB_MAGICS.search(source):
            continue
        runs_docker = re.search(r"^%%?docker\b(?!_)", source, re.M) is not None
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output["output_type"] == "stream":
                if not runs_docker:
                    yield "".join(output.get("text", ""))
                continue
            yield "".join(data.get("text/plain", ""))
            # Of a picture or a page, the words it shows (not its names and classes).
            svg = "".join(data.get("image/svg+xml", ""))
            yield "\n".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
            yield html.unescape(re.sub(r"<[^>]+>", " ", "".join(data.get("text/html", ""))))


@pytest.mark.parametrize("path", KOREAN_NOTEBOOKS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_korean_course_shows_no_layerlab_english(path: Path) -> None:
    fragments = english_fragments()
    outputs = list(layerlab_outputs(path))
    assert outputs, "every course notebook has LayerLab cells"
    for output in outputs:
        english = sorted(
            f for f in fragments if re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", output)
        )
        assert not english, f"{path.name} shows LayerLab's English: {english}"
