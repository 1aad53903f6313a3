"""Container commands: run create start stop restart kill rm wait rename ps logs exec diff, and
container prune."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from layerlab.cli import gotemplate, render
from layerlab.cli.commands.base import (
    CommandContext,
    confirmed,
    format_rows,
    parse_filters,
    refuse_terminal,
    short_id,
)
from layerlab.cli.commands.images import go_time, print_reclaimed, print_section
from layerlab.cli.commands.runopts import (
    create_kwargs,
    familiar_with_tag,
    run_error,
    split_reference,
    start_error_code,
)
from layerlab.cli.errors import CliError, daemon_error
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.errors import EngineError, NeverEnds, NotFound
from layerlab.engine.reference import InvalidReference, parse_any
from layerlab.i18n import tr

PS_HEADERS = {
    "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS",
    "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS",
    "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES",
}  # fmt: skip
STD_STREAMS = frozenset({"stdout", "stderr"})
PS_DEFAULT = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
)


# -- create / run ---------------------------------------------------------------------------


def _create(ctx: CommandContext, parsed: ParsedArgs) -> str:
    """Create the container, pulling its image first when the daemon does not have it."""
    image = parsed.positionals[0]
    kwargs = create_kwargs(parsed)
    parse_any(image)  # the CLI checks the reference before asking the daemon
    try:
        created = ctx.engine.create_container(image, **kwargs)
    except NotFound as exc:
        if not exc.message.startswith("No such image"):
            raise
        wanted = familiar_with_tag(image)
        ctx.err(f"Unable to find image '{wanted}' locally")
        from layerlab.cli.commands.registry import pull_to

        repository, tag = split_reference(image)
        pull_to(ctx, repository, tag, ctx.stderr)
        created = ctx.engine.create_container(image, **kwargs)
    for warning in created.get("Warnings") or []:
        ctx.err(f"WARNING: {warning}")
    return str(created["Id"])


def cmd_create(ctx: CommandContext, parsed: ParsedArgs) -> int:
    try:
        ctx.out(_create(ctx, parsed))
    except InvalidReference as exc:
        raise CliError(exc.message) from None
    return 0


def cmd_run(ctx: CommandContext, parsed: ParsedArgs) -> int:
    try:
        kwargs = create_kwargs(parsed)  # validate before any daemon call
        if kwargs["tty"] and kwargs["stdin_open"] and not parsed.flag("detach"):
            refuse_terminal(ctx)
        container_id = _create(ctx, parsed)
    except InvalidReference as exc:
        raise run_error(exc.message, 125) from None
    except EngineError as exc:
        raise run_error(daemon_error(exc), 125) from None
    if parsed.flag("detach"):
        ctx.out(container_id)
        try:
            ctx.engine.start(container_id)
        except EngineError as exc:
            raise run_error(daemon_error(exc), start_error_code(exc.message), False) from None
        return 0
    streams = {s.lower() for s in parsed.items("attach")} or {"stdout", "stderr"}
    chunks = ctx.engine.attach(container_id, logs=False, stdin=_input(ctx, parsed))
    try:
        ctx.engine.start(container_id)
    except EngineError as exc:
        raise run_error(daemon_error(exc), start_error_code(exc.message), False) from None
    return _follow(ctx, container_id, chunks, streams, parsed.get("sig-proxy") is not False)


def _follow(
    ctx: CommandContext, container: str, chunks: Any, streams: set[str] | frozenset[str],
    sig_proxy: bool, started: bool = True,
) -> int:  # fmt: skip
    """The attached client: the container's output until it ends, then its exit code. As the
    docker CLI's signal proxy does, a Ctrl-C is handed to the container's main process, which
    decides how it ends, and the client reads on; a second Ctrl-C leaves the program running
    and ends the client. (An engine's output that a Ctrl-C broke off ends there: the client
    then waits for the exit code.)"""
    output = iter(chunks)
    interrupted = False
    while True:
        try:
            _pump(ctx, output, streams)
            return _wait_attached(ctx, container, started)
        except KeyboardInterrupt:
            name = _running_name(ctx, container)
            if name is None or not sig_proxy or interrupted:
                if name is not None:
                    ctx.err(
                        tr("LayerLab: container {name} keeps running; stop it with "
                           "'docker stop {name}'.", name=name)
                    )  # fmt: skip
                raise
            interrupted = True
            with contextlib.suppress(EngineError):
                ctx.engine.kill(container, "INT")


def _running_name(ctx: CommandContext, container: str) -> str | None:
    """The container's name while its program runs; None once it has ended or is gone."""
    try:
        state = ctx.engine.inspect_container(container)
    except EngineError:
        return None  # gone: an --rm container whose program ended
    return str(state["Name"]).lstrip("/") if state["State"]["Running"] else None


