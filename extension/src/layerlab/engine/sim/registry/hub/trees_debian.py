"""File trees of the Debian and Ubuntu base images in the simulated Docker Hub.

A minimal Debian-family root (bash, dash, coreutils, apt-get, dpkg, the usual directories and
account files) with the release files of Debian 10-12 and Ubuntu 20.04/22.04; bookworm and
Ubuntu use the merged ``/usr`` layout. The buildpack-deps, node, python and nginx images build
on these.
"""

from __future__ import annotations

from layerlab.engine.sim.registry.hub.rootfs import LayoutItem, lay_down
from layerlab.engine.sim.registry.hub.trees_layout import (
    dir_item,
    exe_item,
    file_item,
    link_item,
    root_dirs,
    shadow_for,
)
from layerlab.engine.sim.store.fs import Tree

COREUTILS = [
    "[",
    "basename",
    "cat",
    "chgrp",
    "chmod",
    "chown",
    "cp",
    "cut",
    "date",
    "dd",
    "df",
    "dirname",
    "du",
    "echo",
    "env",
    "expr",
    "false",
    "head",
    "id",
    "ln",
    "ls",
    "mkdir",
    "mktemp",
    "mv",
    "nproc",
    "printf",
    "pwd",
    "readlink",
    "rm",
    "rmdir",
    "seq",
    "sleep",
    "sort",
    "stat",
    "tail",
    "tee",
    "test",
    "touch",
    "tr",
    "true",
    "uname",
    "uniq",
    "wc",
    "whoami",
    "yes",
    "grep",
    "sed",
    "find",
    "xargs",
    "tar",
    "gzip",
    "gunzip",
    "hostname",
    "mount",
    "umount",
    "more",
    "su",
    "login",
]


DEBIAN_PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
DEBIAN_GROUP = "".join(
    f"{name}:x:{gid}:\n"
    for name, gid in [
        ("root", 0),
        ("daemon", 1),
        ("bin", 2),
        ("sys", 3),
        ("adm", 4),
        ("tty", 5),
        ("disk", 6),
        ("lp", 7),
        ("mail", 8),
        ("news", 9),
        ("uucp", 10),
        ("man", 12),
        ("proxy", 13),
        ("kmem", 15),
        ("dialout", 20),
        ("fax", 21),
        ("voice", 22),
        ("cdrom", 24),
        ("floppy", 25),
        ("tape", 26),
        ("sudo", 27),
        ("audio", 29),
        ("dip", 30),
        ("www-data", 33),
        ("backup", 34),
        ("operator", 37),
        ("list", 38),
        ("irc", 39),
        ("src", 40),
        ("shadow", 42),
        ("utmp", 43),
        ("video", 44),
        ("sasl", 45),
        ("plugdev", 46),
        ("staff", 50),
        ("games", 60),
        ("users", 100),
        ("nogroup", 65534),
    ]
)


