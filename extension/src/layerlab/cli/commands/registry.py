"""Registry commands: pull, push, login, logout."""

from __future__ import annotations

from typing import TextIO

from layerlab.cli.commands.base import CommandContext, StreamError, display_stream
from layerlab.cli.commands.runopts import split_reference
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.reference import InvalidReference, parse_normalized

DEFAULT_REGISTRY = "https://index.docker.io/v1/"


def _normalized(text: str) -> str:
    try:
        return str(parse_normalized(text).with_default_tag())
    except InvalidReference as exc:
        raise CliError(f"invalid reference format{_detail(exc.message)}") from None


def _detail(message: str) -> str:
    prefix = "invalid reference format"
    return message[len(prefix) :] if message.startswith(prefix) else f": {message}"


def pull_to(ctx: CommandContext, repository: str, tag: str | None, out: TextIO) -> None:
    """Pull and print the progress to ``out`` (run/create send it to stderr)."""
    target = CommandContext(ctx.engine, out, ctx.stderr, ctx.cwd, ctx.input, ctx.command)
    try:
        display_stream(target, ctx.engine.pull(repository, tag=tag or "latest"))
    except StreamError as exc:
        raise CliError(exc.text, 1) from None


def cmd_pull(ctx: CommandContext, parsed: ParsedArgs) -> int:
    image = parsed.positionals[0]
    full = _normalized(image)
    repository, tag = split_reference(image)
    all_tags = parsed.flag("all-tags")
    if all_tags and tag is not None:
        raise CliError("tag can't be used with --all-tags/-a")
    if tag is None and not all_tags:
        ctx.out("Using default tag: latest")
    quiet = parsed.flag("quiet")
    try:
        pull_tag = tag if tag is not None or all_tags else "latest"
        messages = ctx.engine.pull(repository, tag=pull_tag, all_tags=all_tags)
        if quiet:
            for message in messages:
                if message.get("error") or message.get("errorDetail"):
                    display_stream(ctx, [message])
        else:
            display_stream(ctx, messages)
    except StreamError as exc:
        raise CliError(exc.text, 1) from None
    ctx.out(full.rsplit(":", 1)[0] if all_tags else full)
    return 0


def cmd_push(ctx: CommandContext, parsed: ParsedArgs) -> int:
    image = parsed.positionals[0]
    _normalized(image)
    repository, tag = split_reference(image)
    if tag is None:
        ctx.out("Using default tag: latest")
    try:
        messages = ctx.engine.push(repository, tag=tag or "latest")
        if parsed.flag("quiet"):
            for message in messages:
                if message.get("error") or message.get("errorDetail"):
                    display_stream(ctx, [message])
            ctx.out(_normalized(image))
        else:
            display_stream(ctx, messages)
    except StreamError as exc:
        raise CliError(exc.text, 1) from None
    return 0


def cmd_login(ctx: CommandContext, parsed: ParsedArgs) -> int:
    server = parsed.positionals[0] if parsed.positionals else None
    username = parsed.text("username")
    password = parsed.text("password")
    if parsed.flag("password-stdin"):
        if parsed.given("password"):
            raise CliError("--password and --password-stdin are mutually exclusive")
        if not username:
            raise CliError("Must provide --username with --password-stdin")
        password = (ctx.stdin or b"").decode().rstrip("\r\n")
    elif parsed.given("password"):
        ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
    if not username or not password:
        # Notebooks and scripts have no terminal to prompt on, exactly like a piped docker.
        raise CliError("Error: Cannot perform an interactive login from a non TTY device")
    result = ctx.engine.login(username, password, registry=server)
    ctx.out(str(result.get("Status") or "Login Succeeded"))
    return 0


def cmd_logout(ctx: CommandContext, parsed: ParsedArgs) -> int:
    server = parsed.positionals[0] if parsed.positionals else DEFAULT_REGISTRY
    ctx.engine.logout(parsed.positionals[0] if parsed.positionals else None)
    ctx.out(f"Removing login credentials for {server}")
    return 0
