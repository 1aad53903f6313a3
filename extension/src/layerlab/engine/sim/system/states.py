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


def reset(engine: ContainerBackend, state: str, deterministic: bool | None) -> None:
    """Start over from ``state``: every container ends (programs that really run too, with
    their files), everything stored goes. Deterministic mode is kept unless ``deterministic``
    says otherwise."""
    store = engine.store
    keep = store.get_meta("deterministic") if deterministic is None else None
    for c in engine.containers_store.all():
        engine.containers_store.delete(c)
    store.wipe()
    if deterministic is True or keep == "1":
        store.set_meta("deterministic", "1")
        store.set_meta("seed", "layerlab")
    install_state(engine, state)
    store.set_meta("initialised", "1")
