"""`docker run -d` of a real program: a live process under a monitor of its own, Up while it
lives, Exited with its real code after; logs grow; stop, kill, rm -f and reset end it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement

pytestmark = pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here")

TICKER = (
    "import itertools, time\n"
    "for i in itertools.count():\n"
    "    print(i, flush=True); time.sleep(0.1)\n"
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    engine = SimEngine(home=tmp_path / "home")
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    yield engine
    engine.reset("empty")  # no program outlives its test


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def status(engine: SimEngine, name: str) -> str:
    return docker(engine, "ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}")[0]


def program_pid(engine: SimEngine, name: str) -> int:
    """The host PID of the container's program, as its monitor recorded it."""
    container_id = docker(engine, "inspect", "--format", "{{.Id}}", name)[0].strip()
    directory = engine.home / "live" / "default" / container_id
    for _ in range(100):
        with_pid = directory / "child.json"
        if with_pid.exists():
            return int(json.loads(with_pid.read_text())["pid"])
        time.sleep(0.02)
    raise AssertionError("the monitor recorded no program")


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_loop_is_live_its_logs_grow_and_stop_ends_it(engine: SimEngine) -> None:
    program = "open('/tmp/started', 'w').write('yes')\n" + TICKER
    assert docker(engine, "run", "-d", "--name", "ticker", "python:3.12", "python", "-c",
                  program)[2] == 0  # fmt: skip
    pid = program_pid(engine, "ticker")
    assert alive(pid)
    time.sleep(0.5)
    assert status(engine, "ticker").startswith("Up ")
    first = len(docker(engine, "logs", "ticker")[0].splitlines())
    time.sleep(0.5)
    later = docker(engine, "logs", "ticker")[0].splitlines()
    assert len(later) > first > 0
    assert later[:3] == ["0", "1", "2"]
    # Python as PID 1 has no SIGTERM handler: stop waits its timeout, then kills (137).
    started = time.monotonic()
    assert docker(engine, "stop", "-t", "1", "ticker")[2] == 0
    assert time.monotonic() - started >= 1
    assert status(engine, "ticker").startswith("Exited (137) ")
    assert not alive(pid)
    assert "A /tmp/started" in docker(engine, "diff", "ticker")[0].splitlines()


def test_a_program_that_handles_sigterm_exits_with_its_own_code(engine: SimEngine) -> None:
    program = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('bye', flush=True), sys.exit(3)))\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.05)\n"
    )
    docker(engine, "run", "-d", "--name", "polite", "python:3.12", "python", "-c", program)
    program_pid(engine, "polite")
    time.sleep(0.3)
    started = time.monotonic()
    docker(engine, "stop", "polite")
    assert time.monotonic() - started < 5
    assert status(engine, "polite").startswith("Exited (3) ")
    assert docker(engine, "logs", "polite")[0] == "ready\nbye\n"


def test_wait_and_logs_follow_a_program_to_its_end(engine: SimEngine) -> None:
    program = (
        "import time, sys\n"
        "for i in range(3):\n"
        "    print(i, flush=True); time.sleep(0.2)\n"
        "sys.exit(5)\n"
    )
    docker(engine, "run", "-d", "--name", "short", "python:3.12", "python", "-c", program)
    assert docker(engine, "logs", "-f", "short")[0] == "0\n1\n2\n"
    assert docker(engine, "wait", "short")[0] == "5\n"
    docker(engine, "run", "-d", "--rm", "--name", "brief", "python:3.12", "python", "-c", program)
    assert docker(engine, "logs", "-f", "brief")[0] == "0\n1\n2\n"
    assert "brief" not in docker(engine, "ps", "-a", "--format", "{{.Names}}")[0]


def test_kill_s_int_reaches_python_as_keyboard_interrupt(engine: SimEngine) -> None:
    """The program starts with SIGINT at its default action, as runc starts it: Python turns it
    into KeyboardInterrupt (its monitor ignores SIGINT, which exec would otherwise pass on)."""
    program = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"
    docker(engine, "run", "-d", "--name", "sleeper", "python:3.12", "python", "-c", program)
    program_pid(engine, "sleeper")
    time.sleep(1.0)  # Python sets up its handler meanwhile
    assert docker(engine, "kill", "-s", "INT", "sleeper")[2] == 0
    assert docker(engine, "wait", "sleeper")[0] == "130\n"
    assert docker(engine, "logs", "sleeper")[1].endswith("KeyboardInterrupt\n")


