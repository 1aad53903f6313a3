"""Text rendering helpers that reproduce the docker CLI's output byte for byte.

Sources of truth (docker CLI 28.2.2):
- sizes and durations: github.com/docker/go-units v0.5.0 (``size.go``, ``duration.go``);
- tables: ``cli/command/formatter/tabwriter`` (Go's text/tabwriter, measuring cells with
  go-runewidth) created as ``NewWriter(out, 10, 1, 3, ' ', 0)``;
- ``Ellipsis``, ``DisplayablePorts`` and ``ContainerContext.Command`` from
  ``cli/command/formatter``; the COMMAND string itself is built by the daemon
  (moby ``container/view.go``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# ---------------------------------------------------------------------------
# Go float formatting (strconv.FormatFloat / fmt %g, %e, %f)


def _decimal_digits(value: float, significant: int) -> tuple[str, int]:
    """Digits (trailing zeros trimmed) and decimal-point position of ``abs(value)``.

    ``significant`` < 0 asks for the shortest representation that round-trips, which
    Python's ``repr`` and Go's strconv agree on; otherwise the value is correctly rounded
    to that many significant digits (both languages round the exact binary value).
    """
    if value == 0:
        return "0", 1
    if significant < 0:
        _sign, digits, exponent = Decimal(repr(abs(value))).as_tuple()
        text = "".join(map(str, digits))
        point = len(text) + int(exponent)
    else:
        mantissa, _, exp_text = f"{abs(value):.{max(significant, 1) - 1}e}".partition("e")
        text = mantissa.replace(".", "")
        point = int(exp_text) + 1
    stripped = text.rstrip("0") or "0"
    return stripped, point


def _format_e(digits: str, point: int, precision: int, letter: str) -> str:
    mantissa = digits[0]
    if precision > 0:
        mantissa += "." + digits[1 : precision + 1].ljust(precision, "0")
    exponent = point - 1 if digits != "0" else 0
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa}{letter}{sign}{abs(exponent):02d}"


def _format_f(digits: str, point: int, precision: int) -> str:
    integer = digits[:point].ljust(point, "0") if point > 0 else "0"
    if precision <= 0:
        return integer
    fraction = "0" * -point + digits if point < 0 else digits[point:]
    return integer + "." + fraction[:precision].ljust(precision, "0")


def go_format_float(value: float, verb: str = "g", precision: int = -1) -> str:
    """Go's ``strconv.FormatFloat(value, verb, precision, 64)`` for verbs g, e and f.

    ``fmt``'s ``%v`` of a float64 is ``go_format_float(x, "g", -1)``; ``%.3g`` is
    ``go_format_float(x, "g", 3)``.
    """
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    negative = value < 0 or (value == 0 and str(value).startswith("-"))
    shortest = precision < 0
    if verb == "e":
        digits, point = _decimal_digits(value, -1 if shortest else precision + 1)
        body = _format_e(digits, point, len(digits) - 1 if shortest else precision, "e")
    elif verb == "f":
        if shortest:
            digits, point = _decimal_digits(value, -1)
            body = _format_f(digits, point, max(len(digits) - point, 0))
        else:
            body = f"{abs(value):.{precision}f}"
    elif verb == "g":
        wanted = -1 if shortest else max(precision, 1)
        digits, point = _decimal_digits(value, wanted)
        prec = len(digits) if shortest else wanted
        limit = prec
        if limit > len(digits) and len(digits) >= point:
            limit = len(digits)
        if shortest:
            limit = 6  # fmt %v and strconv 'g' -1 switch to exponent form at 1e+06
        exponent = point - 1
        if exponent < -4 or exponent >= limit:
            body = _format_e(digits, point, min(prec, len(digits)) - 1, "e")
        else:
            if prec > point:
                prec = len(digits)
            body = _format_f(digits, point, max(prec - point, 0))
    else:
        raise ValueError(f"unsupported float verb {verb!r}")
    return "-" + body if negative else body


# ---------------------------------------------------------------------------
# go-units: sizes and durations

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _scale(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    index = 0
    while size >= base and index < len(units) - 1:
        size /= base
        index += 1
    return size, units[index]


def human_size(size: float, precision: int = 3) -> str:
    """go-units ``HumanSizeWithPrecision``: ``docker images`` SIZE uses precision 3.

    go-units ``HumanSize`` (``Total reclaimed space``, ``docker system df``) is precision 4.
    """
    scaled, unit = _scale(float(size), 1000.0, _DECIMAL_UNITS)
    return go_format_float(scaled, "g", precision) + unit


def bytes_size(size: float) -> str:
    """go-units ``BytesSize`` (binary units), used by ``docker stats`` and ``docker info``."""
    scaled, unit = _scale(float(size), 1024.0, _BINARY_UNITS)
    return go_format_float(scaled, "g", 4) + unit


_NS_PER_SECOND = 1_000_000_000
_NS_PER_MINUTE = 60 * _NS_PER_SECOND
_NS_PER_HOUR = 60 * _NS_PER_MINUTE


def _go_duration_in(nanoseconds: int, unit: int) -> float:
    """``time.Duration.Seconds/Minutes/Hours``: whole units plus the fraction, like Go."""
    # Go's integer division truncates toward zero.
    whole = -(-nanoseconds // unit) if nanoseconds < 0 else nanoseconds // unit
    return whole + (nanoseconds - whole * unit) / unit


def human_duration(seconds: float) -> str:
    """go-units ``HumanDuration`` for a duration given in seconds."""
    ns = round(seconds * _NS_PER_SECOND)
    whole_seconds = int(_go_duration_in(ns, _NS_PER_SECOND))
    if whole_seconds < 1:
        return "Less than a second"
    if whole_seconds == 1:
        return "1 second"
    if whole_seconds < 60:
        return f"{whole_seconds} seconds"
    minutes = int(_go_duration_in(ns, _NS_PER_MINUTE))
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(_go_duration_in(ns, _NS_PER_HOUR) + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(_go_duration_in(ns, _NS_PER_HOUR)) // 24 // 365} years"


def created_ago(created_unix: float, now: float) -> str:
    """CREATED / RunningFor / CreatedSince columns: ``HumanDuration(now - created) + " ago"``."""
    return human_duration(now - created_unix) + " ago"


# ---------------------------------------------------------------------------
# Display width (go-runewidth for tables, x/text/width for Ellipsis)


def _is_zero_width(char: str) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return True
    category = unicodedata.category(char)
    return category in ("Mn", "Me", "Cf") or code in (0x200B, 0x2060)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def display_width(text: str) -> int:
    """Terminal columns of ``text`` as go-runewidth's ``StringWidth`` counts them.

    Approximation: combining marks and format characters attach to the previous
    character (width 0) instead of full grapheme segmentation.
    """
    width = 0
    for char in text:
        if _is_zero_width(char):
            continue
        width += 2 if _is_wide(char) else 1
    return width


def ellipsis(s: str, max_width: int) -> str:
    """docker/cli ``formatter.Ellipsis``: cut to ``max_width`` display columns plus "…"."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return s[:1]
    if s.isascii():
        return s if len(s) <= max_width else s[: max_width - 1] + "…"
    running: list[int] = []
    total = 0
    for char in s:
        total += 2 if _is_wide(char) else 1
        running.append(total)
    if total <= max_width:
        return s
    # Cut after the last rune that still fits in max_width - 1 columns; when even the
    # first rune is too wide, docker returns the string unchanged.
    for index in range(len(running) - 1):
        if running[index] <= max_width - 1 < running[index + 1]:
            return s[: index + 1] + "…"
    return s


