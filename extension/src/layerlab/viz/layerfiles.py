"""What each layer of an image adds, changes and deletes, read from ``docker save``.

The Engine API has no call for one layer's files, but ``get_image`` returns the image as a
docker-archive: ``manifest.json`` lists the layer tars base first (the order of
``RootFS.Layers``). A path is *added* when no lower layer has it, *changed* when one does,
and *deleted* by a whiteout entry (``.wh.NAME``; ``.wh..wh..opq`` empties a directory).
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.api import Engine

ChangeKind = Literal["added", "changed", "deleted"]
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class FileChange:
    path: str  # absolute, as seen inside the container
    kind: ChangeKind
    type: str  # file, dir, symlink, hardlink, other
    size: int
    target: str = ""  # where a link points

    @property
    def letter(self) -> str:
        """The letter ``docker diff`` would use."""
        return {"added": "A", "changed": "C", "deleted": "D"}[self.kind]


@dataclass(frozen=True)
class LayerFiles:
    diff_id: str
    member: str  # the layer tar's name inside the archive
    changes: tuple[FileChange, ...]


def _type(member: tarfile.TarInfo) -> str:
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    return "file" if member.isfile() else "other"


def _absolute(name: str) -> str:
    path = posixpath.normpath("/" + name.removeprefix("./"))
    return "/" + path.lstrip("/")


class ImageFiles:
    """The layers of one saved image, with each layer's file changes and file contents."""

    def __init__(self, archive: bytes, image_id: str | None = None) -> None:
        self._archive = tarfile.open(fileobj=io.BytesIO(archive))  # noqa: SIM115 (kept open)
        manifest = json.load(self._archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        entry = manifest[0]
        if image_id is not None:
            wanted = image_id.removeprefix("sha256:") + ".json"
            entry = next((m for m in manifest if m["Config"] == wanted), entry)
        config = json.load(self._archive.extractfile(entry["Config"]))  # type: ignore[arg-type]
        diff_ids = config.get("rootfs", {}).get("diff_ids") or []
        self.history: list[dict[str, object]] = config.get("history") or []
        self.layers: list[LayerFiles] = []
        below: set[str] = set()
        for member, diff_id in zip(entry["Layers"], diff_ids, strict=False):
            changes, present, gone = self._read_layer(member, below)
            self.layers.append(LayerFiles(diff_id, member, tuple(changes)))
            below = {p for p in below if not any(p == g or p.startswith(g + "/") for g in gone)}
            below |= present

    def _layer_tar(self, member: str) -> tarfile.TarFile:
        data = self._archive.extractfile(member)
        if data is None:
            raise KeyError(member)
        return tarfile.open(fileobj=io.BytesIO(data.read()))

    def _read_layer(
        self, member: str, below: set[str]
    ) -> tuple[list[FileChange], set[str], set[str]]:
        changes: list[FileChange] = []
        present: set[str] = set()
        gone: set[str] = set()
        with self._layer_tar(member) as layer:
            for item in layer.getmembers():
                path = _absolute(item.name)
                base = posixpath.basename(path)
                parent = posixpath.dirname(path)
                if base == OPAQUE:
                    gone.update(p for p in below if p.startswith(parent.rstrip("/") + "/"))
                    continue
                if base.startswith(WHITEOUT):
                    target = posixpath.join(parent, base[len(WHITEOUT) :])
                    gone.add(target)
                    changes.append(FileChange(target, "deleted", "whiteout", 0))
                    continue
                present.add(path)
                if item.isdir() and path in below:
                    continue  # listed only because something inside it changed
                kind: ChangeKind = "changed" if path in below else "added"
                changes.append(FileChange(path, kind, _type(item), item.size, item.linkname or ""))
        return sorted(changes, key=lambda c: c.path), present, gone

    def read(self, layer_index: int, path: str) -> bytes | None:
        """A file's content as that layer stores it (None for directories and whiteouts)."""
        with self._layer_tar(self.layers[layer_index].member) as layer:
            for item in layer.getmembers():
                if _absolute(item.name) == path and (item.isfile() or item.islnk()):
                    data = layer.extractfile(item)
                    return data.read() if data else None
        return None

    def contents(self, layer_index: int) -> dict[str, bytes | None]:
        """Every path the layer holds, with file contents (None for anything else)."""
        result: dict[str, bytes | None] = {}
        with self._layer_tar(self.layers[layer_index].member) as layer:
            for item in layer.getmembers():
                data = layer.extractfile(item) if item.isfile() or item.islnk() else None
                result[_absolute(item.name)] = data.read() if data else None
        return result


def image_files(engine: Engine, image_id: str) -> ImageFiles:
    return ImageFiles(engine.get_image([image_id]), image_id)


def preview(data: bytes | None, limit: int = 4000) -> str:
    """File content for display: text as is (clipped), binaries summarised."""
    if data is None:
        return tr("(no content: a directory or a deleted entry)")
    if b"\0" in data[:1024]:
        return tr("(binary file, {size} bytes)", size=len(data))
    text = data[:limit].decode("utf-8", errors="replace")
    more = tr("… ({size} more bytes)", size=len(data) - limit)
    return text + (f"\n{more}" if len(data) > limit else "")
