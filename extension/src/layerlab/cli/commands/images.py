"""Image commands: images, rmi, history, tag, save, load, image prune."""

from __future__ import annotations

import functools
import os
import posixpath
import stat
from datetime import UTC, datetime
from typing import Any

from layerlab.cli import render
from layerlab.cli.commands.base import (
    CommandContext,
    StreamError,
    confirmed,
    display_stream,
    format_rows,
    parse_filters,
    short_id,
)
from layerlab.cli.errors import CliError, daemon_error
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.errors import EngineError
from layerlab.engine.reference import InvalidReference, parse_any, parse_normalized

IMAGE_HEADERS = {
    "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "ID": "IMAGE ID",
    "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
    "Containers": "CONTAINERS", "VirtualSize": "VIRTUAL SIZE", "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}  # fmt: skip
IMAGES_DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
IMAGES_DIGESTS = (
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)
HISTORY_HEADERS = {
    "ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT",
}  # fmt: skip
HISTORY_DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"


def print_section(ctx: CommandContext, title: str, lines: list[str]) -> None:
    """One part of a prune's report: a title, a line per item and a blank line; nothing when
    nothing went."""
    if lines:
        ctx.stdout.write("\n".join([title, *lines]) + "\n\n")


def print_reclaimed(ctx: CommandContext, space: int) -> None:
    ctx.out(f"Total reclaimed space: {render.human_size(space, 4)}")


@functools.lru_cache(maxsize=4096)  # every row of every listing formats its creation time
def go_time(unix: float) -> str:
    """Go's ``time.Time.String()`` in the local zone, as docker prints CreatedAt."""
    moment = datetime.fromtimestamp(unix).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z ") + (moment.tzname() or "")


def _image_names(image: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(repository, tag, digest) rows of one image, like docker's image formatter."""
    tags: dict[str, list[str]] = {}
    digests: dict[str, list[str]] = {}
    for text in image.get("RepoTags") or []:
        if text == "<none>:<none>":
            continue
        repo, _, tag = text.rpartition(":")
        tags.setdefault(repo, []).append(tag)
    for text in image.get("RepoDigests") or []:
        if text == "<none>@<none>":
            continue
        repo, _, digest = text.partition("@")
        digests.setdefault(repo, []).append(digest)
    if not tags and not digests:
        return [("<none>", "<none>", "<none>")]
    rows: list[tuple[str, str, str]] = []
    # docker walks Go maps here (random order); sorting keeps our output stable.
    for repo in sorted(tags):
        repo_digests = digests.pop(repo, [])
        for tag in tags[repo]:
            rows.extend((repo, tag, d) for d in repo_digests or ["<none>"])
    for repo in sorted(digests):
        rows.extend((repo, "<none>", d) for d in digests[repo])
    return rows


def _count_or_na(value: int) -> str:
    return "N/A" if value == -1 else str(value)


def _size_or_na(value: int) -> str:
    return "N/A" if value == -1 else render.human_size(value)


def cmd_images(ctx: CommandContext, parsed: ParsedArgs) -> int:
    name = parsed.positionals[0] if parsed.positionals else None
    filters = parse_filters(parsed.items("filter")) or None
    images = ctx.engine.images(name=name, all=parsed.flag("all"), filters=filters)
    trunc = not parsed.flag("no-trunc")
    show_digests = parsed.flag("digests")
    now = ctx.now()
    rows: list[dict[str, Any]] = []
    for image in images:
        created = int(image.get("Created", 0))
        for repo, tag, digest in _image_names(image):
            size = int(image.get("Size") or 0)
            rows.append({
                "Repository": repo,
                "Tag": tag,
                "Digest": digest if show_digests or digest != "<none>" else "<none>",
                "ID": short_id(image["Id"]) if trunc else image["Id"],
                "CreatedSince": render.created_ago(created, now),
                "CreatedAt": go_time(created),
                "Size": render.human_size(size),
                "Containers": _count_or_na(image.get("Containers", -1)),
                # docker/cli: Size has 3 significant digits, VirtualSize go-units' default 4
                "VirtualSize": render.human_size(int(image.get("VirtualSize") or size), 4),
                "SharedSize": _size_or_na(image.get("SharedSize", -1)),
                "UniqueSize": "N/A",
            })  # fmt: skip
    fmt = "{{.ID}}" if parsed.flag("quiet") else parsed.text("format")
    default = IMAGES_DIGESTS if show_digests else IMAGES_DEFAULT
    ctx.stdout.write(format_rows(fmt, rows, IMAGE_HEADERS, default, "*formatter.imageContext"))
    return 0


def cmd_rmi(ctx: CommandContext, parsed: ParsedArgs) -> int:
    failed = False
    for name in parsed.positionals:
        try:
            results = ctx.engine.remove_image(
                name, force=parsed.flag("force"), noprune=parsed.flag("no-prune")
            )
        except EngineError as exc:
            ctx.err(daemon_error(exc))
            failed = True
            continue
        for result in results:
            for key in ("Untagged", "Deleted"):
                if key in result:
                    ctx.out(f"{key}: {result[key]}")
    return 1 if failed else 0


def cmd_image_prune(ctx: CommandContext, parsed: ParsedArgs) -> int:
    if not parsed.flag("force"):
        warning = (
            "WARNING! This will remove all images without at least one container associated "
            "to them."
            if parsed.flag("all")
            else "WARNING! This will remove all dangling images."
        )
        if not confirmed(ctx, warning):
            return 0
    print_reclaimed(
        ctx, prune_images(ctx, parse_filters(parsed.items("filter")), parsed.flag("all"))
    )
    return 0


def prune_images(ctx: CommandContext, filters: dict[str, list[str]], every: bool) -> int:
    """Prune dangling images (``every``: all unused ones), print what went; bytes reclaimed."""
    if every:
        filters = {**filters, "dangling": ["false"]}
    report = ctx.engine.prune_images(filters=filters or None)
    lines = [
        f"{key.lower()}: {entry[key]}"
        for entry in report.get("ImagesDeleted") or []
        for key in ("Untagged", "Deleted")
        if key in entry
    ]
    print_section(ctx, "Deleted Images:", lines)
    return int(report.get("SpaceReclaimed") or 0)


def cmd_history(ctx: CommandContext, parsed: ParsedArgs) -> int:
    human = bool(parsed.get("human", True))
    trunc = not parsed.flag("no-trunc")
    now = ctx.now()
    rows = []
    for entry in ctx.engine.history(parsed.positionals[0]):
        created = int(entry.get("Created", 0))
        created_by = str(entry.get("CreatedBy", "")).replace("\t", " ")
        identifier = entry.get("Id", "")
        size = int(entry.get("Size") or 0)
        rows.append({
            "ID": identifier if identifier == "<missing>" or not trunc else short_id(identifier),
            "CreatedSince": render.created_ago(created, now),
            "CreatedAt": _rfc3339(created),
            "CreatedBy": render.ellipsis(created_by, 45) if trunc else created_by,
            "Size": render.human_size(size) if human else str(size),
            "Comment": entry.get("Comment", ""),
        })  # fmt: skip
    fmt = "{{.ID}}" if parsed.flag("quiet") else parsed.text("format")
    default = HISTORY_DEFAULT if human else HISTORY_DEFAULT.replace("CreatedSince", "CreatedAt")
    ctx.stdout.write(format_rows(fmt, rows, HISTORY_HEADERS, default, "*image.historyContext"))
    return 0


def _rfc3339(unix: int) -> str:
    moment = datetime.fromtimestamp(unix, UTC).astimezone()
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if moment.utcoffset().total_seconds() == 0 else text  # type: ignore[union-attr]


def cmd_tag(ctx: CommandContext, parsed: ParsedArgs) -> int:
    source, target = parsed.positionals
    for text, parser in ((source, parse_any), (target, parse_normalized)):
        try:
            parser(text)
        except InvalidReference as exc:
            raise CliError(
                f'Error parsing reference: "{text}" is not a valid repository/tag: {exc.message}'
            ) from None
    name, _, tag = (
        target.rpartition(":") if target.rfind(":") > target.rfind("/") else (target, "", "")
    )
    ctx.engine.tag(source, name, tag or None)
    return 0


# What ``docker save -o`` refuses to replace (moby's atomicwriter, checked with lstat).
_UNWRITABLE = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link directly"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device file"),
    (stat.S_ISBLK, "a block device file"),
)


