"""Command lines of busybox applets: getopt-like option splitting and reading file operands.

``split_options`` separates single-letter flags (some taking a value) from operands the way
busybox's getopt32 does; ``read_inputs`` reads each file operand (stdin for none or ``-``) and
prints busybox's ``can't open`` messages for the ones that fail.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.applets.base import EISDIR, FsError, Io
from layerlab.engine.sim.programs.applets.fileio import read_file


def open_error(io: Io, name: str, path: str, error: FsError) -> None:
    if error.reason == EISDIR:
        io.err(f"{name}: read error: {EISDIR}\n")
    else:
        io.err(f"{name}: can't open '{path}': {error.reason}\n")


def read_inputs(
    argv_files: list[str], io: Io, name: str, limit: int | None = None
) -> tuple[list[tuple[str, bytes]], int]:
    """(name, data) for each file operand (stdin when none), printing errors busybox-style.
    ``limit``: the reader needs no more than that many bytes of each."""
    files = argv_files or ["-"]
    result, status = [], 0
    for path in files:
        try:
            result.append((path, read_file(io, path, limit)))
        except FsError as error:
            open_error(io, name, path, error)
            status = 1
    return result, status


def split_options(args: list[str], with_value: str = "") -> tuple[dict[str, str], list[str], str]:
    """getopt-like: single-letter flags, ``with_value`` letters take an argument.
    Returns (options, operands, bad option letter or "")."""
    options: dict[str, str] = {}
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            operands.extend(args[i + 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            i += 1
            continue
        j = 1
        while j < len(arg):
            letter = arg[j]
            if letter in with_value:
                value = arg[j + 1 :]
                if not value:
                    i += 1
                    if i >= len(args):
                        return options, operands, "?" + letter
                    value = args[i]
                options[letter] = value
                break
            options[letter] = ""
            j += 1
        i += 1
    return options, operands, ""
