"""busybox dd: copy ``count`` blocks of ``bs`` bytes from ``if=`` (stdin) to ``of=`` (stdout).

Reports on stderr as the busybox image's build does (no third "bytes copied" line):
``N+P records in`` / ``N+P records out`` (full and partial blocks).
"""

from __future__ import annotations

import re

from layerlab.engine.sim.programs.applets.base import FsError, Io, WriteFailed
from layerlab.engine.sim.programs.applets.fileio import read_file, write_file

_SUFFIXES = {
    "": 1, "c": 1, "w": 2, "b": 512, "kB": 1000, "kD": 1000, "k": 1024, "K": 1024,
    "MB": 1000**2, "MD": 1000**2, "M": 1024**2, "GB": 1000**3, "GD": 1000**3, "G": 1024**3,
}  # fmt: skip


def _number(text: str) -> int | None:
    match = re.fullmatch(r"(\d+)([A-Za-z]*)", text)
    if match is None or match.group(2) not in _SUFFIXES:
        return None
    return int(match.group(1)) * _SUFFIXES[match.group(2)]


def _records(total: int, block: int) -> str:
    return f"{total // block}+{1 if total % block else 0}"


def dd(argv: list[str], io: Io) -> int:
    operands: dict[str, str] = {}
    for arg in argv[1:]:
        key, equals, value = arg.partition("=")
        if not equals or key not in ("if", "of", "bs", "ibs", "obs", "count", "skip", "seek"):
            io.err(f"dd: invalid argument '{arg}'\n" if equals else f"dd: unknown operand {arg}\n")
            return 1
        operands[key] = value
    numbers: dict[str, int] = {}
    for key in ("bs", "count", "skip"):
        if key in operands:
            number = _number(operands[key])
            if number is None:
                io.err(f"dd: invalid number '{operands[key]}'\n")
                return 1
            numbers[key] = number
    block = numbers.get("bs", 512)
    count = numbers.get("count")
    skip = numbers.get("skip", 0) * block
    source = operands.get("if", "-")
    try:
        limit = None if count is None else skip + count * block
        data = read_file(io, source, limit)[skip:]
    except FsError as error:
        io.err(f"dd: can't open '{source}': {error.reason}\n")
        return 1
    copied = data if count is None else data[: count * block]
    target = operands.get("of")
    written, status = len(copied), 0
    try:
        if target is None:
            io.out(copied)
        else:
            write_file(io, target, copied)
    except WriteFailed as error:
        io.err(f"dd: error writing '{target or 'standard output'}': {error.reason}\n")
        written, status = 0, 1
    except FsError as error:
        io.err(f"dd: can't open '{target}': {error.reason}\n")
        return 1
    io.err(f"{_records(len(copied), block)} records in\n{_records(written, block)} records out\n")
    return status


APPLETS = {"dd": dd}
