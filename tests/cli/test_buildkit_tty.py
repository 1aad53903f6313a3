"""buildx's terminal view: ``layerlab docker build`` in a pseudo-terminal against Engine 26.1's
CLI in one, byte for byte once times and IDs are normalised.

The views drawn while a build runs depend on when the terminal is redrawn, so the comparison is
of the last view (drawn whole, once everything is done) and what follows it. The real side runs
live when Engine 26.1 is up (``LAYERLAB_REAL_26_HOST``, as CI starts it), else it is the capture
recorded from it in ``data/buildx_tty/`` (``LAYERLAB_RECORD_TTY=1`` rewrites those).
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

import pytest
from tests.differential.scenario_normalize import IdMap, block_order, normalize
from tests.differential.scenario_run import real_engine_26, reset_real_engine

from layerlab.cli.buildkit_tty import TtyPrinter

RECORDED = Path(__file__).parent / "data" / "buildx_tty"
FILES = {
    "app/Dockerfile": 'FROM busybox\nRUN echo hello > /a\nCOPY f /f\nENV X=1\nCMD ["sh"]\n',
    "app/f": "data\n",
    "fail/Dockerfile": 'FROM busybox\nRUN echo one && echo two >&2\nRUN sh -c "echo bad; exit 3"\n',
    "long/Dockerfile": "FROM busybox\nRUN echo a name longer than the terminal > /x\n",
}
# (name, terminal columns, arguments after `docker`): a first build, its cached rebuild, a
# failing step in a narrower terminal, names cut to fit a narrow one, and the flags that turn
# the view off (plain progress, quiet) or ask for it.
BUILDS = [
    ("first", 100, ["build", "--network=none", "-t", "app", "app"]),
    ("cached", 100, ["build", "--network=none", "-t", "app", "app"]),
    ("failing", 80, ["build", "--network=none", "-t", "bad", "fail"]),
    ("narrow", 52, ["build", "--network=none", "-t", "long", "long"]),
    ("tty-flag", 72, ["build", "--network=none", "--progress=tty", "-t", "app", "app"]),
    ("plain", 80, ["build", "--network=none", "--progress=plain", "-t", "app", "app"]),
    ("quiet", 80, ["build", "--network=none", "-q", "-t", "app", "app"]),
]


def in_terminal(argv: list[str], columns: int, env: dict[str, str], cwd: Path) -> tuple[str, int]:
    """What ``argv`` writes to a pseudo-terminal ``columns`` wide (30 rows), and its exit code.
    The terminal turns each newline into CRLF, as a real one does; it is turned back here."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    out = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child is gone and the terminal closed
            break
        if not data:
            break
        out += data
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return out.decode().replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)


def run_builds(docker: list[str], env: dict[str, str]) -> dict[str, tuple[str, int]]:
    with tempfile.TemporaryDirectory() as work:
        for name, text in FILES.items():
            path = Path(work) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return {
            name: in_terminal([*docker, *args], columns, env, Path(work))
            for name, columns, args in BUILDS
        }


def last_view(text: str) -> str:
    """The last view and what follows it, with the differential's rules for BuildKit's output
    (``tests/differential/scenario_normalize.py``, rule 9): times and IDs made alike, keeping
    their width, the vertices that run in parallel in the Dockerfile's order (9b: the view
    lists them in the order they started), and the base image's CACHED mark dropped (9d), and
    what clears the views drawn before. The plain log gets the differential's rules."""
    if "#0 building with" in text:
        return normalize(text, IdMap())
    start = text.rfind("[+] Building")
    if start >= 0:
        text = "<view>" + _in_order(text[start:])
    # The lines a longer view before left below are blanked, and the cursor goes back up: how
    # many depends on which views were drawn while the build ran (a step's output shows in
    # them), so they go.
    text = re.sub(r"(\x1b\[0m)?(?: +\n)+(?:\x1b\[1A)+\x1b\[0G", r"\1", text)
    text = re.sub(r"\d+\.\d+s\b", lambda m: re.sub(r"\d", "0", m.group()), text)
    text = re.sub(r"(?m)^\d+\.\d{3} ", "0.000 ", text)
    text = re.sub(r"sha256:[0-9a-f]+", lambda m: "sha256:" + "x" * (len(m.group()) - 7), text)
    return re.sub(r"( => )CACHED (\[[^\]]*\] FROM .*?)( +\d)", _uncached, text)


def _in_order(view: str) -> str:
    """The view's vertices (each line with its status lines below it) sorted as rule 9b sorts
    the plain log's blocks; the header and what follows the view stay where they are."""
    lines = view.split("\n")
    header, rest = lines[0], lines[1:]
    blocks: list[list[str]] = []
    tail: list[str] = []
    for line in rest:
        bare = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line)
        if bare.startswith(" => => ") and blocks and not tail:
            blocks[-1].append(line)
        elif bare.startswith(" => ") and not tail:
            blocks.append([line])
        else:
            tail.append(line)

    def key(block: list[str]) -> tuple[float, float, float, str]:
        bare = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", block[0])
        name = re.sub(r"^ => (?:CACHED |ERROR )?|\s+\d+\.\ds$", "", bare)
        return block_order("#0 " + name, {})

    ordered = [line for block in sorted(blocks, key=key) for line in block]
    return "\n".join([header, *ordered, *tail])


