"""What every simulated program runs with: its streams, virtual clock and filesystem helpers.

A program is a function ``(argv, io) -> exit code``. Output goes through ``io.write``: to the
container's log (stamped with the virtual time it was written), to a pipe buffer, to a file in
the tree, or nowhere. Time only moves when a program says so (``io.sleep``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from layerlab.engine.sim.store.fs import (
    Tree,
    normpath,
)

# Past this much virtual time (or this many loop rounds) a program is taken to run forever:
# the log keeps what it printed so far and the container stays "Up".
HORIZON_SECONDS = 30 * 24 * 3600.0
MAX_LOOP_ROUNDS = 20_000
FOREVER_OUTPUT_LINES = 200  # what `yes` prints to a log before we call it "forever"
# What one run of simulated programs may write (to files and to its output together), hold in
# one pipe or read from an endless device at once: a real program may write gigabytes, but the
# simulator holds all of it in memory, and then in the state.
WRITE_LIMIT_BYTES = 64 << 20

ENOENT = "No such file or directory"
ENOTDIR = "Not a directory"
EISDIR = "Is a directory"
EEXIST = "File exists"
EACCES = "Permission denied"
ENOTEMPTY = "Directory not empty"
ELOOP = "Symbolic link loop"
EINVAL = "Invalid argument"
ENOSPC = "No space left on device"
ENXIO = "No such device or address"


# The busybox the simulated images carry: Debian's busybox-static, like the reference engine's.
BUSYBOX_VERSION = "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)"
SHELL_BANNER = f"{BUSYBOX_VERSION} built-in shell (ash)"


class OutOfMemory(Exception):
    """A simulated program asked for more than LayerLab gives one (memory, see ``ash``; or
    writes, see :data:`WRITE_LIMIT_BYTES`): a real one would be killed by the kernel or fill
    the disk; this one is stopped with a message saying which limit it met."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class RunsForever(Exception):
    """The program reached a point it never leaves (``sleep infinity``, a server, ``tail -f``).

    ``interruptible`` says whether a SIGTERM trap of the shell could run there: ash runs traps
    between commands and during ``wait``, not while a foreground child blocks.
    """

    def __init__(self, interruptible: bool = False, sigterm_exit: int | None = None) -> None:
        super().__init__("runs forever")
        self.interruptible = interruptible
        self.sigterm_exit = sigterm_exit  # how the program ends on SIGTERM; None: it ignores it


class RunsLive(Exception):
    """A real program now runs in the background under its monitor (``docker run -d``): the
    container is up for as long as it really is. ``directory`` holds what the monitor records."""

    def __init__(self, directory: str) -> None:
        super().__init__("runs live")
        self.directory = directory


class FsError(Exception):
    """A failed filesystem call; ``reason`` is the strerror text busybox would print."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


class WriteFailed(FsError):
    """A write to an output that refuses it (``/dev/full``): the program stops there and
    busybox's exit path reports ``NAME: write error: REASON``."""


@dataclass
class Clock:
    t: float = 0.0  # seconds since the top-level program started


@dataclass
class System:
    """State shared by every program of one run: the tree, identity and the log."""

    tree: Tree
    launcher: Launcher  # how a program starts another one (a shell's commands, `env`, `xargs`)
    hostname: str = ""
    start: float = 0.0
    log: list[tuple[int, bytes, float]] = field(default_factory=list)
    next_pid: int = 1
    main_command: str = ""  # what `ps` shows for PID 1
    # Live processes for `ps`: pid -> (uid, comm, cmdline); see process.py.
    procs: dict[int, tuple[int, str, str]] = field(default_factory=dict)
    # Mount point -> filesystem type (the run-time /dev, see ..devices), for `ls` and `df`.
    mounts: dict[str, str] = field(default_factory=dict)
    random_reads: int = 0  # how many reads of /dev/urandom so far: each gets its own bytes
    tty: bool = False  # the program's stdin and stdout are a terminal (run/exec -t)
    # Programs that run for real, by executable marker (see ``process.ProcessContext``).
    programs: Mapping[str, Program] = field(default_factory=dict)
    # Where a detached container's main program, if real, records its life (``RunsLive``).
    live_dir: str = ""
    # A client waits for the container's main program (see ``process.ProcessContext``).
    attached_client: bool = False
    # The records of the container's really running program, for a real exec'd one to join.
    join_dir: str = ""
    # The container's files as that program's root holds them: a real exec'd one first writes
    # into the root what a simulated shell changed since, then updates this in place.
    join_synced: Tree = field(default_factory=dict)
    # The signal that ended the last real program, if one did (the shell reports it).
    killed_by: int = 0
    # The image's files the run started from, by chain ID (see ``process.ProcessContext``).
    base: tuple[str, Tree] | None = None
    written: int = 0  # bytes written to files and output so far (see WRITE_LIMIT_BYTES)

    def note(self, message: str, when: float) -> None:
        """LayerLab's own message on the container's stderr, outside every limit."""
        self.log.append((2, message.encode(), when))

    def account_write(self, size: int) -> None:
        """Count ``size`` bytes about to be written; past the limit the run is stopped."""
        self.written += size
        if self.written > WRITE_LIMIT_BYTES:
            raise OutOfMemory(f"more than {WRITE_LIMIT_BYTES >> 20} MiB of files and output")

    def new_pid(self) -> int:
        pid = self.next_pid
        self.next_pid += 1
        return pid