def test_start_without_attaching_leaves_a_created_program_running(engine: SimEngine) -> None:
    """`docker create` records that a client would attach; only the client that does attach
    (`start -a`, `run` without -d) waits for the program. A plain `start` returns at once."""
    program = "import time\nprint('up', flush=True)\ntime.sleep(30)\n"
    docker(engine, "create", "--name", "later", "python:3.12", "python", "-c", program)
    started = time.monotonic()
    assert docker(engine, "start", "later") == ("later\n", "", 0)
    assert time.monotonic() - started < 10
    pid = program_pid(engine, "later")
    assert alive(pid)
    assert status(engine, "later").startswith("Up ")
    assert docker(engine, "restart", "-t", "0", "later")[2] == 0
    assert status(engine, "later").startswith("Up ")
    assert docker(engine, "kill", "later")[2] == 0
    quick = "print('attached')"
    docker(engine, "create", "--name", "quick", "python:3.12", "python", "-c", quick)
    assert docker(engine, "start", "-a", "quick") == ("attached\n", "", 0)
    assert status(engine, "quick").startswith("Exited (0) ")


def test_attach_reads_on_from_now_to_the_programs_end(engine: SimEngine) -> None:
    program = (
        "import time\nprint('before', flush=True)\ntime.sleep(1.5)\n"
        "print('after', flush=True)\nraise SystemExit(4)\n"
    )
    docker(engine, "run", "-d", "--name", "late", "python:3.12", "python", "-c", program)
    for _ in range(100):  # until it has printed its first line
        if docker(engine, "logs", "late")[0]:
            break
        time.sleep(0.05)
    assert docker(engine, "attach", "late") == ("after\n", "", 4)
    assert docker(engine, "attach", "late") == (
        "",
        "You cannot attach to a stopped container, start it first\n",
        1,
    )


def test_rm_force_kill_and_reset_leave_nothing_running(engine: SimEngine) -> None:
    docker(engine, "run", "-d", "--name", "one", "python:3.12", "python", "-c", TICKER)
    docker(engine, "run", "-d", "--name", "two", "python:3.12", "python", "-c", TICKER)
    docker(engine, "run", "-d", "--name", "three", "python:3.12", "python", "-c", TICKER)
    pids = [program_pid(engine, name) for name in ("one", "two", "three")]
    assert docker(engine, "rm", "-f", "one")[2] == 0
    assert not alive(pids[0])
    assert docker(engine, "kill", "two")[2] == 0
    assert status(engine, "two").startswith("Exited (137) ")
    assert not alive(pids[1])
    engine.reset("baseline")
    assert not alive(pids[2])
    assert not any((engine.home / "live").rglob("child.json"))


def test_a_live_program_outlives_the_command_that_started_it(engine: SimEngine) -> None:
    """`layerlab docker run -d` in a terminal: the command ends, the program runs on."""
    command = [sys.executable, "-m", "layerlab", "docker", "run", "-d", "--name", "lasting",
               "python:3.12", "python", "-c", TICKER]  # fmt: skip
    env = {**os.environ, "LAYERLAB_HOME": str(engine.home), "LAYERLAB_ENGINE": "sim"}
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    pid = program_pid(engine, "lasting")
    time.sleep(0.3)
    assert alive(pid)
    assert status(engine, "lasting").startswith("Up ")
    assert docker(engine, "kill", "lasting")[2] == 0
    assert not alive(pid)


@pytest.mark.skipif(not confinement.as_root(), reason="joining a network needs root")
def test_exec_joins_a_running_program_its_files_and_its_network(engine: SimEngine) -> None:
    server = "cd /tmp && echo served > index.html && exec python -m http.server 8000"
    docker(engine, "run", "-d", "--name", "web", "python:3.12", "sh", "-c", server)
    program_pid(engine, "web")
    fetch = (
        "import time, urllib.request\n"
        "for _ in range(50):\n"
        "    try:\n"
        "        print(urllib.request.urlopen('http://localhost:8000/index.html').read().decode())\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n"
    )
    assert docker(engine, "exec", "web", "python", "-c", fetch)[0] == "served\n\n"
    # The exec'd programs see what the running one wrote, and what they write is kept.
    write = "open('/tmp/from-exec.txt', 'w').write('kept')"
    assert docker(engine, "exec", "web", "python", "-c", write)[2] == 0
    assert docker(engine, "exec", "web", "ls", "/tmp")[0] == "from-exec.txt\nindex.html\n"
    docker(engine, "exec", "web", "sh", "-c", "echo shell > /tmp/from-shell.txt")
    docker(engine, "stop", "-t", "1", "web")
    diff = docker(engine, "diff", "web")[0].splitlines()
    assert {"A /tmp/index.html", "A /tmp/from-exec.txt", "A /tmp/from-shell.txt"} <= set(diff)


