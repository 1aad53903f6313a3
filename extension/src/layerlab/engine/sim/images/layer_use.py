"""The layers in the store as images and the build cache use them: which are in use, dropping
those no longer used (and the blobs only they held), and the overlay2 folders ``inspect``
names for a layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerlab.engine.sim.images.store import Image
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend

Json = dict[str, Any]


def overlay_dirs(chain_id: str) -> Json:
    """overlay2's folders for the layer ``chain_id``, as the daemon names them."""
    root = f"/var/lib/docker/overlay2/{chain_id.removeprefix('sha256:')}"
    return {
        "Data": {
            "MergedDir": f"{root}/merged",
            "UpperDir": f"{root}/diff",
            "WorkDir": f"{root}/work",
        },
        "Name": "overlay2",
    }


def graph_driver(top: str, lower: list[str], init: str = "") -> Json:
    """overlay2's GraphDriver: ``LowerDir`` lists the layers below ``top`` nearest first (an
    ``init`` layer on top of them for a container) and is absent when there are none."""
    driver = overlay_dirs(top)
    dirs = [f"/var/lib/docker/overlay2/{key.removeprefix('sha256:')}/diff" for key in lower]
    if init:
        dirs.insert(0, f"/var/lib/docker/overlay2/{init.removeprefix('sha256:')}-init/diff")
    if dirs:
        driver["Data"] = {"LowerDir": ":".join(dirs), **driver["Data"]}
    return driver


def release_layers(engine: ImageBackend, image: Image) -> list[str]:
    """After deleting ``image``: drop the layers no other image uses, top first."""
    in_use = _layers_in_use(engine)
    released = [c for c in reversed(fs.chain_ids(image.diff_ids)) if c not in in_use]
    _drop_layers(engine, released)
    return released


def drop_unused_layers(engine: ImageBackend) -> None:
    """After BuildKit's cache was pruned: drop the layers neither an image nor the cache
    keeps."""
    in_use = _layers_in_use(engine)
    rows = engine.store.query("SELECT chain_id FROM layers")
    _drop_layers(engine, [str(row[0]) for row in rows if str(row[0]) not in in_use])


def _layers_in_use(engine: ImageBackend) -> set[str]:
    in_use: set[str] = set()
    for other in engine.image_store.all():
        in_use.update(fs.chain_ids(other.diff_ids))
    # BuildKit's cache keeps what its steps made, whatever happens to the images, and the
    # layers below.
    cached = [str(row[0]) for row in engine.store.query("SELECT chain_id FROM build_cache")]
    parents = {
        str(r[0]): str(r[1]) for r in engine.store.query("SELECT chain_id, parent FROM layers")
    }
    for chain_id in cached:
        while chain_id and chain_id not in in_use:
            in_use.add(chain_id)
            chain_id = parents.get(chain_id, "")
    return in_use


def _drop_layers(engine: ImageBackend, chain_ids: list[str]) -> None:
    for chain_id in chain_ids:
        engine.store.execute("DELETE FROM layers WHERE chain_id = ?", chain_id)
    if chain_ids:
        engine.store.execute(
            "DELETE FROM blobs WHERE digest NOT IN (SELECT diff_id FROM layers)"
            " AND digest NOT IN (SELECT diff_id FROM registry_blobs)"
        )
