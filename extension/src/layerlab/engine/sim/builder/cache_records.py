"""BuildKit's cache records: what ``docker system df`` counts as Build Cache and ``docker builder
prune`` removes (Engine 26.1's daemon answers both from BuildKit's cache manager).

Measured on Engine 26.1 with buildx 0.13, a build leaves these records:

- one ``source.local`` record per thing the client sends from a context folder: the
  Dockerfile, the ``.dockerignore`` and (when a step reads it) the context. The next build from
  the same folder reuses them. Their size is worked out the first time something asks for it
  (``system df``, a prune) and then kept, even after the files sent change;
- one ``regular`` record of 0 B per layer of a base image;
- one ``regular`` record per layer a step made (RUN, COPY, ADD, WORKDIR), of the layer's size.

A ``regular`` record is *shared* while an image stands on its layer: ``system df`` counts only
unshared records' sizes, and ``builder prune`` keeps shared records unless ``--all``.

A record's usage count (``system df -v``'s USAGE) and last use go up once per build that
touches it. A ``source.local`` record is touched by each build that sends it; a ``regular``
record when it is made, when a step runs on top of its layer, and when it is the build's result;
a step found in the cache touches nothing (measured: after three builds of ``FROM busybox``,
``COPY``, ``RUN``, the base's record and the COPY's were used once and the RUN's three times; a
fourth build that ran a new RUN on the base used the base's again). A failed step leaves no
record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.sim.images.config import rfc3339
from layerlab.engine.sim.images.layer_use import drop_unused_layers
from layerlab.engine.sim.store import fs
from layerlab.i18n import N_, tr

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]
# What the daemon holds of a context folder's files (their signatures), so that the next build
# from it sends only what changed (layerlab.engine.sim.builder.transfer).
CONTEXT_META = "buildkit-context:"
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Record:
    id: str
    key: str
    type: str  # "regular" or "source.local"
    chain_id: str  # the layer chain of a regular record
    description: str
    size: int
    created: float
    last_used: float
    usage: int


def note_source(engine: ContainerBackend, folder: str, what: str, size: int) -> None:
    """A transfer from the client's context ``folder``: ``what`` is "dockerfile",
    "dockerignore" or "context"; ``size`` is the bytes of the files it holds now."""
    description = f"local source for {what}"
    _note(engine, f"local:{folder}:{what}", "source.local", "", description, size)


def note_base_layer(engine: ContainerBackend, chain_id: str) -> bool:
    """A base image's layer, as BuildKit snapshots it; True if its record is new."""
    return _add(engine, f"layer:{chain_id}", "regular", chain_id, "pulled from image", 0)


def note_step(engine: ContainerBackend, key: str, chain_id: str, description: str) -> bool:
    """A step's layer, made now or found in the cache; True if its record is new."""
    layer = engine.layers.get(chain_id)
    size = layer.size if layer is not None else 0
    return _add(engine, f"step:{key}", "regular", chain_id, description, size)


def note_upload(engine: ContainerBackend, key: str, description: str, size: int) -> bool:
    """What BuildKit keeps of a context uploaded as a tar (the tar; the copy of its files the
    build reads): a ``regular`` record on no layer. True if it is new; False when the same
    upload is still in the cache, which the build shows as CACHED. (Engine 26.1 also keeps
    one more record of the tar per upload; those are not counted here.)"""
    if _add(engine, key, "regular", "", description, size):
        return True
    engine.store.execute(
        "UPDATE build_records SET last_used = ?, usage = usage + 1 WHERE key = ?",
        engine.clock.now(), key,
    )  # fmt: skip
    return False


def note_use(engine: ContainerBackend, chain_ids: set[str]) -> None:
    """One more use of the ``regular`` records of these layers, by the build that just ended."""
    now = engine.clock.now()
    for chain_id in sorted(chain_ids):
        engine.store.execute(
            "UPDATE build_records SET last_used = ?, usage = usage + 1"
            " WHERE type = 'regular' AND chain_id = ?",
            now, chain_id,
        )  # fmt: skip


