"""Filesystem trees, layer changes and their tar form: the simulator's union filesystem.

A *tree* maps absolute paths ("/etc/passwd") to entries; the root "/" is implicit. A *layer* is a
set of changes to a tree: entries added or replaced, and whiteouts (``None``) for deletions. An
image's view is its layers applied in order; a container's writable layer is the difference
between its current tree and its image's view. Layers become real tars with fixed headers, so
equal changes always give the same DiffID and are stored once.
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import stat
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

# "chardev" only ever appears in a container's run-time view (the /dev the runtime mounts, see
# :mod:`devices`): it is never part of a layer, so the tar code below never meets one.
Kind = Literal["file", "dir", "symlink", "chardev"]

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
EMPTY_TAR_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: Kind
    mode: int = 0o644
    data: bytes = b""
    target: str = ""  # symlink target
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    rdev: tuple[int, int] = (0, 0)  # a character device's (major, minor)

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def size(self) -> int:
        """What the daemon's size walk counts: a file's bytes, a symlink's target length."""
        if self.kind == "file":
            return len(self.data)
        return len(self.target.encode()) if self.kind == "symlink" else 0


def directory(mode: int = 0o755, mtime: int = 0, uid: int = 0, gid: int = 0) -> Entry:
    return Entry("dir", mode=mode, mtime=mtime, uid=uid, gid=gid)


def regular(data: bytes, mode: int = 0o644, mtime: int = 0, uid: int = 0, gid: int = 0) -> Entry:
    return Entry("file", mode=mode, data=data, mtime=mtime, uid=uid, gid=gid)


def symlink(target: str, mtime: int = 0) -> Entry:
    return Entry("symlink", mode=0o777, target=target, mtime=mtime)


def chardev(major: int, minor: int, mode: int = 0o666, mtime: int = 0, gid: int = 0) -> Entry:
    return Entry("chardev", mode=mode, rdev=(major, minor), mtime=mtime, gid=gid)


Tree = dict[str, Entry]
Changes = dict[str, "Entry | None"]  # None is a whiteout


def normpath(path: str, cwd: str = "/") -> str:
    """Absolute, normalised path ("/a/b"); ".." never climbs above "/"."""
    joined = posixpath.join(cwd, path)
    norm = posixpath.normpath(joined)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    return norm


def parent_of(path: str) -> str:
    return posixpath.dirname(path) or "/"


def is_below(path: str, ancestor: str) -> bool:
    return ancestor == "/" or path.startswith(ancestor + "/")


def children(tree: Mapping[str, Entry], path: str) -> list[str]:
    """Names directly inside directory ``path``, sorted."""
    prefix = "/" if path == "/" else path + "/"
    depth = prefix.count("/")
    return sorted(p[len(prefix) :] for p in tree if p.startswith(prefix) and p.count("/") == depth)


def descendants(tree: Mapping[str, Entry], path: str) -> list[str]:
    prefix = "/" if path == "/" else path + "/"
    return [p for p in tree if p.startswith(prefix)]


# ---------------------------------------------------------------------------------------------
# applying and computing changes


def apply_changes(tree: Tree, changes: Mapping[str, Entry | None]) -> None:
    """Apply a layer's changes to ``tree`` in place, as overlayfs would show them."""
    for path in sorted(changes, key=_depth_then_name):
        entry = changes[path]
        if entry is None or entry.kind != "dir":
            for below in descendants(tree, path):
                del tree[below]
        if entry is None:
            tree.pop(path, None)
        elif entry.kind == "dir" and _is_opaque(entry):
            for below in descendants(tree, path):
                del tree[below]
            tree[path] = replace(entry, target="")
        else:
            tree[path] = entry


def _is_opaque(entry: Entry) -> bool:
    # An opaque directory hides everything below it in lower layers; it is marked by a target
    # of OPAQUE_MARKER (directories have no other use for the field).
    return entry.target == OPAQUE_MARKER


def opaque_directory(entry: Entry) -> Entry:
    return replace(entry, target=OPAQUE_MARKER)


def _depth_then_name(path: str) -> tuple[int, str]:
    return (path.count("/"), path)


