"""The /dev a container sees: a fresh tmpfs the runtime mounts over the image's /dev.

Measured on Docker Engine 20.10 with runc (busybox image): the standard character devices, the
``/proc/self/fd`` links, and ``pts`` (devpts), ``shm`` (tmpfs) and ``mqueue`` mounts; with
``-t`` also ``console``. Every entry carries the moment the container started.

It exists only while a program runs: :func:`mount` puts it into the run-time tree (hiding the
image's own /dev entries) and :func:`unmount` takes it out again, so nothing of it reaches a
layer, ``docker diff``, ``commit`` or a build step. What programs created in the tmpfs
(``/dev/shm/x``) is returned by :func:`unmount` as a small tar the caller may keep with the
running container, as the kernel keeps a tmpfs for as long as its container runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from layerlab.engine.sim.store.fs import (
    Tree,
    apply_changes,
    changes_to_tar,
    chardev,
    descendants,
    directory,
    symlink,
)
from layerlab.engine.sim.store.fs import tar_to_changes as _tar_to_changes

DEV = "/dev"
# Mount point -> filesystem type: what `ls -l` sizes directories by.
MOUNTS = {"/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs", "/dev/mqueue": "mqueue"}
DEVICES = {
    "full": (1, 7), "null": (1, 3), "random": (1, 8), "tty": (5, 0), "urandom": (1, 9),
    "zero": (1, 5),
}  # fmt: skip
DEVICE_NAMES = {
    **{rdev: name for name, rdev in DEVICES.items()},
    (5, 2): "ptmx",
    (136, 0): "console",
}
LINKS = {
    "fd": "/proc/self/fd", "ptmx": "pts/ptmx", "stderr": "/proc/self/fd/2",
    "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
}  # fmt: skip
TTY_GROUP = 5  # the `tty` group owns /dev/console


def dev_tree(mtime: int, tty: bool = False) -> Tree:
    """The /dev tmpfs as a freshly started container has it."""
    tree: Tree = {
        DEV: directory(mtime=mtime),
        "/dev/pts": directory(mtime=mtime),
        "/dev/pts/ptmx": chardev(5, 2, mtime=mtime),
        "/dev/shm": directory(0o1777, mtime=mtime),
        "/dev/mqueue": directory(0o1777, mtime=mtime),
    }
    for name, (major, minor) in DEVICES.items():
        tree[f"{DEV}/{name}"] = chardev(major, minor, mtime=mtime)
    for name, target in LINKS.items():
        tree[f"{DEV}/{name}"] = symlink(target, mtime=mtime)
    if tty:
        tree["/dev/console"] = chardev(136, 0, mode=0o620, mtime=mtime, gid=TTY_GROUP)
    return tree


@dataclass
class Mounted:
    """What :func:`unmount` needs: the image's hidden entries and the fresh view."""

    hidden: Tree
    fresh: Tree


def _take_dev(tree: Tree) -> Tree:
    return {p: tree.pop(p) for p in [DEV, *descendants(tree, DEV)] if p in tree}


def mount(tree: Tree, mtime: float, tty: bool = False, kept: bytes = b"") -> Mounted:
    """Mount /dev over ``tree`` in place; ``kept`` is what an earlier :func:`unmount` returned
    while the container kept running."""
    hidden = _take_dev(tree)
    fresh = dev_tree(int(mtime), tty)
    tree.update(fresh)
    if kept:
        apply_changes(tree, _tar_to_changes(kept))
    return Mounted(hidden, fresh)


def unmount(tree: Tree, mounted: Mounted) -> bytes:
    """Take the mount out of ``tree`` (the image's /dev shows again); returns the files and
    directories programs made in the tmpfs, as a tar (devices are recreated, never kept)."""
    current = _take_dev(tree)
    made = {
        path: entry
        for path, entry in current.items()
        if entry.kind != "chardev" and mounted.fresh.get(path) != entry
    }
    tree.update(mounted.hidden)
    return changes_to_tar(made) if made else b""


def mount_type(mounts: dict[str, str], path: str) -> str | None:
    """The filesystem type ``path`` lives on, among ``mounts`` (None: the container's rootfs)."""
    best: str | None = None
    for point in mounts:
        if (path == point or path.startswith(point + "/")) and (
            best is None or len(point) > len(best)
        ):
            best = point
    return mounts[best] if best is not None else None
