"""What the image parts are handed: the state's stores and clock, and a view of the containers
that use images (an image in use cannot be removed).

The simulated engine satisfies this protocol; the parts never import it, so they can be read
and tested without the rest of the daemon.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from layerlab.engine.sim.images.store import ImageStore, LayerStore
from layerlab.engine.sim.store.clock import Clock, IdSource
from layerlab.engine.sim.store.database import Store


class ImageUser(Protocol):
    """A container as the image parts see it."""

    @property
    def id(self) -> str: ...

    @property
    def image_id(self) -> str: ...

    @property
    def running(self) -> bool: ...


class ImageBackend(Protocol):
    home: Path
    store: Store
    clock: Clock
    profile: str  # which Docker the engine is (layerlab.engine.profiles)
    ids: IdSource
    layers: LayerStore
    image_store: ImageStore

    def first_container(self, predicate: Callable[[Any], bool]) -> ImageUser | None: ...

    def all_containers(self) -> Sequence[ImageUser]: ...
