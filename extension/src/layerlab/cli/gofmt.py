"""Go's ``fmt`` and ``strconv`` formatting, reproduced for the texts docker prints.

Docker's messages and templates are made by Go's formatting verbs: ``%v`` of JSON-like values,
``%q`` (``strconv.Quote``), ``%g``/``%e``/``%f`` of a float64 (``strconv.FormatFloat``) and
``fmt.Sprintf`` for template ``printf``. Python's own formatting differs in the details
(exponent digits, ``<nil>``, quoting of non-printable characters), so these functions follow
the Go sources instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from layerlab.go_strconv import go_quote

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
        if verb in "dxXob":
            digits = format(abs(value), {"d": "d", "x": "x", "X": "X", "o": "o", "b": "b"}[verb])
            if precision is not None:  # at least that many digits; none at all for 0 with .0
                digits = "" if precision == 0 and value == 0 else digits.zfill(precision)
            prefix = {"x": "0x", "X": "0X", "o": "0", "b": ""}[verb] if "#" in flags else ""
            return ("-" if value < 0 else "") + ("" if verb == "d" else prefix) + digits
        if verb == "c":
            return _rune(value)
        if verb == "q":
            quoted = go_quote(_rune(value), ascii_only="+" in flags)[1:-1]
            return "'" + quoted.replace('\\"', '"').replace("'", "\\'") + "'"
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
            return go_quote(value if precision is None else value[:precision], "+" in flags)
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
    if "0" in flags:  # Go pads any value with zeros, a number after its sign
        sign = text[0] if numeric and text[:1] in "+- " else ""
        return sign + "0" * (width - len(text)) + text[len(sign) :]
    return " " * (width - len(text)) + text


# Go's fmt takes a width or precision of at most this many digits' worth (``tooLarge``): a
# longer number in the format is malformed, one from an argument is a bad width.
_MAX_NUMBER = 10**6
_FLAGS = "#0+- "


def _parse_number(text: str, start: int, end: int) -> tuple[int, bool, int]:
    """Go's ``parsenum``: the number at ``start``, whether there is one, and where it ends.
    Past 10^6 before its last digit Go gives up and takes the rest of the format with it."""
    number, found, i = 0, False, start
    while i < end and "0" <= text[i] <= "9":
        if number > _MAX_NUMBER:
            return 0, False, end
        number = number * 10 + int(text[i])
        found = True
        i += 1
    return number, found, i


def _number_argument(args: tuple[Any, ...], index: int) -> tuple[int | None, int]:
    """Go's ``intFromArg``: a width or precision taken from the arguments (None: bad)."""
    if index >= len(args):
        return None, index
    value = args[index]
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_NUMBER:
        return None, index + 1
    return value, index + 1


class _Printer:
    """Go's ``pp.doPrintf``, one verb at a time: the argument indexes (``%[2]d``) and the
    markers for what is bad (BADINDEX, BADWIDTH, BADPREC, MISSING, NOVERB, EXTRA)."""

    def __init__(self, template: str, args: tuple[Any, ...]) -> None:
        self.template, self.args = template, args
        self.out: list[str] = []
        self.arg = 0  # the next argument
        self.reordered = False  # an explicit index was seen: extra arguments are not reported
        self.good_index = True

    def index(self, i: int) -> tuple[int, bool]:
        """Go's ``argNumber``: an explicit ``[n]`` at ``i`` moves to argument n."""
        text = self.template
        if i >= len(text) or text[i] != "[":
            return i, False
        self.reordered = True
        close = text.find("]", i + 1)
        if close < 0:  # no closing bracket: a bad index, and only "[" is taken
            self.good_index = False
            return i + 1, False
        number, found, after = _parse_number(text, i + 1, close)
        if not found or after != close:
            self.good_index = False
            return close + 1, False
        if 1 <= number <= len(self.args):
            self.arg = number - 1
            return close + 1, True
        self.good_index = False
        return close + 1, True

    def verb(self, i: int) -> int | None:
        """Format the verb whose ``%`` is just before ``i``; where the next text begins, or
        None when the format ends without a verb."""
        text, end = self.template, len(self.template)
        self.good_index = True
        flags = ""
        while i < end and text[i] in _FLAGS:
            flags += text[i]
            i += 1
        i, after_index = self.index(i)
        width: int | None = None
        if i < end and text[i] == "*":
            i += 1
            width, self.arg = _number_argument(self.args, self.arg)
            if width is None:
                self.out.append("%!(BADWIDTH)")
            elif width < 0:  # a negative width pads on the right
                width, flags = -width, flags.replace("0", "") + "-"
            after_index = False
        else:
            number, found, i = _parse_number(text, i, end)
            width = number if found else None
            if after_index and found:  # "%[3]2d"
                self.good_index = False
        precision: int | None = None
        if i < end and text[i] == ".":
            i += 1
            if after_index:  # "%[3].2d"
                self.good_index = False
            i, after_index = self.index(i)
            if i < end and text[i] == "*":
                i += 1
                precision, self.arg = _number_argument(self.args, self.arg)
                if precision is None or precision < 0:
                    precision = None
                    self.out.append("%!(BADPREC)")
                after_index = False
            else:
                precision, _, i = _parse_number(text, i, end)
        if not after_index:
            i, after_index = self.index(i)
        if i >= end:
            self.out.append("%!(NOVERB)")
            return None
        verb = text[i]
        i += 1
        if verb == "%":
            self.out.append("%")
        elif not self.good_index:
            self.out.append(f"%!{verb}(BADINDEX)")
        elif self.arg >= len(self.args):
            self.out.append(f"%!{verb}(MISSING)")
        else:
            value = self.args[self.arg]
            self.arg += 1
            self.out.append(_field(verb, flags, width, precision, value))
        return i

    def run(self) -> str:
        text, i = self.template, 0
        while i < len(text):
            percent = text.find("%", i)
            if percent < 0:
                self.out.append(text[i:])
                break
            self.out.append(text[i:percent])
            after = self.verb(percent + 1)
            if after is None:
                break
            i = after
        if not self.reordered and self.arg < len(self.args):
            extra = ", ".join(
                "<nil>" if arg is None else f"{go_kind(arg)}={go_value_string(arg)}"
                for arg in self.args[self.arg :]
            )
            self.out.append(f"%!(EXTRA {extra})")
        return "".join(self.out)


def _field(verb: str, flags: str, width: int | None, precision: int | None, value: Any) -> str:
    text = _format_one(verb, flags, precision, value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if value is not None and text == _bad_verb(verb, value):
        # Go prints the value inside the marker with the verb's flags, width and precision,
        # as %v (where + keeps its meaning of a sign).
        plain = {bool: "t", int: "d", float: "g", str: "s"}.get(type(value), "v")
        return f"%!{verb}({go_kind(value)}={_field(plain, flags, width, precision, value)})"
    if verb not in "cqU":  # for these + means nothing or ASCII only (q); for v, field names
        text = _signed(text, flags.replace("+", "") if verb == "v" else flags, number)
    if isinstance(value, int) and precision is not None:
        flags = flags.replace("0", "")  # an integer's precision turns zero padding off
    return _pad_field(text, flags, width, number)


def _signed(text: str, flags: str, number: bool) -> str:
    """A sign where a number has none: + with the + flag, else a space with the space flag."""
    if not number or text[:1] == "-":
        return text
    if "+" in flags:
        return "+" + text
    return " " + text if " " in flags else text


def go_sprintf(template: str, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for the verbs templates use (v s d q f e g x X t c o b U %)."""
    return _Printer(template, args).run()
