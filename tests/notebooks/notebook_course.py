"""Shared facts about the course notebooks for the notebook tests."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LANGUAGES = ("ko", "en")
NEEDS_HUB = "needs-hub"


def notebook_names() -> list[str]:
    """The course's notebook file names, from the primary (Korean) edition."""
    return sorted(path.name for path in (NOTEBOOKS / "ko").glob("*.ipynb"))


def notebook_paths() -> list[Path]:
    return [NOTEBOOKS / language / name for language in LANGUAGES for name in notebook_names()]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.id, cell.source) for cell in notebook.cells if cell.cell_type == "code"]


def kernel_env(home: Path, engine: str) -> dict[str, str]:
    """The environment for a kernel running the course: a private simulator home, so that
    tests never touch a learner's state, and the chosen engine."""
    env = dict(os.environ)
    env["LAYERLAB_HOME"] = str(home)
    env["LAYERLAB_ENGINE"] = engine
    env.pop("LAYERLAB_STATE", None)
    env.pop("LAYERLAB_DETERMINISTIC", None)
    env.pop("LAYERLAB_PROFILE", None)  # the course runs on the default profile
    env.pop("LAYERLAB_SIMULATED_REGISTRIES", None)  # the course starts its own registry
    return env
