"""`docker save` and `docker load`: the docker-archive format exactly as Docker 20.10 writes it.

An archive holds, for each image, its config as ``<image id hex>.json``; for each layer a
directory named by the layer's legacy v1 ID with ``VERSION`` ("1.0"), ``json`` (the v1 image
document) and ``layer.tar`` (the uncompressed layer, byte for byte, so its sha256 is the DiffID);
``manifest.json`` and ``repositories``. The tar itself is what Go's archive/tar writes for the
daemon: USTAR headers with the file-type bits in the mode field, owner root/root, entries in
path order, mtimes set to the image's creation time (0 for the two index files), and no padding
after the two end blocks. A save of an image loaded from a real `docker save` gives back the
very same bytes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import NotFound
from layerlab.engine.reference import Reference, parse_any, parse_normalized
from layerlab.engine.sim.images.config import container_config, go_json, parse_rfc3339
from layerlab.engine.sim.images.progress import progress
from layerlab.engine.sim.images.store import Image
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend

Json = dict[str, Any]
DATA_ROOT = "/var/lib/docker"  # where a stock daemon keeps its state; error texts name it
V1_ZERO_CREATED = "1970-01-01T00:00:00Z"


# ---------------------------------------------------------------------------------------------
# save


def save(engine: ImageBackend, names: list[str]) -> bytes:
    selected: dict[str, list[Reference]] = {}
    for name in names:
        for image_id, ref in _resolve(engine, name):
            tags = selected.setdefault(image_id, [])
            if ref is not None and ref.tag is not None and ref not in tags:
                tags.append(ref)
    files: dict[str, tuple[bytes, int, str]] = {}  # path -> (data, mtime, link target)
    manifest: list[Json] = []
    repositories: dict[str, dict[str, str]] = {}
    saved_diffs: dict[str, str] = {}  # DiffID -> path of the layer.tar holding it
    for image_id, tags in selected.items():
        image = engine.image_store.require(image_id)
        created = int(parse_rfc3339(image.config.get("created") or V1_ZERO_CREATED))
        files[f"{image_id[7:]}.json"] = (image.raw, created, "")
        layer_ids = _write_layers(engine, image, created, files, saved_diffs)
        entry: Json = {
            "Config": f"{image_id[7:]}.json",
            "RepoTags": [ref.familiar() for ref in tags] or None,
            "Layers": [f"{layer_id}/layer.tar" for layer_id in layer_ids],
        }
        if image.parent and image.parent in selected:
            entry["Parent"] = image.parent
        manifest.append(entry)
        for ref in tags:
            repositories.setdefault(ref.familiar_name, {})[ref.tag or ""] = layer_ids[-1]
    if repositories:
        ordered = {k: dict(sorted(v.items())) for k, v in sorted(repositories.items())}
        files["repositories"] = ((go_json(ordered) + "\n").encode(), 0, "")
    files["manifest.json"] = ((go_json(manifest) + "\n").encode(), 0, "")
    return _go_tar(files)


def _resolve(engine: ImageBackend, name: str) -> list[tuple[str, Reference | None]]:
    """The daemon's reading of a `docker save` argument: an ID, every tag of a bare name (or an
    ID prefix when it has none), or one exact reference."""
    parsed = parse_any(name)
    images = engine.image_store
    if isinstance(parsed, str):
        if images.get(parsed) is None:
            raise NotFound(
                f"failed to get digest {parsed}: open {DATA_ROOT}/image/overlay2/imagedb/content/"
                f"sha256/{parsed[7:]}: no such file or directory"
            )
        return [(parsed, None)]
    if parsed.tag is None and parsed.digest is None:
        found = [
            (image_id, parse_normalized(ref))
            for ref, image_id in sorted(images.tagged_images())
            if parse_normalized(ref).name == parsed.name
        ]
        if found:
            return found
        image = images.find(name)
        if image is None:
            raise NotFound(f"No such image: {name}")
        return [(image.id, None)]
    image_id = images.lookup_ref(str(parsed))
    if image_id is None:
        raise NotFound("reference does not exist")
    return [(image_id, parsed)]


def _write_layers(
    engine: ImageBackend,
    image: Image,
    created: int,
    files: dict[str, tuple[bytes, int, str]],
    saved_diffs: dict[str, str],
) -> list[str]:
    config = image.config
    diff_ids = image.diff_ids
    chain = fs.chain_ids(diff_ids)
    layer_ids: list[str] = []
    parent = ""
    for index, diff_id in enumerate(diff_ids):
        top = index == len(diff_ids) - 1
        v1 = (
            _v1_image(config)
            if top
            else {"created": V1_ZERO_CREATED, "container_config": container_config()}
        )
        v1_id = _v1_id(v1, chain[index], parent)
        doc = _ordered_v1({**v1, "id": v1_id[7:], "parent": parent[7:], "os": config.get("os", "")})
        layer = engine.layers.get(chain[index])
        tar = engine.layers.tar(diff_id)
        if layer is not None and layer.size != _files_size(tar):
            # A declared size (simulated Hub images) travels in V1Image's "Size" field, which
            # the real daemon leaves out (0) and ignores on load; it is not part of the ID.
            doc["Size"] = layer.size
        layer_ids.append(v1_id[7:])
        directory = v1_id[7:]
        if f"{directory}/VERSION" not in files:
            files[f"{directory}/"] = (b"", created, "")
            files[f"{directory}/VERSION"] = (b"1.0", created, "")
            files[f"{directory}/json"] = (go_json(doc).encode(), created, "")
            if diff_id in saved_diffs:
                target = "../" + saved_diffs[diff_id]
                files[f"{directory}/layer.tar"] = (b"", created, target)
            else:
                files[f"{directory}/layer.tar"] = (tar, created, "")
                saved_diffs[diff_id] = f"{directory}/layer.tar"
        parent = v1_id
    return layer_ids


_V1_FIELDS = [
    "id",
    "parent",
    "comment",
    "created",
    "container",
    "container_config",
    "docker_version",
    "author",
    "config",
    "architecture",
    "variant",
    "os",
    "Size",
]
_ALWAYS = {"created", "container_config"}


def _v1_image(config: Json) -> Json:
    v1 = {k: config[k] for k in _V1_FIELDS if k in config}
    v1.setdefault("created", V1_ZERO_CREATED)
    v1["container_config"] = config.get("container_config") or container_config()
    return v1


def _ordered_v1(v1: Json) -> Json:
    """Go's json.Marshal of image.V1Image: struct order, ``omitempty`` fields dropped."""
    return {k: v1[k] for k in _V1_FIELDS if k in v1 and (k in _ALWAYS or v1[k] not in ("", None))}


