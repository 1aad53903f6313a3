"""File tree of the Alpine base image in the simulated Docker Hub.

Alpine is busybox plus musl and apk: every applet is a symlink to ``/bin/busybox`` (the
simulator's busybox), with Alpine's own account files and release metadata. node:*-alpine and
nginx:alpine build on it.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.busybox import busybox_applet_names
from layerlab.engine.sim.registry.hub.data import file_text
from layerlab.engine.sim.registry.hub.rootfs import LayoutItem, lay_down
from layerlab.engine.sim.registry.hub.trees_debian import PROFILE
from layerlab.engine.sim.registry.hub.trees_layout import (
    dir_item,
    exe_item,
    file_item,
    link_item,
    root_dirs,
    shadow_for,
)
from layerlab.engine.sim.store.fs import Tree

ALPINE_PASSWD = file_text("alpine/etc/passwd")
ALPINE_GROUP = file_text("alpine/etc/group")


def alpine_tree(version: str) -> Tree:
    minor = ".".join(version.split(".")[:2])
    items: list[LayoutItem] = [
        exe_item("/bin/busybox", "busybox"),
        exe_item("/sbin/apk", "apk"),
        file_item("/lib/ld-musl-x86_64.so.1", b"\x7fELF musl libc\n", 0o755),
        link_item("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
        file_item("/etc/alpine-release", version + "\n"),
        file_item(
            "/etc/os-release",
            f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version}\nPRETTY_NAME="Alpine Linux v{minor}"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n',
        ),
        file_item(
            "/etc/apk/repositories",
            f"https://dl-cdn.alpinelinux.org/alpine/v{minor}/main\nhttps://dl-cdn.alpinelinux.org/alpine/v{minor}/community\n",
        ),
        file_item(
            "/etc/apk/world",
            "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nca-certificates-bundle\nlibc-utils\n",
        ),
        file_item("/lib/apk/db/installed", ""),
        file_item("/etc/passwd", ALPINE_PASSWD),
        file_item("/etc/group", ALPINE_GROUP),
        file_item("/etc/shadow", shadow_for(ALPINE_PASSWD), 0o640, 0, 42),
        file_item("/etc/hostname", "localhost\n"),
        file_item("/etc/profile", PROFILE.replace("(sh(1))", "")),
        *root_dirs(),
        dir_item("/usr/sbin"),
        dir_item("/usr/bin"),
        dir_item("/var/cache/apk"),
        dir_item("/var/log"),
        dir_item("/var/tmp", 0o1777),
    ]
    # busybox's installer puts env in /usr/bin, where every "#!/usr/bin/env" script looks.
    items += [
        link_item(f"{'/usr/bin' if name == 'env' else '/bin'}/{name}", "/bin/busybox")
        for name in busybox_applet_names()
        if name != "busybox"
    ]
    return lay_down(items)


# ---------------------------------------------------------------------------------------------
