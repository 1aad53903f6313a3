"""The shell and tools that a real program's own children run: a real, static BusyBox.

Inside a confined run (:mod:`.confinement`), only real executables can start. The images' shell
and tools are the simulator's (executable markers, see ``programs.executable``), which the kernel
cannot run: ``npm start`` (npm runs a package's script with ``sh -c``), Python's
``subprocess.run(["ls"])`` or ``os.system`` would fail. So where a run's files are written out
for a real program, each simulated BusyBox, coreutils, dash or bash executable is written as the
host's statically linked BusyBox instead (one copy per folder, hard-linked), which needs no
library and runs as the applet its name says: ``sh``, ``ls``, ``cat``, ``echo`` … The simulator
models BusyBox, so the same commands behave alike inside and outside a real program; ``bash``
and ``dash`` called by those names are not BusyBox applets and say so ("applet not found"), as a
shell the image does not hold would.

The host's BusyBox is ``/bin/busybox`` (Debian's ``busybox-static``, which ``.ci/run`` installs)
or the first ``busybox`` on ``PATH``, used only when it is a static executable; without one, a
real program's children cannot start, as before.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct

from layerlab.engine.sim.programs.executable import MARKER, program_of

# Simulated executables whose work a real BusyBox does.
REPLACED = frozenset({"busybox", "coreutils", "dash", "bash"})
_PT_INTERP = 3  # an ELF program header asking for a dynamic loader


def _is_static_elf(path: str) -> bool:
    """Whether ``path`` is a 64-bit little-endian ELF executable with no dynamic loader."""
    try:
        with open(path, "rb") as file:
            header = file.read(64)
            if len(header) < 64 or header[:4] != b"\x7fELF" or header[4:6] != b"\x02\x01":
                return False
            (phoff,) = struct.unpack_from("<Q", header, 32)
            phentsize, phnum = struct.unpack_from("<HH", header, 54)
            file.seek(phoff)
            table = file.read(phentsize * phnum)
    except OSError:
        return False
    for index in range(phnum):
        (kind,) = struct.unpack_from("<I", table, index * phentsize)
        if kind == _PT_INTERP:
            return False
    return os.access(path, os.X_OK)


@functools.cache
def host_busybox() -> str | None:
    """The host's static BusyBox, or None."""
    for candidate in ("/bin/busybox", shutil.which("busybox")):
        if candidate and _is_static_elf(os.path.realpath(candidate)):
            return os.path.realpath(candidate)
    return None


def stand_in_for(data: bytes) -> str | None:
    """The host file to write in place of a simulated executable with ``data``, if any."""
    if not data.startswith(MARKER) or program_of(data) not in REPLACED:
        return None
    return host_busybox()
