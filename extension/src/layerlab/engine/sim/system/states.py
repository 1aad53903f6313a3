"""Named starting points for the simulated engine.

``baseline`` is what the real engine in the test suite starts from: only ``busybox:latest``
(the simulated Docker Hub's image, present locally without a pull, so it has no digest, like
one built locally from the busybox root filesystem). ``empty`` has nothing at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.sim.registry.distribution import install_local

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

STATES = ("baseline", "empty")


def install_state(engine: ContainerBackend, state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; choose one of: {', '.join(STATES)}")
    if state == "baseline":
        install_baseline(engine)


def install_baseline(engine: ContainerBackend) -> None:
    install_local(engine, "busybox", "latest")
