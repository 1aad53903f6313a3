"""BuildKit's solve status: what the daemon streams while BuildKit builds, for the client to show.

A build is a graph of *vertices* (load the Dockerfile, each base image, the context, one per
step that makes a layer, the export). Each vertex starts and completes (or comes from the cache,
or fails), may carry *statuses* (a transfer and its size, "writing image sha256:… done") and
*logs* (what a RUN printed, with its stream). Engine 26.1 sends these as
``{"id": "moby.buildkit.trace", "aux": <SolveStatus>}`` messages (protobuf there, its JSON form
here) and the image ID last as ``{"id": "moby.image.id", "aux": {"ID": …}}``; buildx renders
them (:mod:`layerlab.cli.buildkit_progress`). Times are the engine clock's seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from layerlab.engine.api import IMAGE_ID, TRACE_ID
from layerlab.engine.errors import EngineError

Json = dict[str, Any]


@dataclass
class Vertex:
    digest: str
    name: str
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    error: str = ""


@dataclass
class VertexStatus:
    id: str  # what is shown, e.g. "transferring context:" or "naming to docker.io/library/app"
    vertex: str
    current: int = 0
    total: int = 0
    started: float | None = None
    completed: float | None = None
    timestamp: float = 0.0


@dataclass
class VertexLog:
    vertex: str
    stream: int
    data: str
    timestamp: float


@dataclass
class VertexWarning:
    vertex: str
    short: str


@dataclass
class Trace:
    """A build's solve status as messages, one per update, as the daemon sends them."""

    now: Callable[[], float]
    messages: list[Json] = field(default_factory=list)
    _count: int = 0

    def start(self, name: str, identity: object = None) -> Vertex:
        """A vertex named ``name`` starts now; ``identity`` is what its digest is made of."""
        self._count += 1
        source = json.dumps([name, identity, self._count], default=str, sort_keys=True)
        digest = "sha256:" + hashlib.sha256(source.encode()).hexdigest()
        vertex = Vertex(digest, name, started=self.now())
        self._send(vertexes=[vertex])
        return vertex

    def status(
        self, vertex: Vertex, name: str, current: int = 0, took: float = 0.0, total: int = 0
    ) -> None:
        """A status of ``vertex`` that started ``took`` seconds ago and is done now (``current``
        of ``total`` bytes, for a transfer of known size)."""
        now = self.now()
        status = VertexStatus(name, vertex.digest, current, total, now - took, now, now)
        self._send(statuses=[status])

    def warn(self, vertex: Vertex, text: str) -> None:
        """A warning on ``vertex`` (buildx prints ``#N WARN: text``)."""
        self._send(warnings=[VertexWarning(vertex.digest, text)])

    def log(self, vertex: Vertex, stream: int, data: str, at: float) -> None:
        self._send(logs=[VertexLog(vertex.digest, stream, data, at)])

    def complete(self, vertex: Vertex, cached: bool = False, error: str = "") -> None:
        vertex.completed = self.now()
        vertex.cached = cached
        vertex.error = error
        self._send(vertexes=[vertex])

    def image(self, image_id: str) -> None:
        self.messages.append({"id": IMAGE_ID, "aux": {"ID": image_id}})

    def _send(
        self,
        vertexes: list[Vertex] | None = None,
        statuses: list[VertexStatus] | None = None,
        logs: list[VertexLog] | None = None,
        warnings: list[VertexWarning] | None = None,
    ) -> None:
        aux = {
            "vertexes": [asdict(v) for v in vertexes or []],
            "statuses": [asdict(s) for s in statuses or []],
            "logs": [asdict(entry) for entry in logs or []],
            "warnings": [asdict(w) for w in warnings or []],
        }
        self.messages.append({"id": TRACE_ID, "aux": aux})


class Failed(EngineError):
    """The build failed: the client's last line, and the Dockerfile lines to show, if any."""

    def __init__(self, message: str, lines: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.lines = lines