def _wait_attached(ctx: CommandContext, container: str, started: bool = True) -> int:
    """The exit code of the container the client is attached to. For a simulated program that
    never ends, the real client would wait forever: LayerLab stops waiting, and an --rm
    container this command ``started`` is stopped and removed, as the daemon removes it once it
    stops, so that nothing is left running that the learner cannot see coming back."""
    try:
        return int(ctx.engine.wait(container).get("StatusCode", 0))
    except NeverEnds as exc:
        name = exc.container
        why = tr(
            "LayerLab: container {name} runs a program that never exits (a server or an "
            "endless loop), so waiting for it would never end.",
            name=name,
        )
        if not started:  # `docker attach`: it runs on, as it did before
            raise CliError(
                why + " " + tr("It keeps running: stop it with 'docker stop {name}'.", name=name)
            ) from None
        if ctx.engine.inspect_container(container)["HostConfig"].get("AutoRemove"):
            ctx.engine.kill(container)
            raise CliError(
                why
                + " "
                + tr(
                    "LayerLab stopped it, and --rm removed it. Start such a program with -d and "
                    "stop it with 'docker stop'."
                ),
                137,
            ) from None
        raise CliError(
            why
            + " "
            + tr(
                "It keeps running: stop it with 'docker stop {name}', or start such a program "
                "with -d.",
                name=name,
            ),
        ) from None


def _input(ctx: CommandContext, parsed: ParsedArgs) -> bytes | None:
    """With -i, the CLI's own stdin goes to the container: all of it, then its end (in a
    notebook there is none, so the container reads its end at once)."""
    return (ctx.stdin or b"") if parsed.flag("interactive") else None


def _pump(ctx: CommandContext, chunks: Any, streams: set[str] | frozenset[str]) -> None:
    for out, err in chunks:
        if out and "stdout" in streams:
            ctx.stdout.write(out.decode("utf-8", "replace"))
        if err and "stderr" in streams:
            ctx.stderr.write(err.decode("utf-8", "replace"))


# -- lifecycle ------------------------------------------------------------------------------


def _for_each(ctx: CommandContext, names: list[str], action: Any) -> list[str]:
    """Apply ``action`` to each name, echoing successes and printing daemon errors."""
    failed: list[str] = []
    for name in names:
        try:
            action(name)
        except EngineError as exc:
            ctx.err(daemon_error(exc))
            failed.append(name)
        else:
            ctx.out(name)
    return failed


def cmd_start(ctx: CommandContext, parsed: ParsedArgs) -> int:
    names = parsed.positionals
    # -i attaches too; its input is whatever stdin gives (nothing, in a notebook).
    if parsed.flag("attach") or parsed.flag("interactive"):
        if len(names) > 1:
            raise CliError("you cannot start and attach multiple containers at once")
        chunks = ctx.engine.attach(names[0], logs=False, stdin=_input(ctx, parsed))
        ctx.engine.start(names[0])
        return _follow(ctx, names[0], chunks, STD_STREAMS, sig_proxy=True)
    failed = _for_each(ctx, names, ctx.engine.start)
    if failed:
        raise CliError("Error: failed to start containers: " + ", ".join(failed))
    return 0


def cmd_attach(ctx: CommandContext, parsed: ParsedArgs) -> int:
    """``docker attach``: the running container's output from now on, until its program ends;
    the exit code is the container's. As the CLI does, its state is asked first."""
    name = parsed.positionals[0]
    inspected = ctx.engine.inspect_container(name)
    state = inspected["State"]
    if not state["Running"]:
        raise CliError(ATTACH_REFUSALS["stopped"])
    if state["Paused"]:
        raise CliError(ATTACH_REFUSALS["paused"])
    if state["Restarting"]:
        raise CliError(ATTACH_REFUSALS["restarting"])
    tty = bool(inspected["Config"].get("Tty"))
    chunks = ctx.engine.attach(name, logs=False)
    # The CLI proxies signals only without a terminal (with one, Ctrl-C is a key it sends).
    proxy = parsed.get("sig-proxy") is not False and not tty
    return _follow(ctx, name, chunks, STD_STREAMS, proxy, started=False)


ATTACH_REFUSALS = {  # the CLI's own words (CLI 28.2.2 and 26.1 alike)
    "stopped": "You cannot attach to a stopped container, start it first",
    "paused": "You cannot attach to a paused container, unpause it first",
    "restarting": "You cannot attach to a restarting container, wait until it is running",
}


def _timeout(parsed: ParsedArgs) -> int | None:
    for name in ("timeout", "time"):
        if parsed.given(name):
            return int(parsed.get(name))  # type: ignore[call-overload]
    return None


def cmd_stop(ctx: CommandContext, parsed: ParsedArgs) -> int:
    timeout = _timeout(parsed)
    failed = _for_each(ctx, parsed.positionals, lambda c: ctx.engine.stop(c, timeout=timeout))
    return 1 if failed else 0