def _errno_text(error: OSError) -> str:
    """An OS error as Go words it: "no such file or directory"."""
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _save_destination_error(ctx: CommandContext, name: str) -> str | None:
    """Why ``save -o NAME`` cannot write there, checked before the daemon is asked, as the
    CLI's atomic writer does; None when it can."""
    directory = posixpath.normpath(posixpath.dirname(name)) if posixpath.dirname(name) else ""
    if directory not in ("", ".", ".."):
        try:
            if not stat.S_ISDIR(os.stat(ctx.cwd / directory).st_mode):
                return f"invalid output path: stat {directory}: not a directory"
        except OSError as error:
            return f"invalid output path: stat {directory}: {_errno_text(error)}"
    try:
        mode = os.lstat(ctx.cwd / name).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"failed to stat output path: lstat {name}: {_errno_text(error)}"
    if stat.S_ISREG(mode):
        return None
    kind = next((text for test, text in _UNWRITABLE if test(mode)), "an unknown kind of file")
    return f"cannot write to {kind}"


def cmd_save(ctx: CommandContext, parsed: ParsedArgs) -> int:
    output = parsed.text("output")
    if not output and (ctx.stdout.isatty() or not hasattr(ctx.stdout, "buffer")):
        raise CliError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    problem = _save_destination_error(ctx, output) if output else None
    if problem is not None:
        raise CliError(f"failed to save image: {problem}")
    data = ctx.engine.get_image(parsed.positionals)
    if output:
        try:
            (ctx.cwd / output).write_bytes(data)
        except OSError as error:
            raise CliError(f"failed to save image: {_errno_text(error)}") from None
    else:
        ctx.stdout.flush()
        ctx.stdout.buffer.write(data)  # type: ignore[attr-defined]
        ctx.stdout.buffer.flush()  # type: ignore[attr-defined]
    return 0


def cmd_load(ctx: CommandContext, parsed: ParsedArgs) -> int:
    source = parsed.text("input")
    if source:
        try:
            data = (ctx.cwd / source).read_bytes()
        except OSError as exc:
            raise CliError(
                f"open {source}: {exc.strerror.lower() if exc.strerror else exc}"
            ) from None
    else:
        if not ctx.stdin:
            raise CliError("requested load from stdin, but stdin is empty")
        data = ctx.stdin
    try:
        display_stream(ctx, ctx.engine.load_image(data, quiet=parsed.flag("quiet")))
    except StreamError as exc:
        raise CliError(exc.text, 1) from None
    return 0
