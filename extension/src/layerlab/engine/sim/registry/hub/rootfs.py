"""Root filesystems of the simulated base images.

`busybox_rootfs` mirrors the rootfs.tar that `scripts/real-engine` builds for the real engine
from this machine's busybox-static (itself the layout of the official image): same paths,
modes, owners and file contents, except that /bin/busybox is a simulated executable of the same
size. Every applet is a hard link to /bin/busybox: here, the very same `Entry` object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from layerlab.engine.sim.programs.busybox import busybox_applet_names
from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.registry.hub.data import file_text
from layerlab.engine.sim.store.fs import Entry, Kind, Tree, directory, regular, symlink

BUSYBOX_SIZE = 1_982_256  # bytes of Debian's busybox-static 1.35.0, what the real engine copies

# What `cp -L /usr/share/zoneinfo/UTC` gives (tzdata's UTC zone file).
_TZIF_BLOCK = b"TZif2" + bytes(31) + b"\x00\x00\x00\x01\x00\x00\x00\x04" + bytes(6) + b"UTC\x00"
UTC_TZIF = _TZIF_BLOCK + _TZIF_BLOCK + b"\nUTC0\n"

PASSWD = file_text("busybox/etc/passwd")

GROUP = file_text("busybox/etc/group")

SHADOW = "".join(
    f"{name}:*:::::::\n"
    for name in ("root", "daemon", "bin", "sys", "sync", "mail", "www-data", "operator", "nobody")
)

# (path, kind, mode, data or link target[, uid, gid])
LayoutItem = tuple


def lay_down(items: Iterable[LayoutItem], mtime: int = 0) -> Tree:
    """A tree from (path, kind, mode, data-or-target[, uid, gid]) items; parent directories
    that are not listed are created 0755 root:root (as `mkdir -p` would)."""
    tree: Tree = {}
    for item in items:
        path, kind, mode, payload = item[:4]
        uid, gid = (item[4], item[5]) if len(item) >= 6 else (0, 0)
        _add_parents(tree, path, mtime)
        tree[path] = _entry(kind, mode, payload, uid, gid, mtime)
    return tree


def _entry(kind: Kind, mode: int, payload: bytes | str, uid: int, gid: int, mtime: int) -> Entry:
    if kind == "dir":
        return directory(mode, mtime, uid, gid)
    if kind == "symlink":
        return replace(symlink(str(payload), mtime), uid=uid, gid=gid)
    data = payload.encode() if isinstance(payload, str) else payload
    return regular(data, mode, mtime, uid, gid)


def _add_parents(tree: Tree, path: str, mtime: int) -> None:
    parts = path.strip("/").split("/")[:-1]
    current = ""
    for part in parts:
        current += "/" + part
        tree.setdefault(current, directory(0o755, mtime))


def busybox_rootfs(mtime: int) -> Tree:
    """The root filesystem of the simulated `busybox:latest`."""
    layout: list[LayoutItem] = [
        ("/bin", "dir", 0o755, b""),
        ("/bin/busybox", "file", 0o755, executable_data("busybox", BUSYBOX_SIZE)),
        ("/dev", "dir", 0o755, b""),
        ("/etc", "dir", 0o755, b""),
        ("/etc/group", "file", 0o644, GROUP),
        ("/etc/localtime", "file", 0o644, UTC_TZIF),
        ("/etc/network", "dir", 0o755, b""),
        ("/etc/network/if-down.d", "dir", 0o755, b""),
        ("/etc/network/if-post-down.d", "dir", 0o755, b""),
        ("/etc/network/if-pre-up.d", "dir", 0o755, b""),
        ("/etc/network/if-up.d", "dir", 0o755, b""),
        ("/etc/passwd", "file", 0o644, PASSWD),
        ("/etc/shadow", "file", 0o600, SHADOW),
        ("/home", "dir", 0o755, b"", 65534, 65534),
        ("/root", "dir", 0o700, b""),
        ("/tmp", "dir", 0o1777, b""),
        ("/usr", "dir", 0o755, b""),
        ("/usr/bin", "dir", 0o755, b""),
        ("/usr/bin/env", "symlink", 0o777, "../../bin/env"),
        ("/usr/sbin", "dir", 0o755, b"", 1, 1),
        ("/var", "dir", 0o755, b""),
        ("/var/spool", "dir", 0o755, b""),
        ("/var/spool/mail", "dir", 0o755, b"", 8, 8),
        ("/var/www", "dir", 0o755, b"", 33, 33),
    ]
    tree = lay_down(layout, mtime)
    binary = tree["/bin/busybox"]
    for name in busybox_applet_names():
        if name != "busybox":
            tree[f"/bin/{name}"] = binary  # a hard link: one inode, one Entry
    return tree
