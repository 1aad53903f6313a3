"""Registries for the simulated engine: the simulated Docker Hub and private registries; pull, push.

A registry is keyed by its domain (``docker.io``, ``localhost:5000``, any ``HOST[:PORT]``). The
simulator does not touch the network: every host name is accepted, and a private registry comes
into being the first time something is pushed to it (until then, pulls find nothing). Docker
Hub's official ``library/`` repositories come from the generated catalog in :mod:`hub`; what
users push (to ``docker.io/<user>/…`` or a private registry) lives in the state's
``registry_manifests`` and ``registry_blobs`` tables, the layer tars themselves in ``blobs``.

Messages follow what a Docker 20.10 daemon streams (recorded against a real daemon and a real
``registry:2``). Where the real order depends on timing (concurrent downloads and uploads), the
simulator uses one fixed order: layers bottom-up for pulls, top-down for pushes.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from . import fs, hub
from .config import parse_rfc3339
from .reference import DEFAULT_DOMAIN, Reference, parse_normalized

if TYPE_CHECKING:
    from .engine import SimEngine

Json = dict[str, Any]

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MAX_CONCURRENT_DOWNLOADS = 3  # the daemon's defaults: later layers report "Waiting"
MAX_CONCURRENT_UPLOADS = 5
# A real daemon's progress broadcaster usually swallows "Verifying Checksum" for a blob that
# arrives in one read; the simulator shows it for layers from this size up.
VERIFY_SHOWN_FROM = 64 * 1024
DENIED = "denied: requested access to the resource is denied"


# ---------------------------------------------------------------------------------------------
# compressed blobs


def gzip_stored(data: bytes) -> bytes:
    """``data`` as a gzip member made of *stored* deflate blocks, with a fixed header (no name,
    mtime 0, OS "unknown"). Byte-identical on every machine, whatever zlib it has, so blob
    digests (which `docker pull` shows) never change; any gzip reader accepts it."""
    out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
    chunk = 0xFFFF
    starts = range(0, len(data), chunk) if data else [0]
    for start in starts:
        block = data[start : start + chunk]
        final = 1 if start + chunk >= len(data) else 0
        out += bytes([final]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


@functools.lru_cache(maxsize=512)
def _compressed(diff_id: str, tar: bytes) -> tuple[str, int]:
    blob = gzip_stored(tar)
    return fs.digest(blob), len(blob)


def compressed_blob(tar: bytes) -> tuple[str, int]:
    """(digest, size) of the registry blob for an uncompressed layer tar."""
    return _compressed(fs.digest(tar), tar)


def manifest_for(config: bytes, tars: list[bytes]) -> bytes:
    """A schema 2 manifest, laid out as the daemon writes it (3-space indent, no newline)."""
    layers = []
    for tar in tars:
        digest, size = compressed_blob(tar)
        layers.append({"mediaType": LAYER_GZIP, "size": size, "digest": digest})
    doc = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG_V1, "size": len(config), "digest": fs.digest(config)},
        "layers": layers,
    }
    return json.dumps(doc, indent=3).encode()


def progress(status: str, layer_id: str, current: int, total: int) -> Json:
    """A progress message as the daemon formats it (a 50-column bar, go-units sizes)."""
    filled = min(50, int(current / total * 100) // 2) if total > 0 else 0
    bar = "[" + "=" * filled + ">" + " " * (50 - filled) + "] "
    counts = (
        f"{_human(current):>8}/{_human(total)}" if current <= total else f"{_human(current):>8}"
    )
    return {
        "status": status,
        "progressDetail": {"current": current, "total": total},
        "progress": bar + counts,
        "id": layer_id,
    }


def _human(size: float) -> str:
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000
        index += 1
    return f"{size:.4g}{units[index]}"


def _status(text: str, layer_id: str | None = None) -> Json:
    if layer_id is None:
        return {"status": text}
    return {"status": text, "progressDetail": {}, "id": layer_id}


def _error(message: str) -> Json:
    return {"errorDetail": {"message": message}, "error": message}


# ---------------------------------------------------------------------------------------------
# logins (Docker Hub only asks for one)


def _login_key(registry: str) -> str:
    return f"registry:login:{registry}"


def record_login(engine: SimEngine, registry: str | None, username: str) -> None:
    """Remember a successful `docker login` (call inside the engine's transaction)."""
    engine.store.set_meta(_login_key(_registry_domain(registry)), username)


def record_logout(engine: SimEngine, registry: str | None) -> None:
    engine.store.execute("DELETE FROM meta WHERE key = ?", _login_key(_registry_domain(registry)))


def logged_in_user(engine: SimEngine, registry: str) -> str | None:
    return engine.store.get_meta(_login_key(registry))


def _registry_domain(registry: str | None) -> str:
    if not registry:
        return DEFAULT_DOMAIN
    host = registry.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return DEFAULT_DOMAIN if host in ("index.docker.io", "registry-1.docker.io") else host


# ---------------------------------------------------------------------------------------------
# what the registries hold


@dataclass(frozen=True)
class RemoteLayer:
    digest: str  # compressed blob
    diff_id: str
    size: int  # the layer's size as `docker images` counts it
    tar: bytes | None  # None: read it from the state's blobs by DiffID


@dataclass(frozen=True)
class RemoteImage:
    digest: str  # manifest digest
    manifest: bytes
    config: bytes
    layers: list[RemoteLayer]

    @property
    def image_id(self) -> str:
        return fs.digest(self.config)


class Registries:
    """Read and write access to every simulated registry."""

    def __init__(self, engine: SimEngine) -> None:
        self.engine = engine
        self.store = engine.store

    def repository_exists(self, domain: str, path: str) -> bool:
        return bool(self.tags(domain, path))

    def tags(self, domain: str, path: str) -> list[str]:
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

    def put_blob(self, domain: str, digest: str, diff_id: str, size: int) -> None:
        self.store.execute(
            "INSERT OR IGNORE INTO registry_blobs(registry, digest, diff_id, size) VALUES (?, "
            "?, ?, ?)",
            domain,
            digest,
            diff_id,
            size,
        )

    def put_manifest(self, domain: str, path: str, tag: str, manifest: bytes, config: bytes) -> str:
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


# -- where the daemon has seen a layer (its "v2 metadata"): it decides Mounted/Already exists -----


def _sources(engine: SimEngine, diff_id: str) -> list[list[str]]:
    return engine.store.get_json(f"registry:source:{diff_id}") or []


def _remember_source(engine: SimEngine, diff_id: str, domain: str, path: str, digest: str) -> None:
    entries = [e for e in _sources(engine, diff_id) if e[:2] != [domain, path]]
    entries.append([domain, path, digest])
    engine.store.set_json(f"registry:source:{diff_id}", entries)


# ---------------------------------------------------------------------------------------------
# pull


def pull(engine: SimEngine, repository: str, tag: str | None, all_tags: bool) -> Iterator[Json]:
    ref = parse_normalized(repository)
    if tag:
        ref = replace(ref, tag=None, digest=tag) if tag.startswith("sha256:") else ref.with_tag(tag)
    registries = Registries(engine)
    if all_tags:
        name = ref.name_only()
        tags = registries.tags(name.domain, name.path)
        if not tags:
            raise NotFound(_missing_repository(name))
        updated = False
        for each in tags:
            image = registries.find(name.domain, name.path, each, None)
            assert image is not None
            updated |= yield from _pull_image(engine, name.with_tag(each), image, each)
        yield _status(_pull_status(updated, name.familiar_name))
        return
    ref = ref.docker_ref()
    image = registries.find(ref.domain, ref.path, ref.tag, ref.digest)
    if image is None:
        if not registries.repository_exists(ref.domain, ref.path) and ref.domain == DEFAULT_DOMAIN:
            raise NotFound(_missing_repository(ref))
        raise NotFound(
            f"manifest for {ref.familiar()} not found: manifest unknown: manifest unknown"
        )
    announce = ref.tag if ref.digest is None else ref.familiar()
    updated = yield from _pull_image(engine, ref, image, announce or "")
    yield _status(_pull_status(updated, ref.familiar()))


def _missing_repository(ref: Reference) -> str:
    if ref.domain == DEFAULT_DOMAIN:
        return (
            f"pull access denied for {ref.familiar_name}, repository does not exist or may "
            f"require 'docker login': {DENIED}"
        )
    return (
        f"repository {ref.familiar_name} not found: name unknown: repository name not known to "
        "registry"
    )


def _pull_status(updated: bool, name: str) -> str:
    return f"Status: {'Downloaded newer image' if updated else 'Image is up to date'} for {name}"


def _pull_image(
    engine: SimEngine, ref: Reference, image: RemoteImage, announce: str
) -> Iterator[Json]:
    """Messages for one manifest; returns whether a reference changed."""
    yield {"status": f"Pulling from {ref.path}", "id": announce}
    if engine.image_store.get(image.image_id) is None:
        yield from _download(engine, ref, image)
        created = parse_rfc3339(json.loads(image.config).get("created") or "0001-01-01T00:00:00Z")
        engine.image_store.put(image.config, "", created)
    yield _status(f"Digest: {image.digest}")
    return _set_references(engine, ref, image)


def _download(engine: SimEngine, ref: Reference, image: RemoteImage) -> Iterator[Json]:
    chain = fs.chain_ids(layer.diff_id for layer in image.layers)
    missing = [i for i, chain_id in enumerate(chain) if engine.layers.get(chain_id) is None]
    for i, layer in enumerate(image.layers):
        yield _status("Pulling fs layer" if i in missing else "Already exists", layer.digest[7:19])
    for i in missing[MAX_CONCURRENT_DOWNLOADS:]:
        yield _status("Waiting", image.layers[i].digest[7:19])
    tars = {i: _layer_tar(engine, image.layers[i]) for i in missing}
    for i in missing:
        layer = image.layers[i]
        size = compressed_blob(tars[i])[1]
        yield progress("Downloading", layer.digest[7:19], size, size)
        if layer.size >= VERIFY_SHOWN_FROM:
            yield _status("Verifying Checksum", layer.digest[7:19])
        yield _status("Download complete", layer.digest[7:19])
    for i in missing:
        layer = image.layers[i]
        size = compressed_blob(tars[i])[1]
        yield progress("Extracting", layer.digest[7:19], size, size)
        engine.layers.add(chain[i - 1] if i else "", tars[i], size=layer.size)
        yield _status("Pull complete", layer.digest[7:19])
    for layer in image.layers:
        _remember_source(engine, layer.diff_id, ref.domain, ref.path, layer.digest)


def _layer_tar(engine: SimEngine, layer: RemoteLayer) -> bytes:
    return layer.tar if layer.tar is not None else engine.layers.tar(layer.diff_id)


def _set_references(engine: SimEngine, ref: Reference, image: RemoteImage) -> bool:
    """Tag (and record the repo digest) like the daemon: a pull sets no LastTagTime."""
    images = engine.image_store
    current = images.get(image.image_id)
    assert current is not None
    keep_time = current.last_tag_time
    by_digest = Reference(ref.domain, ref.path, digest=image.digest)
    target = by_digest if ref.digest else ref
    updated = images.lookup_ref(str(target)) != image.image_id
    if updated:
        images.set_ref(target, image.image_id, keep_time)
    if images.lookup_ref(str(by_digest)) != image.image_id:
        images.set_ref(by_digest, image.image_id, keep_time)
    return updated


# ---------------------------------------------------------------------------------------------
# push


def push(engine: SimEngine, repository: str, tag: str | None) -> Iterator[Json]:
    ref = parse_normalized(repository)
    if tag:
        ref = ref.with_tag(tag)
    name = ref.name_only()
    yield _status(f"The push refers to repository [{name.name}]")
    local_tags = _local_tags(engine, name)
    if not local_tags:
        yield _error(f"An image does not exist locally with the tag: {name.familiar_name}")
        return
    if ref.tag is not None:
        wanted = str(ref)
        if wanted not in local_tags:
            yield _error(f"tag does not exist: {ref.familiar()}")
            return
        local_tags = [wanted]
    for tagged in local_tags:
        target = parse_normalized(tagged)
        ok = yield from _push_image(engine, target)
        if not ok:
            return


def _local_tags(engine: SimEngine, name: Reference) -> list[str]:
    return sorted(
        ref
        for ref, _ in engine.image_store.tagged_images()
        if "@" not in ref and parse_normalized(ref).name == name.name
    )


def _push_denied(engine: SimEngine, ref: Reference) -> bool:
    if ref.domain != DEFAULT_DOMAIN:
        return False
    user = logged_in_user(engine, DEFAULT_DOMAIN)
    return user is None or ref.path.split("/", 1)[0] != user


def _push_image(engine: SimEngine, ref: Reference) -> Iterator[Json]:
    """Messages for one tag; returns False when the push failed (the stream then ends)."""
    image_id = engine.image_store.lookup_ref(str(ref))
    image = engine.image_store.require(image_id or "")
    layers = engine.layers.chain(image.chain_id)[::-1]
    for layer in layers:
        yield _status("Preparing", layer.diff_id[7:19])
    for layer in layers[MAX_CONCURRENT_UPLOADS:]:
        yield _status("Waiting", layer.diff_id[7:19])
    if _push_denied(engine, ref):
        yield _error(DENIED)
        return False
    registries = Registries(engine)
    for layer in layers:
        tar = engine.layers.tar(layer.diff_id)
        digest, _ = compressed_blob(tar)
        short = layer.diff_id[7:19]
        sources = _sources(engine, layer.diff_id)
        here = [ref.domain, ref.path]
        if any(s[:2] == here for s in sources) and registries.repository_has_blob(
            ref.domain, ref.path, digest
        ):
            yield _status("Layer already exists", short)
        elif (mount := _mount_source(registries, ref, sources, digest)) is not None:
            yield _status(f"Mounted from {mount}", short)
        else:
            yield progress("Pushing", short, layer.size, layer.size)
            yield _status("Pushed", short)
        registries.put_blob(ref.domain, digest, layer.diff_id, layer.size)
        _remember_source(engine, layer.diff_id, ref.domain, ref.path, digest)
    tars = [engine.layers.tar(layer.diff_id) for layer in layers[::-1]]
    manifest = manifest_for(image.raw, tars)
    digest = registries.put_manifest(ref.domain, ref.path, ref.tag or "latest", manifest, image.raw)
    by_digest = Reference(ref.domain, ref.path, digest=digest)
    if engine.image_store.lookup_ref(str(by_digest)) != image.id:
        engine.image_store.set_ref(by_digest, image.id, image.last_tag_time)
    yield _status(f"{ref.tag}: digest: {digest} size: {len(manifest)}")
    yield {"progressDetail": {}, "aux": {"Tag": ref.tag, "Digest": digest, "Size": len(manifest)}}
    return True


def _mount_source(
    registries: Registries, ref: Reference, sources: list[list[str]], digest: str
) -> str | None:
    """The repository a cross-repository mount comes from: the daemon tries the repositories it
    saw the layer in, in the same registry, most similar name first, then most recent."""
    target = ref.path.split("/")
    candidates = [
        (index, s[1]) for index, s in enumerate(sources) if s[0] == ref.domain and s[1] != ref.path
    ]

    def likeness(path: str) -> int:
        common = 0
        for a, b in zip(path.split("/"), target, strict=False):
            if a != b:
                break
            common += 1
        return common

    candidates.sort(key=lambda c: (-likeness(c[1]), -c[0]))
    for _, path in candidates:
        if registries.repository_has_blob(ref.domain, path, digest):
            return path
    return None
