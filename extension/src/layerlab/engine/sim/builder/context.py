"""COPY and ADD for the classic builder: the build context, source lookup, cache sums, placing.

Cache sums follow the daemon (measured on Engine 20.10): a file's sum is the sha256 of its tar
header fields ``name mode uid gid size typeflag linkname uname gname devmajor devminor`` written
as ``key+value`` (no mtime; uname/gname blank for the build context) followed by its content;
``file:<sum>`` for a file, ``dir:<sha256 of the sorted sums, comma-joined>`` for a directory
(itself included), ``multi:<same over the sources' hashes>`` for several sources. For a context
tar the header fields are those the client sent (directories named with a trailing ``/``); for
``COPY --from`` they come from the image's files, with Go's file-type bits in the mode and
``root`` as the name of uid/gid 0.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import posixpath
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from layerlab.engine.errors import EngineError
from layerlab.engine.sim.store import fs

_TYPE_BITS = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000}
_TYPEFLAG = {"file": "0", "dir": "5", "symlink": "2"}
_WILDCARDS = re.compile(r"[*?\[]")


class CopyError(EngineError):
    """A COPY/ADD failure, reported in the build stream."""


@dataclass
class BuildContext:
    """The context tar as the daemon unpacks it: a tree rooted at "/" and a sum per path."""

    tree: fs.Tree
    sums: dict[str, str]

    @classmethod
    def from_tar(cls, data: bytes, fixed_mtime: int | None = None) -> BuildContext:
        """``fixed_mtime`` replaces every file time (deterministic mode): COPY keeps times, so
        files rewritten with the same content would otherwise give new image IDs each run."""
        tree: fs.Tree = {}
        sums: dict[str, str] = {}
        if not data:
            return cls(tree, sums)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar.getmembers():
                path = fs.normpath(member.name)
                if path == "/":
                    continue
                content = b""
                if member.isfile():
                    handle = tar.extractfile(member)
                    content = handle.read() if handle is not None else b""
                if fixed_mtime is not None:
                    member.mtime = fixed_mtime
                entry = _entry_of(member, content)
                if entry is None:
                    continue
                tree[path] = entry
                name = path.lstrip("/") + ("/" if member.isdir() else "")
                sums[path] = _header_sum(
                    name, member.mode, member.uid, member.gid, len(content),
                    _TYPEFLAG[entry.kind], member.linkname if member.issym() else "", "", content,
                )  # fmt: skip
        for path in list(tree):  # directories the tar only implies
            parent = fs.parent_of(path)
            while parent != "/" and parent not in tree:
                tree[parent] = fs.directory()
                parent = fs.parent_of(parent)
        return cls(tree, sums)

    def read(self, name: str) -> bytes | None:
        entry = self.tree.get(fs.normpath(name))
        return entry.data if entry is not None and entry.kind == "file" else None


def _entry_of(member: tarfile.TarInfo, content: bytes) -> fs.Entry | None:
    common = {"uid": member.uid, "gid": member.gid, "mtime": int(member.mtime)}
    if member.isdir():
        return fs.Entry("dir", mode=member.mode & 0o7777, **common)
    if member.issym():
        return fs.Entry("symlink", mode=0o777, target=member.linkname, **common)
    if member.isfile():
        return fs.Entry("file", mode=member.mode & 0o7777, data=content, **common)
    return None


def _header_sum(
    name: str, mode: int, uid: int, gid: int, size: int, typeflag: str, link: str, owner: str,
    content: bytes,
) -> str:  # fmt: skip
    fields = (
        ("name", name), ("mode", str(mode)), ("uid", str(uid)), ("gid", str(gid)),
        ("size", str(size)), ("typeflag", typeflag), ("linkname", link), ("uname", owner),
        ("gname", owner), ("devmajor", "0"), ("devminor", "0"),
    )  # fmt: skip
    h = hashlib.sha256("".join(k + v for k, v in fields).encode())
    h.update(content)
    return h.hexdigest()


def _joined_hash(prefix: str, items: list[str]) -> str:
    return prefix + ":" + hashlib.sha256(",".join(items).encode()).hexdigest()


@dataclass
class Source:
    """One thing to copy: ``path`` in its source tree, and its cache hash."""

    path: str
    hash: str
    is_dir: bool


class SourceTree:
    """Where COPY reads from: the build context, or an image's files (``--from``)."""

    def __init__(self, tree: Mapping[str, fs.Entry], sums: dict[str, str] | None, where: str):
        self.tree = tree
        self.sums = sums  # None: an image, summed from its files
        self.where = where  # for "stat" errors from an image
        self._cache: dict[str, str] = {}

    def sum(self, path: str) -> str:
        if self.sums is not None:
            return self.sums.get(path, path.lstrip("/"))
        if path not in self._cache:
            entry = self.tree[path]
            owner = "root"
            name = path.lstrip("/") + ("/" if entry.is_dir else "")
            self._cache[path] = _header_sum(
                name, entry.mode | _TYPE_BITS[entry.kind], entry.uid, entry.gid, entry.size,
                _TYPEFLAG[entry.kind], entry.target if entry.kind == "symlink" else "",
                owner if entry.uid == 0 else "", entry.data,
            )  # fmt: skip
        return self._cache[path]

    def hash_of(self, path: str) -> Source:
        entry = self.tree.get(path) if path != "/" else fs.directory()
        if entry is not None and not entry.is_dir:
            return Source(path, "file:" + self.sum(path), False)
        below = fs.descendants(self.tree, path)
        sums = [self.sum(p) for p in below] + ([self.sum(path)] if path != "/" else [])
        return Source(path, _joined_hash("dir", sorted(sums)), True)

    def resolve(self, original: str, command: str) -> list[Source]:
        rel = posixpath.normpath("/" + original.lstrip("/")) if original else "/"
        if ".." in original.split("/") and _escapes(original):
            raise CopyError(
                f"{command} failed: forbidden path outside the build context: {original} ()"
            )
        if _WILDCARDS.search(original):
            return self._glob(rel)
        if rel != "/" and rel not in self.tree:
            if self.sums is None:
                raise CopyError(
                    f"{command} failed: stat {self.where}{rel}: no such file or directory"
                )
            raise CopyError(
                f"{command} failed: file not found in build context or excluded by "
                f".dockerignore: stat {rel.lstrip('/')}: file does not exist"
            )
        return [self.hash_of(rel)]

    def _glob(self, pattern: str) -> list[Source]:
        parts = pattern.strip("/").split("/")
        found: list[Source] = []
        skip_below = ""
        for path in sorted(self.tree):
            if skip_below and fs.is_below(path, skip_below):
                continue
            segments = path.strip("/").split("/")
            if len(segments) != len(parts):
                continue
            if all(fnmatchcase(s, p) for s, p in zip(segments, parts, strict=True)):
                found.append(self.hash_of(path))
                skip_below = path if self.tree[path].is_dir else ""
        return found


