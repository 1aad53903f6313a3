"""inspect (mixed, container, image), version, info, system df."""

from __future__ import annotations

import platform
from collections.abc import Callable
from datetime import datetime
from typing import Any

from layerlab.cli import gotemplate, render
from layerlab.cli.commands.base import CommandContext, format_rows, go_json, write_format
from layerlab.cli.errors import CliError, daemon_error
from layerlab.cli.flags import ParsedArgs
from layerlab.cli.grammar import cli_26
from layerlab.cli.inspect_types import typed
from layerlab.engine.api import CLIENT_API_VERSION, Json, negotiated_version
from layerlab.engine.errors import EngineError, NotFound
from layerlab.version import __version__ as LAYERLAB_VERSION

_TYPES = ("config", "container", "image", "network", "node", "plugin", "secret", "service",
          "task", "volume")  # fmt: skip


def _write_inspect(ctx: CommandContext, fmt: str, items: list[Json], errors: list[str]) -> int:
    """The CLI's inspector: an indented JSON array, or the template once per object."""
    if not fmt:
        ctx.out(go_json(items, indent=4) if items else "[]")
    elif fmt == "json":  # the raw objects as one compact JSON array
        ctx.out(go_json(items))
    else:
        # The inspector parses the template as it is (no "table", no expansion of \t or \n)
        # and refuses one that does not parse with status 64 before it looks anything up.
        try:
            template = gotemplate.compile_template(fmt)
        except gotemplate.TemplateError as exc:
            raise CliError(str(exc), 64) from None
        try:
            text = "".join(
                template.execute(typed(item), missing_key="error") + "\n" for item in items
            )
        except gotemplate.TemplateError as exc:
            ctx.out()
            raise CliError(str(exc)) from None
        ctx.stdout.write(text or "\n")
    if errors:
        raise CliError("\n".join(errors))
    return 0


def _inspect_each(
    ctx: CommandContext, names: list[str], getter: Callable[[str], Json], mixed: bool
) -> tuple[list[Json], list[str]]:
    items: list[Json] = []
    errors: list[str] = []
    for name in names:
        try:
            items.append(getter(name))
        except NotFound as exc:
            errors.append(f"Error: No such object: {name}" if mixed else daemon_error(exc))
        except EngineError as exc:
            # The CLI's inspect goes on to the next kind of object past a name the daemon
            # cannot read as an image reference (its isErrSkippable), as past one not found.
            skippable = mixed and "invalid reference format" in exc.message
            errors.append(f"Error: No such object: {name}" if skippable else daemon_error(exc))
    return items, errors


def cmd_container_inspect(ctx: CommandContext, parsed: ParsedArgs) -> int:
    items, errors = _inspect_each(ctx, parsed.positionals, ctx.engine.inspect_container, False)
    return _write_inspect(ctx, parsed.text("format"), items, errors)


def cmd_image_inspect(ctx: CommandContext, parsed: ParsedArgs) -> int:
    items, errors = _inspect_each(ctx, parsed.positionals, ctx.engine.inspect_image, False)
    return _write_inspect(ctx, parsed.text("format"), items, errors)


def cmd_inspect(ctx: CommandContext, parsed: ParsedArgs) -> int:
    kind = parsed.text("type")
    if kind and kind not in _TYPES:
        if cli_26():  # Engine 26.1's CLI words it so (measured)
            raise CliError(f'"{kind}" is not a valid value for --type')
        choices = ", ".join(f'"{t}"' for t in _TYPES)
        raise CliError(f'unknown type: "{kind}": must be one of {choices}')
    if kind == "container":
        getter = ctx.engine.inspect_container
    elif kind == "image":
        getter = ctx.engine.inspect_image
    elif kind:
        raise CliError(f"layerlab: 'docker inspect --type {kind}' is not supported by LayerLab")
    else:

        def getter(name: str) -> Json:
            try:
                return ctx.engine.inspect_container(name)
            except NotFound:
                return ctx.engine.inspect_image(name)

    items, errors = _inspect_each(ctx, parsed.positionals, getter, not kind)
    return _write_inspect(ctx, parsed.text("format"), items, errors)


# -- version --------------------------------------------------------------------------------


def _ansic(timestamp: str) -> str:
    """The CLI shows the daemon's RFC 3339 build time in Go's ANSIC layout."""
    try:
        moment = datetime.fromisoformat(timestamp[:26].rstrip("Z") + timestamp[29:])
    except ValueError:
        return timestamp
    return moment.strftime("%a %b ") + f"{moment.day:>2}" + moment.strftime(" %H:%M:%S %Y")


