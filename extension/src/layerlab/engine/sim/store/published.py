"""Which container publishes each host port, kept in the state's meta table.

The containers' room writes it when a container's ports are bound, and forgets a container's
ports when it is removed (a stopped container still names the port: it is where its server
would answer, and nothing answers while it is stopped). The registry room reads it: a registry
named by an address of this machine (``localhost:5000``) is the one that container serves.
"""

from __future__ import annotations

from layerlab.engine.sim.store.database import Store

_PREFIX = "published:"


def record(store: Store, port: int, container_id: str) -> None:
    store.set_meta(f"{_PREFIX}{port}", container_id)


def forget_container(store: Store, container_id: str) -> None:
    store.execute("DELETE FROM meta WHERE key LIKE ? AND value = ?", f"{_PREFIX}%", container_id)


def holder(store: Store, port: int) -> str | None:
    """The ID of the container that last published ``port``, while it exists."""
    return store.get_meta(f"{_PREFIX}{port}")
