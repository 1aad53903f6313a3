"""Building blocks of the simulated Docker Hub's file trees.

Layout items (executables, files, directories, symlinks) in the shape
:func:`rootfs.lay_down` takes, ``/etc/shadow`` made from a passwd file, and the small
single-purpose layers (a few installed programs, one file) that several images use.
Executables are simulated ones (:func:`process.executable_data`): the program name after the
marker picks the implementation.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.registry.hub.rootfs import LayoutItem, lay_down
from layerlab.engine.sim.store.fs import Tree


def exe_item(path: str, program: str, uid: int = 0, gid: int = 0) -> LayoutItem:
    return (path, "file", 0o755, executable_data(program), uid, gid)


def file_item(
    path: str, text: str | bytes, mode: int = 0o644, uid: int = 0, gid: int = 0
) -> LayoutItem:
    return (path, "file", mode, text, uid, gid)


def dir_item(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> LayoutItem:
    return (path, "dir", mode, b"", uid, gid)


def link_item(path: str, target: str) -> LayoutItem:
    return (path, "symlink", 0o777, target)


def root_dirs() -> list[LayoutItem]:
    """The top-level directories every Linux base image has (FHS), in the images' order."""
    return [
        dir_item("/dev"),
        dir_item("/home"),
        dir_item("/media"),
        dir_item("/mnt"),
        dir_item("/opt"),
        dir_item("/proc"),
        dir_item("/root", 0o700),
        dir_item("/run"),
        dir_item("/srv"),
        dir_item("/sys"),
        dir_item("/tmp", 0o1777),
        dir_item("/usr/local/bin"),
    ]


def shadow_for(passwd: str) -> str:
    return "".join(f"{line.split(':')[0]}:*:19000:0:99999:7:::\n" for line in passwd.splitlines())


def tools_tree(programs: dict[str, str], extra: list[LayoutItem] | None = None) -> Tree:
    """A layer that installs simulated programs (``{path: program}``) plus a few files."""
    return lay_down([exe_item(path, program) for path, program in programs.items()] + (extra or []))


def file_tree(path: str, text: str, mode: int = 0o755) -> Tree:
    return lay_down([file_item(path, text, mode)])
