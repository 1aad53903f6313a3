"""Go's ``fmt`` and ``strconv`` formatting, reproduced for the texts docker prints.

Docker's messages and templates are made by Go's formatting verbs: ``%v`` of JSON-like values,
``%q`` (``strconv.Quote``), ``%g``/``%e``/``%f`` of a float64 (``strconv.FormatFloat``) and
``fmt.Sprintf`` for template ``printf``. Python's own formatting differs in the details
(exponent digits, ``<nil>``, quoting of non-printable characters), so these functions follow
the Go sources instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def go_kind(value: Any) -> str:
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
    return f"%!{verb}({go_kind(value)}={go_value_string(value)})"


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
            return _rune(value)
        if verb == "q":
            return "'" + go_quote(_rune(value))[1:-1].replace("'", "\\'") + "'"
        if verb == "U":
            text = f"U+{value % (1 << 64):04X}"  # Go formats the bits as uint64
            return text + f" '{_rune(value)}'" if "#" in flags and _printable(value) else text
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


def _rune(value: int) -> str:
    """The character of a code point as Go's fmt writes it: U+FFFD where there is none."""
    if value < 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\ufffd"
    return chr(value)


def _printable(value: int) -> bool:
    return 0 <= value <= 0x10FFFF and _rune(value).isprintable()


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
# Go's fmt takes a width or precision of at most this many digits' worth (``tooLarge``): a
# longer number in the format is malformed, one from an argument is a bad width.
_MAX_NUMBER = 10**6


def _parse_number(digits: str) -> int | None:
    """Go's ``parsenum``: None where it gives up (a number past 10^6 before its last digit)."""
    number = 0
    for digit in digits:
        if number > _MAX_NUMBER:
            return None
        number = number * 10 + int(digit)
    return number


def _number_argument(args: tuple[Any, ...], index: int) -> tuple[int | None, int]:
    """Go's ``intFromArg``: a width or precision taken from the arguments (None: bad)."""
    if index >= len(args):
        return None, index
    value = args[index]
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_NUMBER:
        return None, index + 1
    return value, index + 1


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
            width, index = _number_argument(args, index)
            if width is None:
                out.append("%!(BADWIDTH)")
            elif width < 0:  # a negative width pads on the right
                width, flags = -width, flags.replace("0", "") + "-"
        elif width_text:
            width = _parse_number(width_text)
            if width is None:  # Go reads the rest of the format as the number
                out.append("%!(NOVERB)")
                break
        if precision_text == "*":
            precision, index = _number_argument(args, index)
            if precision is None or precision < 0:
                precision = None
                out.append("%!(BADPREC)")
        elif precision_text is not None or template[match.start() : match.end()].count("."):
            precision = _parse_number(precision_text) if precision_text else 0
            if precision is None:
                out.append("%!(NOVERB)")
                break
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
            "<nil>" if arg is None else f"{go_kind(arg)}={go_value_string(arg)}"
            for arg in args[index:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
