"""Build the course notebooks (Korean and English editions) from one source per notebook,
and execute them so that the committed outputs are those of the simulated engine.

Each ``source/NN-name.md`` holds both editions: markdown cells carry a Korean and an English
text, code cells exist once, so the two editions always share the same code. Usage::

    .venv/bin/python notebooks/generate.py            # write and execute all notebooks
    .venv/bin/python notebooks/generate.py 02 05      # only those whose name starts so
    .venv/bin/python notebooks/generate.py --no-execute

Source format (a line starting with ``@@`` opens a cell or a language section)::

    @@ md CELL-ID
    @@ ko
    한국어 마크다운
    @@ en
    English markdown
    @@ code CELL-ID [tag ...]
    %%docker
    images
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "source"
LANGUAGES = ("ko", "en")
CELL_TIMEOUT = 120
_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STREAM_ORDER = ["stdout", "stderr"]


@dataclass
class SourceCell:
    kind: str  # "markdown" or "code"
    cell_id: str
    tags: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)


def parse_source(path: Path) -> list[SourceCell]:
    """The cells of one source file, checked: unique ids, both languages in every text cell."""
    cells: list[SourceCell] = []
    language: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("@@ "):
            words = line[3:].split()
            where = f"{path.name}:{number}"
            if words[0] in ("md", "code"):
                if len(words) < 2 or not _CELL_ID.match(words[1]):
                    raise ValueError(f"{where}: a cell needs an id of letters, digits, - and _")
                kind = "markdown" if words[0] == "md" else "code"
                cells.append(SourceCell(kind, words[1], tags=words[2:]))
                language = None
            elif words[0] in LANGUAGES and cells and cells[-1].kind == "markdown":
                language = words[0]
                cells[-1].text[language] = []
            else:
                raise ValueError(f"{where}: unexpected {line!r}")
            continue
        if not cells:
            if line.strip():
                raise ValueError(f"{path.name}:{number}: text before the first cell")
            continue
        cell = cells[-1]
        if cell.kind == "code":
            cell.code.append(line)
        elif language is None:
            if line.strip():
                raise ValueError(f"{path.name}:{number}: text outside a language section")
        else:
            cell.text[language].append(line)
    ids = [cell.cell_id for cell in cells]
    duplicates = {cell_id for cell_id in ids if ids.count(cell_id) > 1}
    if duplicates:
        raise ValueError(f"{path.name}: duplicate cell ids {sorted(duplicates)}")
    for cell in cells:
        if cell.kind == "markdown" and set(cell.text) != set(LANGUAGES):
            raise ValueError(f"{path.name}: cell {cell.cell_id} needs both ko and en texts")
    return cells


LONG_OUTPUT_LINES = 40  # longer outputs open in a scrolling box (see fold_long_outputs)


def _joined(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


def build_notebook(cells: list[SourceCell], language: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for cell in cells:
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(_joined(cell.text[language]))
        else:
            # A bare `%docker_lang` sets the edition's language for LayerLab's own messages.
            code = [
                f"%docker_lang {language}" if line == "%docker_lang" else line for line in cell.code
            ]
            node = nbformat.v4.new_code_cell(_joined(code))
            if cell.tags:
                node.metadata["tags"] = list(cell.tags)
        node.id = cell.cell_id
        notebook.cells.append(node)
    return notebook


def merge_streams(notebook: nbformat.NotebookNode) -> None:
    """Give each code cell one stdout and one stderr output, together (stdout first) where
    the first stream appeared. The kernel flushes the two streams on timers of its own, so
    how they interleave varies from run to run; merged in a fixed order, the committed bytes
    do not. (nbval merges streams the same way and compares stdout and stderr separately.)"""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        others: list[nbformat.NotebookNode] = []
        streams: dict[str, nbformat.NotebookNode] = {}
        first_stream_at: int | None = None
        for output in cell.outputs:
            if output.output_type != "stream":
                others.append(output)
            elif output.name in streams:
                streams[output.name].text += output.text
            else:
                streams[output.name] = output
                if first_stream_at is None:
                    first_stream_at = len(others)
        ordered = [streams[name] for name in sorted(streams, key=_STREAM_ORDER.index)]
        at = len(others) if first_stream_at is None else first_stream_at
        cell.outputs = others[:at] + ordered + others[at:]


def fold_long_outputs(notebook: nbformat.NotebookNode) -> None:
    """A cell whose output runs past LONG_OUTPUT_LINES lines (a `--help`, a whole JSON) opens
    with its output in a scrolling box, as JupyterLab's "Enable Scrolling for Outputs" does:
    all of it is there, exactly as Docker printed it, without pushing the lesson off screen."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        text = "".join(
            output.get("text", "") if output.output_type == "stream"
            else output.get("data", {}).get("text/plain", "")
            for output in cell.outputs
        )  # fmt: skip
        if text.count("\n") > LONG_OUTPUT_LINES:
            cell.metadata["scrolled"] = True
        else:
            cell.metadata.pop("scrolled", None)


def execute(notebook: nbformat.NotebookNode, directory: Path) -> float:
    """Run the notebook in a fresh kernel with the notebook's folder as working directory;
    returns the seconds it took."""
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        # The learner's own cells and the checks of them stay unrun: a check run on an empty
        # cell would only say "not yet" (nbval skips them too).
        skip_cells_with_tag="nbval-skip",
        resources={"metadata": {"path": str(directory)}},
    )
    started = time.perf_counter()
    client.execute()
    merge_streams(notebook)
    fold_long_outputs(notebook)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--no-execute", action="store_true", help="write without outputs")
    args = parser.parse_args(argv)
    # The course's outputs are the simulator's, in a private home so no one's state is touched.
    os.environ["LAYERLAB_ENGINE"] = "sim"
    os.environ.pop("LAYERLAB_PROFILE", None)  # the course shows the default engine
    os.environ.setdefault("LAYERLAB_HOME", tempfile.mkdtemp(prefix="layerlab-course-"))
    for source in sorted(SOURCES.glob("*.md")):
        if args.prefixes and not any(source.stem.startswith(p) for p in args.prefixes):
            continue
        cells = parse_source(source)
        for language in LANGUAGES:
            target = HERE / language / f"{source.stem}.ipynb"
            notebook = build_notebook(cells, language)
            if not args.no_execute:
                seconds = execute(notebook, target.parent)
                print(f"{language}/{target.name}: {seconds:.1f} s", file=sys.stderr)
            nbformat.validate(notebook)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
