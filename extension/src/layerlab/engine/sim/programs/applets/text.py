"""Text applets: cat, head, tail, wc, sort, uniq, cut, tr, tee, seq, yes, rev, tac, nl.

``echo`` and ``printf`` live in :mod:`printing`, option and input helpers in :mod:`cmdline`;
this module's ``APPLETS`` lists them all.
"""

from __future__ import annotations

import re

from layerlab.engine.sim.programs.applets.base import (
    FOREVER_OUTPUT_LINES,
    FsError,
    Io,
    OutOfMemory,
    RunsForever,
    lines_of,
)
from layerlab.engine.sim.programs.applets.cmdline import read_inputs, split_options
from layerlab.engine.sim.programs.applets.fileio import write_file
from layerlab.engine.sim.programs.applets.printing import echo, printf, unescape

# The simulator builds seq's numbers as Python strings, about 100 bytes each.
MAX_SEQ_NUMBERS = 1_000_000


def cat(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:])
    inputs, status = read_inputs(files, io, "cat")
    for _, data in inputs:
        if "n" in options:
            data = b"".join(b"%6d\t%s\n" % (n, line) for n, line in enumerate(lines_of(data), 1))
        io.out(data)
    return status


def _count(text: str, io: Io, name: str) -> int | None:
    if re.fullmatch(r"\d+", text.lstrip("+-")) and text[:1] != "+":
        return int(text.lstrip("-"))
    io.err(f"{name}: invalid number '{text}'\n")
    return None


def head(argv: list[str], io: Io) -> int:
    args = [("-n" + a[1:]) if re.fullmatch(r"-\d+", a) else a for a in argv[1:]]
    options, files, _ = split_options(args, "nc")
    count = _count(options.get("n", "10"), io, "head")
    if count is None:
        return 1
    byte_count = _count(options["c"] or "0", io, "head") if "c" in options else None
    if "c" in options and byte_count is None:
        return 1
    inputs, status = read_inputs(files, io, "head", limit=byte_count)
    for index, (path, data) in enumerate(inputs):
        if len(inputs) > 1:
            io.out(
                ("\n" if index else "") + f"==> {'standard input' if path == '-' else path} <==\n"
            )
        if "c" in options:
            io.out(data[:byte_count])
        else:
            io.out(b"".join(line + b"\n" for line in data.split(b"\n")[:count])[: len(data)])
    return status


def tail(argv: list[str], io: Io) -> int:
    args = [("-n" + a[1:]) if re.fullmatch(r"-\d+", a) and (i == 0 or argv[i] not in ("-n", "-c"))
            else a for i, a in enumerate(argv[1:])]  # fmt: skip
    options, files, _ = split_options(args, "nc")
    text = options.get("n", "10")
    from_start = text.startswith("+")
    count = _count(text.lstrip("+"), io, "tail")
    if count is None:
        return 1
    inputs, status = read_inputs(files, io, "tail")
    for index, (path, data) in enumerate(inputs):
        if len(inputs) > 1:
            io.out(("\n" if index else "") + f"==> {path} <==\n")
        lines = data.splitlines(keepends=True)
        chosen = (
            lines[max(count - 1, 0) :]
            if from_start
            else lines[len(lines) - count :]
            if count
            else []
        )
        io.out(b"".join(chosen))
    if "f" in options and status == 0 and files:
        raise RunsForever(interruptible=False)
    return status


def wc(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:])
    chosen = [k for k in "lwcm" if k in options] or ["l", "w", "c"]
    inputs, status = read_inputs(files, io, "wc")
    totals = dict.fromkeys("lwcm", 0)
    rows = []
    for path, data in inputs:
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data),
                  "m": len(data.decode("utf-8", "replace"))}  # fmt: skip
        for key in totals:
            totals[key] += counts[key]
        rows.append((counts, "" if path == "-" and not files else path))
    if len(inputs) > 1:
        rows.append((totals, "total"))
    for counts, label in rows:
        if len(chosen) == 1 and len(inputs) == 1:
            cells = str(counts[chosen[0]])
        else:
            cells = " ".join(f"{counts[k]:9d}" for k in chosen)
        io.out(cells + (f" {label}" if label else "") + "\n")
    return status


