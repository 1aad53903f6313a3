"""Starting a program inside a simulated container: resolve argv[0] like execve, then run it.

What the file is decides what runs (see ``executable``). Files starting with ``#!`` run their
interpreter. Anything else cannot be executed: `docker run` gets ``ExecError("exec_format")``,
while a shell runs such a file as a shell script (as ash does on ENOEXEC).
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from layerlab.engine.sim.programs import devices
from layerlab.engine.sim.programs.applets.ash import run_sh
from layerlab.engine.sim.programs.applets.base import (
    FsError,
    Io,
    LogSink,
    OutOfMemory,
    Program,
    RunsForever,
    RunsLive,
    System,
    WriteFailed,
)
from layerlab.engine.sim.programs.applets.paths import lookup
from layerlab.engine.sim.programs.busybox import APPLETS, applet, busybox_main
from layerlab.engine.sim.programs.executable import ExecError, program_of, resolve_executable
from layerlab.engine.sim.programs.image_tools import PROGRAMS
from layerlab.engine.sim.store.fs import Entry, Tree, normpath
from layerlab.i18n import tr

MAX_INTERPRETER_DEPTH = 4


@dataclass
class ProcessContext:
    tree: Tree  # the container's filesystem, mutated in place by the program
    env: dict[str, str]
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    hostname: str = ""  # container short ID
    now: float = 0.0  # virtual wall-clock (unix seconds) when the program starts
    stdin: bytes = b""
    stdin_open: bool = False  # stdin stays open after ``stdin`` (see applets.base.Io)
    tty: bool = False  # the container has a terminal (-t): /dev/console exists
    terminal: bool = False  # this program's stdin and stdout are a terminal (run or exec -t)
    pid: int = 1  # 1 for a container's main program; an exec'd one gets its own
    # PID 1 as `ps` shows it while an exec'd program runs: (uid, command line).
    main: tuple[int, str] | None = None
    mounted_at: float | None = None  # when the container's /dev was mounted (default: now)
    dev_kept: bytes = b""  # files left in the /dev tmpfs by earlier execs (devices.unmount)
    # Programs by executable marker that run for real (``runtimes.PROGRAMS``), over the
    # simulated ones: the daemon hands them in, so nothing here imports a real runtime.
    programs: Mapping[str, Program] = field(default_factory=dict)
    # A detached container's main program: a real one keeps running there (``RunsLive``).
    live_dir: str = ""
    # A client waits for the container's main program (`run` without -d, `start -a`): a Ctrl-C
    # there is forwarded to a real one as SIGINT, as the docker CLI forwards it.
    attached_client: bool = False
    # An exec into a container whose real program runs: a real exec'd one joins it there.
    join_dir: str = ""
    # Its files as that program's root holds them, kept up to date in place (``runtimes.live``).
    join_synced: Tree = field(default_factory=dict)
    # The image's files the tree started from, by their chain ID: a real runtime keeps them
    # prepared once and runs on them with only the container's own changes on top.
    base: tuple[str, Tree] | None = None


@dataclass
class ProgramResult:
    exit_code: int
    output: list[tuple[int, bytes, float]] = field(default_factory=list)
    duration: float = 0.0  # virtual seconds the program ran before exiting
    runs_forever: bool = False  # still running after `duration`
    exits_on_sigterm: int | None = None  # exit code on SIGTERM; None: ignores it
    dev_kept: bytes = b""  # what the program left in the /dev tmpfs
    last_pid: int = 1  # the highest PID the run used (the next exec's PID follows it)
    live: str = ""  # the program runs on in the background, recorded in this directory


# ---------------------------------------------------------------------------------------------
# running


def _shell(argv: list[str], io: Io) -> int:
    return run_sh(argv, io)


def _program_for(name: str, io: Io) -> Program:
    if name in io.sys.programs:  # a real runtime handed in from above (``runtimes``)
        return io.sys.programs[name]
    if name == "busybox":
        return busybox_main
    if name in ("sh", "ash", "dash", "bash"):
        return _shell
    if name == "coreutils":
        return busybox_main
    if name in PROGRAMS:
        return PROGRAMS[name]

    def missing(argv: list[str], io: Io) -> int:
        name = posixpath.basename(argv[0])
        io.err(tr("{name}: program not supported in LayerLab's simulator", name=name) + "\n")
        return 1

    return missing


def spawn(argv: list[str], io: Io, from_shell: bool = False, depth: int = 0) -> int:
    """Run ``argv`` as a child program with ``io``; raises ExecError when it cannot start.

    A shell started from busybox finds applets before looking at PATH (busybox's
    "standalone shell"), so `ls` works even when /bin/ls is gone, as with the real binary.
    """
    name = argv[0] if argv else ""
    if from_shell and io.standalone and "/" not in name and (program := applet(name)):
        # busybox runs its own applets without exec: the command line stays the shell's.
        return as_process(io, name, io.cmdline, program, argv)
    real, entry = resolve_executable(io, name)
    return _run_file(argv, real, entry, io, from_shell, depth)


class _Launcher:
    """The ``applets.base.Launcher`` every run's programs start their children with."""

    def spawn(self, argv: list[str], io: Io, from_shell: bool = False) -> int:
        return spawn(argv, io, from_shell)

    def applet(self, name: str) -> Program | None:
        return APPLETS.get(name)


LAUNCHER = _Launcher()


