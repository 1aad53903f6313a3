"""The image endpoints: list, inspect, history, tag, remove and prune, with the daemon's rules.

Removal follows Docker 20.10's rules to the letter, since its conflict messages are what
learners meet when they try to delete an image a container still uses.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import Conflict, InvalidArgument, NotFound
from layerlab.engine.filters import bool_value, check_keys, labels_match, until_cutoff, values
from layerlab.engine.profiles import api_at_least
from layerlab.engine.reference import Reference, ipv6_hosts, parse_normalized
from layerlab.engine.sim.images.config import config_doc, rfc3339
from layerlab.engine.sim.images.layer_use import graph_driver, release_layers
from layerlab.engine.sim.images.store import Image
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend

Json = dict[str, Any]


def stored(ref: str) -> Reference:
    """A reference the store holds, read whatever the profile's grammar: it was valid when it
    was stored (a home is shared by the profiles, and Engine 26.1 reads more names than 20.10)."""
    with ipv6_hosts(True):
        return parse_normalized(ref)


@functools.lru_cache(maxsize=4096)  # every listing names the same references again
def familiar(ref: str) -> str:
    return stored(ref).familiar()


def list_images(
    engine: ImageBackend, name: str | None, all: bool, filters: Json | None
) -> list[Json]:
    images = engine.image_store
    filters = filters or {}
    check_keys(filters, "images", engine.profile)
    dangling = bool_value(filters, "dangling", engine.profile)
    until = until_cutoff(filters, engine.clock.now())
    before = _image_bound(engine, filters, "before")
    since = _image_bound(engine, filters, "since")
    references = values(filters, "reference") + ([name] if name else [])
    # One query per table, not per image: listing is the most frequent command.
    everything = images.all()
    parents = {image.parent for image in everything}
    refs = images.refs_by_image()
    layer_sizes = engine.layers.sizes()
    result = []
    for image in sorted(everything, key=lambda i: (i.created, i.seq), reverse=True):
        tags = refs.get((image.id, "tag"), [])
        digests = refs.get((image.id, "digest"), [])
        if not all and not tags and not digests and image.id in parents:
            continue
        if dangling is not None and dangling != (not tags and not digests):
            continue
        config, diff_ids = _listing_facts(image)
        if not labels_match(config.get("Labels") or {}, filters):
            continue
        if until is not None and image.created >= until:
            continue
        if before is not None and image.created >= before.created:
            continue
        if since is not None and image.created <= since.created:
            continue
        if references:
            tags = [t for t in tags if any(_ref_matches(t, pattern) for pattern in references)]
            digests = [d for d in digests if any(_ref_matches(d, p) for p in references)]
            if not tags and not digests:
                continue
        size = sum(layer_sizes.get(c, 0) for c in fs.chain_ids(diff_ids))
        result.append(
            {
                "Containers": -1,
                "Created": int(image.created),
                "Id": image.id,
                "Labels": (sorted_labels(config) or {}).get("Labels"),
                "ParentId": image.parent,
                "RepoDigests": [familiar(d) for d in digests] or ["<none>@<none>"] * (not tags),
                "RepoTags": [familiar(t) for t in tags] or ["<none>:<none>"],
                "SharedSize": -1,
                "Size": size,
                "VirtualSize": size,
            }
        )
        if api_at_least(engine.profile, "1.44"):  # API 1.44 (Engine 25) dropped it
            del result[-1]["VirtualSize"]
        if not result[-1]["RepoDigests"]:
            result[-1]["RepoDigests"] = None
    return result


_FACTS: dict[str, tuple[Json, tuple[str, ...]]] = {}


def _listing_facts(image: Image) -> tuple[Json, tuple[str, ...]]:
    """An image's config section and DiffIDs, parsed once per process: an image ID names its
    config bytes, so they never change. Callers must not modify the config."""
    facts = _FACTS.get(image.id)
    if facts is None:
        document = image.config
        facts = (document.get("config") or {}, tuple(document["rootfs"]["diff_ids"]))
        _FACTS[image.id] = facts
    return facts


def _ref_matches(ref: str, pattern: str) -> bool:
    """The daemon's `reference` filter: a glob on the familiar name, with or without the tag."""
    import fnmatch

    parsed = stored(ref)
    name = parsed.familiar_name
    full = parsed.familiar()
    if fnmatch.fnmatchcase(full, pattern):
        return True
    return ":" not in pattern.rsplit("/", 1)[-1] and fnmatch.fnmatchcase(name, pattern)


def _image_bound(engine: ImageBackend, filters: Json, key: str) -> Image | None:
    given = values(filters, key)
    return engine.image_store.resolve(given[-1]) if given else None


