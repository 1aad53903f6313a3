"""BuildKit's cache of step results: each step's key (the step and everything it reads) names
the layer chain it made and when, in the ``build_cache`` table.

A step whose key is found is ``CACHED`` and its layer reused (if the layer is still there);
``--no-cache`` finds nothing. What ``system df`` and ``builder prune`` see of the cache is
:mod:`.cache_records`.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend


def cache_key(*parts: object) -> str:
    """A step's key: a digest of its parts (the parent's key, the instruction, its inputs)."""
    return "sha256:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class SolveCache:
    def __init__(self, engine: ContainerBackend, nocache: bool) -> None:
        self.engine = engine
        self.nocache = nocache

    def find(self, key: str) -> tuple[str, float] | None:
        """The layer chain a step with this key made, and when; None if it must run."""
        if self.nocache:
            return None
        row = self.engine.store.one("SELECT chain_id, created FROM build_cache WHERE key = ?", key)
        if row is None:
            return None
        chain_id = str(row[0])
        if chain_id and self.engine.layers.get(chain_id) is None:
            return None
        self.engine.store.execute(
            "UPDATE build_cache SET last_used = ? WHERE key = ?", self.engine.clock.now(), key
        )
        return chain_id, float(row[1])

    def remember(self, key: str, chain_id: str, description: str) -> float:
        """Keep what a step made under its key; returns the time it was made."""
        now = self.engine.clock.now()
        self.engine.store.execute(
            "INSERT OR REPLACE INTO build_cache(key, chain_id, description, created, last_used)"
            " VALUES (?, ?, ?, ?, ?)",
            key, chain_id, description, now, now,
        )  # fmt: skip
        return now