def _sort_key(line: bytes, options: dict[str, str]):
    field = line
    if "k" in options:
        spec = options["k"].split(",")[0]
        number = int(re.match(r"\d+", spec)[0]) if re.match(r"\d+", spec) else 1
        sep = options.get("t")
        parts = line.split(sep.encode()) if sep else line.split()
        field = (
            (sep.encode() if sep else b" ").join(parts[number - 1 :])
            if number <= len(parts)
            else b""
        )
    if "f" in options:
        field = field.upper()
    if "n" in options:
        match = re.match(rb"\s*(-?\d+(?:\.\d+)?)", field)
        return (float(match.group(1)) if match else 0.0, line)
    return (field, line)


def sort(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:], "kto")
    inputs, status = read_inputs(files, io, "sort")
    lines = [line for _, data in inputs for line in lines_of(data)]
    lines.sort(key=lambda line: _sort_key(line, options), reverse="r" in options)
    if "u" in options:
        unique, seen = [], set()
        for line in lines:
            key = _sort_key(line, options)[0]
            if key not in seen:
                seen.add(key)
                unique.append(line)
        lines = unique
    output = b"".join(line + b"\n" for line in lines)
    if "o" in options:
        write_file(io, options["o"], output)
    else:
        io.out(output)
    return status


def uniq(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:])
    inputs, status = read_inputs(files[:1], io, "uniq")
    groups: list[list[bytes]] = []
    for _, data in inputs:
        for line in lines_of(data):
            if groups and groups[-1][0] == line:
                groups[-1].append(line)
            else:
                groups.append([line])
    for group in groups:
        if ("d" in options and len(group) < 2) or ("u" in options and len(group) > 1):
            continue
        prefix = f"{len(group):7d} ".encode() if "c" in options else b""
        io.out(prefix + group[0] + b"\n")
    return status


def _ranges(spec: str) -> list[tuple[int, int]]:
    result = []
    for part in spec.split(","):
        start, dash, end = part.partition("-")
        low = int(start) if start else 1
        high = (int(end) if end else 1 << 30) if dash else low
        result.append((low, high))
    return result


def cut(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:], "dfcb")
    if not any(k in options for k in "fcb"):
        io.err("cut: expected a list of bytes, characters, or fields\n")
        return 1
    try:
        ranges = _ranges(options.get("f") or options.get("c") or options.get("b") or "")
    except ValueError:
        io.err("cut: invalid byte or character range\n")
        return 1
    delim = options.get("d", "\t").encode()[:1] or b"\t"
    inputs, status = read_inputs(files, io, "cut")
    for _, data in inputs:
        for line in lines_of(data):
            if "f" in options:
                if delim not in line:
                    if "s" not in options:
                        io.out(line + b"\n")
                    continue
                parts = line.split(delim)
                picked = [p for n, p in enumerate(parts, 1) if any(a <= n <= b for a, b in ranges)]
                io.out(delim.join(picked) + b"\n")
            else:
                picked = [line[n - 1 : n] for n in range(1, len(line) + 1)
                          if any(a <= n <= b for a, b in ranges)]  # fmt: skip
                io.out(b"".join(picked) + b"\n")
    return status


_CLASSES = {"upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "lower": "abcdefghijklmnopqrstuvwxyz",
            "digit": "0123456789", "space": " \t\n\r\f\v", "blank": " \t",
            "alpha": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}  # fmt: skip


