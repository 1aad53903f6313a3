"""The daemon's ``filters`` arguments: which keys each endpoint accepts, the values they hold,
and the filters several endpoints share (``label``, ``label!``, ``until``).

Measured on Engine 20.10 and Engine 26.1: a key the endpoint does not know is refused before
anything is listed or removed (``Invalid filter 'foo'``; Engine 26.1 writes ``invalid``), so a
filter never silently does nothing. When several keys are unknown the daemon names one of them
in Go's map order; LayerLab names the first in sorted order. A key Docker accepts that LayerLab
does not model (``ps --filter health=…``) is refused with a LayerLab message, never ignored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.profiles import api_at_least
from layerlab.i18n import N_, tr

Json = dict[str, Any]

# What each endpoint accepts (moby's accepted filter tags), by the API version that added it.
_PS_KEYS = (
    "ancestor", "before", "exited", "health", "id", "label", "name", "status", "since", "volume",
    "network", "is-task", "publish", "expose",
)  # fmt: skip
_ACCEPTED: dict[str, dict[str, str]] = {
    "images": {key: "1.0" for key in ("dangling", "label", "before", "since", "reference")}
    | {"until": "1.45"},
    "containers": dict.fromkeys(_PS_KEYS, "1.0"),
    "image prune": dict.fromkeys(("dangling", "label", "label!", "until"), "1.0"),
    "container prune": dict.fromkeys(("label", "label!", "until"), "1.0"),
}
# Keys Docker accepts that LayerLab does not model: refused with a message of its own.
_NOT_MODELLED = {"containers": ("health", "volume", "network", "publish", "expose")}

# Go's time.ParseDuration units, and the layouts the daemon tries for a time (timetypes).
_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_UNIX = re.compile(r"-?\d+(?:\.\d{1,9})?")


def values(filters: Json, key: str) -> list[str]:
    """The values given for ``key`` (the API sends ``{"key": {"value": true}}`` or a list)."""
    value = filters.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        return [k for k, v in value.items() if v]
    if isinstance(value, str):
        return [value]
    return list(value)


def check_keys(filters: Json | None, endpoint: str, profile: str) -> None:
    """Refuse a key ``endpoint`` does not accept, as the daemon of ``profile`` does."""
    accepted = _ACCEPTED[endpoint]
    for key in sorted(filters or {}):
        if key not in accepted or not api_at_least(profile, accepted[key]):
            raise InvalidArgument(f"{invalid_word(profile)} filter '{key}'")
    for key in _NOT_MODELLED.get(endpoint, ()):
        if values(filters or {}, key):
            raise InvalidArgument(
                tr(
                    N_(
                        "LayerLab cannot filter containers by {key} yet: its containers model no "
                        "{key}; leave --filter {key}=… out"
                    ),
                    key=key,
                )
            )


def bool_value(filters: Json, key: str, profile: str) -> bool | None:
    """A filter that holds true or false (``dangling``, ``is-task``); None when not given."""
    given = values(filters, key)
    if not given:
        return None
    value = given[-1].lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InvalidArgument(f"{invalid_word(profile)} filter '{key}={_go_list(given)}'")


def labels_match(labels: dict[str, str], filters: Json) -> bool:
    """``label=KEY`` / ``label=KEY=VALUE`` must all match; ``label!=…`` must all not."""
    for item in values(filters, "label"):
        if not _label_matches(labels, item):
            return False
    return not any(_label_matches(labels, item) for item in values(filters, "label!"))


def _label_matches(labels: dict[str, str], item: str) -> bool:
    key, eq, value = item.partition("=")
    return key in labels and (not eq or labels[key] == value)


def until_cutoff(filters: Json, now: float) -> float | None:
    """The time ``until=…`` names (a duration back from ``now``, a date or a Unix time): only
    what was created before it matches. None when not given."""
    given = values(filters, "until")
    if not given:
        return None
    return parse_time(given[-1], now)


def parse_time(value: str, now: float) -> float:
    """The daemon's reading of a time value (Docker's ``timetypes.GetTimestamp``)."""
    duration = _parse_duration(value)
    if duration is not None:
        return now - duration
    for layout in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f",
                   "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d%z", "%Y-%m-%d"):  # fmt: skip
        try:
            parsed = datetime.strptime(value.replace("Z", "+00:00"), layout)
        except ValueError:
            continue
        if parsed.tzinfo is None:  # the daemon reads a time without a zone as local time
            parsed = parsed.astimezone()
        return parsed.timestamp()
    if _UNIX.fullmatch(value):
        return float(value)
    raise InvalidArgument(f'failed to parse value as time or duration: "{value}"')


def _parse_duration(text: str) -> float | None:
    """Seconds in a Go duration (``1h30m``, ``-5m``, ``1.5h``), or None if it is not one."""
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    if body == "0":
        return 0.0
    total, at = 0.0, 0
    for match in _DURATION.finditer(body):
        number = match[1]
        if match.start() != at or not number or number == ".":
            return None
        total += float(number) * _SECONDS[match[2]]
        at = match.end()
    return sign * total if body and at == len(body) else None


def invalid_word(profile: str) -> str:
    """How the daemon starts a refused filter: Engine 26.1 lower-case, 20.10 upper-case."""
    return "invalid" if api_at_least(profile, "1.45") else "Invalid"


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"
