"""The simulator's state in SQLite: layers, images, references, containers and registries.

One engine call is one transaction (``BEGIN IMMEDIATE``), so two processes sharing a state take
turns, and anything reported done has been committed before it was reported. WAL mode keeps
readers from blocking the writer; ``synchronous=NORMAL`` is durable against a killed process,
which is the crash that matters here (a lost machine may drop the last commits).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- uncompressed layer tars, by DiffID; shared by every image and registry that has the layer
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
-- the layer chain: a layer is identified by its ChainID and points at its parent chain
CREATE TABLE IF NOT EXISTS layers (
    chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT NOT NULL, size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, config BLOB NOT NULL, parent TEXT NOT NULL, created REAL NOT NULL,
    last_tag_time TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS images_parent ON images(parent);
-- kind 'tag' (docker.io/library/busybox:latest) or 'digest' (docker.io/library/busybox@sha256:…)
CREATE TABLE IF NOT EXISTS refs (
    ref TEXT PRIMARY KEY, image_id TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_image ON refs(image_id);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,
    upper BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    container_id TEXT NOT NULL, seq INTEGER NOT NULL, stream INTEGER NOT NULL, at REAL NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (container_id, seq)
);
CREATE TABLE IF NOT EXISTS execs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
-- BuildKit's cache: a step's key (the step and all it reads) -> the layer chain it made.
CREATE TABLE IF NOT EXISTS build_cache (
    key TEXT PRIMARY KEY, chain_id TEXT NOT NULL, description TEXT NOT NULL,
    created REAL NOT NULL, last_used REAL NOT NULL
);
-- BuildKit's cache records, as `system df` and `builder prune` show them
-- (layerlab.engine.sim.builder.cache_records); size stays NULL until something asks for it.
CREATE TABLE IF NOT EXISTS build_records (
    id TEXT PRIMARY KEY, key TEXT UNIQUE NOT NULL, type TEXT NOT NULL, chain_id TEXT NOT NULL,
    description TEXT NOT NULL, content_size INTEGER NOT NULL, size INTEGER,
    created REAL NOT NULL, last_used REAL NOT NULL, usage INTEGER NOT NULL
);
-- registries: compressed blobs point at the uncompressed tar in `blobs`
CREATE TABLE IF NOT EXISTS registry_blobs (
    registry TEXT NOT NULL, digest TEXT NOT NULL, diff_id TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (registry, digest)
);
CREATE TABLE IF NOT EXISTS registry_manifests (
    registry TEXT NOT NULL, repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,
    manifest BLOB NOT NULL, config BLOB NOT NULL, PRIMARY KEY (registry, repo, tag)
);
"""


@contextmanager
def _opening(path: Path) -> Iterator[None]:
    """Hold the state's opening lock (a file beside it) while a connection is set up."""
    fd = os.open(f"{path}.open-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Store:
    """A connection to one state file. Use :meth:`transaction` for every read and write."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        # One opener at a time: switching a new file to WAL fails at once with "database is
        # locked" when another connection switches it too (SQLite's busy timeout does not
        # wait there), so first commands started together on a fresh state would fail.
        with _opening(self.path):
            self._conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.executescript(SCHEMA)
            with self.transaction():
                if self.get_meta("schema") is None:
                    self.set_meta("schema", str(SCHEMA_VERSION))

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    # -- small helpers ------------------------------------------------------------------------
    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, args).fetchall()

    def one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
        return row

    def execute(self, sql: str, *args: Any) -> None:
        self._conn.execute(sql, args)

    def get_meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", key)
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", key, value)

    def next_seq(self, name: str) -> int:
        """A per-state counter: creation order of images, refs and containers."""
        value = int(self.get_meta(f"seq:{name}") or "0") + 1
        self.set_meta(f"seq:{name}", str(value))
        return value

    def get_json(self, key: str) -> Any:
        raw = self.get_meta(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        self.set_meta(key, json.dumps(value, sort_keys=True))

    def wipe(self) -> None:
        """Forget everything (a reset); the schema stays."""
        with self.transaction():
            for table in [
                "blobs",
                "layers",
                "images",
                "refs",
                "containers",
                "logs",
                "execs",
                "build_cache",
                "build_records",
                "registry_blobs",
                "registry_manifests",
            ]:
                self.execute(f"DELETE FROM {table}")
            self.execute("DELETE FROM meta WHERE key != 'schema'")
