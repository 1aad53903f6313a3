"""Human-readable sizes and ages exactly as docker/go-units v0.5.0 writes them.

``docker images`` SIZE, ``docker system df``, the CREATED and STATUS columns and
``Total reclaimed space`` all come from go-units (``size.go``, ``duration.go``), whose rounding
and unit steps are reproduced here.
"""

from __future__ import annotations

import functools

from layerlab.cli.gofmt import go_format_float
from layerlab.go_duration import human_duration

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


def created_ago(created_unix: float, now: float) -> str:
    """CREATED / RunningFor / CreatedSince columns: ``HumanDuration(now - created) + " ago"``."""
    return human_duration(now - created_unix) + " ago"
