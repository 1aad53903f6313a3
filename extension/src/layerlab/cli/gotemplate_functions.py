"""The functions a docker format can call: Go's builtins plus docker's ``templates`` additions.

Go's text/template builtins (``and``, ``or``, ``not``, ``len``, ``index``, ``slice``, ``print*``,
comparisons, ``html``, ``urlquery``) and docker/cli's ``basicFunctions`` (``json``, ``split``,
``join``, ``title``, ``lower``, ``upper``, ``pad``, ``truncate``). Each is a :class:`Func`
whose Go parameter types drive the executor's argument checks; ``HEADER_FUNCTIONS`` is
docker's variant for table headers, which leaves column names intact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from layerlab.cli.gofmt import go_sprintf
from layerlab.cli.gotemplate_values import (
    MISSING,
    Boxed,
    fmt_value,
    go_json,
    go_type,
    plain,
    truth,
    unbox,
)


class Func:
    """A template function: Go parameter types drive argument checking."""

    def __init__(self, impl: Callable[..., Any], params: Sequence[str], variadic: str = "") -> None:
        self.impl = impl
        self.params = list(params)
        self.variadic = variadic


def _go_title(text: str) -> str:
    """strings.Title: upper-case the first letter of every word."""
    out, previous = [], " "
    for char in text:
        separator = not (previous.isalnum() or previous == "_")
        out.append(char.upper() if separator else char)
        previous = char
    return "".join(out)


def _pad(source: str, prefix: int, suffix: int) -> str:
    return source if source == "" else " " * prefix + source + " " * suffix


def _truncate(source: str, length: int) -> str:
    encoded = source.encode()
    if len(encoded) < length:
        return source
    return encoded[:length].decode(errors="replace")


def _go_split(text: str, separator: str) -> list[str]:
    if separator == "":
        return list(text)
    return text.split(separator)


def _len(item: Any) -> int:
    item = unbox(item)
    if isinstance(item, (str, list, tuple, dict)):
        return len(item.encode()) if isinstance(item, str) else len(item)
    raise CallError(f"len of type {go_type(item) if item is not MISSING else 'nil'}")


def _index(item: Any, *indexes: Any) -> Any:
    item = unbox(item)
    if item is MISSING:
        raise CallError("index of untyped nil")
    byte = False  # the item is a byte of a string (Go's uint8)
    for raw_index in indexes:
        index = plain(raw_index)
        if isinstance(item, (list, tuple, str)):
            if not isinstance(index, int) or isinstance(index, bool):
                kind = "nil" if index is None else go_type(index)
                raise CallError(f"cannot index slice/array with type {kind}")
            sequence = item.encode() if isinstance(item, str) else item  # a string: its bytes
            if not 0 <= index <= len(sequence):
                raise CallError(f"index out of range: {index}")
            if index == len(sequence):  # Go checks against the length, then reflect panics
                kind = "string" if isinstance(item, str) else "slice"
                raise CallError(f"reflect: {kind} index out of range")
            element = sequence[index]
            byte = isinstance(item, str)
            item = element if byte else Boxed(element)
        elif isinstance(item, dict):
            if not isinstance(index, str):
                raise CallError(f"value has type {go_type(index)}; should be string")
            item = Boxed(item[index]) if index in item else Boxed(None)
        else:
            kind = "uint8" if byte else go_type(item)
            raise CallError(f"can't index item of type {kind}")
        if isinstance(item, Boxed) and len(indexes) > 1:
            item = unbox(item)
    return item


def _slice_index(raw: Any, cap: int) -> int:
    index = plain(raw)
    if index is None or index is MISSING:
        raise CallError("cannot index slice/array with nil")
    if not isinstance(index, int) or isinstance(index, bool):
        raise CallError(f"cannot index slice/array with type {go_type(index)}")
    if not 0 <= index <= cap:
        raise CallError(f"index out of range: {index}")
    return index


def _slice(item: Any, *indexes: Any) -> Any:
    """Go's ``slice x 1 2`` (``x[1:2]``): strings by bytes, lists; Go's checks and texts."""
    item = unbox(item)
    if item is MISSING or item is None:
        raise CallError("slice of untyped nil")
    if len(indexes) > 3:
        raise CallError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise CallError("cannot 3-index slice a string")
        data = item.encode()
    elif isinstance(item, (list, tuple)):
        data = item
    else:
        raise CallError(f"can't slice item of type {go_type(item)}")
    bounds = [0, len(data)]
    for position, raw in enumerate(indexes):
        if position < 2:
            bounds[position] = _slice_index(raw, len(data))
        else:
            bounds.append(_slice_index(raw, len(data)))
    if bounds[0] > bounds[1]:
        raise CallError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(bounds) == 3 and bounds[1] > bounds[2]:
        raise CallError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    part = data[bounds[0] : bounds[1]]
    return part.decode(errors="replace") if isinstance(part, bytes) else list(part)


class CallError(Exception):
    """An error a template function returns (reported as ``error calling NAME: ...``)."""


_INCOMPATIBLE = "incompatible types for comparison"


def _basic_kind(value: Any) -> str:
    value = unbox(value)
    if value is MISSING or value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise CallError("missing argument for comparison")
    first_kind = _basic_kind(first)
    for other in others:
        other_kind = _basic_kind(other)
        if first_kind != other_kind:
            if "invalid" not in (first_kind, other_kind):
                raise CallError(_INCOMPATIBLE)
            continue
        left, right = plain(first), plain(other)
        if first_kind == "other" and isinstance(left, (dict, list, tuple)):
            raise CallError(f"non-comparable type {fmt_value(left)}: {go_type(left)}")
        if left == right:
            return True
    return False


def _less(first: Any, second: Any) -> bool:
    kinds = (_basic_kind(first), _basic_kind(second))
    if kinds[0] not in ("int", "float", "string") or kinds[1] not in ("int", "float", "string"):
        raise CallError("invalid type for comparison")
    if kinds[0] != kinds[1]:
        raise CallError(_INCOMPATIBLE)
    return plain(first) < plain(second)


def _compare(name: str) -> Callable[[Any, Any], bool]:
    def compare(first: Any, second: Any) -> bool:
        if name == "lt":
            return _less(first, second)
        if name == "le":
            return _less(first, second) or _eq(first, second)
        if name == "gt":
            return not (_less(first, second) or _eq(first, second))
        return not _less(first, second)

    return compare


def _sprint(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither side is a string."""
    out: list[str] = []
    for position, arg in enumerate(args):
        value = plain(arg)
        previous = plain(args[position - 1]) if position else None
        if position and not isinstance(value, str) and not isinstance(previous, str):
            out.append(" ")
        out.append(fmt_value(value))
    return "".join(out)


