"""Exercise notebooks made from the solutions: ``python -m layerlab.grading.generate``.

In a solution notebook, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(inside ``%%docker``, ``%%writefile`` or Python cells) are the answer. The exercise keeps
every cell and replaces each such region by one placeholder comment, with outputs cleared.

    python -m layerlab.grading.generate             write exercises/ from solutions/
    python -m layerlab.grading.generate --check     exit 1 if exercises/ is out of date
    python -m layerlab.grading.generate --execute   also re-run the solutions for their outputs
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PLACEHOLDERS = {
    "%%docker": "# YOUR DOCKER COMMANDS HERE",
    "%%writefile": "# YOUR INSTRUCTIONS HERE",
}
DEFAULT_PLACEHOLDER = "# YOUR CODE HERE"


def placeholder(source: str) -> str:
    first = source.lstrip().split(None, 1)[0] if source.strip() else ""
    return PLACEHOLDERS.get(first, DEFAULT_PLACEHOLDER)


def strip_solutions(source: str, where: str = "cell") -> str:
    """The cell's source with each solution region replaced by its placeholder line."""
    kept: list[str] = []
    inside = False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}: {BEGIN} inside a solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(indent + placeholder(source))
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN} is never closed")
    return "\n".join(kept)


def has_solution(source: str) -> bool:
    return any(line.strip() == BEGIN for line in source.split("\n"))


def exercise_from_solution(solution: Any, name: str = "notebook") -> Any:
    nb = nbformat.from_dict(solution)
    for index, cell in enumerate(nb.cells):
        cell.source = strip_solutions(cell.source, f"{name}, cell {index + 1}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return nb


def render(nb: Any) -> str:
    return nbformat.writes(nb) + "\n"


def exercise_text(solution_path: Path) -> str:
    solution = nbformat.read(solution_path, as_version=4)
    return render(exercise_from_solution(solution, solution_path.name))


def pairs(solutions: Path, exercises: Path) -> list[tuple[Path, Path]]:
    return [
        (path, exercises / path.relative_to(solutions))
        for path in sorted(solutions.rglob("*.ipynb"))
        if ".ipynb_checkpoints" not in path.parts
    ]


def execute_solution(path: Path, timeout: int = 120) -> None:
    """Run a solution notebook as nbval will (in its folder, a fresh simulated engine state)
    and store its outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="layerlab-solution-") as home:
        names = ("LAYERLAB_HOME", "LAYERLAB_ENGINE", "LAYERLAB_PROFILE", "TMPDIR")
        saved = {k: os.environ.get(k) for k in names}
        os.environ.update(LAYERLAB_HOME=home, LAYERLAB_ENGINE="sim", TMPDIR=home)
        os.environ.pop("LAYERLAB_PROFILE", None)  # solutions run on the default, as nbval does
        try:
            NotebookClient(
                nb, timeout=timeout, record_timing=False,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()  # fmt: skip
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    path.write_text(render(nb), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layerlab.grading.generate")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--exercises", type=Path, default=Path("exercises"))
    parser.add_argument("--check", action="store_true", help="only report stale exercises")
    parser.add_argument("--execute", action="store_true", help="re-run solutions first")
    args = parser.parse_args(argv)
    stale = []
    for solution, exercise in pairs(args.solutions, args.exercises):
        if args.execute:
            execute_solution(solution)
        text = exercise_text(solution)
        current = exercise.read_text(encoding="utf-8") if exercise.exists() else None
        if current == text:
            continue
        stale.append(exercise)
        if not args.check:
            exercise.parent.mkdir(parents=True, exist_ok=True)
            exercise.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
