"""The course's account of layers (the table in notebooks/README.md) held to the engine's records:
which instructions make a layer and which are metadata steps, on the simulator and, where one
answers, on the real engine; and the notebooks state no other account."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.api import Engine
from layerlab.engine.sim.engine import SimEngine
from tests.realengine import reachable_real_engine

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "notebooks" / "README.md"

# Every instruction the README's table names, in a build that shows each case: the comment says
# whether the step makes a layer on the classic builder (what the course's engine runs).
ACCOUNT_BUILD = """\
FROM busybox
RUN echo hi > /a.txt
RUN true
COPY f.txt /
ADD f.txt /added.txt
WORKDIR /app
WORKDIR /app
ENV A=1
CMD ["sh"]
ENTRYPOINT ["sh", "-c"]
LABEL course=layerlab
EXPOSE 80
USER nobody
VOLUME /data
ARG VERSION=1
SHELL ["/bin/sh", "-c"]
STOPSIGNAL SIGINT
HEALTHCHECK CMD true
ONBUILD RUN echo later
"""
# The classic builder's exceptions to the README's "yes" rows: a RUN that changes no file, and a
# WORKDIR whose directory exists already, make no layer.
NO_LAYER_THOUGH_LISTED = {"RUN true", "WORKDIR /app#2"}


def account_table() -> dict[str, bool]:
    """Instruction -> whether the README's account says it makes a layer."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Layers: the account the course gives", 1)[1].split("\n## ", 1)[0]
    account: dict[str, bool] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        makes_layer = cells[2].startswith("yes")
        for name in re.findall(r"`([A-Z]+)`", cells[0]):
            account[name] = makes_layer
    return account


def steps_that_make_layers(engine: Engine, tmp_path: Path) -> dict[str, bool]:
    """Each step of ACCOUNT_BUILD (a repeated one as "TEXT#2") -> whether it added a layer, as
    the engine records it: the layers of the step's image against its parent's."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_text(ACCOUNT_BUILD)
    (tmp_path / "f.txt").write_text("f\n")
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-q", "-t", "layer-account", str(tmp_path)], engine, out, err) == 0, (
        err.getvalue()
    )
    rows = list(reversed(engine.history("layer-account")))  # base first
    first = len(rows) - (len(ACCOUNT_BUILD.splitlines()) - 1)  # the first step after FROM
    # From FROM's image on, every row is an image of its own (the classic builder keeps them).
    counts = {i: len(engine.inspect_image(rows[i]["Id"])["RootFS"]["Layers"])
              for i in range(first - 1, len(rows))}  # fmt: skip
    made: dict[str, bool] = {}
    for index in range(first, len(rows)):
        text = _instruction(rows[index]["CreatedBy"])
        key = f"{text}#2" if text in made else text
        made[key] = counts[index] > counts[index - 1]
    return made


def _instruction(created_by: str) -> str:
    """``/bin/sh -c #(nop)  ENV A=1`` -> ``ENV A=1``; a RUN's command -> ``RUN command``."""
    text = created_by.removeprefix("/bin/sh -c ")
    if text.startswith("#(nop)"):
        return text.removeprefix("#(nop)").strip()
    return "RUN " + text


def check_account(made: dict[str, bool]) -> None:
    account = account_table()
    named = {step.split()[0] for step in made}
    assert named == set(account), "the build and the README's table name the same instructions"
    for step, added in made.items():
        expected = account[step.split()[0]] and step not in NO_LAYER_THOUGH_LISTED
        assert added == expected, f"{step}: a layer is {added}, the account says {expected}"


def test_the_readme_states_an_account_for_every_instruction() -> None:
    account = account_table()
    assert {name for name, layer in account.items() if layer} == {"RUN", "COPY", "ADD", "WORKDIR"}
    assert len(account) == 16


def test_the_simulator_keeps_the_account(tmp_path: Path) -> None:
    engine = SimEngine(home=tmp_path / "home")
    check_account(steps_that_make_layers(engine, tmp_path / "build"))


def test_the_real_engine_keeps_the_account(tmp_path: Path) -> None:
    engine = reachable_real_engine()
    try:
        check_account(steps_that_make_layers(engine, tmp_path))
    finally:
        engine.remove_image("layer-account", force=True)


# What the course said before it was measured: no notebook, hint or summary may say it again.
WRONG_CLAIMS = [
    r"every instruction (is|becomes) (a|one) layer",
    r"1 instruction = 1 layer",
    r"each RUN, COPY or ADD adds one layer",
    r"recorded as layers of size 0",
    r"명령 하나하나가 레이어 하나",
    r"명령 1개 = 레이어 1개",
    r"크기가 0인 레이어로 기록",
]


@pytest.mark.parametrize(
    "path",
    [
        *sorted((ROOT / "notebooks" / "source").glob("*.md")),
        *sorted((ROOT / "extension" / "src" / "layerlab" / "grading" / "tasks").glob("*.py")),
    ],
    ids=lambda p: p.name,
)
def test_no_text_states_another_account(path: Path) -> None:
    text = " ".join(path.read_text(encoding="utf-8").split()).replace("**", "")
    for claim in WRONG_CLAIMS:
        found = re.search(claim, text, re.IGNORECASE)
        # In the course's prose a claim in quotation marks is cited to be corrected.
        cited = path.suffix == ".md" and _quoted(text, found.start()) if found else False
        if found and not cited:
            pytest.fail(f"{path.name} says {found.group(0)!r}, which the account refutes")


def _quoted(text: str, start: int) -> bool:
    return text[max(0, start - 1)] in "\"“'"
