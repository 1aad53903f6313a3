"""The container endpoints: create, wait, inspect, rename, diff and prune (the list is in
:mod:`.listing`, exec in :mod:`.execs`, logs and attach in :mod:`.output`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import Conflict, InvalidArgument, NeverEnds, NotFound
from layerlab.engine.filters import (
    check_keys,
    labels_match,
    until_cutoff,
)
from layerlab.engine.sim.containers import names
from layerlab.engine.sim.containers.config import new_container_doc
from layerlab.engine.sim.containers.store import Container
from layerlab.engine.sim.images.config import parse_rfc3339
from layerlab.engine.sim.images.layer_use import graph_driver
from layerlab.engine.sim.images.service import sorted_labels
from layerlab.engine.sim.images.store import missing_name
from layerlab.engine.sim.store import fs
from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]


def create(engine: ContainerBackend, image: str, options: Json) -> Json:
    store = engine.containers_store
    endpoints = (options.get("networking_config") or {}).get("EndpointsConfig") or {}
    if len(endpoints) > 1:  # checked before the image is looked up
        raise InvalidArgument(
            "Container cannot be connected to network endpoints: " + ", ".join(endpoints)
        )
    found = engine.image_store.find(image)
    if found is None:
        raise NotFound(f"No such image: {missing_name(image, engine.image_store.profile)}")
    name = options.get("name")
    if name is not None:
        name = name.removeprefix("/")
        if not names.is_valid_name(name):
            raise InvalidArgument(
                f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )
        holder = store.name_taken(name)
        if holder is not None:
            raise Conflict(
                f'Conflict. The container name "/{name}" is already in use by container '
                f'"{holder.id}". You have to remove (or rename) that container to be able to '
                "reuse that name."
            )
    container_id = engine.ids.hex64()
    if name is None:
        name = generated_name(engine)
    image_config = found.config.get("config") or {}
    doc = new_container_doc(engine, container_id, name, found.id, image_config, image, options)
    container = Container(container_id, name, engine.store.next_seq("containers"), doc, b"")
    if doc["Config"].get("WorkingDir"):
        _ensure_workdir(engine, container, doc["Config"]["WorkingDir"])
    store.save(container)
    return {"Id": container_id, "Warnings": []}


def generated_name(engine: ContainerBackend) -> str:
    taken = {c.name for c in engine.containers_store.all()}
    adjective = engine.ids.choice(names.ADJECTIVES)
    surname = engine.ids.choice(names.SURNAMES)
    attempt = 0
    while names.candidates(adjective, surname, attempt) in taken:
        attempt += 1
    return names.candidates(adjective, surname, attempt)


def _ensure_workdir(engine: ContainerBackend, c: Container, workdir: str) -> None:
    """The daemon creates a missing working directory when the container is created."""
    store = engine.containers_store
    tree = store.tree(c)
    path = fs.normpath(workdir)
    missing = []
    while path != "/" and path not in tree:
        missing.append(path)
        path = fs.parent_of(path)
    if missing:
        for p in reversed(missing):
            tree[p] = fs.directory(mtime=int(engine.clock.now()))
        store.set_tree(c, tree)


def wait(engine: ContainerBackend, container: str) -> Json | None:
    """The exit status, or None while a real program still runs (the caller waits and asks
    again, outside the transaction)."""
    store = engine.containers_store
    try:
        c = store.resolve(container)
    except NotFound:
        removed_with_code = engine.store.get_meta(f"exit:{container}")
        if removed_with_code is None:
            raise
        return {"Error": None, "StatusCode": int(removed_with_code)}
    if c.running:
        run = c.run
        if run.get("live"):
            return None
        if run.get("forever"):
            raise NeverEnds(
                tr(
                    "LayerLab: container {name} runs a program that never exits (a server or an "
                    "endless loop), so waiting for it would never end. Stop it first with "
                    "'docker stop {name}'.",
                    name=c.name,
                ),
                c.name,
            )
        end = run["started"] + run["duration"]
        engine.clock.advance(end - engine.clock.now())
        code = int(run["exit_code"])
        store.settle(c, end)
        return {"Error": None, "StatusCode": code}
    return {"Error": None, "StatusCode": int(c.state["ExitCode"])}


def inspect(engine: ContainerBackend, container: str) -> Json:
    c = engine.containers_store.resolve(container)
    doc = {k: v for k, v in c.doc.items() if k != "LayerLab"}
    key = fs.digest(c.id.encode())
    image = engine.image_store.get(c.doc["Image"])
    lower = fs.chain_ids(image.diff_ids)[::-1] if image is not None else []
    doc["GraphDriver"] = graph_driver(key, lower, init=key)
    ordered: Json = {}
    for key in [
        "Id",
        "Created",
        "Path",
        "Args",
        "State",
        "Image",
        "ResolvConfPath",
        "HostnamePath",
        "HostsPath",
        "LogPath",
        "Name",
        "RestartCount",
        "Driver",
        "Platform",
        "MountLabel",
        "ProcessLabel",
        "AppArmorProfile",
        "ExecIDs",
        "HostConfig",
        "GraphDriver",
        "Mounts",
        "Config",
        "NetworkSettings",
    ]:
        if key == "Config" and key in doc:
            ordered[key] = sorted_labels(doc[key])
        elif key in doc:
            ordered[key] = doc[key]
        elif key.endswith("Path"):
            base = f"/var/lib/docker/containers/{c.id}"
            ordered[key] = {
                "ResolvConfPath": f"{base}/resolv.conf",
                "HostnamePath": f"{base}/hostname",
                "HostsPath": f"{base}/hosts",
                "LogPath": f"{base}/{c.id}-json.log",
            }[key]
        elif key == "NetworkSettings":
            from layerlab.engine.sim.containers.config import container_defaults

            settings = json.loads(json.dumps(container_defaults()["NetworkSettings"]))
            if c.running:  # what the container's proxy answers on (see ``containers.ports``)
                settings["Ports"] = (c.run.get("ports") or {}).get("bound") or {}
            ordered[key] = settings
    return ordered


def rename(engine: ContainerBackend, container: str, new_name: str) -> None:
    """``daemon.ContainerRename``: the name changes, the ID and the writable layer stay."""
    store = engine.containers_store
    if not container or not new_name:
        raise InvalidArgument("Neither old nor new names may be empty")
    c = store.resolve(container)
    name = new_name.removeprefix("/")
    if c.name == name:
        raise InvalidArgument("Renaming a container with the same name as its current name")
    if not names.is_valid_name(name):
        raise InvalidArgument(
            "Error when allocating new name: Invalid container name (/"
            f"{name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    holder = store.name_taken(name)
    if holder is not None:
        raise Conflict(
            f'Error when allocating new name: Conflict. The container name "/{name}" is already '
            f'in use by container "{holder.id}". You have to remove (or rename) that container '
            "to be able to reuse that name."
        )
    c.name = name
    c.doc["Name"] = "/" + name
    store.save(c)


def diff(engine: ContainerBackend, container: str) -> list[Json]:
    store = engine.containers_store
    c = store.resolve(container)
    store.sync_live_files(c)
    if not c.upper:
        return []
    lower = store.lower_tree(c)
    changes = fs.tar_to_changes(c.upper)
    kinds = []
    for path in sorted(changes):
        entry = changes[path]
        kind = 2 if entry is None else (0 if path in lower else 1)
        kinds.append({"Kind": kind, "Path": path})
    return kinds


def prune(engine: ContainerBackend, filters: Json | None) -> Json:
    """``POST /containers/prune``: the stopped containers its ``label``, ``label!`` and
    ``until`` filters leave."""
    filters = filters or {}
    check_keys(filters, "container prune", engine.profile)
    until = until_cutoff(filters, engine.clock.now())
    store = engine.containers_store
    deleted = []
    reclaimed = 0
    for c in store.all():
        if c.running:
            continue
        if not labels_match(c.doc["Config"].get("Labels") or {}, filters):
            continue
        if until is not None and parse_rfc3339(c.doc["Created"]) >= until:
            continue
        reclaimed += fs.layer_size(fs.tar_to_changes(c.upper)) if c.upper else 0
        store.delete(c)
        deleted.append(c.id)
    return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}
