"""The `busybox` multi-call binary: its applet table and the dispatch on the name it runs as."""

from __future__ import annotations

import posixpath
from functools import cache
from importlib import resources

from layerlab.engine.sim.programs.applets.base import BUSYBOX_VERSION, Io, Program, prog_name
from layerlab.engine.sim.programs.applets.dd import APPLETS as _DD
from layerlab.engine.sim.programs.applets.files import APPLETS as _FILES
from layerlab.engine.sim.programs.applets.listing import APPLETS as _LISTING
from layerlab.engine.sim.programs.applets.search import APPLETS as _SEARCH
from layerlab.engine.sim.programs.applets.system import APPLETS as _SYSTEM
from layerlab.engine.sim.programs.applets.text import APPLETS as _TEXT
from layerlab.i18n import tr

BUSYBOX_BANNER = f"{BUSYBOX_VERSION} multi-call binary."


def _sh(argv: list[str], io: Io) -> int:
    from layerlab.engine.sim.programs.applets.ash import run_sh

    io.standalone = True
    return run_sh(argv, io)


APPLETS: dict[str, Program] = {
    **_TEXT, **_SEARCH, **_FILES, **_LISTING, **_SYSTEM, **_DD, "sh": _sh, "ash": _sh,
}  # fmt: skip


@cache
def busybox_applet_names() -> tuple[str, ...]:
    """Every applet the real busybox binary provides (``busybox --list``), in its order."""
    text = resources.files(__package__).joinpath("data/busybox-applets.txt").read_text()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def unsupported(argv: list[str], io: Io) -> int:
    name = prog_name(argv, io)
    io.err(tr("{name}: applet not supported in LayerLab's simulator", name=name) + "\n")
    return 1


def applet(name: str) -> Program | None:
    """The program for a busybox applet name, or None when busybox has no such applet."""
    if name in APPLETS:
        return APPLETS[name]
    if name in busybox_applet_names():
        return unsupported
    return None


def busybox_main(argv: list[str], io: Io) -> int:
    """The multi-call binary: dispatch on the name it was started as."""
    name = posixpath.basename(argv[0]) if argv else "busybox"
    if name == "busybox":
        args = argv[1:]
        if not args or args[0] in ("--help", "-h"):
            io.out(f"{BUSYBOX_BANNER}\n\nUsage: busybox [function [arguments]...]\n")
            return 0 if args else 1
        if args[0] in ("--list", "-l"):
            io.out("".join(n + "\n" for n in busybox_applet_names()))
            return 0
        argv, name = args, posixpath.basename(args[0])
    program = applet(name)
    if program is None:
        io.err(f"{name}: applet not found\n")
        return 127
    return program(argv, io)