def cmd_restart(ctx: CommandContext, parsed: ParsedArgs) -> int:
    timeout = _timeout(parsed)
    failed = _for_each(ctx, parsed.positionals, lambda c: ctx.engine.restart(c, timeout=timeout))
    return 1 if failed else 0


def cmd_wait(ctx: CommandContext, parsed: ParsedArgs) -> int:
    # Exit codes as the containers stop; the errors come together at the end.
    errors: list[str] = []
    for name in parsed.positionals:
        try:
            ctx.out(str(int(ctx.engine.wait(name).get("StatusCode", 0))))
        except EngineError as exc:
            errors.append(daemon_error(exc))
    if errors:
        raise CliError("\n".join(errors))
    return 0


def cmd_rename(ctx: CommandContext, parsed: ParsedArgs) -> int:
    old, new = (name.strip() for name in parsed.positionals)
    if not old or not new:
        raise CliError("Error: Neither old nor new names may be empty")
    try:
        ctx.engine.rename(old, new)
    except EngineError as exc:
        ctx.err(daemon_error(exc))
        raise CliError(f"Error: failed to rename container named {old}") from None
    return 0


def cmd_kill(ctx: CommandContext, parsed: ParsedArgs) -> int:
    signal = parsed.text("signal") or None
    failed = _for_each(ctx, parsed.positionals, lambda c: ctx.engine.kill(c, signal=signal))
    return 1 if failed else 0


def cmd_rm(ctx: CommandContext, parsed: ParsedArgs) -> int:
    force, volumes = parsed.flag("force"), parsed.flag("volumes")
    failed = False
    for name in parsed.positionals:
        try:
            ctx.engine.remove_container(name.strip("/"), v=volumes, force=force)
        except NotFound as exc:
            ctx.err(daemon_error(exc))
            failed = failed or not force  # -f reports a missing container but succeeds
        except EngineError as exc:
            ctx.err(daemon_error(exc))
            failed = True
        else:
            ctx.out(name)
    return 1 if failed else 0


def cmd_container_prune(ctx: CommandContext, parsed: ParsedArgs) -> int:
    if not parsed.flag("force") and not confirmed(
        ctx, "WARNING! This will remove all stopped containers."
    ):
        return 0
    print_reclaimed(ctx, prune_containers(ctx, parse_filters(parsed.items("filter"))))
    return 0


def prune_containers(ctx: CommandContext, filters: dict[str, list[str]]) -> int:
    """Prune stopped containers, print what went; the bytes reclaimed."""
    report = ctx.engine.prune_containers(filters=filters or None)
    print_section(ctx, "Deleted Containers:", report.get("ContainersDeleted") or [])
    return int(report.get("SpaceReclaimed") or 0)


# -- inspection -----------------------------------------------------------------------------


class ContainerRow(gotemplate.StructContext):
    """docker's ``*formatter.ContainerContext``: remembers which fields a format reads, since
    the CLI asks the daemon for sizes only when ``.Size`` is among them."""

    def __init__(self, fields: dict[str, str], labels: dict[str, str]) -> None:
        super().__init__(fields, "*formatter.ContainerContext")
        self.labels = labels
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.used.add(key)
        return super().__getitem__(key)

    def items(self) -> Any:  # `{{json .}}` reads every field
        self.used.update(self.keys())
        return super().items()

    def Label(self, name: str) -> str:
        return self.labels.get(name, "")


def size_text(container: dict[str, Any], virtual: bool = True) -> str:
    """``ContainerContext.Size``: ``2B (virtual 21.5MB)``; just the writable layer when the
    daemon sent no SizeRootFs (or ``virtual`` is off, as in ``system df -v``)."""
    text = render.human_size(int(container.get("SizeRw") or 0), 3)
    root = int(container.get("SizeRootFs") or 0) if virtual else 0
    return f"{text} (virtual {render.human_size(root, 3)})" if root > 0 else text


