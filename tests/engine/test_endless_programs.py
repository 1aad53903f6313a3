"""Programs that never end, or write without end, in the foreground: the real client would wait
(or take the disk) forever; LayerLab stops with a message and a non-zero exit, keeps what the
program wrote before, and leaves no container behind that Docker would not leave."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

LOOP = "echo up; while true; do :; done"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    sim = SimEngine(home=tmp_path / "home")
    yield sim
    sim.close()


def docker(engine: SimEngine, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return code, out.getvalue(), err.getvalue()


def names(engine: SimEngine) -> str:
    return docker(engine, "ps", "-a", "--format", "{{.Names}} {{.State}}")[1]


def test_run_rm_of_an_endless_program_stops_it_and_leaves_no_container(
    engine: SimEngine,
) -> None:
    code, out, err = docker(engine, "run", "--rm", "--name", "loop", "busybox", "sh", "-c", LOOP)
    assert (code, out) == (137, "up\n")
    assert err.startswith("LayerLab: container loop runs a program that never exits")
    assert "LayerLab stopped it, and --rm removed it" in err
    assert names(engine) == ""


def test_run_of_an_endless_program_leaves_it_running_and_says_so(engine: SimEngine) -> None:
    code, out, err = docker(engine, "run", "--name", "loop", "busybox", "sh", "-c", LOOP)
    assert (code, out) == (1, "up\n")
    assert "It keeps running: stop it with 'docker stop loop'" in err
    assert names(engine) == "loop running\n"
    assert docker(engine, "stop", "loop")[0] == 0
    assert names(engine) == "loop exited\n"


def test_start_attached_of_an_rm_container_that_never_ends_removes_it(engine: SimEngine) -> None:
    assert docker(engine, "create", "--rm", "--name", "loop", "busybox", "sh", "-c", LOOP)[0] == 0
    code, out, err = docker(engine, "start", "-a", "loop")
    assert (code, out) == (137, "up\n")
    assert "--rm removed it" in err
    assert names(engine) == ""


def test_an_endless_exec_is_stopped_with_its_output_and_its_writes_kept(
    engine: SimEngine,
) -> None:
    docker(engine, "run", "-d", "--name", "box", "busybox", "sleep", "1000")
    script = "echo out; echo err >&2; echo kept > /note; while true; do :; done"
    code, out, err = docker(engine, "exec", "box", "sh", "-c", script)
    assert (code, out) == (137, "out\n")
    assert err.startswith("err\nLayerLab: the program exec'd in container box never exits")
    assert docker(engine, "exec", "box", "cat", "/note") == (0, "kept\n", "")
    assert names(engine) == "box running\n"


@pytest.mark.parametrize(
    ("script", "what"),
    [
        # Output, files, a pipe: whatever the program writes, counted together.
        ("head -c 40000000 /dev/zero; head -c 40000000 /dev/zero", "64 MiB of files and output"),
        ("head -c 40000000 /dev/zero > /a; head -c 40000000 /dev/zero > /b",
         "64 MiB of files and output"),
        ("{ head -c 40000000 /dev/zero; head -c 40000000 /dev/zero; } | wc -c",
         "64 MiB of data in a pipe"),
        ("head -c 2000000000 /dev/zero > /dev/null", "64 MiB of memory"),
        ("seq 100000000 > /dev/null", "1,000,000 numbers"),
    ],
)  # fmt: skip
def test_a_program_past_a_limit_of_the_simulator_is_stopped_with_a_message(
    engine: SimEngine, script: str, what: str
) -> None:
    code, out, err = docker(engine, "run", "--rm", "busybox", "sh", "-c", script)
    assert code == 137
    assert err.endswith(
        f"LayerLab: sh asked for more than {what}, a limit of the simulator, and was stopped "
        "(exit code 137).\n"
    )
    assert len(out) <= 64 << 20
    assert names(engine) == ""


def test_below_the_limits_output_and_files_are_whole(engine: SimEngine) -> None:
    script = (
        "head -c 30000000 /dev/zero > /a; head -c 30000000 /dev/zero | wc -c; seq 1000000 | tail -1"
    )
    assert docker(engine, "run", "--rm", "busybox", "sh", "-c", script) == (
        0, "30000000\n1000000\n", ""
    )  # fmt: skip
