"""Go's ``time.ParseDuration``, for HEALTHCHECK's ``--interval``/``--timeout``/``--start-period``.

Returns nanoseconds like Go's ``time.Duration`` and fails with Go's messages
(``time: missing unit in duration "5"``), which the daemon passes on unchanged.
"""

from __future__ import annotations

import re

from layerlab.go_strconv import go_quote

_DURATION_UNITS = {
    "ns": 1,
    "us": 10**3,
    "µs": 10**3,
    "μs": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_go_duration(text: str) -> int:
    """Nanoseconds of a Go duration such as ``1m30s``; ``ValueError`` has Go's message."""
    rest = text[1:] if text[:1] in ("+", "-") else text
    sign = -1 if text[:1] == "-" else 1
    if rest == "0":
        return 0
    if rest == "":
        raise ValueError(f"time: invalid duration {go_quote(text)}")
    total = 0
    while rest:
        part = _DURATION_PART.match(rest)
        assert part is not None  # every group is optional, so it always matches
        whole, fraction, unit = part.group(1), part.group(2), part.group(3)
        if whole == "" and not fraction:
            raise ValueError(f"time: invalid duration {go_quote(text)}")
        if unit == "":
            raise ValueError(f"time: missing unit in duration {go_quote(text)}")
        if unit not in _DURATION_UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(text)}")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        rest = rest[part.end() :]
    return sign * total
