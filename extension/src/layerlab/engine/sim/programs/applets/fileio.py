"""Reading, writing, creating and removing files as a program does: permission checks, the
parent directory's mtime, and the character devices of /dev (see ``devices``)."""

from __future__ import annotations

from dataclasses import replace

from layerlab.engine.sim.programs.applets.base import (
    EACCES,
    EEXIST,
    EISDIR,
    ENOENT,
    ENOTDIR,
    FsError,
    Io,
    RunsForever,
)
from layerlab.engine.sim.programs.applets.devices import device_sink, read_device
from layerlab.engine.sim.programs.applets.paths import lookup, may_access, resolve
from layerlab.engine.sim.store.fs import descendants, directory, parent_of, regular


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
        return read_device(io, real, entry, limit)
    return entry.data if limit is None else entry.data[:limit]


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
        device_sink(io, real, entry).write(data, io.clock.t)
        return real
    io.sys.account_write(len(data))
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
