"""How many bytes BuildKit reports for sending files to the daemon ("transferring context: 38B").

The files go through fsutil's stream, and the count is the size of its protobuf packets, not of
the files: per entry a STAT packet (path, Go file mode, uid, gid, size, mtime in nanoseconds,
link target), and for each file the daemon asks for, its DATA packets (32 KiB chunks) and an
empty DATA packet that ends it; a FIN packet ends the stream. A directory on the way to an
included path is sent as an entry too. Measured on Engine 26.1 with buildx 0.13: a 26-byte
Dockerfile counts 63 bytes, a context holding one 6-byte ``a.txt`` 38 bytes, and 26 bytes once
the daemon has that file unchanged (it keeps what it received per context folder, and asks only
for files whose stat changed).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping

from layerlab.engine.sim.store import fs

_CHUNK = 32 * 1024
# Go's os.FileMode bits for what is not a permission.
_MODE_DIR, _MODE_SYMLINK = 1 << 31, 1 << 27
_MODE_SETUID, _MODE_SETGID, _MODE_STICKY = 1 << 23, 1 << 22, 1 << 20


def _varint(value: int) -> int:
    length = 1
    while value >= 0x80:
        value >>= 7
        length += 1
    return length


def _bytes_field(length: int) -> int:
    return 1 + _varint(length) + length if length else 0


def _int_field(value: int) -> int:
    return 1 + _varint(value) if value else 0


def go_mode(entry: fs.Entry) -> int:
    mode = entry.mode & 0o777
    if entry.mode & 0o4000:
        mode |= _MODE_SETUID
    if entry.mode & 0o2000:
        mode |= _MODE_SETGID
    if entry.mode & 0o1000:
        mode |= _MODE_STICKY
    if entry.kind == "dir":
        mode |= _MODE_DIR
    elif entry.kind == "symlink":
        mode |= _MODE_SYMLINK
    return mode


def signature(entry: fs.Entry) -> list[int | str]:
    """What the daemon compares to decide whether it has a file already."""
    size = len(entry.data) if entry.kind == "file" else 0
    target = entry.target if entry.kind == "symlink" else ""
    return [go_mode(entry), entry.uid, entry.gid, size, int(entry.mtime), target]


def _stat_packet(path: str, entry: fs.Entry) -> int:
    name = path.lstrip("/").encode()
    size = len(entry.data) if entry.kind == "file" else 0
    target = entry.target.encode() if entry.kind == "symlink" else b""
    stat = (
        _bytes_field(len(name)) + _int_field(go_mode(entry)) + _int_field(entry.uid)
        + _int_field(entry.gid) + _int_field(size) + _int_field(int(entry.mtime) * 10**9)
        + _bytes_field(len(target))
    )  # fmt: skip
    return _bytes_field(stat)


def _data_packets(size: int, file_id: int) -> int:
    header = 2 + _int_field(file_id)  # the type (DATA) and the file's id
    total = header  # the empty packet that ends the file
    for start in range(0, size, _CHUNK):
        total += header + _bytes_field(min(_CHUNK, size - start))
    return total


def walk_order(paths: Iterable[str]) -> list[str]:
    """Paths in the order a walk of their folders meets them (names sorted in each folder)."""
    return sorted(paths, key=lambda path: path.strip("/").split("/"))


def included(tree: Mapping[str, fs.Entry], sources: list[str]) -> list[str]:
    """The entries of ``tree`` sent for ``sources`` (container-style paths, "/" for all): each
    source, what is below it, and the folders on the way to it."""
    chosen: set[str] = set()
    for source in sources:
        for path in tree:
            if source == "/" or path == source or fs.is_below(path, source):
                chosen.add(path)
                parent = posixpath.dirname(path)
                while parent not in ("/", ""):
                    chosen.add(parent)
                    parent = posixpath.dirname(parent)
    return walk_order(path for path in chosen if path in tree)


def transfer_size(
    tree: Mapping[str, fs.Entry], paths: list[str], known: Mapping[str, list[int | str]]
) -> int:
    """The bytes counted for sending ``paths`` of ``tree`` (in walk order) to a daemon that
    has the files of ``known`` (path -> :func:`signature`) already."""
    total = 2  # FIN
    for file_id, path in enumerate(paths):
        entry = tree[path]
        total += _stat_packet(path, entry)
        if entry.kind == "file" and known.get(path) != signature(entry):
            total += _data_packets(len(entry.data), file_id)
    return total
