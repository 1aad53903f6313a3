"""Ctrl-C while `docker run` waits for a real program in the foreground: the CLI hands SIGINT to
the container's main process, as the docker CLI's signal proxy does, and the container records
how the program ended (it is not left `Created`)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from tests.realengine import reachable_real_engine

from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement

pytestmark = pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    assert _docker(home, "pull", "-q", "python:3.12").wait(timeout=60) == 0
    yield home
    SimEngine(home=home).reset("empty")  # no program outlives its test


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


def test_ctrl_c_reaches_the_program_and_its_exit_is_recorded(home: Path) -> None:
    program = "import time\nprint('ready', flush=True)\ntime.sleep(60)  # interrupt-me-1"
    out, err, code = _interrupted_run(home, "stopped", program)
    # Python's own answer to SIGINT: KeyboardInterrupt, then 128 + 2 as PID 1 cannot die of it.
    assert out == "ready\n"
    assert err.endswith("KeyboardInterrupt\n")
    assert code == 130
    assert _status(home, "stopped").startswith("Exited (130) ")


def test_a_main_process_without_a_handler_ignores_ctrl_c(home: Path) -> None:
    """PID 1 ignores a signal it has no handler for: the run goes on to the program's end."""
    program = (
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_DFL)\n"
        "time.sleep(2)\nprint('slept')  # interrupt-me-2"
    )
    out, _, code = _interrupted_run(home, "ignores", program)
    assert (out, code) == ("slept\n", 0)
    assert _status(home, "ignores").startswith("Exited (0) ")


def test_a_second_ctrl_c_stops_a_foreground_program_and_says_so(home: Path) -> None:
    """Without -p the program runs inside the command: a second Ctrl-C stops it (where the
    docker CLI would leave it running), and the container records that end, not `Created`."""
    program = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, lambda *_: print('not yet', flush=True))\n"
        "open('/tmp/was-here', 'w').write('x')\n"
        "while True: time.sleep(0.1)  # interrupt-me-3"
    )
    running = _docker(home, "run", "--name", "fg", "python:3.12", "python", "-c", program)
    _wait_for_process("interrupt-me-3")
    running.send_signal(signal.SIGINT)
    time.sleep(0.5)
    running.send_signal(signal.SIGINT)
    out, err, code = *running.communicate(timeout=60), running.returncode
    assert (out, code) == ("not yet\n", 137)
    assert err.startswith("LayerLab: python went on after Ctrl-C, and a second Ctrl-C stopped it")
    assert _status(home, "fg").startswith("Exited (137) ")
    diff = _docker(home, "diff", "fg").communicate(timeout=60)[0]
    assert "A /tmp/was-here" in diff.splitlines()  # what it wrote is kept


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _line(stream: IO[str], seconds: float = 30) -> str:
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, "no output came"
    return stream.readline()


def test_a_foreground_server_is_served_followed_and_ended_by_ctrl_c(home: Path) -> None:
    """`docker run -p` without -d: the program runs as with -d (Up in `ps`, its port served)
    while the client shows its output as it comes; Ctrl-C ends it as Python ends on SIGINT."""
    port = _free_port()
    server = (
        "import http.server\n"
        "print('serving', flush=True)\n"
        "http.server.test(http.server.SimpleHTTPRequestHandler, port=8000, bind='0.0.0.0')\n"
    )
    running = _docker(home, "run", "--name", "web", "-p", f"{port}:8000", "python:3.12",
                      "python", "-c", server)  # fmt: skip
    assert running.stdout is not None and running.stderr is not None
    assert _line(running.stdout) == "serving\n"  # before the program ends
    assert _status(home, "web").startswith("Up ")
    for _ in range(100):  # the server binds its port a moment after it has printed
        with contextlib.suppress(OSError):
            answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            break
        time.sleep(0.05)
    assert answer.status == 200
    assert "GET / HTTP/1.1" in _line(running.stderr)  # the server's log, as it comes
    running.send_signal(signal.SIGINT)
    out, _ = running.communicate(timeout=60)
    assert "Keyboard interrupt received, exiting." in out
    assert running.returncode == 0  # http.server's own exit on KeyboardInterrupt
    assert _status(home, "web").startswith("Exited (0) ")


def test_a_second_ctrl_c_leaves_the_program_running(home: Path) -> None:
    program = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, lambda *_: print('not yet', flush=True))\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.1)\n"
    )
    running = _docker(home, "run", "--name", "stubborn", "-p", f"{_free_port()}:8000",
                      "python:3.12", "python", "-c", program)  # fmt: skip
    assert running.stdout is not None
    assert _line(running.stdout) == "ready\n"
    running.send_signal(signal.SIGINT)
    assert _line(running.stdout) == "not yet\n"
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=60)
    assert running.returncode == 130
    assert err == (
        "LayerLab: container stubborn keeps running; stop it with 'docker stop stubborn'.\n"
    )
    assert _status(home, "stubborn").startswith("Up ")
    assert _docker(home, "rm", "-f", "stubborn").wait(timeout=60) == 0


def test_ctrl_c_while_attached_goes_to_the_program(home: Path) -> None:
    program = "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)\n"
    started = _docker(home, "run", "-d", "--name", "bg", "python:3.12", "python", "-c", program)
    assert started.wait(timeout=60) == 0
    attached = _docker(home, "attach", "bg")
    assert attached.stdout is not None
    assert _line(attached.stdout) == "tick\n"  # attached and following, whatever the machine
    attached.send_signal(signal.SIGINT)
    out, err = attached.communicate(timeout=60)
    assert set(out.splitlines()) <= {"tick"}
    assert (err.splitlines()[-1], attached.returncode) == ("KeyboardInterrupt", 130)
    assert _status(home, "bg").startswith("Exited (130) ")


def test_on_a_real_engine_ctrl_c_reaches_the_program_and_its_output_is_read_on(
    tmp_path: Path,
) -> None:
    """The same client on a real engine: the signal goes to the container through the daemon,
    and the output written after it still comes over the attach connection."""
    reachable_real_engine()
    env = {**os.environ, "LAYERLAB_HOME": str(tmp_path / "home"), "LAYERLAB_ENGINE": "real",
           "LAYERLAB_FORKSERVER": "0"}  # fmt: skip
    name = f"layerlab-interrupt-{os.getpid()}"
    script = "trap 'echo caught; exit 3' INT; echo ready; while :; do sleep 0.1; done"
    running = subprocess.Popen(
        [sys.executable, "-m", "layerlab", "docker", "run", "--rm", "--name", name, "busybox",
         "sh", "-c", script],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert running.stdout is not None
        assert _line(running.stdout) == "ready\n"
        running.send_signal(signal.SIGINT)
        out, err = running.communicate(timeout=60)
        assert (out, err, running.returncode) == ("caught\n", "", 3)
    finally:
        running.kill()
        subprocess.run([sys.executable, "-m", "layerlab", "docker", "rm", "-f", name], env=env,
                       capture_output=True, timeout=60)  # fmt: skip
