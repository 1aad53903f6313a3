"""Files in and out of a container (``docker cp``): the daemon's archive endpoints.

Measured on Docker Engine 20.10 (``daemon/archive.go``): a path that does not exist is ``Could
not find the file PATH in container NAME`` (404); GET returns a tar whose root entry is the
path's base name (its contents only for a path ending in ``/.``) and the path's stat; PUT
extracts a tar into an existing directory (else 404, or ``extraction point is not a
directory``), the files owned by root unless the caller keeps their IDs (``cp -a``). What is
copied in lands in the writable layer, so ``docker diff`` shows it.
"""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import EngineError, InvalidArgument, NotFound
from layerlab.engine.sim.images.config import rfc3339
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.containers.store import Container

Json = dict[str, Any]

_GO_DIR, _GO_SYMLINK = 1 << 31, 1 << 27  # Go's os.ModeDir and os.ModeSymlink bits


def stat_path(engine: ContainerBackend, container: str, path: str) -> Json:
    c = engine.containers_store.resolve(container)
    engine.containers_store.sync_live_files(c)
    tree = engine.containers_store.tree(c)
    return _stat(*_lookup(tree, c, path))


def get_archive(engine: ContainerBackend, container: str, path: str) -> tuple[bytes, Json]:
    c = engine.containers_store.resolve(container)
    engine.containers_store.sync_live_files(c)
    tree = engine.containers_store.tree(c)
    real, top = _lookup(tree, c, path)
    contents_only = path.endswith("/.")
    base = "." if contents_only else posixpath.basename(real) or "."
    members = [real, *fs.descendants(tree, real)] if top.is_dir else [real]
    entries: dict[str, fs.Entry | None] = {}
    for member in members:
        name = posixpath.normpath(posixpath.join(base, posixpath.relpath(member, real)))
        if name != ".":
            entry = tree[member]  # an opaque mark belongs to layers, not to a copy
            entries["/" + name] = replace(entry, target="") if entry.is_dir else entry
    return fs.changes_to_tar(entries), _stat(real, top)


def put_archive(
    engine: ContainerBackend, container: str, path: str, data: bytes, keep_ids: bool = False
) -> None:
    store = engine.containers_store
    c = store.resolve(container)
    store.sync_live_files(c)
    tree = store.tree(c)
    target, entry = _lookup(tree, c, path)
    if not entry.is_dir:
        raise InvalidArgument("extraction point is not a directory")
    try:  # an empty stream is an empty archive; anything else must be a tar
        changes = fs.tar_to_changes(data) if data else {}
    except tarfile.TarError:
        raise EngineError("Error processing tar file(exit status 1): unexpected EOF") from None
    before = dict(tree)
    for name, item in sorted(changes.items()):
        if item is not None:
            destination = fs.normpath(name.lstrip("/"), target)
            tree[destination] = item if keep_ids else replace(item, uid=0, gid=0)
    store.write_live_files(c, before, tree)
    store.set_tree(c, tree)
    store.save(c)


def _lookup(tree: fs.Tree, c: Container, path: str) -> tuple[str, fs.Entry]:
    """The path in the container's tree and its entry, symlinks followed on the way (not at
    the end), as the daemon resolves an archive path."""
    # The programs' module: loaded on first use.
    from layerlab.engine.sim.programs.applets.base import FsError
    from layerlab.engine.sim.programs.applets.paths import lookup

    try:
        return lookup(tree, path, "/", follow_last=False)
    except FsError:
        raise NotFound(f"Could not find the file {path} in container {c.name}") from None


def _stat(real: str, entry: fs.Entry) -> Json:
    mode = entry.mode & 0o777
    if entry.kind == "dir":
        mode |= _GO_DIR
    elif entry.kind == "symlink":
        mode |= _GO_SYMLINK
    return {
        "name": posixpath.basename(real) or "/",
        "size": entry.size if entry.kind != "dir" else 4096,
        "mode": mode,
        "mtime": rfc3339(entry.mtime),
        "linkTarget": entry.target if entry.kind == "symlink" else "",
    }
