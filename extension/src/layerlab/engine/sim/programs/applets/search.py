"""grep and sed, with POSIX basic/extended regular expressions translated to Python's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from layerlab.engine.sim.programs.applets.base import FsError, Io, lines_of
from layerlab.engine.sim.programs.applets.cmdline import split_options
from layerlab.engine.sim.programs.applets.fileio import read_file, write_file
from layerlab.engine.sim.programs.applets.paths import lookup
from layerlab.engine.sim.store.fs import descendants

_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f",
    "print": r" -~", "graph": r"!-~", "cntrl": r"\x00-\x1f\x7f",
}  # fmt: skip


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression starting at pattern[i] == '['; returns (regex, next i)."""
    j = i + 1
    out = ["["]
    if j < len(pattern) and pattern[j] == "^":
        out.append("^")
        j += 1
    first = True
    while j < len(pattern):
        char = pattern[j]
        if char == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        match = re.match(r"\[:(\w+):\]", pattern[j:])
        if match and match.group(1) in _POSIX_CLASSES:
            out.append(_POSIX_CLASSES[match.group(1)])
            j += match.end()
        else:
            out.append("\\" + char if char in "\\[]^" else char)
            j += 1
        first = False
    raise re.error("unterminated [")


def posix_regex(pattern: str, extended: bool) -> str:
    out: list[str] = []
    i = 0
    at_start = True
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            text, i = _bracket(pattern, i)
            out.append(text)
            at_start = False
            continue
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            i += 2
            if not extended and nxt in "(){}|+?":
                out.append(nxt)
                at_start = nxt in "(|"
                continue
            if nxt in "<>":
                out.append(r"\b")
            elif nxt.isdigit() or nxt in "wWsSbB":
                out.append("\\" + nxt)
            else:
                out.append(re.escape(nxt))
            at_start = False
            continue
        if char == "*" and at_start:
            out.append(r"\*")
        elif not extended and char in "(){}|+?":
            out.append("\\" + char)
        elif extended and char == "{" and not re.match(r"\{\d*(,\d*)?\}", pattern[i:]):
            out.append(r"\{")
        else:
            out.append(char)
        at_start = (char == "^" and not out[:-1]) or (extended and char in "(|")
        i += 1
    return "".join(out)


def compile_posix(pattern: str, extended: bool, ignore_case: bool = False) -> re.Pattern[str]:
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(posix_regex(pattern, extended), flags)


# -- grep -----------------------------------------------------------------------------------


def grep(argv: list[str], io: Io) -> int:
    name = argv[0].rsplit("/", 1)[-1]
    options, operands, _ = split_options(argv[1:], "efmABC")
    patterns: list[str] = []
    args = argv[1:]
    for index, arg in enumerate(args):
        if arg == "-e" and index + 1 < len(args):
            patterns.append(args[index + 1])
    if "e" not in options:
        if not operands:
            io.err(f"Usage: {name} [-HhnlLoqvsrRiwFEz] [-m N] [-A|B|C N] PATTERN [FILE]...\n")
            return 2
        patterns = [operands.pop(0)]
    elif not patterns:
        patterns = [options["e"]]
    extended = "E" in options or name == "egrep"
    fixed = "F" in options or name == "fgrep"
    try:
        regexes = []
        for pattern in patterns:
            text = re.escape(pattern) if fixed else posix_regex(pattern, extended)
            if "w" in options:
                text = rf"(?<!\w)(?:{text})(?!\w)"
            if "x" in options:
                text = rf"^(?:{text})$"
            regexes.append(re.compile(text, re.IGNORECASE if "i" in options else 0))
    except re.error:
        io.err(f"{name}: bad regex '{patterns[0]}'\n")
        return 2
    recursive = "r" in options or "R" in options
    files = _grep_files(io, operands, recursive) if operands or recursive else [("-", "-")]
    show_name = ("H" in options or len(files) > 1 or recursive) and "h" not in options
    matched = error = False
    for shown, path in files:
        try:
            data = read_file(io, path)
        except FsError as failure:
            if "s" not in options:
                io.err(f"{name}: {shown}: {failure.reason}\n")
            error = True
            continue
        count = 0
        label = "(standard input)" if shown == "-" else shown
        for number, raw in enumerate(lines_of(data), 1):
            line = raw.decode("utf-8", "surrogateescape")
            hits = [m for r in regexes for m in r.finditer(line)] if "o" in options else []
            found = bool(hits) if "o" in options else any(r.search(line) for r in regexes)
            if found == ("v" in options):
                continue
            count += 1
            matched = True
            if "q" in options:
                return 0
            if "l" in options or "c" in options or "L" in options:
                continue
            prefix = (label + ":" if show_name else "") + (f"{number}:" if "n" in options else "")
            if "o" in options and "v" not in options:
                for hit in hits:
                    if hit.group(0):
                        io.out(prefix + hit.group(0) + "\n")
            else:
                io.out(prefix + line + "\n")
        if "c" in options:
            io.out((label + ":" if show_name else "") + f"{count}\n")
        if "l" in options and count:
            io.out(label + "\n")
        if "L" in options and not count:
            io.out(label + "\n")
    if error and not ("q" in options and matched):
        return 2
    return 0 if matched else 1


