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

Wire formats are in :mod:`registry_formats`, registry contents, logins and layer sources in
:mod:`registry_store`; this module streams ``pull`` and ``push``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from layerlab.engine.errors import NotFound
from layerlab.engine.reference import DEFAULT_DOMAIN, Reference, parse_normalized
from layerlab.engine.sim.images.config import parse_rfc3339
from layerlab.engine.sim.images.progress import error_message, progress, status_message
from layerlab.engine.sim.registry.formats import Json, compressed_blob, gzip_stored, manifest_for
from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.registry.hub.official import stand_in_notice
from layerlab.engine.sim.registry.served import Unreachable
from layerlab.engine.sim.registry.store import (
    Registries,
    RemoteImage,
    RemoteLayer,
    layer_sources,
    logged_in_user,
    record_login,
    record_logout,
    remember_layer_source,
)
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend

__all__ = [
    "Registries",
    "RemoteImage",
    "RemoteLayer",
    "compressed_blob",
    "gzip_stored",
    "logged_in_user",
    "manifest_for",
    "progress",
    "pull",
    "push",
    "record_login",
    "record_logout",
]

MAX_CONCURRENT_DOWNLOADS = 3  # the daemon's defaults: later layers report "Waiting"
MAX_CONCURRENT_UPLOADS = 5
# A real daemon's progress broadcaster usually swallows "Verifying Checksum" for a blob that
# arrives in one read; the simulator shows it for layers from this size up.
VERIFY_SHOWN_FROM = 64 * 1024
DENIED = "denied: requested access to the resource is denied"


# ---------------------------------------------------------------------------------------------
# pull


def pull(engine: ImageBackend, repository: str, tag: str | None, all_tags: bool) -> Iterator[Json]:
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
        yield status_message(_pull_status(updated, name.familiar_name))
        return
    ref = ref.docker_ref()
    served = registries.served(ref.domain)
    if served is not None:
        served.ping()
    image = registries.find(ref.domain, ref.path, ref.tag, ref.digest)
    if image is None:
        # Docker Hub answers "pull access denied" for a missing repository; a registry says
        # its manifest is unknown, whether or not the repository exists (measured against
        # distribution 2.8).
        if ref.domain == DEFAULT_DOMAIN and not registries.repository_exists(ref.domain, ref.path):
            raise NotFound(_missing_repository(ref))
        raise NotFound(
            f"manifest for {ref.familiar()} not found: manifest unknown: manifest unknown"
        )
    announce = ref.tag if ref.digest is None else ref.familiar()
    updated = yield from _pull_image(engine, ref, image, announce or "")
    yield status_message(_pull_status(updated, ref.familiar()))
    if ref.domain == DEFAULT_DOMAIN and ref.tag and (notice := stand_in_notice(ref.path, ref.tag)):
        yield status_message(notice)


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
    engine: ImageBackend, ref: Reference, image: RemoteImage, announce: str
) -> Iterator[Json]:
    """Messages for one manifest; returns whether a reference changed."""
    yield {"status": f"Pulling from {ref.path}", "id": announce}
    if engine.image_store.get(image.image_id) is None:
        yield from _download(engine, ref, image)
        created = parse_rfc3339(json.loads(image.config).get("created") or "0001-01-01T00:00:00Z")
        engine.image_store.put(image.config, "", created)
    yield status_message(f"Digest: {image.digest}")
    return _set_references(engine, ref, image)


def _download(engine: ImageBackend, ref: Reference, image: RemoteImage) -> Iterator[Json]:
    chain = fs.chain_ids(layer.diff_id for layer in image.layers)
    missing = [i for i, chain_id in enumerate(chain) if engine.layers.get(chain_id) is None]
    for i, layer in enumerate(image.layers):
        yield status_message(
            "Pulling fs layer" if i in missing else "Already exists", layer.digest[7:19]
        )
    for i in missing[MAX_CONCURRENT_DOWNLOADS:]:
        yield status_message("Waiting", image.layers[i].digest[7:19])
    tars = {i: image.layers[i].contents(engine.layers.tar) for i in missing}
    for i in missing:
        layer = image.layers[i]
        size = compressed_blob(tars[i])[1]
        yield progress("Downloading", layer.digest[7:19], size, size)
        if layer.counted_size(tars[i]) >= VERIFY_SHOWN_FROM:
            yield status_message("Verifying Checksum", layer.digest[7:19])
        yield status_message("Download complete", layer.digest[7:19])
    for i in missing:
        layer = image.layers[i]
        size = compressed_blob(tars[i])[1]
        yield progress("Extracting", layer.digest[7:19], size, size)
        engine.layers.add(chain[i - 1] if i else "", tars[i], size=layer.counted_size(tars[i]))
        yield status_message("Pull complete", layer.digest[7:19])
    for layer in image.layers:
        remember_layer_source(engine, layer.diff_id, ref.domain, ref.path, layer.digest)