def _cli_release(engine_name: str) -> tuple[str, str]:
    """The docker CLI release whose behaviour this client reproduces, and its API version:
    Engine 26.1's own CLI in the simulator's 26.1 profile (its help and words), else 28.2.2.
    Before a real daemon the client speaks the version it negotiated from its own, newest one
    (``layerlab.engine.real``), whichever CLI's words it uses."""
    if cli_26() and engine_name != "real":
        return "26.1.5+dfsg1", "1.45"
    return "28.2.2", CLIENT_API_VERSION


def _client_info(ctx: CommandContext, server: Json) -> Json:
    release, api_version = _cli_release(ctx.engine.name)
    return {
        "Platform": {"Name": "LayerLab"},
        "Version": release,
        "APIVersion": negotiated_version(server, api_version),
        "DefaultAPIVersion": api_version,
        "LayerLabVersion": LAYERLAB_VERSION,
        "PythonVersion": platform.python_version(),
        "Os": platform.system().lower(),
        "Arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine()),
        "Context": ctx.engine.name,
    }


def _server_lines(server: Json) -> list[str]:
    platform_name = (server.get("Platform") or {}).get("Name", "")
    lines = ["Server:" + (f" {platform_name}" if platform_name else "")]
    for component in server.get("Components") or []:
        details = component.get("Details") or {}
        lines.append(f" {component['Name']}:")
        if component["Name"] == "Engine":
            rows = [
                ("Version", component.get("Version", "")),
                ("API version", f"{details.get('ApiVersion')} (minimum version "
                                f"{details.get('MinAPIVersion')})"),
                ("Go version", details.get("GoVersion", "")),
                ("Git commit", details.get("GitCommit", "")),
                ("Built", _ansic(details.get("BuildTime", ""))),
                ("OS/Arch", f"{details.get('Os')}/{details.get('Arch')}"),
                ("Experimental", details.get("Experimental", "false")),
            ]  # fmt: skip
        else:
            rows = [("Version", component.get("Version", ""))]
            rows += [(key, details[key]) for key in sorted(details)]
        lines.extend(f"  {(label + ':').ljust(18)}{value}" for label, value in rows)
    return lines


def cmd_version(ctx: CommandContext, parsed: ParsedArgs) -> int:
    server = ctx.engine.version()
    client = _client_info(ctx, server)
    fmt = parsed.text("format")
    if fmt:
        # Templates see Go field names: the JSON key ApiVersion is the field APIVersion.
        server_fields = {("APIVersion" if k == "ApiVersion" else k): v for k, v in server.items()}
        data = {"Client": client, "Server": server_fields}
        if fmt == "json":
            ctx.out(go_json(data))
            return 0
        # Go structs, as the CLI's: an unknown field is an error, not "<no value>". The
        # client's is not typed: it lacks fields of Docker's (GoVersion, GitCommit), which
        # are not unknown there.
        typed_data = gotemplate.StructContext(
            {"Client": client, "Server": gotemplate.StructContext(server_fields, "*types.Version")},
            "system.versionInfo",
        )
        write_format(ctx, fmt, typed_data, "version")
        return 0
    # As the CLI's template: the version it speaks, and its own where the daemon's is lower.
    default = client["DefaultAPIVersion"]
    downgraded = f" (downgraded from {default})" if client["APIVersion"] != default else ""
    lines = [
        "Client: LayerLab (a Python port of the docker CLI, not Docker's own client)",
        f" Version:           {client['Version']} (LayerLab {client['LayerLabVersion']})",
        f" API version:       {client['APIVersion']}{downgraded}",
        f" Python version:    {client['PythonVersion']}",
        f" OS/Arch:           {client['Os']}/{client['Arch']}",
        f" Engine:            {client['Context']}",
        "",
        *_server_lines(server),
    ]
    ctx.out("\n".join(lines))
    return 0


# -- info -----------------------------------------------------------------------------------


