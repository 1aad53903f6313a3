"""The course on a real Docker engine, in lax mode: outputs are not compared, but every docker
command must succeed where it succeeds on the simulator (and fail where it fails there).

Cells tagged ``needs-hub`` pull from Docker Hub, which the test engine cannot reach: they are
left out of both runs, so the simulator run is the reference for exactly the same cells. Each
command's exit code is recorded inside the kernel by a wrapper around ``Session.run`` (the one
path every ``%%docker``/``%docker`` line takes). The real engine is shared: everything a
notebook created is removed afterwards, found by comparing the engine before and after.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_course import NEEDS_HUB, NOTEBOOKS, kernel_env, notebook_names, read

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import reachable_real_engine

pytestmark = [pytest.mark.real, pytest.mark.slow]

RECORDER = """\
import layerlab.session as _ll_session
_ll_commands = []
_ll_run = _ll_session.Session.run
def _ll_recording_run(self, command, *args, **kwargs):
    result = _ll_run(self, command, *args, **kwargs)
    _ll_commands.append([result.command, result.exit_code])
    return result
_ll_session.Session.run = _ll_recording_run
"""
REPORT = "import json as _ll_json\nprint(_ll_json.dumps(_ll_commands))"


def run_lax(name: str, engine: str, home: Path) -> list[tuple[str, bool]]:
    """Run the notebook's cells that need no Docker Hub; the docker commands it ran, each
    with whether it succeeded."""
    notebook = read(NOTEBOOKS / "ko" / name)
    # Neither the cells that pull from Docker Hub nor the learner's own (and their checks).
    skipped = {NEEDS_HUB, "nbval-skip"}
    cells = [c for c in notebook.cells if not skipped & set(c.metadata.get("tags", []))]
    notebook.cells = [
        nbformat.v4.new_code_cell(RECORDER),
        *cells,
        nbformat.v4.new_code_cell(REPORT),
    ]
    saved = dict(os.environ)
    wanted = kernel_env(home, engine)  # nbclient's kernel inherits this process's environment
    os.environ.clear()
    os.environ.update(wanted)
    try:
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS / "ko")}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    report = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    return [(command, code == 0) for command, code in json.loads(report)]


def snapshot(engine: Any) -> tuple[set[str], set[str], set[str]]:
    images = engine.images(all=True)
    return (
        {c["Id"] for c in engine.containers(all=True)},
        {i["Id"] for i in images},
        {tag for i in images for tag in (i.get("RepoTags") or [])},
    )


def remove_new(engine: Any, before: tuple[set[str], set[str], set[str]]) -> None:
    containers, _, tags = snapshot(engine)
    for container in containers - before[0]:
        engine.remove_container(container, force=True)
    for tag in tags - before[2]:
        if tag != "<none>:<none>":
            engine.remove_image(tag, noprune=False)
    for image in snapshot(engine)[1] - before[1]:
        engine.remove_image(image, force=True)


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_commands_succeed_on_the_real_engine(name: str, tmp_path: Path) -> None:
    engine = reachable_real_engine()
    expected = run_lax(name, "sim", tmp_path / "sim-home")
    before = snapshot(engine)
    try:
        ran = run_lax(name, "real", tmp_path / "real-home")
    finally:
        remove_new(engine, before)
    assert ran == expected