def _uncached(match: re.Match[str]) -> str:
    """A line without the CACHED mark, as wide as before (the time stays at the right)."""
    return match.group(1) + match.group(2) + " " * len("CACHED ") + match.group(3)


@pytest.fixture(scope="module")
def real() -> dict[str, tuple[str, int]]:
    host = os.environ.get("LAYERLAB_REAL_26_HOST")
    if not host:
        if os.environ.get("LAYERLAB_REQUIRE_REAL_26") == "1":
            pytest.fail("LAYERLAB_REQUIRE_REAL_26=1 but LAYERLAB_REAL_26_HOST is unset")
        return {
            name: (
                (RECORDED / f"{name}.txt").read_text(),
                int((RECORDED / f"{name}.rc").read_text()),
            )
            for name, _, _ in BUILDS
        }
    docker, env = real_engine_26()
    env["DOCKER_HOST"] = host
    with tempfile.TemporaryDirectory(prefix="docker-config-") as config:
        os.symlink(env.pop("LAYERLAB_CLI_PLUGINS"), os.path.join(config, "cli-plugins"))
        env["DOCKER_CONFIG"] = config
        reset_real_engine(env)
        try:
            results = run_builds(docker, env)
        finally:
            reset_real_engine(env)
    if os.environ.get("LAYERLAB_RECORD_TTY") == "1":
        RECORDED.mkdir(parents=True, exist_ok=True)
        for name, (text, code) in results.items():
            (RECORDED / f"{name}.txt").write_text(text)
            (RECORDED / f"{name}.rc").write_text(f"{code}\n")
    return results


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, int]]:
    env = {
        **os.environ,
        "LAYERLAB_ENGINE": "sim",
        "LAYERLAB_PROFILE": "26.1",
        "LAYERLAB_HOME": str(tmp_path_factory.mktemp("tty") / "home"),
        "LAYERLAB_FORKSERVER": "0",
    }
    env.pop("DOCKER_BUILDKIT", None)
    return run_builds([sys.executable, "-m", "layerlab", "docker"], env)


@pytest.mark.parametrize("name", [name for name, _, _ in BUILDS])
def test_the_terminal_shows_what_buildx_draws(
    name: str, real: dict[str, tuple[str, int]], simulated: dict[str, tuple[str, int]]
) -> None:
    want, got = real[name], simulated[name]
    assert got[1] == want[1]
    assert last_view(got[0]) == last_view(want[0])


def test_the_first_view_is_drawn_where_the_cursor_is(simulated: dict[str, tuple[str, int]]) -> None:
    # The first view moves up and back down (nothing to redraw yet), hides the cursor and draws;
    # each later view moves up over the one before, and the cursor is shown again at the end.
    text = simulated["first"][0]
    assert text.startswith("\x1b[1A\x1b[1B\x1b[0G\x1b[?25l[+] Building ")
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h") >= 2
    assert "#0 building with" not in text
    assert "#0 building with" in simulated["plain"][0]


def test_a_running_step_shows_its_last_lines_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    view = TtyPrinter(out, 40, 24)
    now = time.time()
    view.feed({"vertexes": [{"digest": "a", "name": "[1/2] FROM busybox", "started": now,
                             "completed": now}]})  # fmt: skip
    view.feed({"vertexes": [{"digest": "b", "name": "[2/2] RUN make", "started": now}]})
    lines = "".join(f"line {n}\n" for n in range(1, 9))
    view.feed({"logs": [{"vertex": "b", "data": lines, "timestamp": now}]})
    view.last_draw = 0.0  # draw now, as the next tick would
    view.feed({})
    drawn = out.getvalue()
    last = drawn[drawn.rfind("[+] Building") :]
    # The box is six rows, ten columns narrower than the terminal; the cursor's row after the
    # last newline is one of them, and empty rows are not shown. No colours with NO_COLOR.
    assert " => => # line 4" + " " * 24 + "\n" in last and last.count(" => => # ") == 5
    assert " => => # line 3" not in last and "\x1b[34m" not in drawn
    view.feed({"vertexes": [{"digest": "b", "name": "[2/2] RUN make", "started": now,
                             "completed": now + 1, "error": "exit code: 2"}]})  # fmt: skip
    view.close()
    final = out.getvalue()[len(drawn) :]
    assert "(2/2) FINISHED" in final and " => => # " not in final
    assert " => ERROR [2/2] RUN make" in final
    # The failed step's account keeps every line it printed (the plain log keeps ten).
    assert "------\n > [2/2] RUN make:\n0.000 line 1\n" in final
