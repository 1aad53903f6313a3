"""go-units ``HumanDuration`` (docker/go-units v0.5.0, ``duration.go``), rounding and steps as Go.

Both halves of Docker use it: the daemon for a container's ``Status`` ("Up 5 minutes") in the
container list, and the CLI for the CREATED and RunningFor columns. So it lives beside both
rather than in either.
"""

from __future__ import annotations

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
