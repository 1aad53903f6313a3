"""Which Docker the simulated engine is: Docker Engine 20.10 (the classic builder) or Docker
Engine 26.1 with buildx (``docker build`` with BuildKit).

Chosen with ``LAYERLAB_PROFILE`` or ``%docker_engine sim --profile …``. The profile decides
the builder, what ``version`` and ``info`` report, and the fields ``inspect`` shows per API
version. 26.1 is the default: what learners meet in a Docker of today.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from layerlab.engine.errors import EngineUnavailable
from layerlab.i18n import N_

# Each profile's description, for %docker_status (translated where it is shown).
PROFILES = {
    "20.10": N_("Docker Engine 20.10, classic builder"),
    "26.1": N_("Docker Engine 26.1 with buildx, BuildKit"),
}
DEFAULT_PROFILE = "26.1"


@dataclass(frozen=True)
class Daemon:
    """What the daemon of a profile says of itself (measured on Debian's packages)."""

    version: str
    api_version: str
    min_api_version: str
    # Whether its reference library reads a registry host in brackets (`[::1]:5000/app`):
    # Engine 20.10's answers "invalid reference format" to every such name.
    ipv6_registry_hosts: bool


DAEMONS = {
    "20.10": Daemon("20.10.24+dfsg1", "1.41", "1.12", ipv6_registry_hosts=False),
    "26.1": Daemon("26.1.5+dfsg1", "1.45", "1.24", ipv6_registry_hosts=True),
}


def daemon(profile: str) -> Daemon:
    return DAEMONS.get(profile, DAEMONS[DEFAULT_PROFILE])


def api_at_least(profile: str, version: str) -> bool:
    """Whether the profile's daemon speaks API ``version`` or later (fields come and go)."""
    have = tuple(int(part) for part in daemon(profile).api_version.split("."))
    return have >= tuple(int(part) for part in version.split("."))


def choose_profile(name: str = "") -> str:
    """``name``, else ``LAYERLAB_PROFILE``, else the default; a clear error for another."""
    chosen = name or os.environ.get("LAYERLAB_PROFILE", "") or DEFAULT_PROFILE
    if chosen not in PROFILES:
        raise EngineUnavailable(
            f"unknown engine profile {chosen!r}: choose {' or '.join(PROFILES)}"
        )
    return chosen
