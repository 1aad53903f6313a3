"""Shared facts about the course notebooks for the notebook tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LANGUAGES = ("ko", "en")
NEEDS_HUB = "needs-hub"
REAL_ENGINE = ROOT / "scripts" / "real-engine"
REGISTRY_PORT = 5000


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
    return env


@contextlib.contextmanager
def registry_port_free() -> Iterator[None]:
    """Lessons 05 and 06 start a registry container on port 5000 of this machine, where the
    real engine's registry (``scripts/real-engine``) listens while the real-engine tests run:
    it is stopped meanwhile and started again, empty, afterwards."""
    stopped = False
    if os.environ.get("DOCKER_HOST") and _answers(REGISTRY_PORT):
        subprocess.run([str(REAL_ENGINE), "stop-registry"], check=True, capture_output=True,
                       timeout=60)  # fmt: skip
        stopped = True
    try:
        yield
    finally:
        if stopped:
            subprocess.run([str(REAL_ENGINE), "reset-registry"], check=True,
                           capture_output=True, timeout=120)  # fmt: skip


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True
