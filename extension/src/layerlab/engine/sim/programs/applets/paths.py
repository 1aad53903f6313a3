"""Path resolution on a container's tree, as the kernel does it for a program: symlinks
followed component by component, and the Unix permission check."""

from __future__ import annotations

import posixpath

from layerlab.engine.sim.programs.applets.base import ELOOP, ENOENT, ENOTDIR, FsError, Io
from layerlab.engine.sim.store.fs import Entry, Tree, children, directory, normpath


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


def may_access(io: Io, entry: Entry, bit: int) -> bool:
    """Unix permission check for read (4), write (2) or execute/search (1)."""
    if io.uid == 0:
        return bit != 1 or entry.is_dir or bool(entry.mode & 0o111)
    if entry.uid == io.uid:
        return bool(entry.mode & (bit << 6))
    if entry.gid == io.gid:
        return bool(entry.mode & (bit << 3))
    return bool(entry.mode & bit)


def list_dir(tree: Tree, real: str) -> list[str]:
    return children(tree, real)


def join(directory_path: str, name: str) -> str:
    return posixpath.join(directory_path, name)
