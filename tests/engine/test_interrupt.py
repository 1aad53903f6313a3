"""Ctrl-C while `docker run` waits for a real program in the foreground: the CLI hands SIGINT to
the container's main process, as the docker CLI's signal proxy does, and the container records
how the program ended (it is not left `Created`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layerlab.engine.sim.runtimes import confinement

pytestmark = pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here")


def _docker(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_FORKSERVER": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "layerlab", "docker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_process(marker: str) -> None:
    """Until a process whose command line holds ``marker`` runs (the container's program)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if marker.encode() in cmdline and b"layerlab" not in cmdline:
                    time.sleep(1.0)  # its interpreter sets up its SIGINT handler meanwhile
                    return
        time.sleep(0.05)
    raise AssertionError(f"no process with {marker} started")


def _interrupted_run(home: Path, name: str, program: str) -> tuple[str, str, int]:
    running = _docker(home, "run", "--name", name, "python:3.12", "python", "-c", program)
    _wait_for_process(program.rsplit("#", 1)[1])
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=60)
    return out, err, running.returncode


def _status(home: Path, name: str) -> str:
    listing = _docker(home, "ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}")
    return listing.communicate(timeout=60)[0]


def test_ctrl_c_reaches_the_program_and_its_exit_is_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _docker(home, "pull", "-q", "python:3.12").wait(timeout=60) == 0
    program = "import time\nprint('ready', flush=True)\ntime.sleep(60)  # interrupt-me-1"
    out, err, code = _interrupted_run(home, "stopped", program)
    # Python's own answer to SIGINT: KeyboardInterrupt, then 128 + 2 as PID 1 cannot die of it.
    assert out == "ready\n"
    assert err.endswith("KeyboardInterrupt\n")
    assert code == 130
    assert _status(home, "stopped").startswith("Exited (130) ")


def test_a_main_process_without_a_handler_ignores_ctrl_c(tmp_path: Path) -> None:
    """PID 1 ignores a signal it has no handler for: the run goes on to the program's end."""
    home = tmp_path / "home"
    assert _docker(home, "pull", "-q", "python:3.12").wait(timeout=60) == 0
    program = (
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_DFL)\n"
        "time.sleep(2)\nprint('slept')  # interrupt-me-2"
    )
    out, _, code = _interrupted_run(home, "ignores", program)
    assert (out, code) == ("slept\n", 0)
    assert _status(home, "ignores").startswith("Exited (0) ")
