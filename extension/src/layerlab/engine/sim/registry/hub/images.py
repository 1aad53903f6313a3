"""The simulated Docker Hub: official images, generated deterministically and lazily.

Each official image is a *recipe*: its base image's steps plus its own, like the Dockerfiles of
docker-library (classic-builder history, ``created_by`` texts like the real images'). Layers are
step objects shared between recipes, so images share exactly the layers the real ones share
(node:20 and python:3.12 share the buildpack-deps layers, nginx the debian:bookworm one, and
node:20-alpine the alpine:3.19 one). Layer tars are built on first use and cached per process:
importing this module is cheap. Declared sizes make `docker images` show the real sizes while
the stored files stay small (see :mod:`trees` for what the files are).

``busybox`` is the baseline image itself (:func:`rootfs.busybox_rootfs` at a fixed mtime), so a
`docker pull busybox` in the baseline state finds it up to date.

The recipes are in :mod:`official` (vocabulary in :mod:`recipes`), image building in
:mod:`build`, the file trees in :mod:`trees`, the files they hold in ``files/`` (:mod:`data`).
"""

from __future__ import annotations

from layerlab.engine.sim.registry.hub.build import HubImage, HubLayer, build
from layerlab.engine.sim.registry.hub.official import official_catalog
from layerlab.engine.sim.registry.hub.recipes import Recipe

__all__ = [
    "CATALOG",
    "HubImage",
    "HubLayer",
    "image",
    "is_official",
    "tags",
]

# -- public lookups -------------------------------------------------------------------------------


def is_official(path: str) -> bool:
    return path.startswith("library/") and path[len("library/") :] in CATALOG


def tags(path: str) -> list[str]:
    return sorted(CATALOG.get(path.removeprefix("library/"), {}))


def image(path: str, tag: str) -> HubImage | None:
    recipe = CATALOG.get(path.removeprefix("library/"), {}).get(tag)
    return None if recipe is None else build(recipe)


CATALOG: dict[str, dict[str, Recipe]] = official_catalog()
