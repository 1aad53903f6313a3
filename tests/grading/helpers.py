"""Submissions for the grader tests: the course's notebooks, as they are or with cells added."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def notebooks(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.ipynb"))


def with_cells(source: Path, target: Path, cells: dict[int, str]) -> Path:
    """``source`` with code cells inserted before the given indices (counted in the
    original), saved as ``target``."""
    nb = nbformat.read(source, as_version=4)
    for index in sorted(cells, reverse=True):
        nb.cells.insert(index, new_code_cell(cells[index]))
    nbformat.write(nb, target)
    return target


def cell_index(source: Path, text: str) -> int:
    """The index of the first cell whose source contains ``text``."""
    nb = nbformat.read(source, as_version=4)
    return next(i for i, cell in enumerate(nb.cells) if text in cell.source)