def _escapes(original: str) -> bool:
    depth = 0
    for part in original.strip("/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def sources_hash(sources: list[Source]) -> str:
    if len(sources) == 1:
        return sources[0].hash
    return _joined_hash("multi", [s.hash for s in sources])


# -- placing files ------------------------------------------------------------------------------


def normalize_dest(workdir: str, requested: str) -> str:
    """The daemon's destination: relative to WORKDIR, keeping a trailing slash."""
    if requested.startswith("/"):
        return requested
    dest = fs.normpath(requested, workdir or "/")
    return dest + "/" if requested.endswith("/") and dest != "/" else dest


def copy_sources(
    target: fs.Tree,
    origin: SourceTree,
    sources: list[Source],
    dest: str,
    owner: tuple[int, int] | None,
    extract_archives: bool,
    now: int,
) -> None:
    """Copy ``sources`` into ``target`` (in place) with Docker's destination rules. Hard links
    among the copied files (one Entry under several paths) stay hard links, as the tar Docker
    copies through keeps them."""
    into_dir = dest.endswith("/") or (target.get(fs.normpath(dest)) or fs.regular(b"")).is_dir
    dest_path = fs.normpath(dest)
    placed: dict[int, fs.Entry] = {}  # id of a source Entry -> the one copy made of it
    for source in sources:
        if source.is_dir:
            _mkdirs(target, dest_path, owner, now, origin.tree.get(source.path))
            for path in sorted(fs.descendants(origin.tree, source.path)):
                rel = path[len(source.path) :] if source.path != "/" else path
                _place(target, fs.normpath(dest_path + "/" + rel.lstrip("/")), origin.tree[path],
                       owner, now, placed)  # fmt: skip
            continue
        entry = origin.tree[source.path]
        if extract_archives and entry.kind == "file":
            members = _archive_members(entry.data)
            if members is not None:
                _mkdirs(target, dest_path, owner, now, None)
                for path in sorted(members, key=lambda p: (p.count("/"), p)):
                    member = members[path]
                    if member is not None:
                        _place(target, fs.normpath(dest_path + path), member, None, now)
                continue
        where = dest_path + "/" + posixpath.basename(source.path) if into_dir else dest_path
        _place(target, fs.normpath(where), entry, owner, now, placed)


def _place(
    tree: fs.Tree,
    path: str,
    entry: fs.Entry,
    owner: tuple[int, int] | None,
    now: int,
    placed: dict[int, fs.Entry] | None = None,
) -> None:
    _mkdirs(tree, fs.parent_of(path), owner, now, None)
    if owner is not None:
        copied = placed.get(id(entry)) if placed is not None else None
        if copied is None:
            copied = fs.Entry(entry.kind, entry.mode, entry.data, entry.target, *owner,
                              entry.mtime)  # fmt: skip
            if placed is not None:
                placed[id(entry)] = copied
        entry = copied
    existing = tree.get(path)
    if existing is not None and existing.is_dir and entry.is_dir:
        return  # copying into an existing directory keeps it
    if existing is not None and existing.is_dir:
        for below in fs.descendants(tree, path):
            del tree[below]
    tree[path] = entry


def _mkdirs(
    tree: fs.Tree, path: str, owner: tuple[int, int] | None, now: int, like: fs.Entry | None
) -> None:
    missing: list[str] = []
    while path != "/" and not (path in tree and tree[path].is_dir):
        missing.append(path)
        path = fs.parent_of(path)
    uid, gid = owner or (0, 0)
    for index, p in enumerate(reversed(missing)):
        last = index == len(missing) - 1
        mode = like.mode if (like is not None and last) else 0o755
        mtime = like.mtime if (like is not None and last) else now
        if p in tree:  # a file in the way is replaced by the directory
            del tree[p]
        tree[p] = fs.directory(mode=mode, mtime=mtime, uid=uid, gid=gid)


def _archive_members(data: bytes) -> fs.Changes | None:
    """The entries of a local tar archive (plain, gzip, bzip2 or xz), or None if it is not one."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        elif data[:3] == b"BZh":
            data = bz2.decompress(data)
        elif data[:6] == b"\xfd7zXZ\x00":
            data = lzma.decompress(data)
    except (OSError, EOFError, lzma.LZMAError, ValueError):
        return None
    if len(data) < 512 or not _looks_like_tar(data):
        return None
    try:
        return fs.tar_to_changes(data)
    except (tarfile.TarError, ValueError):
        return None


def _looks_like_tar(data: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(data[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


# -- --chown ------------------------------------------------------------------------------------


def parse_chown(spec: str, tree: Mapping[str, fs.Entry]) -> tuple[int, int]:
    """``user[:group]`` to ids from the image's /etc/passwd and /etc/group, as the daemon does
    (a missing group part means a group of the same name as the user)."""
    user, _, group = spec.partition(":")
    group = group or user
    uid = _lookup(tree, "/etc/passwd", user)
    if uid is None:
        raise CopyError(
            "unable to convert uid/gid chown string to host mapping: can't find uid for user "
            f"{user}: no such user: {user}"
        )
    gid = _lookup(tree, "/etc/group", group)
    if gid is None:
        raise CopyError(
            "unable to convert uid/gid chown string to host mapping: can't find gid for group "
            f"{group}: no such group: {group}"
        )
    return uid, gid


def _lookup(tree: Mapping[str, fs.Entry], table: str, name: str) -> int | None:
    if name.isdigit():
        return int(name)
    entry = tree.get(table)
    if entry is None or entry.kind != "file":
        return None
    for line in entry.data.decode(errors="replace").splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name and fields[2].isdigit():
            return int(fields[2])
    return None