def _grep_files(io: Io, operands: list[str], recursive: bool) -> list[tuple[str, str]]:
    if not recursive:
        return [(o, o) for o in operands]
    result = []
    for operand in operands or ["."]:
        try:
            real, entry = lookup(io.tree, operand, io.cwd)
        except FsError:
            result.append((operand, operand))
            continue
        if not entry.is_dir:
            result.append((operand, operand))
            continue
        for path in sorted(descendants(io.tree, real)):
            if io.tree[path].kind == "file":
                shown = operand.rstrip("/") + path[len(real.rstrip("/")) :]
                result.append((shown, path))
    return result


# -- sed ------------------------------------------------------------------------------------


class SedError(Exception):
    pass


@dataclass
class SedCommand:
    start: object = None  # int line, "$", or compiled regex
    end: object = None
    negate: bool = False
    name: str = ""
    regex: re.Pattern[str] | None = None
    replacement: str = ""
    count: int = 1  # 0 = all (g)
    print_after: bool = False
    text: str = ""
    in_range: bool = field(default=False)


def _sed_address(script: str, i: int, extended: bool) -> tuple[object, int]:
    if i < len(script) and script[i].isdigit():
        match = re.match(r"\d+", script[i:])
        return int(match.group(0)), i + match.end()  # type: ignore[union-attr]
    if i < len(script) and script[i] == "$":
        return "$", i + 1
    if i < len(script) and script[i] in "/\\":
        delim = script[i + 1] if script[i] == "\\" else "/"
        start = i + 2 if script[i] == "\\" else i + 1
        body, i = _sed_delimited(script, start, delim)
        return compile_posix(body, extended), i
    return None, i


def _sed_delimited(script: str, i: int, delim: str) -> tuple[str, int]:
    out = []
    while i < len(script):
        char = script[i]
        if char == "\\" and i + 1 < len(script):
            nxt = script[i + 1]
            out.append(nxt if nxt == delim else ("\n" if nxt == "n" else "\\" + nxt))
            i += 2
            continue
        if char == delim:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise SedError("unterminated `s' command")


def parse_sed(script: str, extended: bool) -> list[SedCommand]:
    commands = []
    i = 0
    while i < len(script):
        while i < len(script) and script[i] in " \t\n;":
            i += 1
        if i >= len(script):
            break
        command = SedCommand()
        command.start, i = _sed_address(script, i, extended)
        if i < len(script) and script[i] == "," and command.start is not None:
            command.end, i = _sed_address(script, i + 1, extended)
        while i < len(script) and script[i] == " ":
            i += 1
        if i < len(script) and script[i] == "!":
            command.negate = True
            i += 1
        if i >= len(script):
            raise SedError("missing command")
        command.name = script[i]
        i += 1
        if command.name == "s":
            delim = script[i]
            pattern, i = _sed_delimited(script, i + 1, delim)
            command.replacement, i = _sed_delimited(script, i, delim)
            flags = re.match(r"[gpiI0-9]*", script[i:]).group(0)  # type: ignore[union-attr]
            i += len(flags)
            command.count = 0 if "g" in flags else int(re.sub(r"\D", "", flags) or 1)
            command.print_after = "p" in flags
            ignore = "i" in flags or "I" in flags
            command.regex = compile_posix(pattern, extended, ignore) if pattern else None
        elif command.name in "aic":
            text = script[i:].lstrip()
            text = text[1:].lstrip("\n") if text.startswith("\\") else text
            end = text.find("\n")
            command.text = text if end < 0 else text[:end]
            i = len(script) if end < 0 else len(script) - len(text) + end
        elif command.name == "y":
            source, i = _sed_delimited(script, i + 1, script[i])
            target, i = _sed_delimited(script, i, script[i - 1])
            command.text = source + "\0" + target
        elif command.name not in "pdqQ=hnN":
            raise SedError(f"unsupported command {command.name}")
        commands.append(command)
    return commands


