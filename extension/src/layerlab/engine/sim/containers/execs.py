"""``docker exec``: an exec instance made for a running container, started (its program run
in the container, as the container's own processes run) and inspected."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import Conflict, InvalidArgument, NeverEnds, NotFound
from layerlab.engine.sim.containers.runtime import (
    exec_error_text,
    on_terminal,
    process_context,
)
from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]


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


def exec_start_or_refusal(
    engine: ContainerBackend, exec_id: str, detach: bool, stdin: bytes | None
) -> tuple[bytes, bytes, NeverEnds | None]:
    """:func:`exec_start`, with LayerLab's refusal to wait for a program that never ends (its
    output so far kept in the error), to be raised once what it wrote is committed."""
    out, err, never_ends = exec_start(engine, exec_id, detach, stdin)
    if not never_ends:
        return out, err, None
    name = engine.containers_store.resolve(exec_inspect(engine, exec_id)["ContainerID"]).name
    message = tr(
        "LayerLab: the program exec'd in container {name} never exits (a server or an "
        "endless loop), so waiting for it would never end: its output so far is "
        "above, and LayerLab stopped it. Run it with 'docker exec -d' to leave it "
        "running.",
        name=name,
    )
    return out, err, NeverEnds(message, name, (out, err))
