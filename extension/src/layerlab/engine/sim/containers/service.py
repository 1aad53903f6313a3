"""The container endpoints: create, wait, list, inspect, logs, diff, prune and exec."""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import Conflict, InvalidArgument, NeverEnds, NotFound
from layerlab.engine.profiles import api_at_least
from layerlab.engine.sim.containers import names
from layerlab.engine.sim.containers.runtime import (
    exec_error_text,
    on_terminal,
    process_context,
)
from layerlab.engine.sim.containers.store import Container, new_container_doc
from layerlab.engine.sim.filters import (
    bool_value,
    check_keys,
    invalid_word,
    labels_match,
    until_cutoff,
    values,
)
from layerlab.engine.sim.images.config import parse_rfc3339, rfc3339
from layerlab.engine.sim.images.service import graph_driver, sorted_labels
from layerlab.engine.sim.images.store import missing_name
from layerlab.engine.sim.store import fs
from layerlab.go_duration import human_duration
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


def follow(engine: ContainerBackend, container_id: str) -> list[tuple[int, bytes]]:
    """Everything an attached client sees: all output until the program ends (waiting for it in
    virtual time) or, for a program that never ends, until now."""
    store = engine.containers_store
    try:
        c = store.resolve(container_id)
    except NotFound:
        return []  # already gone: an --rm container whose start failed
    first_seq = int(c.run.get("first_log_seq", 0))
    if c.running and not c.run.get("forever"):
        end = c.run["started"] + c.run["duration"]
        engine.clock.advance(end - engine.clock.now())
        output = store.output(c, end, first_seq)
        store.settle(c, end)
    else:
        output = store.output(c, engine.clock.now(), first_seq)
    return [(stream, data) for stream, data, _ in output]


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
    if not c.running:
        return []
    ports = []
    for key, bindings in sorted((c.doc["HostConfig"].get("PortBindings") or {}).items()):
        private, _, proto = key.partition("/")
        for binding in bindings or []:
            public = binding.get("HostPort") or ""
            entry: Json = {"PrivatePort": int(private), "Type": proto or "tcp"}
            if public:
                entry = {
                    "IP": binding.get("HostIp") or "0.0.0.0",
                    **entry,
                    "PublicPort": int(public),
                }
            ports.append(entry)
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
    from layerlab.engine.sim.containers.store import container_defaults

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


def inspect(engine: ContainerBackend, container: str) -> Json:
    c = engine.containers_store.resolve(container)
    doc = {k: v for k, v in c.doc.items() if k != "LayerLab"}
    key = fs.digest(c.id.encode())
    image = engine.image_store.get(c.doc["Image"])
    lower = fs.chain_ids(image.diff_ids)[::-1] if image is not None else []
    doc["GraphDriver"] = graph_driver(engine, key, lower, init=key)
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
            from layerlab.engine.sim.containers.store import container_defaults

            ordered[key] = json.loads(json.dumps(container_defaults()["NetworkSettings"]))
    return ordered


def logs(
    engine: ContainerBackend,
    container: str,
    stdout: bool,
    stderr: bool,
    timestamps: bool,
    tail: str | int,
) -> bytes:
    c = engine.containers_store.resolve(container)
    streams = {n for n, wanted in ((1, stdout), (2, stderr)) if wanted}
    lines = _log_lines(engine, c, engine.clock.now(), timestamps, tail, streams)
    return b"".join(line for _, line in lines)


def stream_logs(
    engine: ContainerBackend, container: str, follow: bool, timestamps: bool, tail: str | int
) -> tuple[list[tuple[int, bytes]], bool]:
    """Both streams' lines; with ``follow``, until the program ends (waiting for it in virtual
    time). The flag says the program never ends (then only the lines so far)."""
    store = engine.containers_store
    c = store.resolve(container)
    now = engine.clock.now()
    if not (follow and c.running):
        return _log_lines(engine, c, now, timestamps, tail), False
    if c.run.get("forever") or c.run.get("live"):
        return _log_lines(engine, c, now, timestamps, tail), True
    end = c.run["started"] + c.run["duration"]
    engine.clock.advance(end - now)
    lines = _log_lines(engine, c, end, timestamps, tail)
    store.settle(c, end)  # may remove an --rm container: its lines are read already
    return lines, False


def log_line_count(engine: ContainerBackend, c: Container) -> int:
    """How many lines the container's log holds so far (both streams)."""
    return len(_log_lines(engine, c, engine.clock.now(), False, "all"))


def follow_live(
    engine: ContainerBackend, container_id: str, timestamps: bool, seen: int
) -> tuple[list[tuple[int, bytes]], bool]:
    """For ``logs -f`` of a program that really runs: the lines after the first ``seen``, and
    whether it still runs."""
    store = engine.containers_store
    try:
        c = store.resolve(container_id)
    except NotFound:
        return [], False  # an --rm container gone with its program
    if c.run.get("live"):
        store.import_live_output(c)
    lines = _log_lines(engine, c, engine.clock.now(), timestamps, "all")
    # Read before settling: an --rm container goes with its program's end.
    still_running = store.settle(c, engine.clock.now()) and c.running
    return lines[seen:], still_running


def _log_lines(
    engine: ContainerBackend,
    c: Container,
    until: float,
    timestamps: bool,
    tail: str | int,
    streams: set[int] | None = None,
) -> list[tuple[int, bytes]]:
    """The log as (stream, line) pairs: the streams asked for, then their last ``tail`` lines."""
    lines: list[tuple[int, bytes]] = []
    for stream, data, at in engine.containers_store.output(c, until):
        if streams is None or stream in streams:
            prefix = (rfc3339(at) + " ").encode() if timestamps else b""
            lines.extend((stream, prefix + line) for line in data.splitlines(keepends=True))
    try:
        count = int(tail)
    except ValueError:
        count = -1  # the daemon reads anything else (such as "all") as every line
    if count >= 0:
        lines = lines[len(lines) - count :] if count else []
    return lines


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


