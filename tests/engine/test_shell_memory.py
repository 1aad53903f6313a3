"""A simulated shell that grows a value without end is stopped with a message, before the
simulator takes the machine's memory (it once grew to 23.6 GB); the container is not left."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("x=a; while true; do x=$x$x; done", "a variable of more than 4 MiB"),
        ("x=a; while true; do x=$(echo $x$x); done", "more than 4 MiB of command output"),
    ],
)
def test_a_value_growing_without_end_is_stopped(tmp_path: Path, script: str, what: str) -> None:
    engine = SimEngine(home=tmp_path / "home")
    out, err, code = docker(engine, "run", "--rm", "busybox", "sh", "-c", script)
    assert (out, code) == ("", 137)
    assert err == (
        f"LayerLab: sh asked for {what}, a limit of the simulator, and was stopped "
        "(exit code 137).\n"
    )
    assert docker(engine, "ps", "-aq") == ("", "", 0)
    # Below the limit, values and outputs are whole.
    out, _, code = docker(engine, "run", "--rm", "busybox", "sh", "-c",
                          "x=$(head -c 3000000 /dev/zero | tr '\\0' a); echo ${#x}")  # fmt: skip
    assert (out, code) == ("3000000\n", 0)
