"""Human-readable sizes and durations exactly as docker/go-units v0.5.0 writes them.

``docker images`` SIZE, ``docker system df``, the CREATED and STATUS columns and
``Total reclaimed space`` all come from go-units (``size.go``, ``duration.go``), whose rounding
and unit steps are reproduced here.
"""

from __future__ import annotations

import functools

from layerlab.cli.gofmt import go_format_float

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _scale(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    index = 0
    while size >= base and index < len(units) - 1:
        size /= base
        index += 1
    return size, units[index]


@functools.lru_cache(maxsize=4096)  # tables print the same few sizes over and over
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
