"""File trees of the Debian and Ubuntu base images in the simulated Docker Hub.

A minimal Debian-family root (bash, dash, coreutils, apt-get, dpkg, the usual directories and
account files) with the release files of Debian 10-12 and Ubuntu 20.04/22.04; bookworm and
Ubuntu use the merged ``/usr`` layout. The buildpack-deps, node, python and nginx images build
on these.
"""

from __future__ import annotations

from layerlab.engine.sim.registry.hub.data import file_lines, file_text
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

COREUTILS = file_lines("debian/coreutils-programs.txt")


DEBIAN_PASSWD = file_text("debian/etc/passwd")
DEBIAN_GROUP = file_text("debian/etc/group")


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


PROFILE = file_text("debian/etc/profile")


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
