"""``GET /containers/json``: the containers ``docker ps`` lists, their filters, and each
one's summary (status text, command, ports, networks, sizes)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.filters import (
    bool_value,
    check_keys,
    invalid_word,
    labels_match,
    values,
)
from layerlab.engine.profiles import api_at_least
from layerlab.engine.sim.containers.store import Container
from layerlab.engine.sim.images.config import parse_rfc3339
from layerlab.engine.sim.store import fs
from layerlab.go_duration import human_duration

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]


def _status_text(c: Container, now: float) -> str:
    state = c.state
    if state["Running"]:
        return "Up " + human_duration(now - parse_rfc3339(state["StartedAt"]))
    if state["Status"] == "created":
        return "Created"
    finished = parse_rfc3339(state["FinishedAt"])
    return f"Exited ({state['ExitCode']}) {human_duration(now - finished)} ago"


def _command_text(c: Container) -> str:
    args = [f"'{a}'" if " " in a else a for a in c.doc["Args"]]
    return " ".join([c.doc["Path"], *args])


def _ports(c: Container) -> list[Json]:
    """The ports a running container holds on this machine (see ``containers.ports``)."""
    if not c.running:
        return []
    ports = []
    for key, bindings in sorted(((c.run.get("ports") or {}).get("bound") or {}).items()):
        private, _, proto = key.partition("/")
        for binding in bindings:
            ports.append({
                "IP": binding["HostIp"],
                "PrivatePort": int(private),
                "PublicPort": int(binding["HostPort"]),
                "Type": proto or "tcp",
            })  # fmt: skip
    return ports


def list_containers(
    engine: ContainerBackend, all: bool, filters: Json | None, size: bool = False
) -> list[Json]:
    filters = filters or {}
    _check_list_filters(engine, filters)
    now = engine.clock.now()
    everything = sorted(engine.containers_store.all(), key=lambda c: c.seq, reverse=True)
    before = _bound(engine, filters, "before")
    since = _bound(engine, filters, "since")
    result = []
    for c in everything:
        if not (all or c.running or values(filters, "status")):
            continue
        if before is not None and c.seq >= before.seq:
            continue
        if since is not None and c.seq <= since.seq:
            continue
        if not _matches(engine, c, filters):
            continue
        result.append(_summary(c, now, _sizes(engine, c) if size else None))
    return result


def _sizes(engine: ContainerBackend, c: Container) -> Json:
    """``SizeRw`` (the writable layer; left out when 0, as the daemon's omitempty does) and
    ``SizeRootFs`` (that plus the image)."""
    engine.containers_store.sync_live_files(c)
    rw = fs.layer_size(fs.tar_to_changes(c.upper)) if c.upper else 0
    image = engine.image_store.get(c.image_id)
    root = rw + (engine.image_store.size(image) if image is not None else 0)
    return {"SizeRw": rw, "SizeRootFs": root} if rw else {"SizeRootFs": root}


def _check_list_filters(engine: ContainerBackend, filters: Json) -> None:
    """The daemon's checks of ``ps``'s filters, before anything is listed (measured on Engine
    20.10 and 26.1: the value's words differ between them)."""
    check_keys(filters, "containers", engine.profile)
    invalid = invalid_word(engine.profile)
    for status in values(filters, "status"):
        if status not in _STATUSES:
            raise InvalidArgument(f"{invalid} filter 'status={status}'")
    for code in values(filters, "exited"):
        if not re.fullmatch(r"[+-]?\d+", code):
            reason = f'strconv.Atoi: parsing "{code}": invalid syntax'
            # Engine 20.10 passes on the parser's words alone; 26.1 names the filter first.
            modern = api_at_least(engine.profile, "1.45")
            raise InvalidArgument(f"invalid filter 'exited={code}': {reason}" if modern else reason)
    bool_value(filters, "is-task", engine.profile)


_STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}


def _bound(engine: ContainerBackend, filters: Json, key: str) -> Container | None:
    given = values(filters, key)
    return engine.containers_store.resolve(given[-1]) if given else None


def _matches(engine: ContainerBackend, c: Container, filters: Json) -> bool:
    statuses = values(filters, "status")
    if statuses and c.state["Status"] not in statuses:
        return False
    if bool_value(filters, "is-task", engine.profile):  # a swarm service's task: none here
        return False
    names_wanted = values(filters, "name")
    if names_wanted and not any(_regex_search(n, "/" + c.name) for n in names_wanted):
        return False
    ids = values(filters, "id")
    if ids and not any(c.id.startswith(i) for i in ids):
        return False
    if not labels_match(c.doc["Config"].get("Labels") or {}, filters):
        return False
    exited = values(filters, "exited")
    if exited and (
        c.running or c.state["Status"] == "created" or str(c.state["ExitCode"]) not in exited
    ):
        return False
    ancestors = values(filters, "ancestor")
    return not ancestors or any(_descends(engine, c, a) for a in ancestors)


def _regex_search(pattern: str, text: str) -> bool:
    import re

    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _descends(engine: ContainerBackend, c: Container, ancestor: str) -> bool:
    target = engine.image_store.find(ancestor)
    if target is None:
        return False
    image = engine.image_store.get(c.image_id)
    while image is not None:
        if image.id == target.id:
            return True
        image = engine.image_store.get(image.parent) if image.parent else None
    return False


def _networks(c: Container) -> Json:
    """The endpoints the daemon lists: the default network mode joins "bridge"."""
    from layerlab.engine.sim.containers.config import container_defaults

    mode = c.doc["HostConfig"].get("NetworkMode") or "default"
    name = "bridge" if mode == "default" else mode
    endpoint = container_defaults()["NetworkSettings"]["Networks"]["bridge"]
    return {name: json.loads(json.dumps(endpoint))}


def _summary(c: Container, now: float, sizes: Json | None = None) -> Json:
    defaults = c.doc["HostConfig"]
    return {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.doc["Config"]["Image"],
        "ImageID": c.image_id,
        "Command": _command_text(c),
        "Created": int(c.run.get("created", parse_rfc3339(c.doc["Created"]))),
        "Ports": _ports(c),
        **(sizes or {}),
        "Labels": dict(sorted((c.doc["Config"].get("Labels") or {}).items())),
        "State": c.state["Status"],
        "Status": _status_text(c, now),
        "HostConfig": {"NetworkMode": defaults.get("NetworkMode", "default")},
        "NetworkSettings": {"Networks": _networks(c)},
        "Mounts": [],
    }