def as_process(io: Io, comm: str, cmdline: str, program: Program, argv: list[str]) -> int:
    """Run ``program`` as process ``io.pid`` (listed by `ps` while it runs). A write its output
    refuses (``/dev/full``) ends it the way busybox's exit path reports it."""
    procs = io.sys.procs
    previous = procs.get(io.pid)
    procs[io.pid] = (io.uid, comm, cmdline)
    io.cmdline = cmdline
    try:
        return program(argv, io)
    except WriteFailed as failed:
        name = posixpath.basename(argv[0]) if argv else comm
        with contextlib.suppress(WriteFailed):  # stderr may be /dev/full too
            io.err(f"{name}: write error: {failed.reason}\n")
        return 1
    finally:
        if previous is None:
            procs.pop(io.pid, None)
        else:
            procs[io.pid] = previous


def _run_file(
    argv: list[str], real: str, entry: Entry, io: Io, from_shell: bool, depth: int
) -> int:
    data = entry.data
    program = program_of(data)
    if program is not None:
        comm = posixpath.basename(argv[0]) if argv else program
        return as_process(io, comm, " ".join(argv), _program_for(program, io), argv)
    if data.startswith(b"#!") and depth < MAX_INTERPRETER_DEPTH:
        line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        interpreter, _, argument = line.partition(" ")
        if not interpreter:
            raise ExecError("exec_format", argv[0])
        try:
            interp_real, interp_entry = lookup(io.tree, interpreter, io.cwd)
        except FsError:
            raise ExecError("not_found", argv[0]) from None
        # The kernel hands the interpreter the script's path as found, not the bare name.
        script = argv[0] if "/" in argv[0] else real
        new_argv = [
            interpreter,
            *([argument.strip()] if argument.strip() else []),
            script,
            *argv[1:],
        ]
        return _run_file(new_argv, interp_real, interp_entry, io, from_shell, depth + 1)
    if from_shell:
        return _shell(["sh", argv[0], *argv[1:]], io)
    raise ExecError("exec_format", argv[0])


def run_process(argv: list[str], ctx: ProcessContext) -> ProgramResult:
    """Run the main program of a container (or an exec'd one) to its end or its steady state.

    The container's /dev is mounted over ``ctx.tree`` while the program runs and taken out
    again before this returns, whatever happens."""
    system = System(
        tree=ctx.tree,
        launcher=LAUNCHER,
        hostname=ctx.hostname,
        start=ctx.now,
        tty=ctx.terminal,
        programs=ctx.programs,
        live_dir=ctx.live_dir,
        attached_client=ctx.attached_client,
        join_dir=ctx.join_dir,
        join_synced=ctx.join_synced,
        base=ctx.base,
    )
    command = " ".join(argv)
    main_uid, system.main_command = ctx.main if ctx.main is not None else (ctx.uid, command)
    system.procs[1] = (main_uid, posixpath.basename(system.main_command.split(" ")[0]),
                       system.main_command)  # fmt: skip
    # A new process's first child comes a few PIDs later (runc's helpers took those), then
    # they follow one another: measured with `ps` in busybox containers.
    system.next_pid = ctx.pid + 6
    system.mounts = dict(devices.MOUNTS)
    io = Io(
        sys=system,
        env=dict(ctx.env),
        cwd=normpath(ctx.cwd or "/"),
        uid=ctx.uid,
        gid=ctx.gid,
        stdin=ctx.stdin,
        stdin_open=ctx.stdin_open,
        fds={1: LogSink(system, 1), 2: LogSink(system, 2)},
        pid=ctx.pid,
        cmdline=command,
    )
    mounted = devices.mount(
        ctx.tree, ctx.now if ctx.mounted_at is None else ctx.mounted_at, ctx.tty, ctx.dev_kept
    )
    try:
        result = _run_mounted(argv, io, system)
    finally:
        kept = devices.unmount(ctx.tree, mounted)
    result.dev_kept = kept
    # A program that never ends (a `while true` loop) would have used up the PIDs of its whole
    # future; only a finished run's children are counted.
    forked = system.next_pid > ctx.pid + 6 and not result.runs_forever
    result.last_pid = system.next_pid - 1 if forked else ctx.pid
    return result


def _run_mounted(argv: list[str], io: Io, system: System) -> ProgramResult:
    real, entry = resolve_executable(io, argv[0] if argv else "")
    runs_forever = False
    sigterm: int | None = None
    try:
        code = _run_file(list(argv), real, entry, io, from_shell=False, depth=0)
    except RunsLive as live:
        return ProgramResult(exit_code=0, live=live.directory)
    except RunsForever as forever:
        code, runs_forever, sigterm = 0, True, forever.sigterm_exit
    except OutOfMemory as problem:
        name = posixpath.basename(argv[0]) if argv else "sh"
        system.note(
            tr(
                "LayerLab: {name} asked for {what}, a limit of the simulator, and was stopped "
                "(exit code 137).",
                name=name,
                what=problem.what,
            )
            + "\n",
            io.clock.t,
        )
        code = 137
    except RecursionError:
        io.err("sh: recursion too deep\n")
        code = 2
    except ExecError:
        raise
    except Exception as error:
        io.err(f"LayerLab simulator bug: {type(error).__name__}: {error}\n")
        code = 1
    duration = io.clock.t
    output = sorted(system.log, key=lambda item: item[2])
    if not runs_forever:
        output = [item for item in output if item[2] <= duration]
    return ProgramResult(
        exit_code=code & 0xFF,
        output=output,
        duration=duration,
        runs_forever=runs_forever,
        exits_on_sigterm=sigterm if runs_forever else None,
    )
