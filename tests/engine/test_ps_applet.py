"""busybox `ps` in simulated containers, against `docker exec CONTAINER ps` on Engine 20.10:
PID 1 is the container's main process, exec'd programs get their own PIDs, and an applet the
shell runs without exec shows as ``{ps} <the shell's command line>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.programs.process import ProcessContext, run_process
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}


def run(argv: list[str]) -> tuple[str, str, int]:
    ctx = ProcessContext(tree=busybox_rootfs(0), env=dict(ENV), now=0.0, hostname="c0ffee")
    result = run_process(argv, ctx)
    streams = [b"".join(d for f, d, _ in result.output if f == fd).decode() for fd in (1, 2)]
    return streams[0], streams[1], result.exit_code


def test_main_process_runs_ps() -> None:
    # `docker run --rm busybox ps`, `... sh -c ps`, `... sh -c 'ps; ps; ps -o pid,args; true'`
    assert run(["ps"])[0] == "PID   USER     COMMAND\n    1 root     ps\n"
    assert run(["sh", "-c", "ps"])[0] == "PID   USER     COMMAND\n    1 root     {ps} sh -c ps\n"
    script = "ps; ps; ps -o pid,args; true"
    assert run(["sh", "-c", script])[0] == (
        f"PID   USER     COMMAND\n    1 root     sh -c {script}\n"
        f"    7 root     {{ps}} sh -c {script}\n"
        f"PID   USER     COMMAND\n    1 root     sh -c {script}\n"
        f"    8 root     {{ps}} sh -c {script}\n"
        f"PID   COMMAND\n    1 sh -c {script}\n    9 {{ps}} sh -c {script}\n"
    )


def test_ps_options_and_their_errors() -> None:
    assert run(["ps", "-o", "pid,comm"])[0] == "PID   COMMAND\n    1 ps\n"
    assert run(["ps", "aux"])[0] == "PID   USER     COMMAND\n    1 root     ps aux\n"
    out, err, code = run(["ps", "-o", "pid,time"])
    assert (out, code) == ("", 1)
    assert err == (
        "ps: bad -o argument 'time', supported arguments: "
        "user,group,comm,args,pid,ppid,pgid,nice,rgroup,ruser,tty,vsz,sid,stat,rss\n"
    )
    out, err, code = run(["ps", "-w"])
    assert code == 1 and err.startswith("ps: invalid option -- 'w'\nBusyBox v1.35.0 ")
    assert "Usage: ps [-o COL1,COL2=HEADER] [-T]\n" in err


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    return SimEngine(Path(tmp_path_factory.mktemp("ps")))


def exec_out(engine: SimEngine, container: str, cmd: list[str]) -> str:
    return engine.exec_start(engine.exec_create(container, cmd)["Id"])[0].decode()


def test_exec_lists_the_main_process_and_itself(engine: SimEngine) -> None:
    cid = engine.create_container("busybox", command=["sleep", "3600"], name="ps-sleep")["Id"]
    engine.start(cid)
    # Measured: `docker exec C ps` three times gives PIDs 7, 13, 19 next to "1 root sleep 3600".
    assert exec_out(engine, cid, ["ps"]) == (
        "PID   USER     COMMAND\n    1 root     sleep 3600\n    7 root     ps\n"
    )
    assert exec_out(engine, cid, ["ps", "aux"]).endswith("   13 root     ps aux\n")
    assert exec_out(engine, cid, ["sh", "-c", "ps; true"]) == (
        "PID   USER     COMMAND\n    1 root     sleep 3600\n   19 root     sh -c ps; true\n"
        "   25 root     {ps} sh -c ps; true\n"
    )
    engine.stop(cid, timeout=0)
    with pytest.raises(Exception, match="is not running"):
        engine.exec_create(cid, ["ps"])
    engine.remove_container(cid)


def test_main_shell_command_line_is_pid_1(engine: SimEngine) -> None:
    loop = "while true; do sleep 1; done"
    cid = engine.create_container("busybox", command=["sh", "-c", loop], name="ps-loop")["Id"]
    engine.start(cid)
    assert exec_out(engine, cid, ["ps"]).splitlines()[:2] == [
        "PID   USER     COMMAND",
        f"    1 root     sh -c {loop}",
    ]
    engine.remove_container(cid, force=True)
