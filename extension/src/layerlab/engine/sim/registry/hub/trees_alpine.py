"""File tree of the Alpine base image in the simulated Docker Hub.

Alpine is busybox plus musl and apk: every applet is a symlink to ``/bin/busybox`` (the
simulator's busybox), with Alpine's own account files and release metadata. node:*-alpine and
nginx:alpine build on it.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.busybox import busybox_applet_names
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

ALPINE_PASSWD = """\
root:x:0:0:root:/root:/bin/ash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
man:x:13:15:man:/usr/man:/sbin/nologin
postmaster:x:14:12:postmaster:/var/mail:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
at:x:25:25:at:/var/spool/cron/atjobs:/sbin/nologin
squid:x:31:31:Squid:/var/cache/squid:/sbin/nologin
xfs:x:33:33:X Font Server:/etc/X11/fs:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
cyrus:x:85:12::/usr/cyrus:/sbin/nologin
vpopmail:x:89:89::/var/vpopmail:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
smmsp:x:209:209:smmsp:/var/spool/mqueue:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
"""
ALPINE_GROUP = "".join(
    f"{name}:x:{gid}:{members}\n"
    for name, gid, members in [
        ("root", 0, "root"),
        ("bin", 1, "root,bin,daemon"),
        ("daemon", 2, "root,bin,daemon"),
        ("sys", 3, "root,bin,adm"),
        ("adm", 4, "root,adm,daemon"),
        ("tty", 5, ""),
        ("disk", 6, "root,adm"),
        ("lp", 7, "lp"),
        ("mem", 8, ""),
        ("kmem", 9, ""),
        ("wheel", 10, "root"),
        ("floppy", 11, "root"),
        ("mail", 12, "mail"),
        ("news", 13, "news"),
        ("uucp", 14, "uucp"),
        ("man", 15, "man"),
        ("cron", 16, "cron"),
        ("console", 17, ""),
        ("audio", 18, ""),
        ("cdrom", 19, ""),
        ("dialout", 20, "root"),
        ("ftp", 21, ""),
        ("sshd", 22, ""),
        ("input", 23, ""),
        ("at", 25, "at"),
        ("tape", 26, "root"),
        ("video", 27, "root"),
        ("netdev", 28, ""),
        ("readproc", 30, ""),
        ("squid", 31, "squid"),
        ("xfs", 33, "xfs"),
        ("kvm", 34, "kvm"),
        ("games", 35, ""),
        ("shadow", 42, ""),
        ("cdrw", 80, ""),
        ("www-data", 82, ""),
        ("usb", 85, ""),
        ("vpopmail", 89, ""),
        ("users", 100, "games"),
        ("ntp", 123, ""),
        ("nofiles", 200, ""),
        ("smmsp", 209, "smmsp"),
        ("locate", 245, ""),
        ("abuild", 300, ""),
        ("utmp", 406, ""),
        ("ping", 999, ""),
        ("nogroup", 65533, ""),
        ("nobody", 65534, ""),
    ]
)


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
