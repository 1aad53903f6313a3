"""``docker build`` with the classic builder (the banner is printed by ``main``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from layerlab.cli import render
from layerlab.cli.commands.base import CommandContext, StreamError, display_stream, key_values
from layerlab.cli.context import build_context_tar, resolve_context, stdin_context
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.reference import InvalidReference, parse_normalized


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
    tags = parsed.items("tag")
    for tag in tags:
        try:
            parse_normalized(tag)
        except InvalidReference as exc:
            raise CliError(
                f'invalid argument "{tag}" for "-t, --tag" flag: {exc.message}\n'
                "See 'docker build --help'."
            ) from None
    if context == "-":
        data = ctx.stdin or b""
        archive, dockerfile = stdin_context(data, parsed.text("file") or None, ctx.now())
    else:
        root, dockerfile = resolve_context(ctx.cwd, context, parsed.text("file") or None)
        archive = build_context_tar(root, dockerfile)
    quiet = parsed.flag("quiet")
    if not quiet:
        size = render.human_size(len(archive), 4)
        ctx.stdout.write(f"Sending build context to Docker daemon  {size}\r\r\n")
    # In quiet mode the CLI buffers the daemon's output and shows it only when the build fails.
    target = ctx
    buffer = io.StringIO()
    if quiet:
        target = CommandContext(ctx.engine, buffer, ctx.stderr, ctx.cwd, ctx.input, ctx.command)
    build_args = {
        key: val for key, val in key_values(parsed.items("build-arg")).items()
    }  # fmt: skip
    messages = ctx.engine.build(
        archive,
        tags=tags,
        dockerfile=dockerfile,
        nocache=parsed.flag("no-cache"),
        quiet=quiet,
        buildargs=build_args or None,
        labels=key_values(parsed.items("label")) or None,
        rm=bool(parsed.get("rm", True)),
        pull=parsed.flag("pull"),
    )
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
        ctx.out(image_id or buffer.getvalue().strip())
    return 0
