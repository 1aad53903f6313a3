"""nbval validates the solution notebooks: their committed outputs are exactly what they print
now (deterministic mode: fixed clock, seeded IDs, fixed build-context file times), with no
output sanitised. Driven from here so the run gets its own LAYERLAB_HOME and TMPDIR; by hand:
`pytest --nbval solutions`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.realengine import registry_port_free

from layerlab.engine.sim.engine import remove_every_container

from .helpers import ROOT, SOLUTIONS

pytestmark = pytest.mark.slow


def test_solution_notebooks_reproduce_their_outputs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
    env.update(LAYERLAB_HOME=str(tmp_path / "home"), LAYERLAB_ENGINE="sim", TMPDIR=str(tmp_path))
    with registry_port_free():  # exercise 05 starts a registry container on port 5000
        try:
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider",
                 "-o", "addopts=", "--rootdir", str(ROOT), str(SOLUTIONS)],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
        finally:  # the registry outlives its kernel, as under a daemon
            remove_every_container(tmp_path / "home")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