def debian_rootfs(
    os_release: str, version_file: tuple[str, str], merged_usr: bool, apt_sources: tuple[str, str]
) -> list[LayoutItem]:
    """A minimal Debian-family root: bash/dash, coreutils, apt-get, dpkg and the usual dirs."""
    bindir = "/usr/bin" if merged_usr else "/bin"
    items: list[LayoutItem] = [
        dir_item("/boot"),
        *root_dirs(),
        dir_item("/usr/local/sbin"),
        dir_item("/usr/sbin"),
        dir_item("/usr/lib"),
        dir_item("/usr/share"),
        dir_item("/var/cache/apt"),
        dir_item("/var/lib/apt/lists"),
        dir_item("/var/log"),
        dir_item("/var/mail", 0o2775, 0, 8),
        dir_item("/var/tmp", 0o1777),
        file_item("/usr/lib/os-release", os_release),
        link_item("/etc/os-release", "../usr/lib/os-release"),
        file_item(*version_file),
        file_item("/etc/passwd", DEBIAN_PASSWD),
        file_item("/etc/group", DEBIAN_GROUP),
        file_item("/etc/shadow", shadow_for(DEBIAN_PASSWD), 0o640, 0, 42),
        file_item("/etc/hostname", ""),
        file_item("/etc/profile", PROFILE),
        file_item("/etc/bash.bashrc", "# System-wide .bashrc file\n"),
        file_item("/root/.bashrc", "# ~/.bashrc: executed by bash(1) for non-login shells.\n"),
        file_item("/root/.profile", "# ~/.profile: executed by Bourne-compatible login shells.\n"),
        file_item(*apt_sources),
        exe_item(f"{bindir}/bash", "bash"),
        exe_item(f"{bindir}/dash", "dash"),
        link_item(f"{bindir}/sh", "dash"),
        exe_item("/usr/bin/apt-get", "apt-get"),
        exe_item("/usr/bin/apt", "apt"),
        exe_item(f"{bindir}/dpkg" if not merged_usr else "/usr/bin/dpkg", "dpkg"),
        file_item("/var/lib/dpkg/status", ""),
    ]
    # coreutils installs env in /usr/bin, where every "#!/usr/bin/env" script looks for it.
    items += [
        exe_item(f"{'/usr/bin' if name == 'env' else bindir}/{name}", "coreutils")
        for name in COREUTILS
    ]
    if merged_usr:
        items += [
            link_item("/bin", "usr/bin"),
            link_item("/sbin", "usr/sbin"),
            link_item("/lib", "usr/lib"),
        ]
    else:
        items += [dir_item("/sbin"), dir_item("/lib")]
    return items


PROFILE = """\
# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH
"""


def debian_os_release(version_id: str, codename: str) -> str:
    return (
        f'PRETTY_NAME="Debian GNU/Linux {version_id} ({codename})"\nNAME="Debian GNU/Linux"\n'
        f'VERSION_ID="{version_id}"\nVERSION="{version_id} ({codename})"\n'
        f'VERSION_CODENAME={codename}\nID=debian\nHOME_URL="https://www.debian.org/"\n'
        'SUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n'
    )


def debian_tree(version_id: str, point: str, codename: str) -> Tree:
    merged = codename == "bookworm"
    if merged:
        sources = (
            "/etc/apt/sources.list.d/debian.sources",
            f"Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {codename} "
            f"{codename}-updates\n"
            "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        )
    else:
        sources = (
            "/etc/apt/sources.list",
            f"deb http://deb.debian.org/debian {codename} main\n"
            f"deb http://deb.debian.org/debian-security {codename}-security main\n"
            f"deb http://deb.debian.org/debian {codename}-updates main\n",
        )
    return lay_down(
        debian_rootfs(
            debian_os_release(version_id, codename),
            ("/etc/debian_version", point + "\n"),
            merged,
            sources,
        )
    )


def ubuntu_tree(version: str, full: str, codename: str) -> Tree:
    release = (
        f'PRETTY_NAME="Ubuntu {full} LTS"\nNAME="Ubuntu"\nVERSION_ID="{version}"\n'
        f'VERSION="{full} LTS ({codename.capitalize()} '
        f'{"Jellyfish" if codename == "jammy" else "Fossa"})"\n'
        f"VERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\n"
        'HOME_URL="https://www.ubuntu.com/"\nSUPPORT_URL="https://help.ubuntu.com/"\n'
        f"UBUNTU_CODENAME={codename}\n"
    )
    sources = (
        "/etc/apt/sources.list",
        f"deb http://archive.ubuntu.com/ubuntu/ {codename} main restricted\n"
        f"deb http://security.ubuntu.com/ubuntu/ {codename}-security main restricted\n",
    )
    items = debian_rootfs(release, ("/etc/debian_version", f"{codename}/sid\n"), True, sources)
    items.append(
        file_item(
            "/etc/lsb-release",
            f"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE={version}\nDISTRIB_CODENAME={codename}\n"
            f'DISTRIB_DESCRIPTION="Ubuntu {full} LTS"\n',
        )
    )
    return lay_down(items)
