"""What simulated registries put on the wire: blobs, manifests and progress messages.

Layer blobs are gzip members of *stored* deflate blocks (byte-identical everywhere, so digests
never change), manifests are schema 2 documents laid out as the daemon writes them, and
progress/status/error messages have the JSON shapes and the 50-column progress bar of a
Docker 20.10 daemon's pull/push/load streams.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from typing import Any

from layerlab.engine.sim.store import fs

Json = dict[str, Any]

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_V1 = "application/vnd.docker.container.image.v1+json"
LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


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
