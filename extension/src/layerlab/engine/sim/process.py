"""Starting a program inside a simulated container: resolve argv[0] like execve, then run it.

Executables in the simulated images are files whose data starts with
``b"\\x7fELF LAYERLAB:<program>\\n"``; the program name picks the Python implementation
(``busybox`` dispatches on the name it was started as, like the real multi-call binary).
Files starting with ``#!`` run their interpreter. Anything else cannot be executed: `docker run`
gets ``ExecError("exec_format")``, while a shell runs such a file as a shell script (as ash does
on ENOEXEC).
"""

from __future__ import annotations

import contextlib
import posixpath
from dataclasses import dataclass, field

from . import devices
from .applets import busybox_main
from .applets.base import (
    FsError,
    Io,
    LogSink,
    Program,
    RunsForever,
    System,
    WriteFailed,
    lookup,
    may_access,
)
from .fs import Entry, Tree, normpath

MARKER = b"\x7fELF LAYERLAB:"
MAX_INTERPRETER_DEPTH = 4


def executable_data(program: str, size: int = 0) -> bytes:
    """The content of a simulated executable for ``program``, zero-padded to ``size`` bytes."""
    head = MARKER + program.encode() + b"\n"
    return head + bytes(max(0, size - len(head)))


def program_of(data: bytes) -> str | None:
    if not data.startswith(MARKER):
        # A real busybox binary (from an image saved by a real engine) runs as our busybox.
        if data.startswith(b"\x7fELF") and b"BusyBox v" in data:
            return "busybox"
        return None
    end = data.find(b"\n", len(MARKER))
    return data[len(MARKER) : end].decode("ascii", "replace") if end > 0 else None


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


@dataclass
class ProgramResult:
    exit_code: int
    output: list[tuple[int, bytes, float]] = field(default_factory=list)
    duration: float = 0.0  # virtual seconds the program ran before exiting
    runs_forever: bool = False  # still running after `duration`
    exits_on_sigterm: int | None = None  # exit code on SIGTERM; None: ignores it
    dev_kept: bytes = b""  # what the program left in the /dev tmpfs
    last_pid: int = 1  # the highest PID the run used (the next exec's PID follows it)


class ExecError(Exception):
    """The program cannot be started: ``reason`` is "not_found", "permission", "is_dir" or
    "exec_format"; ``path`` what could not be run."""

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason}: {path}")
        self.reason = reason
        self.path = path


# ---------------------------------------------------------------------------------------------
# resolution


def find_in_path(io: Io, name: str, path_var: str) -> str | None:
    """First executable file called ``name`` along ``path_var`` (as `which` prints it)."""
    for directory in path_var.split(":"):
        candidate = posixpath.join(directory or ".", name)
        try:
            _, entry = lookup(io.tree, candidate, io.cwd)
        except FsError:
            continue
        if entry.kind == "file" and entry.mode & 0o111:
            return candidate
    return None


def resolve_executable(io: Io, name: str) -> tuple[str, Entry]:
    """(real path, entry) of what ``execvp(name)`` would run, or ExecError."""
    if not name:
        raise ExecError("not_found", name)
    if "/" in name:
        candidates = [name]
    else:
        candidates = [posixpath.join(d or ".", name) for d in io.env.get("PATH", "").split(":")]
    denied: str | None = None
    for candidate in candidates:
        try:
            real, entry = lookup(io.tree, candidate, io.cwd)
        except FsError:
            continue
        if entry.is_dir:
            if "/" in name:
                raise ExecError("is_dir", name)
            continue
        if not may_access(io, entry, 1) or not entry.mode & 0o111:
            denied = denied or name
            continue
        return real, entry
    if denied is not None:
        raise ExecError("permission", denied)
    raise ExecError("not_found", name)


# ---------------------------------------------------------------------------------------------
# running


def _shell(argv: list[str], io: Io) -> int:
    from .applets.ash import run_sh

    return run_sh(argv, io)


def _program_for(name: str) -> Program:
    from .programs import PROGRAMS

    if name == "busybox":
        return busybox_main
    if name in ("sh", "ash", "dash", "bash"):
        return _shell
    if name == "coreutils":
        return busybox_main
    if name in PROGRAMS:
        return PROGRAMS[name]

    def missing(argv: list[str], io: Io) -> int:
        io.err(f"{posixpath.basename(argv[0])}: program not supported in LayerLab's simulator\n")
        return 1

    return missing


def spawn(argv: list[str], io: Io, from_shell: bool = False, depth: int = 0) -> int:
    """Run ``argv`` as a child program with ``io``; raises ExecError when it cannot start.

    A shell started from busybox finds applets before looking at PATH (busybox's
    "standalone shell"), so `ls` works even when /bin/ls is gone, as with the real binary.
    """
    from .applets import applet

    name = argv[0] if argv else ""
    if from_shell and io.standalone and "/" not in name and (program := applet(name)):
        # busybox runs its own applets without exec: the command line stays the shell's.
        return as_process(io, name, io.cmdline, program, argv)
    real, entry = resolve_executable(io, name)
    return _run_file(argv, real, entry, io, from_shell, depth)


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
        return as_process(io, comm, " ".join(argv), _program_for(program), argv)
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
    system = System(tree=ctx.tree, hostname=ctx.hostname, start=ctx.now, tty=ctx.terminal)
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
    except RunsForever as forever:
        code, runs_forever, sigterm = 0, True, forever.sigterm_exit
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