def _ps_row(container: dict[str, Any], trunc: bool, now: float) -> ContainerRow:
    image = container.get("Image") or "<no image>"
    if trunc:
        if short_id(container.get("ImageID", "")) == short_id(image) and len(image) >= 12:
            image = short_id(image)
        elif "@" in image:
            image = image.split("@", 1)[0]
    names = [n[1:] if n.startswith("/") else n for n in container.get("Names") or []]
    if trunc:
        names = [n for n in names if "/" not in n][:1] or names[:1]
    command = container.get("Command", "")
    labels = container.get("Labels") or {}
    created = int(container.get("Created", 0))
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    mounts = container.get("Mounts") or []
    fields = {
        "ID": container["Id"][:12] if trunc else container["Id"],
        "Image": image,
        "Command": render.go_quote(render.ellipsis(command, 20) if trunc else command),
        "CreatedAt": go_time(created),
        "RunningFor": render.created_ago(created, now),
        "Ports": render.format_ports(container.get("Ports") or []),
        "State": container.get("State", ""),
        "Status": container.get("Status", ""),
        "Size": size_text(container),
        "Names": ",".join(names),
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "Mounts": ",".join(m.get("Name") or m.get("Source", "") for m in mounts),
        "Networks": ",".join(sorted(networks)),
        "LocalVolumes": str(sum(1 for m in mounts if m.get("Driver") == "local")),
        "Platform": container.get("ImageManifestDescriptor"),  # API 1.48+; null before
    }  # fmt: skip
    return ContainerRow(fields, dict(labels))


def _format_wants_size(fmt: str, trunc: bool) -> bool:
    """Run the format once on an empty container, as the CLI does to validate it; a format
    that fails there fails the command, and one that reads ``.Size`` turns ``--size`` on."""
    if not fmt:
        return False
    empty = _ps_row({"Id": ""}, trunc, 0.0)
    try:
        template = gotemplate.compile_template(fmt)
    except gotemplate.TemplateError as exc:
        raise CliError(f"failed to parse template: {exc.go_error}") from None
    try:
        template.execute(empty)
    except gotemplate.TemplateError as exc:
        raise CliError(f"failed to execute template: {exc.go_error}") from None
    return "Size" in empty.used


def cmd_ps(ctx: CommandContext, parsed: ParsedArgs) -> int:
    last = int(parsed.get("last", -1))  # type: ignore[call-overload]
    if parsed.flag("latest"):
        last = 1
    show_all = parsed.flag("all") or last > 0
    filters = parse_filters(parsed.items("filter")) or None
    trunc = not parsed.flag("no-trunc")
    quiet, size, fmt = parsed.flag("quiet"), parsed.flag("size"), parsed.text("format")
    wants_size = _format_wants_size(fmt, trunc)
    if not quiet and not size and not parsed.given("size"):
        size = wants_size
    if fmt and quiet:
        ctx.err("WARNING: Ignoring custom format, because both --format and --quiet are set.")
    containers = ctx.engine.containers(all=show_all, filters=filters, size=size)
    if last > 0:
        containers = containers[:last]
    now = ctx.now()
    rows = [_ps_row(c, trunc, now) for c in containers]
    if quiet:
        fmt = "{{.ID}}"
    default = PS_DEFAULT + ("\t{{.Size}}" if size else "")
    ctx.stdout.write(format_rows(fmt, rows, PS_HEADERS, default))
    return 0


def cmd_logs(ctx: CommandContext, parsed: ParsedArgs) -> int:
    chunks = ctx.engine.stream_logs(
        parsed.positionals[0],
        follow=parsed.flag("follow"),
        timestamps=parsed.flag("timestamps"),
        tail=parsed.text("tail", "all"),
    )
    _pump(ctx, chunks, STD_STREAMS)
    return 0


def cmd_diff(ctx: CommandContext, parsed: ParsedArgs) -> int:
    kinds = {0: "C", 1: "A", 2: "D"}
    for change in ctx.engine.diff(parsed.positionals[0]) or []:
        ctx.out(f"{kinds.get(int(change['Kind']), '?')} {change['Path']}")
    return 0


def cmd_exec(ctx: CommandContext, parsed: ParsedArgs) -> int:
    container, *command = parsed.positionals
    tty, interactive = parsed.flag("tty"), parsed.flag("interactive")
    if tty and interactive and not parsed.flag("detach"):
        refuse_terminal(ctx)
    env = [
        e if "=" in e or e not in os.environ else f"{e}={os.environ[e]}"
        for e in parsed.items("env")
    ]
    created = ctx.engine.exec_create(
        container, command, environment=env or None, workdir=parsed.text("workdir") or None,
        user=parsed.text("user"), tty=tty, stdin=interactive,
    )  # fmt: skip
    exec_id = str(created["Id"])
    if parsed.flag("detach"):
        ctx.engine.exec_start(exec_id, detach=True)
        return 0
    try:
        out, err = ctx.engine.exec_start(exec_id, stdin=_input(ctx, parsed))
    except NeverEnds as exc:
        out, err = exc.output
        ctx.stdout.write(out.decode("utf-8", "replace"))
        ctx.stderr.write(err.decode("utf-8", "replace"))
        raise CliError(exc.message, 137) from None
    except EngineError as exc:
        raise CliError(daemon_error(exc), 126) from None
    ctx.stdout.write(out.decode("utf-8", "replace"))
    ctx.stderr.write(err.decode("utf-8", "replace"))
    return int(ctx.engine.exec_inspect(exec_id).get("ExitCode") or 0)