def cmd_info(ctx: CommandContext, parsed: ParsedArgs) -> int:
    info = ctx.engine.info()
    fmt = parsed.text("format")
    if fmt:
        write_format(ctx, fmt, info)
        return 0
    plain = [
        ("Server Version", "ServerVersion"), ("Storage Driver", "Driver"),
        ("Logging Driver", "LoggingDriver"), ("Cgroup Driver", "CgroupDriver"),
        ("Cgroup Version", "CgroupVersion"), ("Kernel Version", "KernelVersion"),
        ("Operating System", "OperatingSystem"), ("OSType", "OSType"),
        ("Architecture", "Architecture"), ("CPUs", "NCPU"),
        ("Name", "Name"), ("ID", "ID"), ("Docker Root Dir", "DockerRootDir"),
        ("Debug Mode", "Debug"), ("Experimental", "ExperimentalBuild"),
        ("Live Restore Enabled", "LiveRestoreEnabled"),
        ("Program Confinement", "ProgramConfinement"),  # the simulator's only
    ]  # fmt: skip
    lines = [
        "Client: LayerLab",
        f" Version:    {_cli_release(ctx.engine.name)[0]} (LayerLab {LAYERLAB_VERSION})",
        f" Context:    {ctx.engine.name}",
        "",
        "Server:",
        f" Containers: {info.get('Containers', 0)}",
        f"  Running: {info.get('ContainersRunning', 0)}",
        f"  Paused: {info.get('ContainersPaused', 0)}",
        f"  Stopped: {info.get('ContainersStopped', 0)}",
        f" Images: {info.get('Images', 0)}",
    ]
    for label, key in plain:
        if key in info:
            value = info[key]
            lines.append(f" {label}: {str(value).lower() if isinstance(value, bool) else value}")
    if "MemTotal" in info:
        lines.append(f" Total Memory: {render.bytes_size(info['MemTotal'])}")
    ctx.out("\n".join(lines))
    return 0


# -- system df ------------------------------------------------------------------------------

DF_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
              "Reclaimable": "RECLAIMABLE"}  # fmt: skip
DF_DEFAULT = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"


def _reclaim(amount: int, total: int) -> str:
    text = render.human_size(amount, 4)
    return f"{text} ({amount * 100 // total}%)" if total > 0 else text


def _df_rows(df: Json) -> list[dict[str, Any]]:
    images = df.get("Images") or []
    layers = int(df.get("LayersSize") or 0)
    used = 0
    for image in images:
        if int(image.get("Containers") or 0) > 0:
            shared = int(image.get("SharedSize", -1))
            used += int(image.get("Size") or 0) - (shared if shared != -1 else 0)
    containers = df.get("Containers") or []
    c_size = sum(int(c.get("SizeRw") or 0) for c in containers)
    c_free = sum(int(c.get("SizeRw") or 0) for c in containers if c.get("State") != "running")
    volumes = df.get("Volumes") or []
    usage = [v.get("UsageData") or {} for v in volumes]
    v_size = sum(max(int(u.get("Size", 0)), 0) for u in usage)
    v_free = sum(max(int(u.get("Size", 0)), 0) for u in usage if int(u.get("RefCount", 0)) == 0)
    cache = df.get("BuildCache") or []
    b_size = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    b_free = sum(
        int(b.get("Size") or 0) for b in cache if not b.get("Shared") and not b.get("InUse")
    )
    return [
        {"Type": "Images", "TotalCount": str(len(images)),
         "Active": str(sum(1 for i in images if int(i.get("Containers") or 0) > 0)),
         "Size": render.human_size(layers, 4), "Reclaimable": _reclaim(layers - used, layers)},
        {"Type": "Containers", "TotalCount": str(len(containers)),
         "Active": str(sum(1 for c in containers if c.get("State") == "running")),
         "Size": render.human_size(c_size, 4), "Reclaimable": _reclaim(c_free, c_size)},
        {"Type": "Local Volumes", "TotalCount": str(len(volumes)),
         "Active": str(sum(1 for u in usage if int(u.get("RefCount", 0)) > 0)),
         "Size": render.human_size(v_size, 4), "Reclaimable": _reclaim(v_free, v_size)},
        {"Type": "Build Cache", "TotalCount": str(len(cache)),
         "Active": str(sum(1 for b in cache if b.get("InUse"))),
         "Size": render.human_size(b_size, 4), "Reclaimable": render.human_size(b_free, 4)},
    ]  # fmt: skip


def cmd_df(ctx: CommandContext, parsed: ParsedArgs) -> int:
    fmt = parsed.text("format")
    if parsed.flag("verbose"):
        if fmt not in ("", "table"):
            raise CliError("layerlab: 'docker system df --verbose' supports only the table format")
        from layerlab.cli.commands.system_df import write_verbose

        write_verbose(ctx, ctx.engine.df())
        return 0
    rows = _df_rows(ctx.engine.df())
    ctx.stdout.write(format_rows(fmt, rows, DF_HEADERS, DF_DEFAULT))
    return 0