def _v1_id(v1: Json, chain_id: str, parent: str) -> str:
    """The legacy layer ID: sha256 of the v1 document (without id) plus ``layer_id`` and
    ``parent``, marshalled with sorted keys."""
    doc = _ordered_v1({k: v for k, v in v1.items() if k not in ("id", "parent", "Size")})
    doc["layer_id"] = chain_id
    if parent:
        doc["parent"] = parent
    return fs.digest(go_json(dict(sorted(doc.items()))).encode())


def _go_tar(files: dict[str, tuple[bytes, int, str]]) -> bytes:
    out = io.BytesIO()
    for path in sorted(files, key=lambda p: p.rstrip("/").split("/")):
        data, mtime, link = files[path]
        if path.endswith("/"):
            kind, mode, data = b"5", 0o40755, b""
        elif link:
            kind, mode, data = b"2", 0o120777, b""
        else:
            kind, mode = b"0", 0o100644
        out.write(_ustar_header(path, kind, mode, len(data), mtime, link))
        out.write(data)
        out.write(bytes(-len(data) % 512))
    out.write(bytes(1024))
    return out.getvalue()


def _ustar_header(name: str, kind: bytes, mode: int, size: int, mtime: int, link: str) -> bytes:
    def octal(value: int, width: int) -> bytes:
        return f"{value:0{width - 1}o}".encode() + b"\0"

    def text(value: str, width: int) -> bytes:
        return value.encode().ljust(width, b"\0")

    header = bytearray(
        text(name, 100)
        + octal(mode, 8)
        + octal(0, 8)
        + octal(0, 8)
        + octal(size, 12)
        + octal(mtime, 12)
        + b" " * 8
        + kind
        + text(link, 100)
        + b"ustar\x0000"
        + text("root", 32)
        + text("root", 32)
        + octal(0, 8)
        + octal(0, 8)
        + bytes(155 + 12)
    )
    header[148:156] = f"{sum(header):06o}".encode() + b"\0 "
    return bytes(header)


# ---------------------------------------------------------------------------------------------
# load


class _LoadError(Exception):
    pass


def load(engine: ImageBackend, data: bytes, quiet: bool) -> Iterator[Json]:
    try:
        members = _read_archive(data)
        tmp = f"{DATA_ROOT}/tmp/docker-import-{int(engine.ids.hex64()[:8], 16) % 4_000_000_000}"
        if "manifest.json" not in members:
            raise _LoadError(f"open {tmp}/repositories: no such file or directory")
        manifest = _parse_json(members["manifest.json"])
        for entry in manifest or []:
            yield from _load_image(engine, members, entry, tmp, quiet)
    except _LoadError as err:
        message = str(err)
        yield {"errorDetail": {"message": message}, "error": message}