def _note(
    engine: ContainerBackend, key: str, kind: str, chain_id: str, description: str, size: int
) -> None:
    """A record sent or made by this build: a new one, or one more use of it."""
    if _add(engine, key, kind, chain_id, description, size):
        return
    # Used again: the size first worked out is kept, whatever the files are now.
    engine.store.execute(
        "UPDATE build_records SET last_used = ?, usage = usage + 1, content_size = ?"
        " WHERE key = ?",
        engine.clock.now(), size, key,
    )  # fmt: skip


def _add(
    engine: ContainerBackend, key: str, kind: str, chain_id: str, description: str, size: int
) -> bool:
    """The record under ``key``, made now with one use if there is none; True if made."""
    now = engine.clock.now()
    store = engine.store
    if store.one("SELECT id FROM build_records WHERE key = ?", key) is not None:
        return False
    store.execute(
        "INSERT INTO build_records(id, key, type, chain_id, description, content_size, size,"
        " created, last_used, usage) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, 1)",
        _new_id(engine), key, kind, chain_id, description, size, now, now,
    )  # fmt: skip
    return True


def _new_id(engine: ContainerBackend) -> str:
    """25 characters of ``[0-9a-z]``, as BuildKit names its records."""
    number = int(engine.ids.hex64(), 16)
    digits = []
    for _ in range(25):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def records(engine: ContainerBackend) -> list[Record]:
    """Every record, its size worked out now where nothing asked before."""
    store = engine.store
    store.execute("UPDATE build_records SET size = content_size WHERE size IS NULL")
    rows = store.query(
        "SELECT id, key, type, chain_id, description, size, created, last_used, usage"
        " FROM build_records ORDER BY created, rowid"
    )
    return [Record(*row) for row in rows]


def _image_chains(engine: ContainerBackend) -> set[str]:
    chains: set[str] = set()
    for image in engine.image_store.all():
        chains.update(fs.chain_ids(image.diff_ids))
    return chains


def usage(engine: ContainerBackend) -> list[Json]:
    """The records as ``GET /system/df`` lists them (``BuildCache``)."""
    shared = _image_chains(engine)
    return [
        {
            "ID": record.id,
            "Parents": None,
            "Type": record.type,
            "Description": record.description,
            "InUse": False,
            "Shared": record.type == "regular" and record.chain_id in shared,
            "Size": record.size,
            "CreatedAt": rfc3339(record.created),
            "LastUsedAt": rfc3339(record.last_used),
            "UsageCount": record.usage,
        }
        for record in records(engine)
    ]


def prune(engine: ContainerBackend, every: bool, filters: Json) -> Json:
    """``POST /build/prune``: the unshared records, or with ``every`` all of them. The solver
    forgets the steps whose records went, and layers that nothing else keeps are dropped."""
    shared = set() if every else _image_chains(engine)
    gone = [
        record
        for record in records(engine)
        if not (record.type == "regular" and record.chain_id in shared)
    ]
    if gone and filters:
        raise InvalidArgument(
            tr(
                N_(
                    "LayerLab cannot filter BuildKit's cache records yet: prune them without "
                    "--filter"
                )
            )
        )
    store = engine.store
    for record in gone:
        store.execute("DELETE FROM build_records WHERE id = ?", record.id)
        folder = record.key.removeprefix("local:").removesuffix(":context")
        if record.key == f"local:{folder}:context":  # the next build sends every file again
            store.execute("DELETE FROM meta WHERE key = ?", CONTEXT_META + folder)
    kept = {str(row[0]) for row in store.query("SELECT key FROM build_records")}
    for row in store.query("SELECT key, chain_id FROM build_cache"):
        key, chain_id = str(row[0]), str(row[1])
        if f"step:{key}" not in kept and f"layer:{chain_id}" not in kept:
            store.execute("DELETE FROM build_cache WHERE key = ?", key)
    drop_unused_layers(engine)
    return {
        "CachesDeleted": [record.id for record in gone] or None,
        "SpaceReclaimed": sum(record.size for record in gone),
    }
