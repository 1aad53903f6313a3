"""The daemon's side of the API, as the docker CLI reaches it: over HTTP, in JSON.

Go's ``encoding/json`` replaces bytes that are not UTF-8 with U+FFFD, so a name, label or
command typed with such bytes (``docker exec c $'\\xff'``) reaches the daemon, and comes back in
its errors, as ``\\ufffd``, while what the CLI prints itself keeps the bytes. Python reads such
arguments as lone surrogates (``surrogateescape``); :class:`OverTheWire` hands the engine what
JSON would, so neither engine meets a string it cannot store or encode.
"""

from __future__ import annotations

from typing import Any


def as_json_would(value: Any) -> Any:
    """``value`` with every string's undecodable bytes as U+FFFD, in lists, tuples and dicts."""
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return value
    if isinstance(value, list):
        return [as_json_would(item) for item in value]
    if isinstance(value, tuple):
        return tuple(as_json_would(item) for item in value)
    if isinstance(value, dict):
        return {as_json_would(key): as_json_would(item) for key, item in value.items()}
    return value


class OverTheWire:
    """An engine whose methods receive their arguments as the daemon would (see above)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._engine, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            return found(*as_json_would(args), **as_json_would(kwargs))

        return call