def inspect_image(engine: ImageBackend, name: str) -> Json:
    images = engine.image_store
    try:
        image = images.resolve(name)
    except NotFound as err:  # Engine 20.10 names the image twice, Engine 26.1 once (measured)
        if api_at_least(engine.profile, "1.45"):
            raise
        raise NotFound(f"no such image: {name}: {err.message}") from None
    except InvalidArgument as err:  # a name Engine 20.10 cannot read, in the same words
        if api_at_least(engine.profile, "1.45"):
            raise
        raise InvalidArgument(f"no such image: {name}: {err.message}") from None
    config = image.config
    size = images.size(image)
    found = {
        "Id": image.id,
        "RepoTags": [familiar(t) for t in images.refs(image.id, "tag")],
        "RepoDigests": [familiar(d) for d in images.refs(image.id, "digest")],
        "Parent": image.parent,
        "Comment": _comment(config),
        "Created": config.get("created", rfc3339(image.created)),
        "Container": config.get("container", ""),
        "ContainerConfig": config.get("container_config") or _empty_container_config(),
        "DockerVersion": config.get("docker_version", ""),
        "Author": config.get("author", ""),
        # The daemon reads the config into its Go struct: a config as BuildKit writes it (only
        # what is set, as OCI's) comes out with every field.
        "Config": sorted_labels(_full(config.get("config"))),
        "Architecture": config.get("architecture", "amd64"),
        "Os": config.get("os", "linux"),
        "Size": size,
        "VirtualSize": size,
        "GraphDriver": graph_driver(image.chain_id, fs.chain_ids(image.diff_ids)[-2::-1]),
        "RootFS": {"Type": "layers", "Layers": image.diff_ids},
        "Metadata": {"LastTagTime": image.last_tag_time or "0001-01-01T00:00:00Z"},
    }
    if api_at_least(engine.profile, "1.45"):  # API 1.45 (Engine 26) dropped these
        for key in ("Container", "ContainerConfig", "VirtualSize"):
            del found[key]
    return found


def _full(config: Json | None) -> Json | None:
    return config_doc(config) if config and "Hostname" not in config else config


def sorted_labels(config: Json | None) -> Json | None:
    """``config`` with its labels in key order: the daemon's JSON encoder sorts map keys."""
    if not config or not config.get("Labels"):
        return config
    return {**config, "Labels": dict(sorted(config["Labels"].items()))}


def _comment(config: Json) -> str:
    """The image's comment, else its newest history entry's (how `docker commit -m` shows)."""
    history = config.get("history") or [{}]
    return str(config.get("comment") or history[-1].get("comment", ""))


def _empty_container_config() -> Json:
    from layerlab.engine.sim.images.config import container_config

    return container_config()


def history(engine: ImageBackend, name: str) -> list[Json]:
    images = engine.image_store
    image = images.resolve(name)
    config = image.config
    chain = fs.chain_ids(image.diff_ids)
    rows: list[Json] = []
    layer_index = 0
    for entry in config.get("history") or []:
        size = 0
        if not entry.get("empty_layer"):
            if layer_index < len(chain):
                layer = engine.layers.get(chain[layer_index])
                size = layer.size if layer else 0
            layer_index += 1
        created = entry.get("created", "")
        from layerlab.engine.sim.images.config import parse_rfc3339

        rows.insert(
            0,
            {
                "Comment": entry.get("comment", ""),
                "Created": int(parse_rfc3339(created)) if created else 0,
                "CreatedBy": entry.get("created_by", ""),
                "Id": "<missing>",
                "Size": size,
                "Tags": None,
            },
        )
    current: Image | None = image
    for row in rows:
        if current is None:
            break
        row["Id"] = current.id
        tags = [familiar(t) for t in images.refs(current.id, "tag")]
        row["Tags"] = tags or None
        current = images.get(current.parent) if current.parent else None
    return rows


def tag(engine: ImageBackend, image_name: str, repository: str, tag: str | None) -> bool:
    image = engine.image_store.resolve(image_name)
    # A name the daemon cannot read is its library's error as it is (InvalidReference): the
    # CLI has checked the name already, so only Engine 20.10's older grammar gets here.
    ref = parse_normalized(f"{repository}:{tag}" if tag else repository)
    if ref.digest:
        raise InvalidArgument("refusing to create a tag with a digest reference")
    engine.image_store.set_ref(ref.with_default_tag(), image.id, rfc3339(engine.clock.now()))
    return True


# -- removal --------------------------------------------------------------------------------------


class _DeleteConflict(Conflict):
    def __init__(self, image_id: str, message: str, hard: bool, used: bool = False) -> None:
        forced = "cannot be forced" if hard else "must be forced"
        short = image_id.removeprefix("sha256:")[:12]
        super().__init__(f"conflict: unable to delete {short} ({forced}) - {message}")
        self.hard, self.used = hard, used


