"""nbval validates the solution notebooks: their committed outputs are what they print now
(deterministic mode: fixed clock, seeded IDs). Driven from here so the run gets its own
LAYERLAB_HOME and TMPDIR; by hand: `pytest --nbval --nbval-sanitize-with
tests/grading/nbval-sanitize.cfg solutions`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT, SOLUTIONS

pytestmark = pytest.mark.slow
SANITIZE = Path(__file__).with_name("nbval-sanitize.cfg")


def test_solution_notebooks_reproduce_their_outputs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
    env.update(LAYERLAB_HOME=str(tmp_path / "home"), LAYERLAB_ENGINE="sim", TMPDIR=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider",
         "-o", "addopts=", "--rootdir", str(ROOT), "--nbval-sanitize-with", str(SANITIZE),
         str(SOLUTIONS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