# -- exec -----------------------------------------------------------------------------------------


def exec_create(
    engine: ContainerBackend,
    container: str,
    cmd: list[str],
    environment: list[str] | None,
    workdir: str | None,
    user: str,
    tty: bool = False,
) -> Json:
    c = engine.containers_store.resolve(container)
    if not c.running:
        raise Conflict(f"Container {c.id} is not running")
    exec_id = engine.ids.hex64()
    doc = {
        "ID": exec_id,
        "ContainerID": c.id,
        "Cmd": cmd,
        "Env": environment or [],
        "WorkingDir": workdir or "",
        "User": user,
        "Tty": tty,
        "Running": False,
        "ExitCode": None,
    }
    engine.store.execute("INSERT INTO execs(id, doc) VALUES (?, ?)", exec_id, json.dumps(doc))
    return {"Id": exec_id}


def _exec_doc(engine: ContainerBackend, exec_id: str) -> Json:
    row = engine.store.one("SELECT doc FROM execs WHERE id = ?", exec_id)
    if row is None:
        raise NotFound(f"No such exec instance: {exec_id}")
    return json.loads(row[0])  # type: ignore[no-any-return]


def exec_start(
    engine: ContainerBackend, exec_id: str, detach: bool = False, stdin: bytes | None = None
) -> tuple[bytes, bytes, bool]:
    """Run an exec'd program: its stdout, its stderr, and whether it never ends. Detached
    (``exec -d``), nobody waits for it: the clock stays, its output goes nowhere, and a program
    that cannot start is the request's error. A program that never ends in the foreground is
    stopped (exit code 137, as killed) with what it wrote so far kept: the client would wait
    for it forever."""
    from layerlab.engine.sim.programs.executable import ExecError
    from layerlab.engine.sim.programs.process import run_process

    doc = _exec_doc(engine, exec_id)
    store = engine.containers_store
    c = store.resolve(doc["ContainerID"])
    if not c.running:
        raise Conflict(f"Container {c.id} is not running")
    config = c.doc["Config"]
    store.sync_live_files(c)  # what a running real program wrote is there for the exec'd one
    tree = store.tree(c)
    run = c.run
    context = process_context(
        tree, [*(config.get("Env") or []), *doc["Env"]], doc["User"] or config.get("User") or "",
        doc["WorkingDir"] or config.get("WorkingDir") or "/", c.hostname, engine.clock.now(),
        tty=bool(doc.get("Tty")),
    )  # fmt: skip
    context.base = store.image_base(c)
    if run.get("live"):
        context.join_dir = str(run["live"]["dir"])
        # What the program's root holds: a real exec'd program keeps it up to date.
        context.join_synced = dict(tree)
    context.tty = bool(config.get("Tty"))
    # exec -t: a terminal of its own, which never ends its input (exec -i input ends at once).
    context.terminal = context.stdin_open = bool(doc.get("Tty"))
    context.stdin = stdin or b""
    context.pid = int(run.get("last_pid", 1)) + 6
    context.main = (int(run.get("main_uid", 0)), " ".join([c.doc["Path"], *c.doc["Args"]]))
    context.mounted_at = run.get("started")
    context.dev_kept = base64.b64decode(run.get("dev", ""))
    try:
        result = run_process(doc["Cmd"], context)
    except ExecError as err:
        # The daemon (20.10) records 126 for any exec that cannot start, whatever the reason,
        # and writes its error into the attached output stream, as a terminal line.
        doc["ExitCode"] = 126
        _save_exec(engine, doc)
        message = (
            "OCI runtime exec failed: exec failed: unable to start container process: "
            f"{exec_error_text(err)}: unknown"
        )
        if detach:
            raise InvalidArgument(message) from None
        return message.encode() + b"\r\n", b"", False
    store.write_live_files(c, context.join_synced, tree)
    store.set_tree(c, tree)
    run.update(last_pid=result.last_pid, dev=base64.b64encode(result.dev_kept).decode("ascii"))
    store.save(c)
    never_ends = result.runs_forever and not detach
    doc["ExitCode"] = 137 if never_ends else result.exit_code
    _save_exec(engine, doc)
    if detach:
        return b"", b"", False
    if not result.runs_forever:
        engine.clock.advance(result.duration)
    output = on_terminal(result.output) if context.terminal else result.output
    out = b"".join(d for s, d, _ in output if s == 1)
    err_out = b"".join(d for s, d, _ in output if s == 2)
    return out, err_out, never_ends


def _save_exec(engine: ContainerBackend, doc: Json) -> None:
    engine.store.execute("UPDATE execs SET doc = ? WHERE id = ?", json.dumps(doc), doc["ID"])


def exec_inspect(engine: ContainerBackend, exec_id: str) -> Json:
    doc = _exec_doc(engine, exec_id)
    return {
        "ID": doc["ID"],
        "Running": False,
        "ExitCode": doc["ExitCode"],
        "ContainerID": doc["ContainerID"],
        "ProcessConfig": {
            "entrypoint": doc["Cmd"][0],
            "arguments": doc["Cmd"][1:],
            "privileged": False,
            "tty": bool(doc.get("Tty")),
            "user": doc["User"],
        },
        "OpenStdin": False,
        "OpenStderr": True,
        "OpenStdout": True,
        "CanRemove": False,
        "DetachKeys": "",
        "Pid": 0,
    }
