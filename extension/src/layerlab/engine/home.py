"""Where LayerLab keeps its own files on this machine: the simulated engine's states and the
real engine's ledger both live under ``$LAYERLAB_HOME``."""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """``$LAYERLAB_HOME``, else the platform's data directory for the user."""
    explicit = os.environ.get("LAYERLAB_HOME")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "layerlab"
