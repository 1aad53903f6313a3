"""``docker system df --verbose``: the space each image, container, volume and cache entry uses.

Follows docker/cli's ``DiskUsageContext.verboseWriteTable``: four titled tables in a row, the
image table showing each image's first tag, its shared size (bytes of layers other listed images
stand on too) and unique size; containers without their virtual size.
"""

from __future__ import annotations

from typing import Any

from layerlab.cli import render
from layerlab.cli.commands.base import CommandContext, format_rows, short_id
from layerlab.cli.commands.containers import PS_HEADERS, _ps_row, size_text
from layerlab.engine.api import Json

IMAGES = (
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}"
    "\t{{.UniqueSize}}\t{{.Containers}}"
)
IMAGE_HEADERS = {
    "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED",
    "Size": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
    "Containers": "CONTAINERS",
}  # fmt: skip
CONTAINERS = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}"
    "\t{{.Status}}\t{{.Names}}"
)
VOLUMES = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
VOLUME_HEADERS = {"Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}
CACHE = (
    "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}"
    "\t{{.UsageCount}}\t{{.Shared}}"
)
CACHE_HEADERS = {
    "ID": "CACHE ID", "CacheType": "CACHE TYPE", "Size": "SIZE", "CreatedSince": "CREATED",
    "LastUsedSince": "LAST USED", "UsageCount": "USAGE", "Shared": "SHARED",
}  # fmt: skip


def _repository_and_tag(image: Json) -> tuple[str, str]:
    """The first tag, split; ``<none>`` for an untagged (dangling) image."""
    tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
    if not tags:
        return "<none>", "<none>"
    name, colon, tag = tags[0].rpartition(":")
    if not colon or "/" in tag:
        return tags[0], "latest"
    return name, tag


def _image_row(image: Json, now: float) -> dict[str, Any]:
    size, shared = int(image.get("Size", 0)), int(image.get("SharedSize", -1))
    containers = int(image.get("Containers", -1))
    repository, tag = _repository_and_tag(image)
    return {
        "Repository": repository,
        "Tag": tag,
        "ID": short_id(str(image.get("Id", ""))),
        "CreatedSince": render.created_ago(int(image.get("Created", 0)), now),
        "Size": render.human_size(size, 3),
        "SharedSize": "N/A" if shared == -1 else render.human_size(shared, 4),
        "UniqueSize": "N/A" if -1 in (size, shared) else render.human_size(size - shared, 4),
        "Containers": "N/A" if containers == -1 else str(containers),
    }


def _container_row(container: Json, now: float) -> dict[str, Any]:
    row = dict(_ps_row(container, True, now))
    row["Size"] = size_text(container, virtual=False)
    return row


def _volume_row(volume: Json) -> dict[str, Any]:
    usage = volume.get("UsageData") or {}
    links, size = int(usage.get("RefCount", -1)), int(usage.get("Size", -1))
    return {
        "Name": volume.get("Name", ""),
        "Links": "N/A" if links == -1 else str(links),
        "Size": "N/A" if size == -1 else render.human_size(size, 4),
    }


def _cache_row(record: Json, now: float) -> dict[str, Any]:
    from layerlab.engine.sim.images.config import parse_rfc3339

    def since(key: str) -> str:
        stamp = record.get(key)
        return render.created_ago(parse_rfc3339(stamp), now) if stamp else ""

    return {
        "ID": str(record.get("ID", ""))[:12] + ("*" if record.get("InUse") else ""),
        "CacheType": record.get("Type", ""),
        "Size": render.human_size(int(record.get("Size", 0)), 3),
        "CreatedSince": since("CreatedAt"),
        "LastUsedSince": since("LastUsedAt"),
        "UsageCount": str(record.get("UsageCount", 0)),
        "Shared": str(bool(record.get("Shared"))).lower(),
    }


def write_verbose(ctx: CommandContext, df: Json) -> None:
    now = ctx.now()
    out = ctx.stdout
    out.write("Images space usage:\n\n")
    images = [_image_row(i, now) for i in df.get("Images") or []]
    out.write(format_rows(IMAGES, images, IMAGE_HEADERS, IMAGES))
    out.write("\nContainers space usage:\n\n")
    containers = [_container_row(c, now) for c in df.get("Containers") or []]
    out.write(format_rows(CONTAINERS, containers, PS_HEADERS, CONTAINERS))
    out.write("\nLocal Volumes space usage:\n\n")
    volumes = [_volume_row(v) for v in df.get("Volumes") or []]
    out.write(format_rows(VOLUMES, volumes, VOLUME_HEADERS, VOLUMES))
    cache = df.get("BuildCache") or []
    cache_size = sum(int(r.get("Size") or 0) for r in cache if not r.get("Shared"))
    out.write(f"\nBuild cache usage: {render.human_size(cache_size, 4)}\n\n")
    rows = [_cache_row(r, now) for r in cache]
    out.write(format_rows(CACHE, rows, CACHE_HEADERS, CACHE))
