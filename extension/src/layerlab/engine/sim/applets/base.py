"""What every simulated program runs with: its streams, virtual clock and filesystem helpers.

A program is a function ``(argv, io) -> exit code``. Output goes through ``io.write``: to the
container's log (stamped with the virtual time it was written), to a pipe buffer, to a file in
the tree, or nowhere. Time only moves when a program says so (``io.sleep``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..fs import Entry, Tree, children, descendants, directory, normpath, parent_of, regular

# Past this much virtual time (or this many loop rounds) a program is taken to run forever:
# the log keeps what it printed so far and the container stays "Up".
HORIZON_SECONDS = 30 * 24 * 3600.0
MAX_LOOP_ROUNDS = 20_000
FOREVER_OUTPUT_LINES = 200  # what `yes` prints to a log before we call it "forever"

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


class RunsForever(Exception):
    """The program reached a point it never leaves (``sleep infinity``, a server, ``tail -f``).

    ``interruptible`` says whether a SIGTERM trap of the shell could run there: ash runs traps
    between commands and during ``wait``, not while a foreground child blocks.
    """

    def __init__(self, interruptible: bool = False, sigterm_exit: int | None = None) -> None:
        super().__init__("runs forever")
        self.interruptible = interruptible
        self.sigterm_exit = sigterm_exit  # how the program ends on SIGTERM; None: it ignores it


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
            self.system.log.append((self.fd, data, when))


class BufferSink(Sink):
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes, when: float) -> None:
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

    def __init__(self, tree: Tree, path: str, mtime: float) -> None:
        self.tree, self.path, self.mtime = tree, path, mtime

    def write(self, data: bytes, when: float) -> None:
        entry = self.tree.get(self.path)
        if entry is None or entry.kind != "file":
            return
        self.tree[self.path] = replace(entry, data=entry.data + data, mtime=int(self.mtime + when))


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


# ---------------------------------------------------------------------------------------------
# path resolution and file operations on the tree


def resolve(tree: Tree, path: str, cwd: str = "/", follow_last: bool = True) -> str:
    """The real path of ``path``: symlinks followed in every component (the last one only when
    ``follow_last``). The result need not exist, but its parent must be a directory."""
    pending = [p for p in normpath(path, cwd).split("/") if p]
    current = "/"
    hops = 0
    while pending:
        name = pending.pop(0)
        candidate = normpath(name, current)
        entry = tree.get(candidate)
        if current != "/" and tree.get(current) is not None and not tree[current].is_dir:
            raise FsError(ENOTDIR, candidate)
        if entry is not None and entry.kind == "symlink" and (pending or follow_last):
            hops += 1
            if hops > 40:
                raise FsError(ELOOP, candidate)
            base = "/" if entry.target.startswith("/") else current
            pending = [p for p in normpath(entry.target, base).split("/") if p] + pending
            current = "/"
            continue
        if entry is None and pending:
            raise FsError(ENOENT, candidate)
        current = candidate
    return current


def lookup(tree: Tree, path: str, cwd: str = "/", follow_last: bool = True) -> tuple[str, Entry]:
    real = resolve(tree, path, cwd, follow_last)
    if real == "/":
        return real, tree.get("/", directory())
    entry = tree.get(real)
    if entry is None:
        raise FsError(ENOENT, real)
    return real, entry


def exists(tree: Tree, path: str, cwd: str = "/", follow_last: bool = True) -> bool:
    try:
        lookup(tree, path, cwd, follow_last)
    except FsError:
        return False
    return True


def read_file(io: Io, path: str, limit: int | None = None) -> bytes:
    """The file's bytes; a reader that needs at most ``limit`` bytes says so, which is what
    lets it read an endless device (``head -c N /dev/zero``)."""
    if path == "-":
        if io.stdin_open and (limit is None or len(io.stdin) < limit):
            raise RunsForever(interruptible=False)  # waiting for input that never comes
        return io.stdin if limit is None else io.stdin[:limit]
    real, entry = lookup(io.tree, path, io.cwd)
    if entry.is_dir:
        raise FsError(EISDIR, real)
    if not may_access(io, entry, 4):
        raise FsError(EACCES, real)
    if entry.kind == "chardev":
        from .devices import read_device

        return read_device(io, real, entry, limit)
    return entry.data if limit is None else entry.data[:limit]


def may_access(io: Io, entry: Entry, bit: int) -> bool:
    """Unix permission check for read (4), write (2) or execute/search (1)."""
    if io.uid == 0:
        return bit != 1 or entry.is_dir or bool(entry.mode & 0o111)
    if entry.uid == io.uid:
        return bool(entry.mode & (bit << 6))
    if entry.gid == io.gid:
        return bool(entry.mode & (bit << 3))
    return bool(entry.mode & bit)


def _parent_for_create(io: Io, real: str) -> None:
    parent = parent_of(real)
    if parent == "/":
        if io.uid != 0:
            raise FsError(EACCES, real)
        return
    entry = io.tree.get(parent)
    if entry is None:
        raise FsError(ENOENT, real)
    if not entry.is_dir:
        raise FsError(ENOTDIR, real)
    if not may_access(io, entry, 2):
        raise FsError(EACCES, real)


def write_file(io: Io, path: str, data: bytes, append: bool = False, mode: int = 0o644) -> str:
    """Create or overwrite (or append to) a regular file; returns its real path."""
    real = resolve(io.tree, path, io.cwd)
    entry = io.tree.get(real)
    mtime = int(io.now())
    if real == "/" or (entry is not None and entry.is_dir):
        raise FsError(EISDIR, real)
    if entry is not None and entry.kind == "chardev":
        from .devices import device_sink

        device_sink(io, real, entry).write(data, io.clock.t)
        return real
    if entry is None:
        _parent_for_create(io, real)
        io.tree[real] = regular(data, mode=mode, mtime=mtime, uid=io.uid, gid=io.gid)
    else:
        if not may_access(io, entry, 2):
            raise FsError(EACCES, real)
        new = entry.data + data if append else data
        io.tree[real] = replace(entry, data=new, mtime=mtime)
    return real


def make_dir(io: Io, path: str, mode: int = 0o755) -> str:
    real = resolve(io.tree, path, io.cwd, follow_last=False)
    if real == "/" or real in io.tree:
        raise FsError(EEXIST, real)
    _parent_for_create(io, real)
    io.tree[real] = directory(mode=mode, mtime=int(io.now()), uid=io.uid, gid=io.gid)
    return real


def remove_path(io: Io, real: str) -> None:
    """Remove ``real`` and everything below it (the caller decided that is wanted)."""
    _parent_for_create(io, real)
    for below in descendants(io.tree, real):
        del io.tree[below]
    io.tree.pop(real, None)
    touch_parent(io, real)


def touch_parent(io: Io, real: str) -> None:
    parent = parent_of(real)
    entry = io.tree.get(parent)
    if entry is not None:
        io.tree[parent] = replace(entry, mtime=int(io.now()))


def list_dir(tree: Tree, real: str) -> list[str]:
    return children(tree, real)


def join(directory_path: str, name: str) -> str:
    return posixpath.join(directory_path, name)


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