class Sink:
    def write(self, data: bytes, when: float) -> None:
        raise NotImplementedError


class LogSink(Sink):
    """The container's stdout or stderr: every write is stamped with its virtual time."""

    def __init__(self, system: System, fd: int) -> None:
        self.system, self.fd = system, fd

    def write(self, data: bytes, when: float) -> None:
        if data:
            self.system.account_write(len(data))
            self.system.log.append((self.fd, data, when))


class BufferSink(Sink):
    """Output held in memory: a pipe's, or a command substitution's. ``limit`` is the bytes it
    may hold; ``holds`` names them in the message when a program writes more."""

    def __init__(self, limit: int | None = None, holds: str = "command output") -> None:
        self.data = bytearray()
        self.limit = limit
        self.holds = holds

    def write(self, data: bytes, when: float) -> None:
        if self.limit is not None and len(self.data) + len(data) > self.limit:
            raise OutOfMemory(f"more than {self.limit >> 20} MiB of {self.holds}")
        self.data += data


class NullSink(Sink):
    def write(self, data: bytes, when: float) -> None:
        pass


class FullSink(Sink):
    """``/dev/full``: every write fails with ENOSPC."""

    def write(self, data: bytes, when: float) -> None:
        if data:
            raise WriteFailed(ENOSPC, "/dev/full")


class FileSink(Sink):
    """A file in the tree opened for writing: each write lands in the tree at once."""

    def __init__(self, system: System, path: str) -> None:
        self.system, self.tree, self.path = system, system.tree, path

    def write(self, data: bytes, when: float) -> None:
        entry = self.tree.get(self.path)
        if entry is None or entry.kind != "file":
            return
        self.system.account_write(len(data))
        mtime = int(self.system.start + when)
        self.tree[self.path] = replace(entry, data=entry.data + data, mtime=mtime)


@dataclass
class Io:
    """One running program's view: environment, cwd, file descriptors and clock."""

    sys: System
    env: dict[str, str]
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    stdin: bytes = b""
    # After ``stdin``, the stream stays open with nothing more to come: a container's terminal
    # (-t), or its stdin kept open (-i) with nobody attached. A reader there blocks forever.
    stdin_open: bool = False
    fds: dict[int, Sink] = field(default_factory=dict)
    clock: Clock = field(default_factory=Clock)
    pid: int = 1
    prog: str = ""  # name in error messages when it is not argv[0] (a shell builtin: "sh")
    standalone: bool = False  # a busybox shell: applets win over PATH
    cmdline: str = ""  # the process's command line, as `ps` shows it

    # -- output -----------------------------------------------------------------------------
    def write(self, fd: int, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        sink = self.fds.get(fd)
        if sink is not None:
            sink.write(data, self.clock.t)

    def out(self, data: bytes | str) -> None:
        self.write(1, data)

    def err(self, data: bytes | str) -> None:
        self.write(2, data)

    def stdout_is_log(self) -> bool:
        return isinstance(self.fds.get(1), LogSink)

    # -- time -------------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        if seconds >= HORIZON_SECONDS or self.clock.t + seconds > HORIZON_SECONDS:
            raise RunsForever(interruptible=False)
        self.clock.t += seconds

    def now(self) -> float:
        return self.sys.start + self.clock.t

    # -- derived views ----------------------------------------------------------------------
    def child(self, **changes: object) -> Io:
        """A copy for a child program (same clock and sinks unless replaced)."""
        values = {
            "sys": self.sys,
            "env": dict(self.env),
            "cwd": self.cwd,
            "uid": self.uid,
            "gid": self.gid,
            "stdin": self.stdin,
            "stdin_open": self.stdin_open and "stdin" not in changes,
            "fds": dict(self.fds),
            "clock": self.clock,
            "pid": self.pid,
            "prog": self.prog,
            "standalone": self.standalone,
            "cmdline": self.cmdline,
        }
        values.update(changes)
        return Io(**values)  # type: ignore[arg-type]

    @property
    def tree(self) -> Tree:
        return self.sys.tree

    def abspath(self, path: str) -> str:
        return normpath(path, self.cwd)


Program = Callable[[list[str], Io], int]


class Launcher(Protocol):
    """Starting child programs, as the kernel's fork and execve do for a real one.

    ``process.run_process`` hands its implementation to every program of a run through
    ``System.launcher``, so the shell and the applets that run commands need not import what
    runs them (which imports them in turn)."""

    def spawn(self, argv: list[str], io: Io, from_shell: bool = False) -> int:
        """Run ``argv`` as a child with ``io``; raises ``executable.ExecError`` when it cannot
        start. ``from_shell``: a shell runs it (busybox's applets win, scripts run as sh)."""
        ...

    def applet(self, name: str) -> Program | None:
        """The busybox applet called ``name`` that LayerLab implements, or None."""
        ...


# ---------------------------------------------------------------------------------------------
# small text helpers shared by the applets


def prog_name(argv: list[str], io: Io) -> str:
    return io.prog or posixpath.basename(argv[0] if argv else "sh")


def lines_of(data: bytes) -> list[bytes]:
    """Lines without their newline; a final unterminated line still counts."""
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return parts


def parse_int(text: str) -> int | None:
    try:
        return int(text.strip(), 10)
    except ValueError:
        return None
