"""Fixtures shared across the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from layerlab import session as session_module

# Commands the tests start in a process of their own run there, not in a fork server that
# would outlive the test (tests/test_forkserver.py tests the fork server itself).
os.environ.setdefault("LAYERLAB_FORKSERVER", "0")
# The tests that do not name a profile were measured against Engine 20.10 (the classic builder);
# those of the 26.1 profile name it, and the course's notebooks run on the default.
os.environ["LAYERLAB_PROFILE"] = "20.10"
# The scenarios were recorded on a machine whose registry listens at localhost:5000 beside the
# engine: the simulator stands in for it where no container publishes the port (any other port
# of this machine is refused where nothing listens). Notebooks run by the tests (nbval, the
# grader) start their own registry container, without this.
os.environ["LAYERLAB_SIMULATED_REGISTRIES"] = "localhost:5000,127.0.0.1:5000"


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """An IPython shell with LayerLab loaded, on a fresh deterministic simulator."""
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAYERLAB_ENGINE", "sim")
    monkeypatch.setattr(session_module, "_session", None)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "layerlab")
    shell.run_line_magic("docker_reset", "baseline --deterministic")
    yield shell
    session_module.current_session().close()
