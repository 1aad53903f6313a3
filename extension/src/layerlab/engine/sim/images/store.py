"""Layers and images as the daemon's image store keeps them.

Layers are content-addressed: a layer is stored once per ChainID and its tar once per DiffID, so
images built from the same steps share them. An image is its config JSON; its ID is the sha256
of those exact bytes.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from layerlab.engine.errors import InvalidArgument, NotFound
from layerlab.engine.profiles import api_at_least
from layerlab.engine.reference import InvalidReference, Reference, parse_normalized
from layerlab.engine.sim.store import fs
from layerlab.engine.sim.store.database import Store

_TREE_CACHE_SIZE = 64
_trees: OrderedDict[str, fs.Tree] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Layer:
    chain_id: str
    diff_id: str
    parent: str
    size: int


class LayerStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, parent: str, tar: bytes, size: int | None = None) -> Layer:
        """Store a layer tar on top of ``parent`` (a ChainID, "" for a base layer)."""
        diff_id = fs.digest(tar)
        chain_id = diff_id if not parent else fs.digest(f"{parent} {diff_id}".encode())
        existing = self.get(chain_id)
        if existing is not None:
            return existing
        if size is None:
            size = fs.layer_size(fs.tar_to_changes(tar))
        self.store.execute("INSERT OR IGNORE INTO blobs(digest, data) VALUES (?, ?)", diff_id, tar)
        self.store.execute(
            "INSERT INTO layers(chain_id, diff_id, parent, size) VALUES (?, ?, ?, ?)",
            chain_id,
            diff_id,
            parent,
            size,
        )
        return Layer(chain_id, diff_id, parent, size)

    def add_changes(self, parent: str, changes: fs.Changes) -> Layer:
        return self.add(parent, fs.changes_to_tar(changes), fs.layer_size(changes))

    def get(self, chain_id: str) -> Layer | None:
        row = self.store.one(
            "SELECT chain_id, diff_id, parent, size FROM layers WHERE chain_id = ?", chain_id
        )
        return None if row is None else Layer(*row)

    def chain(self, chain_id: str) -> list[Layer]:
        """The layers from the base up to ``chain_id``."""
        layers: list[Layer] = []
        while chain_id:
            layer = self.get(chain_id)
            if layer is None:
                raise NotFound(f"layer does not exist: {chain_id}")
            layers.append(layer)
            chain_id = layer.parent
        return layers[::-1]

    def sizes(self) -> dict[str, int]:
        return dict(self.store.query("SELECT chain_id, size FROM layers"))

    def tar(self, diff_id: str) -> bytes:
        row = self.store.one("SELECT data FROM blobs WHERE digest = ?", diff_id)
        if row is None:
            raise NotFound(f"layer blob does not exist: {diff_id}")
        return bytes(row[0])

    def tree(self, chain_id: str) -> fs.Tree:
        """The union view of a chain. Cached: layers never change once stored. Callers that
        mutate the tree must copy it first."""
        if not chain_id:
            return {}
        cached = _trees.get(chain_id)
        if cached is not None:
            _trees.move_to_end(chain_id)
            return cached
        layer = self.get(chain_id)
        if layer is None:
            raise NotFound(f"layer does not exist: {chain_id}")
        tree = dict(self.tree(layer.parent))
        fs.apply_changes(tree, fs.tar_to_changes(self.tar(layer.diff_id)))
        _trees[chain_id] = tree
        if len(_trees) > _TREE_CACHE_SIZE:
            _trees.popitem(last=False)
        return tree

    def changes(self, chain_id: str) -> fs.Changes:
        layer = self.get(chain_id)
        if layer is None:
            raise NotFound(f"layer does not exist: {chain_id}")
        return fs.tar_to_changes(self.tar(layer.diff_id))


def missing_name(name: str, profile: str = "") -> str:
    """How the daemon names an image it cannot find: ``busybox`` becomes ``busybox:latest``."""
    if len(name) == 64 and all(c in "0123456789abcdef" for c in name):
        return "sha256:" + name
    try:
        return parse_normalized(name).with_default_tag().familiar()
    except InvalidReference as err:
        raise InvalidArgument(daemon_wording(err.message, profile)) from None


def daemon_wording(message: str, profile: str = "") -> str:
    """Engine 20.10 vendors an older reference library that does not name the repository;
    Engine 26.1's names it, as the CLI does (measured: ``docker rmi Busybox``)."""
    if api_at_least(profile, "1.45"):
        return message
    return re.sub(
        r"repository name \([^)]*\) must be lowercase", "repository name must be lowercase", message
    )


@dataclass(frozen=True, slots=True)
class Image:
    id: str
    raw: bytes
    parent: str
    created: float
    last_tag_time: str
    seq: int

    @property
    def config(self) -> dict[str, Any]:
        return json.loads(self.raw)  # type: ignore[no-any-return]

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config["rootfs"]["diff_ids"])

    @property
    def chain_id(self) -> str:
        ids = fs.chain_ids(self.diff_ids)
        return ids[-1] if ids else ""


