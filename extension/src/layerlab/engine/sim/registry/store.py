"""What the simulated registries hold, who is logged in, and where the daemon saw each layer.

:class:`Registries` reads and writes every registry: Docker Hub's official ``library/``
repositories come from :mod:`hub`, everything pushed lives in the state's
``registry_manifests``/``registry_blobs`` tables. Logins and the daemon's "v2 metadata"
(which repositories a layer was seen in, deciding "Mounted from" and "Layer already exists")
are kept in the state's meta table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerlab.engine.reference import DEFAULT_DOMAIN
from layerlab.engine.sim.registry.formats import compressed_blob, manifest_for
from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.registry.served import ServedRegistry, Unreachable, machine_host
from layerlab.engine.sim.store import fs, published
from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend


def _login_key(registry: str) -> str:
    return f"registry:login:{registry}"


def record_login(engine: ImageBackend, registry: str | None, username: str) -> None:
    """Remember a successful `docker login` (call inside the engine's transaction)."""
    engine.store.set_meta(_login_key(_registry_domain(registry)), username)


def record_logout(engine: ImageBackend, registry: str | None) -> None:
    engine.store.execute("DELETE FROM meta WHERE key = ?", _login_key(_registry_domain(registry)))


def logged_in_user(engine: ImageBackend, registry: str) -> str | None:
    return engine.store.get_meta(_login_key(registry))


def _registry_domain(registry: str | None) -> str:
    if not registry:
        return DEFAULT_DOMAIN
    host = registry.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return DEFAULT_DOMAIN if host in ("index.docker.io", "registry-1.docker.io") else host


@dataclass(frozen=True)
class RemoteLayer:
    digest: str  # compressed blob
    diff_id: str
    size: int  # the layer's size as `docker images` counts it (-1: its tar's own size)
    tar: bytes | None  # None: fetched (``fetch``), or read from the state's blobs by DiffID
    fetch: Callable[[], bytes] | None = None  # a registry served on this machine: its blob

    def contents(self, local: Callable[[str], bytes]) -> bytes:
        """The layer's tar (``local``: the engine's layer store, by DiffID)."""
        if self.tar is not None:
            return self.tar
        return self.fetch() if self.fetch is not None else local(self.diff_id)

    def counted_size(self, tar: bytes) -> int:
        return self.size if self.size >= 0 else len(tar)


@dataclass(frozen=True)
class RemoteImage:
    digest: str  # manifest digest
    manifest: bytes
    config: bytes
    layers: list[RemoteLayer]

    @property
    def image_id(self) -> str:
        return fs.digest(self.config)


def simulated_on_loopback(domain: str) -> bool:
    """Whether ``LAYERLAB_SIMULATED_REGISTRIES`` (addresses, comma-separated) names ``domain``:
    then, while no container publishes its port, it is a simulated registry, as a remote one
    is. The test suite names ``localhost:5000``: its scenarios were recorded on a machine whose
    own registry listens there beside the engine, which the simulated one stands for."""
    return domain in os.environ.get("LAYERLAB_SIMULATED_REGISTRIES", "").split(",")


class Registries:
    """Read and write access to every registry: the simulated ones, and one a container serves
    on this machine (:mod:`.served`), where a name's address is that container's port."""

    def __init__(self, engine: ImageBackend) -> None:
        self.engine = engine
        self.store = engine.store

    def served(self, domain: str) -> ServedRegistry | None:
        """The registry at an address of this machine (``localhost:PORT``): whatever listens
        on that port, a registry container that publishes it or any other registry program;
        where nothing does, the connection is refused, as the daemon's is. Other addresses are
        simulated registries, as remote ones (see :func:`simulated_on_loopback` for the one
        exception)."""
        host, _, port = domain.rpartition(":")
        if not machine_host(host) or not port.isdigit():
            return None
        holder = published.holder(self.store, int(port))
        if simulated_on_loopback(domain) and not holder:
            return None
        address = f"127.0.0.1:{port}" if host == "localhost" else domain
        return ServedRegistry(domain, address, f"127.0.0.1:{port}" if holder else "")

    def repository_exists(self, domain: str, path: str) -> bool:
        return bool(self.tags(domain, path))

    def tags(self, domain: str, path: str) -> list[str]:
        if (served := self.served(domain)) is not None:
            return served.tags(path)
        if domain == DEFAULT_DOMAIN and hub.is_official(path):
            return hub.tags(path)
        rows = self.store.query(
            "SELECT tag FROM registry_manifests WHERE registry = ? AND repo = ? ORDER BY tag",
            domain,
            path,
        )
        return [r[0] for r in rows]

    def find(
        self, domain: str, path: str, tag: str | None, digest: str | None
    ) -> RemoteImage | None:
        if (served := self.served(domain)) is not None:
            return self._find_served(served, path, digest or tag or "latest")
        if domain == DEFAULT_DOMAIN and hub.is_official(path):
            for name in [tag] if tag else hub.tags(path):
                image = self._official(path, name or "")
                if image is not None and (digest is None or image.digest == digest):
                    return image
            return None
        if digest is not None:
            row = self.store.one(
                "SELECT digest, manifest, config FROM registry_manifests"
                " WHERE registry = ? AND repo = ? AND digest = ? LIMIT 1",
                domain,
                path,
                digest,
            )
        else:
            row = self.store.one(
                "SELECT digest, manifest, config FROM registry_manifests"
                " WHERE registry = ? AND repo = ? AND tag = ?",
                domain,
                path,
                tag,
            )
        if row is None:
            return None
        manifest, config = bytes(row[1]), bytes(row[2])
        diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        layers = []
        for descriptor, diff_id in zip(json.loads(manifest)["layers"], diff_ids, strict=True):
            size_row = self.store.one(
                "SELECT size FROM registry_blobs WHERE registry = ? AND digest = ?",
                domain,
                descriptor["digest"],
            )
            layers.append(
                RemoteLayer(descriptor["digest"], diff_id, size_row[0] if size_row else 0, None)
            )
        return RemoteImage(str(row[0]), manifest, config, layers)

    def _find_served(self, served: ServedRegistry, path: str, reference: str) -> RemoteImage | None:
        found = served.manifest(path, reference)
        if found is None:
            return None
        digest, manifest = found
        try:
            document = json.loads(manifest)
            config = served.blob(path, document["config"]["digest"])
            diff_ids = json.loads(config)["rootfs"]["diff_ids"]
        except (ValueError, KeyError, TypeError):  # a manifest list, an OCI index, …
            raise Unreachable(
                tr(
                    "LayerLab: {image} is not an image manifest the simulator can pull (schema "
                    "2, one platform)",
                    image=f"{served.domain}/{path}:{reference}",
                )
            ) from None
        layers = [
            RemoteLayer(
                descriptor["digest"],
                diff_id,
                declared_size(self.engine, diff_id),
                None,
                served.layer_fetcher(path, descriptor["digest"]),
            )
            for descriptor, diff_id in zip(document["layers"], diff_ids, strict=True)
        ]
        return RemoteImage(digest, manifest, config, layers)

    def _official(self, path: str, tag: str) -> RemoteImage | None:
        image = hub.image(path, tag)
        if image is None:
            return None
        tars = [layer.tar for layer in image.layers]
        manifest = manifest_for(image.config, tars)
        diff_ids = [fs.digest(tar) for tar in tars]
        layers = [
            RemoteLayer(compressed_blob(layer.tar)[0], diff_id, layer.size, layer.tar)
            for layer, diff_id in zip(image.layers, diff_ids, strict=True)
        ]
        return RemoteImage(fs.digest(manifest), manifest, image.config, layers)

    def repository_has_blob(self, domain: str, path: str, digest: str) -> bool:
        if (served := self.served(domain)) is not None:
            return served.has_blob(path, digest)
        if domain == DEFAULT_DOMAIN and hub.is_official(path):
            return any(
                layer.digest == digest
                for tag in hub.tags(path)
                for layer in (self._official(path, tag) or _NO_IMAGE).layers
            )
        for (manifest,) in self.store.query(
            "SELECT manifest FROM registry_manifests WHERE registry = ? AND repo = ?", domain, path
        ):
            if any(d["digest"] == digest for d in json.loads(manifest)["layers"]):
                return True
        return False

    def put_blob(
        self,
        domain: str,
        path: str,
        tar: bytes,
        diff_id: str,
        size: int,
        upload: bool,
        mounted_from: str | None,
    ) -> None:
        """Store a pushed layer (``upload``: the registry lacks it; ``mounted_from``: the
        repository it is mounted from instead)."""
        remember_declared_size(self.engine, diff_id, size)
        if (served := self.served(domain)) is not None:
            if upload:
                served.push_layer(path, tar, mounted_from)
            return
        digest, _ = compressed_blob(tar)
        self.store.execute(
            "INSERT OR IGNORE INTO registry_blobs(registry, digest, diff_id, size) VALUES (?, "
            "?, ?, ?)",
            domain,
            digest,
            diff_id,
            size,
        )

    def put_manifest(self, domain: str, path: str, tag: str, manifest: bytes, config: bytes) -> str:
        if (served := self.served(domain)) is not None:
            return served.put_manifest(path, tag, manifest, config)
        digest = fs.digest(manifest)
        self.store.execute(
            "INSERT OR REPLACE INTO registry_manifests(registry, repo, tag, digest, manifest, "
            "config)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            domain,
            path,
            tag,
            digest,
            manifest,
            config,
        )
        return digest


_NO_IMAGE = RemoteImage("", b"", b"", [])


# -- a layer's size as `docker images` counts it: the simulated Hub's layers declare the real
# images' sizes, which a blob pushed to a registry over HTTP cannot carry back ------------------


def remember_declared_size(engine: ImageBackend, diff_id: str, size: int) -> None:
    engine.store.set_meta(f"registry:size:{diff_id}", str(size))


def declared_size(engine: ImageBackend, diff_id: str) -> int:
    """The size a pushed layer declared (-1: none known; the tar's own size then counts)."""
    value = engine.store.get_meta(f"registry:size:{diff_id}")
    return int(value) if value is not None else -1


# -- where the daemon has seen a layer (its "v2 metadata"): it decides Mounted/Already exists -----


def layer_sources(engine: ImageBackend, diff_id: str) -> list[list[str]]:
    return engine.store.get_json(f"registry:source:{diff_id}") or []


def remember_layer_source(
    engine: ImageBackend, diff_id: str, domain: str, path: str, digest: str
) -> None:
    entries = [e for e in layer_sources(engine, diff_id) if e[:2] != [domain, path]]
    entries.append([domain, path, digest])
    engine.store.set_json(f"registry:source:{diff_id}", entries)
