"""The messages of the daemon's streams (load, pull, push): progress bars, status lines and
errors, as moby's pkg/streamformatter writes them."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def progress(status: str, layer_id: str, current: int, total: int) -> Json:
    """A progress message as the daemon formats it (a 50-column bar, go-units sizes)."""
    filled = min(50, int(current / total * 100) // 2) if total > 0 else 0
    bar = "[" + "=" * filled + ">" + " " * (50 - filled) + "] "
    counts = (
        f"{_human(current):>8}/{_human(total)}" if current <= total else f"{_human(current):>8}"
    )
    return {
        "status": status,
        "progressDetail": {"current": current, "total": total},
        "progress": bar + counts,
        "id": layer_id,
    }


def _human(size: float) -> str:
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000
        index += 1
    return f"{size:.4g}{units[index]}"


def status_message(text: str, layer_id: str | None = None) -> Json:
    if layer_id is None:
        return {"status": text}
    return {"status": text, "progressDetail": {}, "id": layer_id}


def error_message(message: str) -> Json:
    return {"errorDetail": {"message": message}, "error": message}
