"""Removing an exercise's containers and images from a real engine, and only those.

The engine may be shared, so nothing is pruned: the exercise's named containers and images go,
and (after a run) the dangling images that appeared during it.
"""

from __future__ import annotations

import contextlib

from layerlab.engine.api import Engine
from layerlab.engine.errors import EngineError
from layerlab.grading.model import Resources


def remove_resources(
    engine: Engine, resources: Resources, created_after: frozenset[str] | None = None
) -> None:
    for name in resources.containers:
        with contextlib.suppress(EngineError):
            engine.remove_container(name, force=True)
    for reference in resources.images:
        with contextlib.suppress(EngineError):
            engine.remove_image(reference, force=True)
    if created_after is None:
        return
    try:
        leftovers = engine.images(filters={"dangling": ["true"]})
    except EngineError:
        return
    for image in leftovers:
        if image["Id"] not in created_after:
            with contextlib.suppress(EngineError):
                engine.remove_image(image["Id"], force=True)
