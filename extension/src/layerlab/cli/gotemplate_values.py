"""Go values as text/template sees them: boxing, type names, truth, printing and JSON.

Python data stands for Go values (see :mod:`layerlab.cli.gotemplate` for the mapping). This
module holds what every stage needs to reason about them: Go's "no value" (``MISSING``) and
``interface {}`` boxes, the type names used in error messages, template truth, ``fmt.Sprint``
of an action's result, docker's ``json`` function and how a Go method is found on a value.
It also defines :class:`TemplateError`, the one error type templates raise.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from layerlab.cli.gofmt import go_format_float, go_kind, go_value_string


class TemplateError(Exception):
    """A parse or execution error, worded as docker prints it.

    ``str(error)`` is docker's message (``template parsing error: template: ...``, the prefix
    docker adds to parse *and* execution errors); ``go_error`` is Go's own error text.
    """

    def __init__(self, go_error: str) -> None:
        super().__init__(f"template parsing error: {go_error}")
        self.go_error = go_error


class TemplateLimit(TemplateError):
    """A limit of LayerLab's own, not a Go error: ``message`` is printed as it is."""

    message = ""

    def __init__(self) -> None:
        Exception.__init__(self, self.message)
        self.go_error = self.message


class TemplateTooDeep(TemplateLimit):
    """A template nested deeper than Python's stack lets LayerLab follow (Go's grows)."""

    message = (
        "layerlab: the template nests too deeply for LayerLab to follow "
        "(Docker would run it; LayerLab stops at a few hundred levels)"
    )


class TemplateOutputTooLarge(TemplateLimit):
    """A template that writes more than LayerLab keeps (``gotemplate_exec.OUTPUT_LIMIT``)."""

    message = (
        "layerlab: the --format output passed 64 MiB, and LayerLab stops there "
        "(Docker would go on printing)"
    )


class Missing:
    """Go's invalid ``reflect.Value``: a missing map key or an unset interface."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = Missing()


@dataclass(frozen=True)
class Boxed:
    """A value read out of an ``interface {}`` slot (JSON map or slice element)."""

    value: Any


def unbox(value: Any) -> Any:
    """What Go's evalPipeline does after each command: dig into ``interface {}``."""
    if isinstance(value, Boxed):
        return MISSING if value.value is None else value.value
    return value


class NilMap(dict):  # type: ignore[type-arg]
    """A typed nil map of a Go struct field: prints ``map[]``, marshals to ``null``."""

    go_nil = True


class NilSlice(list):  # type: ignore[type-arg]
    """A typed nil slice of a Go struct field: prints ``[]``, marshals to ``null``."""

    go_nil = True


def plain(value: Any) -> Any:
    """Value handed to an ``interface {}`` parameter: nil stays nil."""
    if isinstance(value, Boxed):
        return value.value
    return None if value is MISSING else value


def go_type(value: Any) -> str:
    """The Go type name of a value, as execution errors print it."""
    if isinstance(value, Boxed) or value is None:
        return "interface {}"
    if not isinstance(value, (bool, int, float, str)):
        type_name = getattr(value, "go_type_name", None)
        if type_name:
            return str(type_name)
    if isinstance(value, (bool, int, float, str, dict, list, tuple)):
        return go_kind(value)
    return type(value).__name__


def is_struct(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple, str, int, float, bool, Missing, type(None)))


def truth(value: Any) -> bool:
    value = unbox(value)
    if value is MISSING or value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, (str, dict, list, tuple)):
        return len(value) > 0
    return True


def go_sprint(value: Any) -> str:
    """``fmt.Sprint`` of one value as text/template prints an action's result."""
    value = unbox(value)
    if value is MISSING:
        return "<no value>"
    return fmt_value(value)


def fmt_value(value: Any) -> str:
    """Go's ``%v`` of a value (nil inside structures prints ``<nil>``)."""
    if isinstance(value, Boxed):
        value = value.value
    return go_value_string(None if value is MISSING else value)


def _json_ready(value: Any) -> Any:
    value = plain(value)
    if getattr(value, "go_nil", False):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    # docker's formatter MarshalJSON: every exported zero-argument method becomes a key.
    fields: dict[str, Any] = {}
    for name in dir(value):
        if not name[:1].isupper() or name == "FullHeader":
            continue
        attribute = getattr(value, name)
        if callable(attribute):
            if arity(attribute) != (0, 0):
                continue
            attribute = attribute()
        fields[name] = _json_ready(attribute)
    return fields


def _json_float(number: float) -> str:
    """encoding/json float64: %f style, exponent form outside [1e-6, 1e21)."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"json: unsupported value: {go_format_float(number)}")
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = go_format_float(number, "e", -1)
        return re.sub(r"e([+-])0(\d)$", r"e\1\2", text)
    return go_format_float(number, "f", -1)


def _json_string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """docker's ``json`` template function: compact ``json.Marshal`` without HTML escaping."""

    def encode(item: Any) -> str:
        if item is None:
            return "null"
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, float):
            return _json_float(item)
        if isinstance(item, str):
            return _json_string(item)
        if isinstance(item, dict):
            pairs = (f"{_json_string(k)}:{encode(item[k])}" for k in sorted(item))
            return "{" + ",".join(pairs) + "}"
        return "[" + ",".join(encode(element) for element in item) + "]"

    text = encode(_json_ready(value))
    if getattr(value, "go_struct", False):
        # docker's row contexts marshal themselves with json.Marshal, which escapes HTML
        # characters; the template's encoder keeps those escapes.
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def arity(function: Callable[..., Any]) -> tuple[int, int | None]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return 0, None
    required, maximum = 0, 0
    for parameter in signature.parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            return required, None
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            maximum += 1
            if parameter.default is parameter.empty:
                required += 1
    return required, maximum


def method_of(value: Any, name: str) -> Callable[..., Any] | None:
    """A Go method: an upper-case callable of a struct or of a dict subclass."""
    if not name[:1].isupper():
        return None
    if isinstance(value, dict):
        if type(value) is dict or not callable(getattr(type(value), name, None)):
            return None
        return getattr(value, name)
    if is_struct(value):
        attribute = getattr(value, name, None)
        return attribute if callable(attribute) else None
    return None
