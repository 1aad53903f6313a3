"""Programs of the simulated Hub images: hello runs; npm, apk, apt-get and nginx are refused
with a message, never faked (node runs for real: ``test_node.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerlab.engine.sim import programs as programs_package
from layerlab.engine.sim import runtimes as runtimes_package
from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.programs.process import ProcessContext, ProgramResult, run_process
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs
from layerlab.engine.sim.store.fs import directory, regular

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "NODE_VERSION": "20.11.1",
       "PYTHON_VERSION": "3.12.1"}  # fmt: skip
PROGRAMS = ["npm", "yarn", "apk", "apt-get", "nginx"]


def image() -> dict:
    tree = busybox_rootfs(0)
    tree["/usr/local"] = directory()
    tree["/usr/local/bin"] = directory()
    tree["/app"] = directory()
    for name in PROGRAMS:
        tree[f"/usr/local/bin/{name}"] = regular(executable_data(name), 0o755)
    return tree


def run(argv: list[str], tree: dict, cwd: str = "/") -> ProgramResult:
    return run_process(argv, ProcessContext(tree=tree, env=dict(ENV), cwd=cwd, now=1e9))


def out(result: ProgramResult, fd: int = 1) -> str:
    return b"".join(data for f, data, _ in result.output if f == fd).decode()


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["apk", "add", "--no-cache", "curl"], "no Alpine package repository"),
        (["apk", "--version"], "no Alpine package repository"),
        (["apt-get", "update"], "no Debian package repository"),
        (["apt-get", "install", "-y", "curl"], "no Debian package repository"),
        (["nginx", "-g", "daemon off;"], "no web server that would answer"),
        (["nginx", "-v"], "no web server that would answer"),
        (["npm", "install", "express"], "no npm registry"),
        (["npm", "--version"], "no npm registry"),
        (["yarn", "install"], "has no yarn"),
    ],
)
def test_a_program_the_simulator_cannot_run_says_so_and_changes_nothing(
    argv: list[str], why: str
) -> None:
    tree = image()
    before = dict(tree)
    result = run(argv, tree, cwd="/app")
    assert (result.exit_code, out(result)) == (126, "")
    assert out(result, 2).startswith(f"LayerLab: cannot run {argv[0]} in this container: ")
    assert why in out(result, 2) and "real engine" in out(result, 2)
    assert tree == before  # no package, manifest or cache written


def test_the_refusal_ends_a_build_step_and_a_shell_list_as_a_failure() -> None:
    tree = image()
    result = run(["sh", "-c", "apk add curl && curl --version; echo status=$?"], tree)
    assert out(result) == "status=126\n"
    assert "installed" not in out(result, 2).lower() and "not supported" not in out(result, 2)


def test_no_program_is_run_by_reading_its_source() -> None:
    """A runner that picks output out of program text (console.log("…"), print("…")) is a
    fake: the simulator's programs compute what they print, or refuse."""
    programs = Path(programs_package.__file__).parent
    runtimes = Path(runtimes_package.__file__).parent
    for source in [*programs.rglob("*.py"), *runtimes.rglob("*.py")]:
        text = source.read_text()
        for pattern in ("console.log", "console\\.log", "print\\(", "process\\.exit"):
            assert pattern not in text, f"{source.name} reads {pattern} out of program text"


def test_hello_prints_the_message_stored_after_its_marker() -> None:
    tree = {"/hello": regular(executable_data("hello") + b"\nHello from Docker!\n", 0o775)}
    assert out(run(["/hello"], tree)) == "\nHello from Docker!\n"