def _set_references(engine: ImageBackend, ref: Reference, image: RemoteImage) -> bool:
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


def push(engine: ImageBackend, repository: str, tag: str | None) -> Iterator[Json]:
    ref = parse_normalized(repository)
    if tag:
        ref = ref.with_tag(tag)
    name = ref.name_only()
    yield status_message(f"The push refers to repository [{name.name}]")
    local_tags = _local_tags(engine, name)
    if not local_tags:
        yield error_message(f"An image does not exist locally with the tag: {name.familiar_name}")
        return
    if ref.tag is not None:
        wanted = str(ref)
        if wanted not in local_tags:
            yield error_message(f"tag does not exist: {ref.familiar()}")
            return
        local_tags = [wanted]
    try:
        served = Registries(engine).served(name.domain)
        if served is not None:
            served.ping()  # the daemon's first request, before it prepares any layer
        for tagged in local_tags:
            target = parse_normalized(tagged)
            ok = yield from _push_image(engine, target)
            if not ok:
                return
    except Unreachable as error:
        yield error_message(error.message)


def _local_tags(engine: ImageBackend, name: Reference) -> list[str]:
    return sorted(
        ref
        for ref, _ in engine.image_store.tagged_images()
        if "@" not in ref and parse_normalized(ref).name == name.name
    )


def _push_denied(engine: ImageBackend, ref: Reference) -> bool:
    if ref.domain != DEFAULT_DOMAIN:
        return False
    user = logged_in_user(engine, DEFAULT_DOMAIN)
    return user is None or ref.path.split("/", 1)[0] != user


def _push_image(engine: ImageBackend, ref: Reference) -> Iterator[Json]:
    """Messages for one tag; returns False when the push failed (the stream then ends)."""
    image_id = engine.image_store.lookup_ref(str(ref))
    image = engine.image_store.require(image_id or "")
    layers = engine.layers.chain(image.chain_id)[::-1]
    for layer in layers:
        yield status_message("Preparing", layer.diff_id[7:19])
    for layer in layers[MAX_CONCURRENT_UPLOADS:]:
        yield status_message("Waiting", layer.diff_id[7:19])
    if _push_denied(engine, ref):
        yield error_message(DENIED)
        return False
    registries = Registries(engine)
    for layer in layers:
        tar = engine.layers.tar(layer.diff_id)
        digest, _ = compressed_blob(tar)
        short = layer.diff_id[7:19]
        sources = layer_sources(engine, layer.diff_id)
        here = [ref.domain, ref.path]
        mount = None
        if any(s[:2] == here for s in sources) and registries.repository_has_blob(
            ref.domain, ref.path, digest
        ):
            upload = False
        elif (mount := _mount_source(registries, ref, sources, digest)) is not None:
            upload = True
        else:
            upload = True
            yield progress("Pushing", short, layer.size, layer.size)
        registries.put_blob(ref.domain, ref.path, tar, layer.diff_id, layer.size, upload, mount)
        if not upload:
            yield status_message("Layer already exists", short)
        elif mount is not None:
            yield status_message(f"Mounted from {mount}", short)
        else:
            yield status_message("Pushed", short)
        remember_layer_source(engine, layer.diff_id, ref.domain, ref.path, digest)
    tars = [engine.layers.tar(layer.diff_id) for layer in layers[::-1]]
    manifest = manifest_for(image.raw, tars)
    digest = registries.put_manifest(ref.domain, ref.path, ref.tag or "latest", manifest, image.raw)
    by_digest = Reference(ref.domain, ref.path, digest=digest)
    if engine.image_store.lookup_ref(str(by_digest)) != image.id:
        engine.image_store.set_ref(by_digest, image.id, image.last_tag_time)
    yield status_message(f"{ref.tag}: digest: {digest} size: {len(manifest)}")
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


def install_local(
    engine: ImageBackend, name: str, tag: str = "latest", with_digest: bool = False
) -> str:
    """Put an official image in the local store as if it were there already (no messages):
    layers, image and tag; the repo digest only when ``with_digest`` (a pulled image has one,
    the real test engine's locally built busybox has none). Returns the image ID."""
    ref = parse_normalized(f"{name}:{tag}")
    hub_image = hub.image(ref.path, tag)
    if hub_image is None:
        raise KeyError(f"{name}:{tag} is not in the simulated Docker Hub")
    parent = ""
    for layer in hub_image.layers:
        parent = engine.layers.add(parent, layer.tar, size=layer.size).chain_id
    created = parse_rfc3339(json.loads(hub_image.config)["created"])
    image_id = engine.image_store.put(hub_image.config, "", created)
    engine.image_store.set_ref(ref, image_id, "")
    if with_digest:
        remote = Registries(engine).find(ref.domain, ref.path, tag, None)
        assert remote is not None
        engine.image_store.set_ref(replace(ref, tag=None, digest=remote.digest), image_id, "")
    return image_id