def _tr_set(spec: str) -> str:
    spec, _ = unescape(spec, octal_needs_zero=False)
    out = []
    i = 0
    while i < len(spec):
        match = re.match(r"\[:(\w+):\]", spec[i:])
        if match and match.group(1) in _CLASSES:
            out.append(_CLASSES[match.group(1)])
            i += match.end()
        elif i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def tr(argv: list[str], io: Io) -> int:
    options, sets, _ = split_options(argv[1:])
    if not sets or (len(sets) < 2 and "d" not in options and "s" not in options):
        io.err("tr: missing operand\n" if not sets else "Usage: tr [-cds] STRING1 [STRING2]\n")
        return 1
    text = io.stdin.decode("latin-1")
    first = _tr_set(sets[0])
    if "c" in options:
        first = "".join(chr(c) for c in range(256) if chr(c) not in first)
    if "d" in options:
        text = "".join(c for c in text if c not in first)
        squeeze = _tr_set(sets[1]) if len(sets) > 1 and "s" in options else ""
    elif len(sets) > 1:
        second = _tr_set(sets[1])
        second = (second + second[-1:] * len(first))[: len(first)] if second else ""
        table = {ord(a): b for a, b in zip(first, second, strict=False)}
        text = text.translate(table)
        squeeze = second if "s" in options else ""
    else:
        squeeze = first
    if "s" in options and squeeze:
        text = re.sub("([" + re.escape(squeeze) + "])\\1+", r"\1", text)
    io.out(text.encode("latin-1"))
    return 0


def tee(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:])
    status = 0
    for path in files:
        try:
            write_file(io, path, io.stdin, append="a" in options)
        except FsError as error:
            io.err(f"tee: {path}: {error.reason}\n")
            status = 1
    io.out(io.stdin)
    return status


def seq(argv: list[str], io: Io) -> int:
    options, numbers, _ = split_options(argv[1:], "s")
    numbers = [n for n in numbers]
    if not 1 <= len(numbers) <= 3:
        io.err("Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n")
        return 1
    try:
        values = [float(n) for n in numbers]
    except ValueError:
        bad = next(n for n in numbers if not re.fullmatch(r"[-+]?\d*\.?\d+", n))
        io.err(f"seq: invalid number '{bad}'\n")
        return 1
    first, step, last = (
        (1.0, 1.0, values[0])
        if len(values) == 1
        else ((values[0], 1.0, values[1]) if len(values) == 2 else tuple(values))
    )
    decimals = max((len(n.split(".")[1]) if "." in n else 0) for n in numbers)
    out, current, count = [], first, 0
    while step and ((step > 0 and current <= last) or (step < 0 and current >= last)):
        out.append(f"{current:.{decimals}f}")
        count += 1
        current = first + step * count
        if count > MAX_SEQ_NUMBERS:
            raise OutOfMemory(f"more than {MAX_SEQ_NUMBERS:,} numbers")
    if "w" in options and out:
        width = max(len(s) for s in out)
        out = [s.zfill(width) for s in out]
    if out:
        io.out(options.get("s", "\n").join(out) + "\n")
    return 0


def yes(argv: list[str], io: Io) -> int:
    line = (" ".join(argv[1:]) if len(argv) > 1 else "y").encode() + b"\n"
    if io.stdout_is_log():
        io.out(line * FOREVER_OUTPUT_LINES)
        raise RunsForever(interruptible=False)
    # Into a pipe: enough for any reader; then `yes` dies of SIGPIPE like the real one.
    io.out(line * max(1, (1 << 20) // len(line)))
    return 141


def rev(argv: list[str], io: Io) -> int:
    inputs, status = read_inputs(argv[1:], io, "rev")
    for _, data in inputs:
        for line in lines_of(data):
            io.out(line[::-1] + b"\n")
    return status


def tac(argv: list[str], io: Io) -> int:
    inputs, status = read_inputs(argv[1:], io, "tac")
    for _, data in inputs:
        io.out(b"".join(line + b"\n" for line in reversed(lines_of(data))))
    return status


def nl(argv: list[str], io: Io) -> int:
    inputs, status = read_inputs(argv[1:], io, "nl")
    number = 0
    for _, data in inputs:
        for line in lines_of(data):
            if line.strip():
                number += 1
                io.out(b"%6d\t%s\n" % (number, line))
            else:
                io.out(b"       \n")
    return status


APPLETS = {
    "echo": echo, "printf": printf, "cat": cat, "head": head, "tail": tail, "wc": wc,
    "sort": sort, "uniq": uniq, "cut": cut, "tr": tr, "tee": tee, "seq": seq, "yes": yes,
    "rev": rev, "tac": tac, "nl": nl,
}  # fmt: skip
