"""Random garbage command lines never end in a Python traceback: only docker's messages."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

COMMANDS = (
    "run create start stop restart kill rm ps logs exec diff inspect images image rmi tag "
    "history build push pull save load container system version info login logout ls prune"
).split()
FLAGS = (
    "-a -q -d -t -i -f -e -p -w -u -h --rm --name --format --filter --no-trunc --help "
    "--entrypoint --all --force --time -- --tag --build-arg --no-cache -o --output --input"
).split()
WORDS = (
    "busybox busybox:latest Busybox nosuch localhost:5000/x sh -c echo 'hi there' {{.ID}} "
    "{{json .}} {{.Nope}} {{ table status=running dangling=true label=a=b 80:80 A=1 . / "
    "sha256:abc 0 -1 99999999999 :: @ ''"
).split()

token = st.one_of(
    st.sampled_from(COMMANDS),
    st.sampled_from(FLAGS),
    st.sampled_from(WORDS),
    st.text(min_size=0, max_size=12),
)
# Mostly a real command (and subcommand) first, so the arguments reach deep into each command.
command_line = st.one_of(
    st.lists(token, max_size=7),
    st.tuples(st.sampled_from(COMMANDS), st.lists(token, max_size=6)).map(
        lambda pair: [pair[0], *pair[1]]
    ),
    st.tuples(st.sampled_from(["image", "container", "system"]), st.lists(token, max_size=6)).map(
        lambda pair: [pair[0], *pair[1]]
    ),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    return SimEngine(home=tmp_path_factory.mktemp("garbage"))


@settings(
    max_examples=int(os.environ.get("LAYERLAB_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=command_line)
def test_no_traceback(argv: list[str], engine: SimEngine, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(argv, engine, out, err, cwd=tmp_path, stdin=b"")
    text = out.getvalue() + err.getvalue()
    assert isinstance(code, int) and 0 <= code <= 255
    assert "Traceback" not in text
    assert "internal error" not in text, (argv, text)


@pytest.mark.parametrize(
    "argv", [["save", "busybox", "-o", "\x00"], ["load", "-i", "a\x00b"], ["run", "busy\x00box"]]
)
def test_a_nul_in_an_argument_is_refused_plainly(
    argv: list[str], engine: SimEngine, tmp_path: Path
) -> None:
    """No shell can pass a NUL to docker; from Python it would reach a system call that refuses
    it (found by the test above)."""
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(argv, engine, out, err, cwd=tmp_path) == 1
    assert (out.getvalue(), err.getvalue()) == (
        "",
        "layerlab: a docker command line cannot hold a NUL character (\\x00)\n",
    )
