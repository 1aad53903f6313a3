"""``echo`` and ``printf`` as busybox implements them, and their backslash escapes.

``unescape`` handles the escapes of ``echo -e`` and printf's ``%b`` (``\\c`` stops output);
``printf`` reuses its format for surplus arguments and reports invalid numbers but keeps going,
like busybox.
"""

from __future__ import annotations

import re

from layerlab.engine.sim.programs.applets.base import Io, prog_name

_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
            "v": "\v", "\\": "\\"}  # fmt: skip


def unescape(text: str, octal_needs_zero: bool = True) -> tuple[str, bool]:
    """Backslash escapes as `echo -e` and printf's %b see them; True when `\\c` stopped it."""
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "c":
            return "".join(out), True
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "x" and re.match(r"[0-9a-fA-F]", text[i + 2 : i + 3]):
            digits = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2 :]).group(0)  # type: ignore[union-attr]
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        elif nxt == "0" or (not octal_needs_zero and nxt in "1234567"):
            start = i + 2 if nxt == "0" and octal_needs_zero else i + 1
            digits = re.match(r"[0-7]{0,3}", text[start:]).group(0)  # type: ignore[union-attr]
            out.append(chr(int(digits or "0", 8) & 0xFF))
            i = start + len(digits)
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out), False


def echo(argv: list[str], io: Io) -> int:
    args = argv[1:]
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for letter in args.pop(0)[1:]:
            newline = newline and letter != "n"
            escapes = (escapes or letter == "e") and letter != "E"
    text = " ".join(args)
    if escapes:
        text, stopped = unescape(text)
        if stopped:
            newline = False
    io.out(text + ("\n" if newline else ""))
    return 0


# -- printf ---------------------------------------------------------------------------------

_SPEC = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([hlLqjzt]*)([diouxXeEfFgGcsb%])")


def _to_int(text: str, io: Io, name: str) -> tuple[int, bool]:
    stripped = text.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped), True
    if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", stripped):
        return int(stripped, 16), True
    if stripped[:1] in ("'", '"') and len(stripped) > 1:
        return ord(stripped[1]), True
    io.err(f"{name}: invalid number '{text}'\n")
    return 0, False


def _to_float(text: str, io: Io, name: str) -> tuple[float, bool]:
    try:
        return float(text.strip()), True
    except ValueError:
        io.err(f"{name}: invalid number '{text}'\n")
        return 0.0, False


def printf(argv: list[str], io: Io) -> int:
    name = prog_name(argv, io)
    if len(argv) < 2:
        io.err("Usage: printf FORMAT [ARGUMENT]...\n")
        return 1
    fmt, args = argv[1], argv[2:]
    ok = True
    while True:
        used = 0
        out: list[str] = []
        pos = 0
        stop = False
        while pos < len(fmt):
            match = _SPEC.match(fmt, pos) if fmt[pos] == "%" else None
            if fmt[pos] == "\\":
                end = pos + 2
                if fmt[pos + 1 : pos + 2] in ("0", "x"):
                    end = pos + 2 + len(re.match(r"[0-7x]?[0-9a-fA-F]{0,3}", fmt[pos + 2 :])[0])
                text, stopped = unescape(fmt[pos:end], octal_needs_zero=False)
                out.append(text)
                if stopped:
                    stop = True
                    break
                pos = end
                continue
            if match is None:
                out.append(fmt[pos])
                pos += 1
                continue
            pos = match.end()
            flags, width, precision, _, conv = match.groups()
            if conv == "%":
                out.append("%")
                continue

            def take(args: list[str] = args) -> str:
                nonlocal used
                value = args[used] if used < len(args) else ""
                used += 1
                return value

            if width == "*":
                width = str(_to_int(take(), io, name)[0])
            if precision == "*":
                precision = str(_to_int(take(), io, name)[0])
            spec = "%" + flags + (width or "") + ("." + precision if precision is not None else "")
            arg = take()
            if conv in "sb":
                if conv == "b":
                    arg, stopped = unescape(arg, octal_needs_zero=True)
                    stop = stop or stopped
                out.append((spec + "s") % arg)
                if stop:
                    break
            elif conv == "c":
                out.append((spec + "s") % arg[:1])
            elif conv in "diouxX":
                value, good = _to_int(arg, io, name) if arg or conv else (0, True)
                ok = ok and good
                out.append((spec + ("d" if conv in "iu" else conv)) % value)
            else:
                number, good = _to_float(arg, io, name)
                ok = ok and good
                out.append((spec + conv) % number)
        io.out("".join(out))
        if stop or used == 0 or used >= len(args):
            break
        args = args[used:]
    return 0 if ok else 1
