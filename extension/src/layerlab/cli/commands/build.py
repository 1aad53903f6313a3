"""``docker build``: with BuildKit where the engine is Engine 26.1 with buildx (its plain
progress, :mod:`layerlab.cli.buildkit_progress`), else with the classic builder, whose text is
the daemon's (the deprecation banner is printed by ``main``)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from layerlab.cli import render
from layerlab.cli.buildkit_progress import PlainPrinter, source_excerpt
from layerlab.cli.buildkit_stream import follow, follow_paced
from layerlab.cli.buildkit_tty import TtyPrinter, terminal_size
from layerlab.cli.commands.base import CommandContext, StreamError, display_stream, key_values
from layerlab.cli.context import build_context_tar, is_archive, resolve_context, stdin_context
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.errors import EngineError
from layerlab.engine.reference import ERR_NAME_UPPERCASE, InvalidReference, parse_normalized


@dataclass
class BuildRecord:
    """The last ``docker build`` run in this process, kept for the build explainer
    (``layerlab.viz.explain``): what was asked for and every message the engine sent."""

    engine: str
    tags: list[str]
    dockerfile: str
    nocache: bool
    context: bytes
    started: float  # the engine's clock when the build began
    messages: list[dict[str, Any]] = field(default_factory=list)


last_build: BuildRecord | None = None

# What the CLI prints on stderr before a build with the classic builder: Docker 23 and later
# deprecate it (measured with the CLIs of 20.10, as Debian ships it, and 26.1).
_LEGACY = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
_NO_BUILDX = (
    "            Install the buildx component to build images with BuildKit:\n"
    "            https://docs.docker.com/go/buildx/\n\n"
)
_DISABLED = (
    "            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n"
    "            environment-variable.\n\n"
)


def uses_buildkit(engine: Any) -> bool:
    """Whether ``docker build`` builds with BuildKit: Engine 26.1 with buildx does, unless
    ``DOCKER_BUILDKIT=0``; the engines without buildx use the classic builder."""
    return getattr(engine, "profile", "") == "26.1" and os.environ.get("DOCKER_BUILDKIT") != "0"


def build_banner(engine: Any) -> str:
    if uses_buildkit(engine):
        return ""
    if getattr(engine, "profile", "") == "26.1":
        return _LEGACY + _DISABLED
    return _LEGACY + _NO_BUILDX


def _check_network(ctx: CommandContext, network: str) -> None:
    """Simulated builds have no network: --network=none and the default say just that. A
    real daemon has its own modes (``host``, a network of its own; safe mode refuses host),
    past what buildx itself refuses."""
    if network in ("default", "none") or (network == "bridge" and not uses_buildkit(ctx.engine)):
        return
    if uses_buildkit(ctx.engine) and network != "host":
        raise CliError(
            f'ERROR: network mode "{network}" not supported by buildkit - you can define a '
            "custom network for your builder using the network driver-opt in buildx create",
            1,
        )
    if ctx.engine.name == "real":
        return
    raise CliError(
        f"layerlab: a build on network {network!r} is not modelled by LayerLab: simulated "
        "builds have no network (use --network=none, or leave it out)"
    )


def _options(parsed: ParsedArgs, tags: list[str], dockerfile: str) -> dict[str, Any]:
    """What both builders are asked for, from the command line."""
    network = parsed.text("network") or "default"
    return {
        "tags": tags,
        "dockerfile": dockerfile,
        "nocache": parsed.flag("no-cache"),
        "quiet": parsed.flag("quiet"),
        "buildargs": key_values(parsed.items("build-arg")) or None,
        "labels": key_values(parsed.items("label")) or None,
        "pull": parsed.flag("pull"),
        "target": parsed.text("target") or "",
        "network": "" if network == "default" else network,
    }


def _recorded(record: BuildRecord, messages: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for message in messages:
        record.messages.append(message)
        yield message


def cmd_build(ctx: CommandContext, parsed: ParsedArgs) -> int:
    context = parsed.positionals[0]
    if "://" in context or context.startswith("git@"):
        raise CliError("layerlab: building from a URL is not supported by LayerLab")
    if context != "-" and parsed.text("file") == "-":
        raise CliError(
            "layerlab: a Dockerfile from stdin with a context directory is not supported by "
            "LayerLab (use 'docker build -' for a Dockerfile alone, or write it to a file)"
        )
    _check_network(ctx, parsed.text("network") or "default")
    # Engine 26.1's CLI has its legacy builder's own flags, without --progress (20.10's has it).
    legacy_26 = getattr(ctx.engine, "profile", "") == "26.1" and not uses_buildkit(ctx.engine)
    if "progress" in parsed.order and legacy_26:
        raise CliError("unknown flag: --progress\nSee 'docker build --help'.", 125)
    tags = parsed.items("tag")
    for tag in tags:
        try:
            parse_normalized(tag)
        except InvalidReference as exc:
            if uses_buildkit(ctx.engine):  # buildx checks tags with an older reference library
                older = ERR_NAME_UPPERCASE if exc.message.endswith("must be lowercase") else None
                raise CliError(f'ERROR: invalid tag "{tag}": {older or exc.message}') from None
            raise CliError(
                f'invalid argument "{tag}" for "-t, --tag" flag: {exc.message}\n'
                "See 'docker build --help'."
            ) from None
    shared_key = ""
    uploaded = False  # buildx uploads a tar on stdin as it is, the context of the build
    if context == "-":
        data = ctx.stdin or b""
        uploaded = is_archive(data)
        archive, dockerfile = stdin_context(data, parsed.text("file") or None, ctx.now())
    else:
        try:
            root, dockerfile = resolve_context(
                ctx.cwd, context, parsed.text("file") or None, buildx=uses_buildkit(ctx.engine)
            )
        except CliError as exc:
            if uses_buildkit(ctx.engine):  # buildx says the same, as an error of its own
                raise CliError("ERROR: " + exc.text, exc.code) from None
            raise
        archive = build_context_tar(root, dockerfile)
        shared_key = str(root)
    if uses_buildkit(ctx.engine):
        return _buildkit(ctx, parsed, tags, archive, dockerfile, shared_key, uploaded)
    quiet = parsed.flag("quiet")
    sent = f"Sending build context to Docker daemon  {render.human_size(len(archive), 4)}\r\r\n"
    # In quiet mode the CLI buffers the upload's progress and the daemon's output, and shows
    # them (on stderr) only when the build fails.
    target = ctx
    buffer = io.StringIO()
    if quiet:
        target = CommandContext(ctx.engine, buffer, ctx.stderr, ctx.cwd, ctx.input, ctx.command)
    target.stdout.write(sent)
    try:
        messages = ctx.engine.build(
            archive, **_options(parsed, tags, dockerfile), rm=bool(parsed.get("rm", True))
        )
    except EngineError:
        if quiet:
            ctx.stderr.write(buffer.getvalue())
        raise
    global last_build
    last_build = BuildRecord(
        ctx.engine.name, tags, dockerfile, parsed.flag("no-cache"), archive, ctx.engine.now()
    )
    messages = _recorded(last_build, messages)
    try:
        aux = display_stream(target, messages)
    except StreamError as exc:
        if quiet:
            ctx.stderr.write(buffer.getvalue())
        raise CliError(exc.text, exc.code or 1) from None
    if quiet:
        image_id = next((a["ID"] for a in aux if isinstance(a, dict) and "ID" in a), None)
        ctx.out(image_id or buffer.getvalue().removeprefix(sent).strip())
    return 0


def _buildkit(
    ctx: CommandContext,
    parsed: ParsedArgs,
    tags: list[str],
    archive: bytes,
    dockerfile: str,
    shared_key: str,
    uploaded: bool,
) -> int:
    """buildx's build: the daemon's solve status on stderr, as the terminal view when stderr is
    a terminal and as plain progress otherwise (nothing with ``-q``), the image ID on stdout
    with ``-q``; a failure's account and its last line."""
    quiet = parsed.flag("quiet")
    progress = parsed.text("progress") or "auto"
    if progress not in ("auto", "plain", "tty", "quiet", "rawjson"):
        ctx.err(f"ERROR: invalid progress mode {progress}")
        return 1
    if progress == "plain" and quiet:
        ctx.err("ERROR: progress=plain and quiet cannot be used together")
        return 1
    terminal = terminal_size(ctx.stderr) if progress in ("auto", "tty") else None
    if progress == "tty" and terminal is None:  # a notebook's output, a pipe
        ctx.err("ERROR: failed to get console: provided file is not a console")
        return 1
    if progress == "rawjson":
        raise CliError("layerlab: --progress=rawjson is not supported by LayerLab")
    quiet = quiet or progress == "quiet"
    messages = ctx.engine.build(
        archive, **{**_options(parsed, tags, dockerfile), "quiet": quiet}, version="2",
        shared_key=shared_key, uploaded=uploaded,
    )  # fmt: skip
    global last_build
    last_build = BuildRecord(
        ctx.engine.name, tags, dockerfile, parsed.flag("no-cache"), archive, ctx.engine.now()
    )
    messages = _recorded(last_build, messages)
    image_id, error = "", None
    if terminal is not None and not quiet:
        view = TtyPrinter(ctx.stderr, *terminal)
        try:
            image_id, error = follow(messages, view.feed)
        finally:
            view.close()  # the last view, whole, then the failed steps' logs
    else:
        printer = PlainPrinter(ctx.stderr if not quiet else io.StringIO())
        if ctx.engine.name == "real":  # a daemon building in real time
            image_id, error = follow_paced(messages, printer)
        else:
            image_id, error = follow(messages, printer.feed)
        if error is not None and not quiet:
            ctx.stderr.write(printer.failed_logs())
    if error is not None:
        detail = error.get("errorDetail") or {}
        if detail.get("source"):
            ctx.stderr.write(source_excerpt(detail["source"]))
        ctx.stderr.write(f"ERROR: {error['error']}\n")
        return 1
    if quiet and image_id:
        ctx.out(image_id)
    return 0