def _sprintln(*args: Any) -> str:
    return " ".join(fmt_value(plain(arg)) for arg in args) + "\n"


def _html_escape(*args: Any) -> str:
    text = _sprint(*args)
    table = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}
    return "".join(table.get(char, char) for char in text)


_JS_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E",
               "&": "\\u0026", "=": "\\u003D"}  # fmt: skip


def _js_escape(*args: Any) -> str:
    """Go's ``JSEscapeString`` of the operands as ``print`` joins them."""
    out: list[str] = []
    for char in _sprint(*args):
        if char in _JS_ESCAPES:
            out.append(_JS_ESCAPES[char])
        elif char < " ":
            out.append(f"\\u00{ord(char):02X}")
        elif char >= "\x80" and not char.isprintable():
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_sprint(*args), safe="-_.~")


BASE_FUNCTIONS: dict[str, Func] = {
    # Go's builtins ("and", "or" are evaluated lazily by the executor).
    "and": Func(lambda *a: a, ["any"], "any"),
    "or": Func(lambda *a: a, ["any"], "any"),
    "not": Func(lambda value: not truth(value), ["any"]),
    "len": Func(_len, ["any"]),
    "index": Func(_index, ["any"], "any"),
    "slice": Func(_slice, ["any"], "any"),
    "print": Func(_sprint, [], "any"),
    "println": Func(_sprintln, [], "any"),
    "printf": Func(lambda fmt, *a: go_sprintf(fmt, *map(plain, a)), ["string"], "any"),
    "eq": Func(_eq, ["any"], "any"),
    "ne": Func(lambda a, b: not _eq(a, b), ["any", "any"]),
    "lt": Func(_compare("lt"), ["any", "any"]),
    "le": Func(_compare("le"), ["any", "any"]),
    "gt": Func(_compare("gt"), ["any", "any"]),
    "ge": Func(_compare("ge"), ["any", "any"]),
    "html": Func(_html_escape, [], "any"),
    "urlquery": Func(_urlquery, [], "any"),
    "js": Func(_js_escape, [], "any"),
    # docker/cli templates.basicFunctions
    "json": Func(go_json, ["any"]),
    "split": Func(_go_split, ["string", "string"]),
    "join": Func(lambda items, sep: sep.join(items), ["[]string", "string"]),
    "title": Func(_go_title, ["string"]),
    "lower": Func(str.lower, ["string"]),
    "upper": Func(str.upper, ["string"]),
    "pad": Func(_pad, ["string", "int", "int"]),
    "truncate": Func(_truncate, ["string", "int"]),
}

# docker/cli templates.HeaderFunctions: the table header keeps column names intact.
HEADER_FUNCTIONS: dict[str, Func] = {
    **BASE_FUNCTIONS,
    "json": Func(lambda v: v, ["string"]),
    "split": Func(lambda v, _sep: v, ["string", "string"]),
    "join": Func(lambda v, _sep: v, ["string", "string"]),
    "title": Func(lambda v: v, ["string"]),
    "lower": Func(lambda v: v, ["string"]),
    "upper": Func(lambda v: v, ["string"]),
    "truncate": Func(lambda v, _n: v, ["string", "int"]),
}
