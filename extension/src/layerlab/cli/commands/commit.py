"""``docker commit``: a new image from a container's changes."""

from __future__ import annotations

from layerlab.cli.commands.base import CommandContext
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.reference import InvalidReference, parse_normalized


def cmd_commit(ctx: CommandContext, parsed: ParsedArgs) -> int:
    container, *target = parsed.positionals
    repository = tag = None
    if target:
        # The CLI splits the reference itself (a bad one never reaches the daemon).
        try:
            reference = parse_normalized(target[0])
        except InvalidReference as exc:
            raise CliError(exc.message) from None
        if reference.digest:
            raise CliError("refusing to create a tag with a digest reference")
        repository, tag = reference.familiar_name, reference.with_default_tag().tag
    created = ctx.engine.commit(
        container,
        repository=repository,
        tag=tag,
        message=parsed.text("message") or None,
        author=parsed.text("author") or None,
        pause=parsed.flag("pause"),
        changes=parsed.items("change") or None,
    )
    ctx.out(str(created["Id"]))
    return 0
