"""The fork server behind the terminal command: a command run through it is the command a fresh
process would run (output, errors, exit code, working directory, environment, piped input), it
dies with its client, and the server goes when its home goes or its code is not the client's."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab import forkserver

# Runs one command through the server; exit 99 when the server did not take it.
THROUGH_SERVER = (
    "import sys; from layerlab import forkserver; "
    "code = forkserver.run(sys.argv[1:]); sys.exit(99 if code is None else code)"
)


@pytest.fixture
def server() -> Iterator[tuple[dict[str, str], subprocess.Popen[bytes], Path]]:
    # A short path: a Unix socket's address holds about 100 bytes.
    home = Path(tempfile.mkdtemp(prefix="ll-fs-")) / "home"
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_FORKSERVER": "1"}
    path = str(home / "cli.sock")
    process = subprocess.Popen(
        [sys.executable, "-m", "layerlab", "forkserver", path], env=env, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        assert process.poll() is None and time.monotonic() < deadline, "no server came up"
        time.sleep(0.05)
    yield env, process, home
    process.kill()
    process.wait()
    shutil.rmtree(home.parent, ignore_errors=True)


def client(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", THROUGH_SERVER, "docker", *args],
        env=env, capture_output=True, text=True, timeout=60, **kwargs,
    )  # fmt: skip


def test_a_command_through_the_server_is_the_command(server, tmp_path: Path) -> None:
    env, _, _ = server
    result = client(env, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.stdout, result.stderr, result.returncode) == ("out\n", "err\n", 3)
    # Its own working directory (a relative build context) and environment (-e NAME).
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo built > /b\n")
    assert client(env, "build", "-q", "-t", "here", ".", cwd=tmp_path).returncode == 0
    result = client({**env, "GREETING": "héllo"}, "run", "--rm", "-e", "GREETING", "here",
                    "sh", "-c", "cat /b; echo $GREETING")  # fmt: skip
    assert (result.stdout, result.returncode) == ("built\nhéllo\n", 0)
    # Piped input, and arguments that are not UTF-8.
    result = client(env, "run", "--rm", "-i", "busybox", "wc", "-c", input="four")
    assert result.stdout.split() == ["4"]
    odd = ["run", "--rm", "busybox", "echo", os.fsdecode(b"\xff"), "é"]
    through = subprocess.run([sys.executable, "-c", THROUGH_SERVER, "docker", *odd], env=env,
                             capture_output=True, timeout=60)  # fmt: skip
    alone = subprocess.run([sys.executable, "-m", "layerlab", "docker", *odd],
                           env={**env, "LAYERLAB_FORKSERVER": "0"}, capture_output=True,
                           timeout=60)  # fmt: skip
    assert through.returncode == alone.returncode == 0
    assert through.stdout == alone.stdout  # the argument went through JSON: U+FFFD, é


def _start_sleeper(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A client whose command runs a real program for a minute (its output comes at its end)."""
    return subprocess.Popen(
        [sys.executable, "-c", THROUGH_SERVER, "docker", "run", "--rm", "python:3.12",
         "python", "-c", "import time; time.sleep(60)"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_the_command_dies_with_its_client(server) -> None:
    env, process, _ = server
    running = _start_sleeper(env)
    _wait_for(lambda: _sleeping(process.pid), 30, "the program never started")
    running.send_signal(signal.SIGKILL)
    running.wait()
    _wait_for(lambda: not _descendants(process.pid), 20, "the command outlived its client")


def test_ctrl_c_reaches_the_command(server) -> None:
    env, process, _ = server
    running = _start_sleeper(env)
    _wait_for(lambda: _sleeping(process.pid), 30, "the program never started")
    running.send_signal(signal.SIGINT)
    assert running.wait(timeout=20) not in (0, 99)
    _wait_for(lambda: not _descendants(process.pid), 20, "the program outlived Ctrl-C")


def test_a_client_of_other_code_is_refused_and_runs_on_its_own(
    server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, home = server
    monkeypatch.setenv("LAYERLAB_HOME", str(home))
    monkeypatch.setenv("LAYERLAB_FORKSERVER", "1")
    monkeypatch.setattr(forkserver, "_code_key", lambda: "another LayerLab")
    assert forkserver.run(["docker", "images"]) is None


def test_the_server_leaves_when_its_home_goes(server) -> None:
    _, process, home = server
    shutil.rmtree(home)
    assert process.wait(timeout=20) == 0


def test_without_a_server_the_first_command_starts_one(tmp_path: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="ll-fs-")) / "home"
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_FORKSERVER": "1"}
    try:
        first = client(env, "version", "--format", "{{.Client.Version}}")
        assert first.returncode == 99  # nobody to ask: the command runs in its own process
        deadline = time.monotonic() + 60
        while client(env, "images", "-q").returncode == 99:
            assert time.monotonic() < deadline, "no server came up"
            time.sleep(0.2)
    finally:
        shutil.rmtree(home.parent, ignore_errors=True)  # the server leaves with its home


def _descendants(pid: int) -> list[tuple[int, str]]:
    """The processes below ``pid`` (and their command lines), from /proc."""
    parents: dict[int, int] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                lines[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append((child, lines.get(child, "")))
                frontier.append(child)
    return found


def _sleeping(pid: int) -> bool:
    return any("time.sleep(60)" in line and "bwrap" not in line for _, line in _descendants(pid))


@pytest.mark.parametrize("forkserver_on", ["1", "0"])
def test_a_removed_working_directory_is_no_traceback(forkserver_on: str, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    env = {**os.environ, "LAYERLAB_HOME": str(tmp_path / "home"),
           "LAYERLAB_FORKSERVER": forkserver_on}  # fmt: skip
    script = f'mkdir "{gone}" && cd "{gone}" && rmdir "{gone}" && exec "$0" -m layerlab docker "$@"'
    images = subprocess.run(["sh", "-c", script, sys.executable, "images", "-q"], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (images.returncode, images.stderr) == (0, "")
    build = subprocess.run(["sh", "-c", script, sys.executable, "build", "-q", "."], env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert build.returncode == 1
    assert build.stderr.endswith('unable to prepare context: path "." not found\n')
    shutil.rmtree(tmp_path / "home", ignore_errors=True)  # a server started here leaves with it


def test_the_trace_says_who_ran_a_command(server) -> None:
    """With ``LAYERLAB_FORKSERVER_TRACE``, the client and the child each note what they did: a
    command that ran in a child and again in its client would show both."""
    env, _, home = server
    trace = home / "trace.log"
    result = client({**env, "LAYERLAB_FORKSERVER_TRACE": str(trace)}, "images", "-q", "busybox")
    assert result.returncode == 0 and result.stdout.strip()
    lines = trace.read_text().splitlines()
    assert lines[0].startswith("client ") and lines[0].endswith(
        " asks ['docker', 'images', '-q', 'busybox']"
    )
    client_pid = lines[0].split()[1]
    assert lines[1].split()[0] == "child" and lines[1].split()[4] == client_pid
    assert lines[2].endswith(" ends with 0") and len(lines) == 3
    assert not client(env, "images", "-q").returncode  # no trace named: none written
    assert len(trace.read_text().splitlines()) == 3


def test_a_command_that_ends_before_its_client_looks_again_runs_once(
    server, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # The race behind output printed twice: the request goes whole in one send, the child runs
    # and ends, the server closes the connection, and only then does the client go on.
    _, _, home = server
    monkeypatch.setenv("LAYERLAB_HOME", str(home))
    monkeypatch.setenv("LAYERLAB_FORKSERVER", "1")
    real_socket = forkserver._socket.socket

    class Slow(real_socket):  # type: ignore[misc, valid-type]
        def sendmsg(self, *args: object) -> int:
            sent = super().sendmsg(*args)
            time.sleep(2)
            return sent

    monkeypatch.setattr(forkserver._socket, "socket", Slow)
    code = forkserver.run(["docker", "image", "inspect", "--format", "{{.Foo", "nope"])
    monkeypatch.setattr(forkserver._socket, "socket", real_socket)
    assert code is not None  # the server's child ran it: not run here again
    assert capfd.readouterr().err.count("template parsing error") == 1