def compute_changes(lower: Mapping[str, Entry], upper: Mapping[str, Entry]) -> Changes:
    """The layer that turns ``lower`` into ``upper``, with the parent directories of every change
    (a copied-up directory is part of the layer, as in overlayfs)."""
    changes: Changes = {p: e for p, e in upper.items() if lower.get(p) != e}
    for path in lower:
        if path in upper:
            continue
        parent = parent_of(path)
        # Only the topmost deleted path needs a whiteout; below a replaced file nothing does.
        if parent == "/" or (parent in upper and upper[parent].kind == "dir"):
            changes[path] = None
    for path in list(changes):
        parent = parent_of(path)
        while parent != "/" and parent not in changes and parent in upper:
            changes[parent] = upper[parent]
            parent = parent_of(parent)
    return changes


def layer_size(changes: Mapping[str, Entry | None]) -> int:
    """Total size, counting hard links (the very same Entry object) once, as du does."""
    seen: set[int] = set()
    total = 0
    for entry in changes.values():
        if entry is not None and id(entry) not in seen:
            seen.add(id(entry))
            total += entry.size
    return total


def tree_size(tree: Mapping[str, Entry]) -> int:
    return layer_size(tree)


# ---------------------------------------------------------------------------------------------
# tar form


def changes_to_tar(changes: Mapping[str, Entry | None]) -> bytes:
    """A deterministic tar of the changes: sorted paths, fixed headers, ``.wh.`` whiteouts."""
    buf = io.BytesIO()
    linked: dict[int, str] = {}  # hard links are the same Entry object under several paths
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(changes):
            entry = changes[path]
            name = path.lstrip("/")
            if entry is None:
                parent, base = posixpath.split(name)
                info = tarfile.TarInfo(posixpath.join(parent, WHITEOUT_PREFIX + base))
                info.mode = 0o600
                tar.addfile(info)
                continue
            info = tarfile.TarInfo(name)
            info.mode = entry.mode & 0o7777
            info.uid, info.gid, info.mtime = entry.uid, entry.gid, entry.mtime
            info.uname = info.gname = ""
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                if _is_opaque(entry):
                    marker = tarfile.TarInfo(posixpath.join(name, OPAQUE_MARKER))
                    marker.mode = 0o600
                    tar.addfile(marker)
            elif entry.kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = entry.target
                tar.addfile(info)
            elif id(entry) in linked:
                info.type = tarfile.LNKTYPE
                info.linkname = linked[id(entry)]
                tar.addfile(info)
            else:
                linked[id(entry)] = name
                info.size = len(entry.data)
                tar.addfile(info, io.BytesIO(entry.data))
    return buf.getvalue()


def tar_to_changes(data: bytes) -> Changes:
    """Read a layer tar (ours or Docker's) back into changes. Hard links become copies."""
    changes: Changes = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        members = tar.getmembers()
        for member in members:
            path = normpath(member.name)
            if path == "/":
                continue
            parent, base = posixpath.split(path)
            if base == OPAQUE_MARKER:
                existing = changes.get(parent) or directory()
                changes[parent] = opaque_directory(existing)
                continue
            if base.startswith(WHITEOUT_PREFIX):
                changes[posixpath.join(parent, base[len(WHITEOUT_PREFIX) :])] = None
                continue
            if member.islnk():
                # A hard link shares its source's Entry, so it is stored and counted once.
                source = changes.get(normpath(member.linkname))
                changes[path] = source if source is not None else regular(b"")
                continue
            changes[path] = _entry_from_member(tar, member)
    return changes


def _entry_from_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Entry:
    common = {"uid": member.uid, "gid": member.gid, "mtime": int(member.mtime)}
    mode = member.mode & 0o7777
    if member.isdir():
        return Entry("dir", mode=mode, **common)
    if member.issym():
        return Entry("symlink", mode=0o777, target=member.linkname, **common)
    return Entry("file", mode=mode, data=_read_member(tar, member), **common)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    return handle.read() if handle is not None else b""


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def chain_ids(diff_ids: Iterable[str]) -> list[str]:
    """ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))."""
    return list(_chain_ids(tuple(diff_ids)))


@functools.lru_cache(maxsize=4096)  # every listing recomputes the same chains
def _chain_ids(diff_ids: tuple[str, ...]) -> tuple[str, ...]:
    chain: list[str] = []
    for diff_id in diff_ids:
        chain.append(diff_id if not chain else digest(f"{chain[-1]} {diff_id}".encode()))
    return tuple(chain)


def file_mode_string(entry: Entry) -> str:
    """``ls -l`` style mode string, e.g. ``drwxr-xr-x``."""
    kind_bits = {
        "dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "file": stat.S_IFREG, "chardev": stat.S_IFCHR,
    }[entry.kind]  # fmt: skip
    return stat.filemode(kind_bits | entry.mode)
