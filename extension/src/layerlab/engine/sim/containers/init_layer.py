"""The daemon's init layer: what every container has between its image and its writable layer.

Measured on Docker Engine 20.10 with busybox: ``/.dockerenv`` (empty, mode 0755),
``/etc/hostname`` (the hostname and a newline), ``/etc/hosts`` (the loopback names; a container
on a bridge network would also get its address), ``/etc/resolv.conf`` (the host's, without
loopback name servers), ``/etc/mtab`` -> ``/proc/mounts``, and ``/proc`` and ``/sys`` as mount
points, all dated at the container's creation, as is ``/etc``. ``docker diff`` and ``docker
commit`` never see them. What a program writes to the three files is not kept here (the daemon
keeps it in the container's own directory).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from layerlab.engine.sim.images.config import parse_rfc3339
from layerlab.engine.sim.store import fs

HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
# Docker's name servers when the host has none a container could reach (and, in deterministic
# mode, always: the host's file would make outputs differ between machines).
DEFAULT_RESOLV_CONF = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
BIND_MOUNTED = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")
_LOOPBACK_SERVER = re.compile(r"^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$")


def init_layer(image_tree: fs.Tree, created_at: str, hostname: str, deterministic: bool) -> fs.Tree:
    """The files the daemon puts under a container's own layer (``created_at``: its creation
    time, RFC 3339)."""
    created = int(parse_rfc3339(created_at))
    etc = image_tree.get("/etc") or fs.directory()
    resolv = DEFAULT_RESOLV_CONF if deterministic else host_resolv_conf()
    return {
        "/.dockerenv": fs.regular(b"", 0o755, created),
        "/etc": replace(etc, mtime=created),
        "/etc/hostname": fs.regular(f"{hostname}\n".encode(), 0o644, created),
        "/etc/hosts": fs.regular(HOSTS.encode(), 0o644, created),
        "/etc/mtab": fs.symlink("/proc/mounts", created),
        "/etc/resolv.conf": fs.regular(resolv.encode(), 0o644, created),
        "/proc": fs.directory(0o555, created),
        "/sys": fs.directory(0o555, created),
    }


@functools.cache
def host_resolv_conf() -> str:
    """This machine's /etc/resolv.conf as the daemon hands it to a container."""
    try:
        with open("/etc/resolv.conf", encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return DEFAULT_RESOLV_CONF
    kept = [line for line in lines if not _LOOPBACK_SERVER.match(line)]
    if not any(line.strip().startswith("nameserver") for line in kept):
        return DEFAULT_RESOLV_CONF
    return "\n".join(kept) + "\n"
