"""What BuildKit loads from the client: the Dockerfile, the ``.dockerignore`` and the files
the steps read, sent from the client's context folder (the session buildx serves, which keeps
what it sent before and sends only what changed), or a context uploaded whole as a tar
(measured on Engine 26.1 with buildx 0.13). Each load is a vertex of the solve status and
leaves its build-cache record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerlab.engine.sim.builder import cache_records
from layerlab.engine.sim.builder.context import BuildContext
from layerlab.engine.sim.builder.dockerfile import Instruction
from layerlab.engine.sim.builder.solve_status import Failed, Trace, Vertex
from layerlab.engine.sim.builder.transfer import included, signature, transfer_size
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend


@dataclass
class ContextLoader:
    """The client's side of one build: ``shared_key`` names its context folder (empty for
    none), ``upload`` is the tar of a context uploaded whole (None when it comes from a
    folder)."""

    engine: ContainerBackend
    context: BuildContext
    trace: Trace
    shared_key: str
    upload: bytes | None = None

    def definition(self, name: str) -> str:
        # buildx sends the Dockerfile's folder with that file alone in it: the Dockerfile goes
        # by its own name, and the transfer counts only it.
        shown = name.rsplit("/", 1)[-1]
        vertex = self.trace.start(f"[internal] load build definition from {shown}")
        outside = name.startswith("../")  # a missing Dockerfile beside the context, not in it
        found = name if not outside and self.context.read(name) is not None else ""
        if not found and name == "Dockerfile" and self.context.read("dockerfile") is not None:
            found = "dockerfile"
        alone = {"/" + shown: self.context.tree[fs.normpath(found)]} if found else {}
        self.trace.status(vertex, "transferring dockerfile:", transfer_size(alone, [*alone], {}))
        self.trace.complete(vertex)
        if not found:  # the folder came, without the file
            raise Failed(f"failed to solve: failed to read dockerfile: open {shown}: no such "
                         "file or directory")  # fmt: skip
        data = self.context.read(found) or b""
        cache_records.note_source(self.engine, self.shared_key, "dockerfile", len(data))
        return data.decode("utf-8", errors="replace")

    def upload_definition(self, name: str) -> str:
        """A context uploaded as a tar: BuildKit loads it, copies its files into a snapshot,
        and reads the Dockerfile there (measured on Engine 26.1: no transfer is shown, and
        both are CACHED while the build cache holds the same upload, even with
        ``--no-cache``)."""
        assert self.upload is not None  # only for an uploaded context
        digest = hashlib.sha256(self.upload).hexdigest()
        files = sum(entry.size for entry in self.context.tree.values() if not entry.is_dir)
        loads = (("[internal] load remote build context", "upload", len(self.upload)),
                 ("copy /context /", "upload-copy", files))  # fmt: skip
        for shown, key, size in loads:
            vertex = self.trace.start(shown)
            new = cache_records.note_upload(self.engine, f"{key}:{digest}", shown, size)
            self.trace.complete(vertex, cached=not new)
        data = self.context.read(name)
        if data is None and name == "Dockerfile":
            data = self.context.read("dockerfile")
        if data is None:
            raise Failed(
                f"failed to solve: failed to read dockerfile: open {name}: no such file or "
                "directory"
            )
        return data.decode("utf-8", errors="replace")

    def ignore_file(self) -> None:
        vertex = self.trace.start("[internal] load .dockerignore")
        data = self.context.read(".dockerignore")
        present = [".dockerignore"] if data is not None else []
        self._transfer(vertex, "transferring context:", present)
        cache_records.note_source(self.engine, self.shared_key, "dockerignore", len(data or b""))
        self.trace.complete(vertex)

    def _transfer(self, vertex: Vertex, what: str, names: list[str]) -> None:
        paths = ["/" + name for name in names]
        self.trace.status(vertex, what, transfer_size(self.context.tree, paths, {}))

    def files(self, steps: list[Instruction]) -> None:
        """The context's transfer: only what COPY and ADD read (with the folders on the way)."""
        vertex = self.trace.start("[internal] load build context")
        sources: list[str] = []
        for ins in steps:
            if ins.keyword in ("COPY", "ADD"):
                for word in ins.args[:-1]:
                    literal = "$" not in word and not any(c in word for c in "*?[")
                    sources.append(fs.normpath("/" + word.lstrip("/")) if literal else "/")
        paths = included(self.context.tree, sources)
        known = self._known()
        size = transfer_size(self.context.tree, paths, known)
        self.trace.status(vertex, "transferring context:", size)
        for path in paths:
            known[path] = signature(self.context.tree[path])
        self._keep(known)
        held = sum(self.context.tree[path].size for path in paths)
        cache_records.note_source(self.engine, self.shared_key, "context", held)
        self.trace.complete(vertex)

    def _known(self) -> dict[str, list[int | str]]:
        if not self.shared_key:
            return {}
        value = self.engine.store.get_meta(cache_records.CONTEXT_META + self.shared_key)
        return dict(json.loads(value)) if value else {}

    def _keep(self, known: dict[str, list[int | str]]) -> None:
        if self.shared_key:
            self.engine.store.set_meta(
                cache_records.CONTEXT_META + self.shared_key, json.dumps(known)
            )

    def snapshot_ref(self) -> str:
        """BuildKit's name for the context it received, as a COPY error shows it: a session's
        UUID and a snapshot ID."""
        digits = self.engine.ids.hex64()
        uuid = f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-b{digits[17:20]}-{digits[20:32]}"
        number, snapshot = int(digits[32:], 16), ""
        while len(snapshot) < 25:
            number, digit = divmod(number, 36)
            snapshot += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
        return f"{uuid}::{snapshot}"
