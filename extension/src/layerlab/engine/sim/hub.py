"""The simulated Docker Hub: official images, generated deterministically and lazily.

Each official image is a *recipe*: its base image's steps plus its own, like the Dockerfiles of
docker-library (classic-builder history, ``created_by`` texts like the real images'). Layers are
step objects shared between recipes, so images share exactly the layers the real ones share
(node:20 and python:3.12 share the buildpack-deps layers, nginx the debian:bookworm one, and
node:20-alpine the alpine:3.19 one). Layer tars are built on first use and cached per process:
importing this module is cheap. Declared sizes make `docker images` show the real sizes while
the stored files stay small (see :mod:`hub_catalog` for what the files are).

``busybox`` is the baseline image itself (:func:`rootfs.busybox_rootfs` at a fixed mtime), so a
`docker pull busybox` in the baseline state finds it up to date.

The recipes are in :mod:`hub_official` (vocabulary in :mod:`hub_recipes`), image building in
:mod:`hub_build`, the file trees in :mod:`hub_catalog`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from .config import parse_rfc3339
from .hub_build import HubImage, HubLayer, build
from .hub_official import BUSYBOX_CREATED, official_catalog
from .hub_recipes import Recipe
from .reference import parse_normalized

if TYPE_CHECKING:
    from .engine import SimEngine

__all__ = [
    "BUSYBOX_CREATED",
    "CATALOG",
    "HubImage",
    "HubLayer",
    "image",
    "install_local",
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


def install_local(
    engine: SimEngine, name: str, tag: str = "latest", with_digest: bool = False
) -> str:
    """Put an official image in the local store as if it were there already (no messages):
    layers, image and tag; the repo digest only when ``with_digest`` (a pulled image has one,
    the real test engine's locally built busybox has none). Returns the image ID."""
    from .registry import Registries

    ref = parse_normalized(f"{name}:{tag}")
    hub_image = image(ref.path, tag)
    if hub_image is None:
        raise KeyError(f"{name}:{tag} is not in the simulated Docker Hub")
    parent = ""
    for layer in hub_image.layers:
        parent = engine.layers.add(parent, layer.tar, size=layer.size).chain_id
    created = parse_rfc3339(json.loads(hub_image.config)["created"])
    image_id = engine.image_store.put(hub_image.config, "", created)
    engine.image_store.set_ref(ref, image_id, "")
    if with_digest:
        remote = Registries(engine).find(ref.domain, ref.path, tag, None)
        assert remote is not None
        engine.image_store.set_ref(replace(ref, tag=None, digest=remote.digest), image_id, "")
    return image_id


CATALOG: dict[str, dict[str, Recipe]] = official_catalog()
