"""Which Docker the simulated engine is: Docker Engine 20.10 (the classic builder) or Docker
Engine 26.1 with buildx (``docker build`` with BuildKit).

Chosen with ``LAYERLAB_PROFILE`` or ``%docker_engine sim --profile …``. 20.10 stays the default
until the 26.1 profile covers what else differs between the two (``version``, ``info``, the
fields ``inspect`` shows per API version) and the course is written for BuildKit's output.
"""

from __future__ import annotations

import os

from layerlab.engine.errors import EngineUnavailable
from layerlab.i18n import N_

# Each profile's description, for %docker_status (translated where it is shown).
PROFILES = {
    "20.10": N_("Docker Engine 20.10, classic builder"),
    "26.1": N_("Docker Engine 26.1 with buildx, BuildKit"),
}
DEFAULT_PROFILE = "20.10"


def choose_profile(name: str = "") -> str:
    """``name``, else ``LAYERLAB_PROFILE``, else the default; a clear error for another."""
    chosen = name or os.environ.get("LAYERLAB_PROFILE", "") or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise EngineUnavailable(
            f"unknown engine profile {chosen!r}: choose {' or '.join(PROFILES)}"
        )
    return chosen