def wait_for_file(engine: SimEngine, name: str, path: str) -> None:
    for _ in range(100):
        if docker(engine, "exec", name, "test", "-e", path)[2] == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.skipif(not confinement.as_root(), reason="exec into a real program needs root")
def test_a_running_program_and_what_runs_beside_it_share_one_set_of_files(
    engine: SimEngine, tmp_path: Path
) -> None:
    # The program writes a file, then shows every second what it finds.
    program = (
        "import os, time\n"
        "open('/tmp/by-program', 'w').write('program')\n"
        "while True:\n"
        "    print(sorted(os.listdir('/tmp')), flush=True); time.sleep(0.1)\n"
    )
    docker(engine, "run", "-d", "--name", "box", "python:3.12", "python", "-c", program)
    wait_for_file(engine, "box", "/tmp/by-program")
    # What it wrote is in the writable layer while it runs: diff, cp and commit see it.
    assert "A /tmp/by-program" in docker(engine, "diff", "box")[0].splitlines()
    out = tmp_path / "copied"
    assert docker(engine, "cp", "box:/tmp/by-program", str(out))[2] == 0
    assert out.read_text() == "program"
    # An exec'd real program's writes too, at once.
    docker(engine, "exec", "box", "python", "-c", "open('/tmp/by-exec', 'w').write('exec')")
    assert "A /tmp/by-exec" in docker(engine, "diff", "box")[0].splitlines()
    # A simulated shell's changes and docker cp reach the program's files: it sees them.
    docker(engine, "exec", "box", "sh", "-c", "echo shell > /tmp/by-shell && rm /tmp/by-exec")
    (tmp_path / "by-cp").write_text("cp")
    assert docker(engine, "cp", str(tmp_path / "by-cp"), "box:/tmp/by-cp")[2] == 0
    # Within one exec too: a real program sees what the shell before it wrote.
    both = "echo shell > /tmp/by-shell && python -c \"print(open('/tmp/by-shell').read())\""
    assert docker(engine, "exec", "box", "sh", "-c", both)[0] == "shell\n\n"
    seen = "['by-cp', 'by-program', 'by-shell']"
    for _ in range(50):
        if docker(engine, "logs", "--tail", "1", "box")[0].strip() == seen:
            break
        time.sleep(0.1)
    assert docker(engine, "logs", "--tail", "1", "box")[0].strip() == seen
    assert docker(engine, "commit", "box", "snapshot")[2] == 0
    listed = docker(engine, "run", "--rm", "snapshot", "ls", "/tmp")[0]
    assert listed == "by-cp\nby-program\nby-shell\n"
    # Looking again changes nothing: a file the program wrote once keeps its time.
    first = docker(engine, "exec", "box", "stat", "-c", "%Y", "/tmp/by-program")[0]
    time.sleep(1.1)
    assert docker(engine, "diff", "box")[0] == docker(engine, "diff", "box")[0]
    assert docker(engine, "exec", "box", "stat", "-c", "%Y", "/tmp/by-program")[0] == first


def test_run_dit_keeps_an_interactive_interpreter_running(engine: SimEngine) -> None:
    # The classic way to keep a container up: an interpreter on a terminal nobody types in.
    assert docker(engine, "run", "-dit", "--name", "repl", "python:3.12")[2] == 0
    pid = program_pid(engine, "repl")
    for _ in range(100):
        if docker(engine, "logs", "repl")[0].endswith(">>> "):
            break
        time.sleep(0.05)
    logs = docker(engine, "logs", "repl")[0]
    assert logs.startswith(f"Python {sys.version.split()[0]} ") and logs.endswith("\r\n>>> ")
    assert alive(pid) and status(engine, "repl").startswith("Up ")
    # As PID 1 without a SIGTERM handler it ignores the signal: stop kills it after the timeout.
    assert docker(engine, "stop", "-t", "1", "repl")[2] == 0
    assert status(engine, "repl").startswith("Exited (137)")