def _read_archive(data: bytes) -> dict[str, bytes]:
    data = _decompress(data)
    if not data:
        return {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = {m.name.removeprefix("./").rstrip("/"): m for m in tar.getmembers()}
            files: dict[str, bytes] = {}
            for name, member in members.items():
                if member.issym():
                    target = fs.normpath(member.linkname, "/" + name.rsplit("/", 1)[0])
                    member = members.get(target.lstrip("/"), member)
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    files[name] = handle.read()
            return files
    except tarfile.TarError:
        reason = "unexpected EOF" if len(data) < 512 else "archive/tar: invalid tar header"
        raise _LoadError(f"Error processing tar file(exit status 1): {reason}") from None


def _decompress(data: bytes) -> bytes:
    if data.startswith(b"\x1f\x8b"):
        return gzip.decompress(data)
    if data.startswith(b"BZh"):
        return bz2.decompress(data)
    if data.startswith(b"\xfd7zXZ\x00"):
        return lzma.decompress(data)
    return data


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        if err.pos >= len(raw.rstrip()):
            raise _LoadError("unexpected end of JSON input") from None
        char = chr(raw[err.pos]) if err.pos < len(raw) else "?"
        before = raw[: err.pos].rstrip()[-1:]
        expecting = "object key string" if before in (b"{", b",") else "value"
        raise _LoadError(
            f"invalid character '{char}' looking for beginning of {expecting}"
        ) from None


def _load_image(
    engine: ImageBackend, members: dict[str, bytes], entry: Json, tmp: str, quiet: bool
) -> Iterator[Json]:
    def read(name: str) -> bytes:
        if name not in members:
            raise _LoadError(f"open {tmp}/{name}: no such file or directory")
        return members[name]

    raw = read(entry.get("Config", ""))
    config = _parse_json(raw)
    diff_ids = list(((config or {}).get("rootfs") or {}).get("diff_ids") or [])
    layer_files = entry.get("Layers") or []
    if len(layer_files) != len(diff_ids):
        raise _LoadError(
            f"invalid manifest, layers length mismatch: expected {len(diff_ids)}, got "
            f"{len(layer_files)}"
        )
    chain = fs.chain_ids(diff_ids)
    pending: list[tuple[int, bytes, int, int]] = []
    for index, (name, diff_id) in enumerate(zip(layer_files, diff_ids, strict=True)):
        if engine.layers.get(chain[index]) is not None:
            continue
        packed = read(name)
        tar = _decompress(packed)
        actual = fs.digest(tar)
        if actual != diff_id:
            raise _LoadError(
                f'invalid diffID for layer {index}: expected "{diff_id}", got "{actual}"'
            )
        declared = _declared_size(members, name)
        pending.append((index, tar, len(packed), declared or _files_size(tar)))
    for index, tar, packed_size, size in pending:
        if not quiet:
            yield _progress(diff_ids[index][7:19], packed_size)
        engine.layers.add(chain[index - 1] if index else "", tar, size=size)
    parent = entry.get("Parent") or ""
    if parent and engine.image_store.get(parent) is None:
        parent = ""
    created = parse_rfc3339(config.get("created") or "0001-01-01T00:00:00Z")
    image_id = engine.image_store.put(raw, parent, created)
    image = engine.image_store.require(image_id)
    tags = entry.get("RepoTags") or []
    for tag in tags:
        ref = parse_normalized(tag).with_default_tag()
        old = engine.image_store.lookup_ref(str(ref))
        if old is not None and old != image_id:
            yield {
                "stream": f"The image {ref.familiar()} already exists, renaming the old one with "
                f"ID {old} to empty string\n"
            }
        engine.image_store.set_ref(ref, image_id, image.last_tag_time)
        yield {"stream": f"Loaded image: {ref.familiar()}\n"}
    if not tags:
        yield {"stream": f"Loaded image ID: {image_id}\n"}


def _progress(layer_id: str, size: int) -> Json:
    return progress("Loading layer", layer_id, size, size)


def _files_size(tar: bytes) -> int:
    """The layer's size as the daemon measures its unpacked directory: regular files (hard
    links once) plus the length of each symlink's target."""
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
        members = archive.getmembers()
    return sum(m.size for m in members if m.isreg()) + sum(
        len(m.linkname.encode()) for m in members if m.issym()
    )


def _declared_size(members: dict[str, bytes], layer_path: str) -> int | None:
    raw = members.get(layer_path.rsplit("/", 1)[0] + "/json")
    try:
        size = json.loads(raw).get("Size") if raw else None
    except (json.JSONDecodeError, AttributeError):
        return None
    return size if isinstance(size, int) and size > 0 else None
