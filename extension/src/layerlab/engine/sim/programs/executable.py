"""What the kernel's execve looks at: the file an argv[0] names along PATH, and what kind of
executable it is.

Executables in the simulated images are files whose data starts with
``b"\\x7fELF LAYERLAB:<program>\\n"``; the program name picks the Python implementation
(``busybox`` dispatches on the name it was started as, like the real multi-call binary).
"""

from __future__ import annotations

import posixpath

from layerlab.engine.sim.programs.applets.base import FsError, Io
from layerlab.engine.sim.programs.applets.paths import lookup, may_access
from layerlab.engine.sim.store.fs import Entry

MARKER = b"\x7fELF LAYERLAB:"


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


class ExecError(Exception):
    """The program cannot be started: ``reason`` is "not_found", "permission", "is_dir" or
    "exec_format"; ``path`` what could not be run."""

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason}: {path}")
        self.reason = reason
        self.path = path


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