def remove_image(engine: ImageBackend, name: str, force: bool, noprune: bool) -> list[Json]:
    images = engine.image_store
    image = images.resolve(name)
    records: list[Json] = []
    refs = _refs(engine, image.id)
    removed_ref = False
    if not _is_id_prefix(image.id, name):
        if not force and _single_reference(refs):
            user = engine.first_container(lambda c: c.image_id == image.id)
            if user is not None:
                raise Conflict(
                    f'conflict: unable to remove repository reference "{name}" (must force) - '
                    f"container {user.id[:12]} is using its referenced image {image.id[7:19]}"
                )
        ref = parse_normalized(name).with_default_tag()
        if images.lookup_ref(str(ref)) is None:
            raise NotFound(f"No such image: {name}")
        images.drop_ref(str(ref))
        records.append({"Untagged": ref.familiar()})
        refs = _refs(engine, image.id)
        if not ref.digest and not any(not r.digest and r.name == ref.name for r in refs):
            for other in [r for r in refs if r.digest and r.name == ref.name]:
                images.drop_ref(str(other))
                records.append({"Untagged": other.familiar()})
            refs = [r for r in refs if not (r.digest and r.name == ref.name)]
        if refs:
            return records
        removed_ref = True
    elif _single_reference(refs):
        soft = () if force else ("stopped",)
        _check_conflicts(engine, image.id, hard=True, soft=soft)
        for ref in refs:
            images.drop_ref(str(ref))
            records.append({"Untagged": ref.familiar()})
    _delete_helper(engine, image.id, records, force, not noprune, quiet=removed_ref)
    return records


def _refs(engine: ImageBackend, image_id: str) -> list[Reference]:
    return [
        stored(r) for kind in ("tag", "digest") for r in engine.image_store.refs(image_id, kind)
    ]


def _is_id_prefix(image_id: str, name: str) -> bool:
    return image_id.startswith(name) or image_id.removeprefix("sha256:").startswith(name)


def _single_reference(refs: list[Reference]) -> bool:
    if len(refs) <= 1:
        return len(refs) == 1
    single: Reference | None = None
    canonical: set[str] = set()
    for ref in refs:
        if ref.digest:
            canonical.add(ref.name)
        elif single is None:
            single = ref
        else:
            return False
    if single is None:
        single = refs[0]
    return len(canonical) == 1 and single.name in canonical


def _check_conflicts(
    engine: ImageBackend, image_id: str, hard: bool, soft: tuple[str, ...] = ("refs", "stopped")
) -> None:
    if hard and engine.image_store.children(image_id):
        raise _DeleteConflict(image_id, "image has dependent child images", hard=True)
    if hard:
        running = engine.first_container(lambda c: c.image_id == image_id and c.running)
        if running is not None:
            raise _DeleteConflict(
                image_id,
                f"image is being used by running container {running.id[:12]}",
                hard=True,
                used=True,
            )
    if "refs" in soft and _refs(engine, image_id):
        raise _DeleteConflict(image_id, "image is referenced in multiple repositories", hard=False)
    if "stopped" in soft:
        stopped = engine.first_container(lambda c: c.image_id == image_id and not c.running)
        if stopped is not None:
            raise _DeleteConflict(
                image_id,
                f"image is being used by stopped container {stopped.id[:12]}",
                hard=False,
                used=True,
            )


def _delete_helper(
    engine: ImageBackend, image_id: str, records: list[Json], force: bool, prune: bool, quiet: bool
) -> None:
    images = engine.image_store
    try:
        _check_conflicts(engine, image_id, hard=True, soft=() if force else ("refs", "stopped"))
    except _DeleteConflict as conflict:
        dangling = not _refs(engine, image_id) and not images.children(image_id)
        if quiet and (not dangling or conflict.used):
            return
        raise
    image = images.require(image_id)
    for ref in _refs(engine, image_id):
        images.drop_ref(str(ref))
        records.append({"Untagged": ref.familiar()})
    images.delete(image_id)
    records.append({"Deleted": image_id})
    for chain_id in release_layers(engine, image):
        records.append({"Deleted": chain_id})
    if prune and image.parent:
        _delete_helper(engine, image.parent, records, force=False, prune=True, quiet=True)


def prune_images(engine: ImageBackend, filters: Json | None) -> Json:
    filters = filters or {}
    check_keys(filters, "image prune", engine.profile)
    dangling_only = bool_value(filters, "dangling", engine.profile)
    dangling_only = True if dangling_only is None else dangling_only
    until = until_cutoff(filters, engine.clock.now())
    images = engine.image_store
    in_use = {c.image_id for c in engine.all_containers()}
    layer_sizes = {
        chain_id: size for chain_id, size in engine.store.query("SELECT chain_id, size FROM layers")
    }
    deleted: list[Json] = []
    candidates = images.all()
    if dangling_only:
        candidates = [i for i in candidates if not images.children(i.id)]
    for image in sorted(candidates, key=lambda i: i.seq, reverse=True):
        if images.get(image.id) is None or image.id in in_use:
            continue
        config = image.config.get("config") or {}
        if not labels_match(config.get("Labels") or {}, filters):
            continue
        if until is not None and image.created >= until:
            continue
        refs = _refs(engine, image.id)
        if dangling_only and refs:
            continue
        try:
            for ref in refs:
                deleted.extend(remove_image(engine, str(ref), force=False, noprune=False))
            if images.get(image.id) is not None:
                deleted.extend(remove_image(engine, image.id, force=False, noprune=False))
        except Conflict:
            continue
    reclaimed = sum(layer_sizes.get(d["Deleted"], 0) for d in deleted if "Deleted" in d)
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}
