"""What the container parts and those above them (the builder, docker commit, the system
commands) are handed: the image backend plus the container store."""

from __future__ import annotations

from typing import Protocol

from layerlab.engine.sim.containers.store import ContainerStore
from layerlab.engine.sim.images.backend import ImageBackend


class ContainerBackend(ImageBackend, Protocol):
    containers_store: ContainerStore

    def settle(self) -> None: ...