# ---------------------------------------------------------------------------
# strconv.Quote

_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote``: double quotes, Go escapes, non-printable runes escaped."""
    parts = ['"']
    for char in s:
        code = ord(char)
        if char in _QUOTE_ESCAPES:
            parts.append(_QUOTE_ESCAPES[char])
        elif char == " " or char.isprintable():
            parts.append(char)
        elif code < 0x80 or 0xD800 <= code <= 0xDFFF:
            parts.append(f"\\x{code & 0xFF:02x}" if code < 0x80 else "\\ufffd")
        elif code < 0x10000:
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(f"\\U{code:08x}")
    parts.append('"')
    return "".join(parts)


# ---------------------------------------------------------------------------
# fmt: %v and Sprintf


def go_value_string(value: Any) -> str:
    """Go's ``fmt`` ``%v`` of a JSON-like value: ``map[a:1 b:[x <nil>]]``, floats as %v."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_format_float(value, "g", -1)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: (str(type(key)), key))
        return (
            "map["
            + " ".join(f"{go_value_string(k)}:{go_value_string(value[k])}" for k in keys)
            + "]"
        )
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value_string(item) for item in value) + "]"
    stringer = getattr(value, "String", None)
    return str(stringer()) if callable(stringer) else str(value)


def _go_kind(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return type(value).__name__


def _bad_verb(verb: str, value: Any) -> str:
    if value is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({_go_kind(value)}={go_value_string(value)})"


def _format_one(verb: str, flags: str, precision: int | None, value: Any) -> str:
    if verb == "v":
        if isinstance(value, float) and precision is not None:
            return go_format_float(value, "g", precision)
        return go_value_string(value)
    if (isinstance(value, (list, tuple)) and verb != "q") or (
        verb == "q" and isinstance(value, list)
    ):
        return "[" + " ".join(_format_one(verb, flags, precision, item) for item in value) + "]"
    if isinstance(value, bool):
        return ("true" if value else "false") if verb == "t" else _bad_verb(verb, value)
    if isinstance(value, int):
        if verb == "d":
            return str(value)
        if verb in "xXob":
            digits = format(abs(value), {"x": "x", "X": "X", "o": "o", "b": "b"}[verb])
            prefix = {"x": "0x", "X": "0X", "o": "0", "b": ""}[verb] if "#" in flags else ""
            return ("-" if value < 0 else "") + prefix + digits
        if verb == "c":
            return chr(value)
        if verb == "q":
            return "'" + go_quote(chr(value))[1:-1].replace("'", "\\'") + "'"
        return _bad_verb(verb, value)
    if isinstance(value, float):
        if verb in "eEfFgG":
            default = -1 if verb in "gG" else 6
            text = go_format_float(
                value,
                verb.lower().replace("f", "f"),
                precision if precision is not None else default,
            )
            return text.upper() if verb in "EG" else text
        return _bad_verb(verb, value)
    if isinstance(value, str):
        if verb == "s":
            return value if precision is None else value[:precision]
        if verb == "q":
            return go_quote(value if precision is None else value[:precision])
        if verb in "xX":
            encoded = value.encode().hex()
            return encoded.upper() if verb == "X" else encoded
        return _bad_verb(verb, value)
    if value is None:
        return _bad_verb(verb, value)
    if verb == "s":
        return go_value_string(value)
    return _bad_verb(verb, value)


def _pad_field(text: str, flags: str, width: int | None, numeric: bool) -> str:
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text + " " * (width - len(text))
    if "0" in flags and numeric:
        sign = text[0] if text[:1] in "+-" else ""
        return sign + "0" * (width - len(text)) + text[len(sign) :]
    return " " * (width - len(text)) + text


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?(.)?", re.DOTALL)


def go_sprintf(template: str, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for the verbs templates use (v s d q f e g x X t c o b %)."""
    out: list[str] = []
    index = 0
    position = 0
    while position < len(template):
        percent = template.find("%", position)
        if percent < 0:
            out.append(template[position:])
            break
        out.append(template[position:percent])
        match = _VERB.match(template, percent)
        flags, width_text, precision_text, verb = match.groups()
        position = match.end()
        if verb is None:
            out.append("%!(NOVERB)")
            break
        if verb == "%":
            out.append("%")
            continue
        width: int | None = None
        precision: int | None = None
        if width_text == "*":
            width, index = (args[index] if index < len(args) else None), index + 1
        elif width_text:
            width = int(width_text)
        if precision_text == "*":
            precision, index = (args[index] if index < len(args) else None), index + 1
        elif precision_text is not None or template[match.start() : match.end()].count("."):
            precision = int(precision_text) if precision_text else 0
        if index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[index]
        index += 1
        text = _format_one(verb, flags, precision, value)
        if "+" in flags and isinstance(value, (int, float)) and not text.startswith("-"):
            text = "+" + text
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        out.append(_pad_field(text, flags, width if isinstance(width, int) else None, numeric))
    if index < len(args):
        extra = ", ".join(
            "<nil>" if arg is None else f"{_go_kind(arg)}={go_value_string(arg)}"
            for arg in args[index:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


# ---------------------------------------------------------------------------
# text/tabwriter as configured by docker's formatter


@dataclass
class _Cell:
    text: str
    width: int


def _split_cells(text: str) -> list[list[list[_Cell]]]:
    """Split into sections (a form feed flushes the writer) of lines of cells."""
    sections: list[list[list[_Cell]]] = [[[]]]
    current = ""
    for char in text:
        if char not in "\t\v\n\f":
            current += char
            continue
        lines = sections[-1]
        lines[-1].append(_Cell(current, display_width(current)))
        current = ""
        if char in "\n\f":
            lines.append([])
        if char == "\f":
            sections.append([[]])
    if current:
        sections[-1][-1].append(_Cell(current, display_width(current)))
    return sections


class _TabFormatter:
    """Elastic tabstops exactly as Go's tabwriter computes them (left aligned, no flags)."""

    def __init__(self, lines: list[list[_Cell]], minwidth: int, padding: int) -> None:
        self.lines = lines
        self.minwidth = minwidth
        self.padding = padding
        self.widths: list[int] = []
        self.out: list[str] = []

    def write_lines(self, first: int, stop: int) -> None:
        for index in range(first, stop):
            for column, cell in enumerate(self.lines[index]):
                self.out.append(cell.text)
                if column < len(self.widths):
                    self.out.append(" " * (self.widths[column] - cell.width))
            if index + 1 < len(self.lines):
                self.out.append("\n")

    def format(self, first: int, stop: int) -> None:
        column = len(self.widths)
        this = first
        while this < stop:
            # The last cell of a line is not tab-terminated and never part of a column.
            if column >= len(self.lines[this]) - 1:
                this += 1
                continue
            self.write_lines(first, this)
            first = this
            width = self.minwidth
            while this < stop and column < len(self.lines[this]) - 1:
                width = max(width, self.lines[this][column].width + self.padding)
                this += 1
            self.widths.append(width)
            self.format(first, this)
            self.widths.pop()
            first = this
        self.write_lines(first, stop)


def tabwrite(text: str, *, minwidth: int = 10, padding: int = 3) -> str:
    """Pass ``text`` through docker's ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)``.

    Cells are tab-terminated: text after the last tab of a line is printed unpadded.
    Output is complete after ``Flush``; a line without a trailing newline stays so.
    """
    out: list[str] = []
    # Each form feed flushes the writer; the line it ends is printed with a newline.
    for lines in _split_cells(text):
        formatter = _TabFormatter(lines, minwidth, padding)
        formatter.format(0, len(lines))
        out.extend(formatter.out)
    return "".join(out)


def render_table(rows: Iterable[Iterable[str]]) -> str:
    """Render rows of cells (first row = header) the way docker prints a table."""
    return tabwrite("".join("\t".join(row) + "\n" for row in rows))


# ---------------------------------------------------------------------------
# docker ps columns


def container_command(path: str, args: Iterable[str]) -> str:
    """The daemon's ``Command`` summary: args containing a space are single-quoted."""
    quoted = [f"'{arg}'" if " " in arg else arg for arg in args]
    return f"{path} {' '.join(quoted)}" if quoted else path


def quote_command(path: str, args: Iterable[str], trunc: bool = True) -> str:
    """docker ps COMMAND column: ``strconv.Quote(Ellipsis(command, 20))``."""
    command = container_command(path, args)
    if trunc:
        command = ellipsis(command, 20)
    return go_quote(command)


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port_group(key: str, first: int, last: int) -> str:
    ip, _, proto = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{proto}"


def format_ports(ports: Iterable[Mapping[str, Any]]) -> str:
    """docker/cli ``DisplayablePorts`` for Engine API port dicts.

    Ports published on the same number (or only exposed) are grouped into consecutive
    ranges; mappings to a different host port are listed after the groups.
    """

    def sort_key(port: Mapping[str, Any]) -> tuple[int, str, int, str]:
        return (
            int(port.get("PrivatePort") or 0),
            port.get("IP") or "",
            int(port.get("PublicPort") or 0),
            port.get("Type") or "",
        )

    groups: dict[str, list[int]] = {}  # insertion order = order the keys first appeared
    result: list[str] = []
    host_mappings: list[str] = []
    for port in sorted(ports, key=sort_key):
        private, ip, public, proto = sort_key(port)
        key = proto
        if ip:
            if public != private:
                host_mappings.append(f"{_join_host_port(ip, str(public))}->{private}/{proto}")
                continue
            key = f"{ip}/{proto}"
        group = groups.get(key)
        if group is None:
            groups[key] = [private, private]
        elif private == group[1] + 1:
            group[1] = private
        else:
            result.append(_port_group(key, group[0], group[1]))
            groups[key] = [private, private]
    result.extend(_port_group(key, first, last) for key, (first, last) in groups.items())
    result.extend(host_mappings)
    return ", ".join(result)