class ImageStore:
    def __init__(self, store: Store, layers: LayerStore, profile: str = "") -> None:
        self.store = store
        self.layers = layers
        self.profile = profile  # the daemon's words for a malformed name depend on it

    # -- images ---------------------------------------------------------------------------------
    def put(self, raw: bytes, parent: str, created: float) -> str:
        image_id = fs.digest(raw)
        if self.get(image_id) is None:
            self.store.execute(
                "INSERT INTO images(id, config, parent, created, seq) VALUES (?, ?, ?, ?, ?)",
                image_id,
                raw,
                parent,
                created,
                self.store.next_seq("images"),
            )
        return image_id

    def get(self, image_id: str) -> Image | None:
        row = self.store.one(
            "SELECT id, config, parent, created, last_tag_time, seq FROM images WHERE id = ?",
            image_id,
        )
        return None if row is None else Image(row[0], bytes(row[1]), *row[2:])

    def require(self, image_id: str) -> Image:
        image = self.get(image_id)
        if image is None:
            raise NotFound(f"No such image: {image_id}")
        return image

    def all(self) -> list[Image]:
        rows = self.store.query(
            "SELECT id, config, parent, created, last_tag_time, seq FROM images ORDER BY seq"
        )
        return [Image(r[0], bytes(r[1]), *r[2:]) for r in rows]

    def children(self, image_id: str) -> list[str]:
        return [r[0] for r in self.store.query("SELECT id FROM images WHERE parent = ?", image_id)]

    def delete(self, image_id: str) -> None:
        self.store.execute("DELETE FROM images WHERE id = ?", image_id)
        self.store.execute("DELETE FROM refs WHERE image_id = ?", image_id)

    def size(self, image: Image) -> int:
        total = 0
        for chain_id in fs.chain_ids(image.diff_ids):
            layer = self.layers.get(chain_id)
            total += layer.size if layer else 0
        return total

    def tree(self, image: Image) -> fs.Tree:
        return self.layers.tree(image.chain_id)

    # -- references -----------------------------------------------------------------------------
    def refs_by_image(self) -> dict[tuple[str, str], list[str]]:
        """Every reference, grouped by (image ID, kind), each group sorted by name."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for ref, image_id, kind in self.store.query(
            "SELECT ref, image_id, kind FROM refs ORDER BY ref"
        ):
            grouped.setdefault((image_id, kind), []).append(ref)
        return grouped

    def refs(self, image_id: str, kind: str = "tag") -> list[str]:
        rows = self.store.query(
            "SELECT ref FROM refs WHERE image_id = ? AND kind = ? ORDER BY ref", image_id, kind
        )
        return [r[0] for r in rows]

    def set_ref(self, ref: Reference, image_id: str, when: str) -> None:
        kind = "digest" if ref.digest else "tag"
        self.store.execute(
            "INSERT OR REPLACE INTO refs(ref, image_id, kind, seq) VALUES (?, ?, ?, ?)",
            str(ref),
            image_id,
            kind,
            self.store.next_seq("refs"),
        )
        if kind == "tag":
            self.store.execute("UPDATE images SET last_tag_time = ? WHERE id = ?", when, image_id)

    def drop_ref(self, ref: str) -> None:
        self.store.execute("DELETE FROM refs WHERE ref = ?", ref)

    def lookup_ref(self, ref: str) -> str | None:
        row = self.store.one("SELECT image_id FROM refs WHERE ref = ?", ref)
        return None if row is None else str(row[0])

    def resolve(self, name: str) -> Image:
        """The daemon's image lookup: a reference (default tag latest), then an ID or ID prefix.
        A malformed reference is the caller's mistake (400), with the daemon's wording."""
        image = self.find(name)
        if image is None:
            raise NotFound(f"No such image: {missing_name(name, self.profile)}")
        return image

    def find(self, name: str) -> Image | None:
        try:
            ref = parse_normalized(name)
        except InvalidReference:
            ref = None
        if ref is not None:
            image_id = self.lookup_ref(str(ref.with_default_tag()))
            if image_id is not None:
                return self.get(image_id)
        candidate = name[len("sha256:") :] if name.startswith("sha256:") else name
        if ref is not None and (ref.tag or ref.digest) and not name.startswith("sha256:"):
            return None
        # An ID is 64 hex digits: a longer "prefix" names none (and SQLite refuses LIKE
        # patterns of 50,000 bytes).
        if (
            not candidate
            or len(candidate) > 64
            or any(c not in "0123456789abcdef" for c in candidate)
        ):
            return None
        rows = self.store.query(
            "SELECT id FROM images WHERE id LIKE ? LIMIT 2", f"sha256:{candidate}%"
        )
        if len(rows) == 1:
            return self.get(rows[0][0])
        return None

    def tagged_images(self) -> Iterable[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.store.query("SELECT ref, image_id FROM refs")]