def _selected(command: SedCommand, number: int, line: str, last: bool) -> bool:
    def hit(address: object) -> bool:
        if isinstance(address, int):
            return number == address
        if address == "$":
            return last
        return bool(address.search(line))  # type: ignore[union-attr]

    if command.start is None:
        result = True
    elif command.end is None:
        result = hit(command.start)
    elif command.in_range:
        result = True
        ends = hit(command.end) or (isinstance(command.end, int) and number >= command.end)
        command.in_range = not ends
    else:
        result = hit(command.start)
        command.in_range = result and not (isinstance(command.end, int) and command.end <= number)
    return result != command.negate


def _expand_replacement(template: str, match: re.Match[str]) -> str:
    out = []
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\" and i + 1 < len(template):
            nxt = template[i + 1]
            out.append(match.group(int(nxt)) or "" if nxt.isdigit() else nxt)
            i += 2
            continue
        out.append(match.group(0) if char == "&" else char)
        i += 1
    return "".join(out)


def run_sed(commands: list[SedCommand], text: str, quiet: bool) -> tuple[str, bool]:
    """Run the script over ``text``; returns (output, quit early)."""
    out: list[str] = []
    lines = text.split("\n")
    trailing_newline = text.endswith("\n")
    if trailing_newline:
        lines.pop()
    for index, line in enumerate(lines):
        number = index + 1
        last = index == len(lines) - 1
        deleted = False
        after: list[str] = []
        for command in commands:
            if not _selected(command, number, line, last):
                continue
            name = command.name
            if name == "s" and command.regex is not None:
                count = 0

                def swap(match: re.Match[str], c: SedCommand = command) -> str:
                    nonlocal count
                    count += 1
                    if c.count and count != c.count:
                        return match.group(0)
                    return _expand_replacement(c.replacement, match)

                new = command.regex.sub(swap, line, count=0 if command.count != 1 else 1)
                if count and command.print_after:
                    out.append(new + "\n")
                line = new
            elif name == "p":
                out.append(line + "\n")
            elif name == "d":
                deleted = True
                break
            elif name == "=":
                out.append(f"{number}\n")
            elif name == "a":
                after.append(command.text + "\n")
            elif name == "i":
                out.append(command.text + "\n")
            elif name == "c":
                out.append(command.text + "\n")
                deleted = True
                break
            elif name == "y":
                source, target = command.text.split("\0")
                line = line.translate(str.maketrans(source, target[: len(source)]))
            elif name in "qQ":
                if name == "q" and not quiet:
                    out.append(line + "\n")
                out.extend(after)
                return "".join(out), True
        if not deleted and not quiet:
            out.append(line + ("\n" if not last or trailing_newline else ""))
        out.extend(after)
    return "".join(out), False


def sed(argv: list[str], io: Io) -> int:
    args = argv[1:]
    scripts: list[str] = []
    files: list[str] = []
    quiet = in_place = extended = False
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-e", "--expression") and i + 1 < len(args):
            scripts.append(args[i + 1])
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1 and not files:
            quiet = quiet or "n" in arg
            in_place = in_place or "i" in arg
            extended = extended or "E" in arg or "r" in arg
        else:
            files.append(arg)
        i += 1
    if not scripts:
        if not files:
            io.err("Usage: sed [-i[SFX]] [-nrE] [-f FILE]... [-e CMD]... [FILE]...\n")
            return 1
        scripts.append(files.pop(0))
    try:
        commands = parse_sed("\n".join(scripts), extended)
    except (SedError, re.error, IndexError) as error:
        io.err(f"sed: {error}\n")
        return 1
    status = 0
    if in_place:
        for path in files:
            try:
                text = read_file(io, path).decode("utf-8", "surrogateescape")
            except FsError as error:
                io.err(f"sed: {path}: {error.reason}\n")
                status = 4
                continue
            output, _ = run_sed(commands, text, quiet)
            write_file(io, path, output.encode("utf-8", "surrogateescape"))
        return status
    chunks = []
    for path in files or ["-"]:
        try:
            chunks.append(read_file(io, path).decode("utf-8", "surrogateescape"))
        except FsError as error:
            io.err(f"sed: {path}: {error.reason}\n")
            status = 2
    output, _ = run_sed(commands, "".join(chunks), quiet)
    io.out(output.encode("utf-8", "surrogateescape"))
    return status


APPLETS = {"grep": grep, "egrep": grep, "fgrep": grep, "sed": sed}
