"""What every command handler gets, and the output helpers they share."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn, TextIO

from layerlab.cli.errors import CliError
from layerlab.cli.grammar import Command
from layerlab.engine.api import Engine, Json
from layerlab.i18n import tr

# Standard input for a command: the bytes themselves, or a function that reads them when a
# command first asks (a terminal's piped stdin is only read by commands that use it).
StdinSource = bytes | Callable[[], bytes | None] | None


@dataclass
class CommandContext:
    engine: Engine
    stdout: TextIO
    stderr: TextIO
    cwd: Path
    input: StdinSource
    command: Command

    @cached_property
    def stdin(self) -> bytes | None:
        """What the command reads from standard input; ``None`` when there is none to read."""
        return self.input() if callable(self.input) else self.input

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str = "") -> None:
        self.stderr.write(text + "\n")

    def now(self) -> float:
        """The clock CREATED columns count from: the engine's, which may be virtual."""
        return self.engine.now()


def confirmed(ctx: CommandContext, warning: str, same_line: bool = False) -> bool:
    """docker's question before a destructive command run without ``-f``, on the warning's
    line or the next. Only ``y``/``yes`` goes ahead; no answer (a notebook has no stdin, or it
    is at its end) declines, and then nothing more is printed, as with docker."""
    separator = " " if same_line else "\n"
    ctx.stdout.write(f"{warning}{separator}Are you sure you want to continue? [y/N] ")
    ctx.stdout.flush()
    if ctx.stdin is not None:
        answer = ctx.stdin.decode(errors="replace").split("\n", 1)[0]
    elif sys.stdin is not None and sys.stdin.isatty():
        answer = sys.stdin.readline()
    else:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def refuse_terminal(ctx: CommandContext) -> NoReturn:
    """``-it`` in the foreground. Without a terminal (a notebook, a pipe), docker's own words.
    In a real terminal docker would hand it to the container's program, which LayerLab cannot
    do yet: it says so instead of claiming there is no terminal."""
    if ctx.stdin is None and sys.stdin is not None and sys.stdin.isatty():
        raise CliError(
            tr(
                "LayerLab cannot hand a terminal to a container's program yet (-it): run it "
                "without -t, with its input piped to -i, or on a real engine "
                "(LAYERLAB_ENGINE=real)"
            )
        )
    raise CliError("the input device is not a TTY")


def write_format(ctx: CommandContext, fmt: str, data: Any, name: str = "") -> None:
    """A ``--format`` template applied to one object (``version``, ``info``), as those
    commands do: one that does not parse is refused with status 64; one that fails while it
    runs leaves an empty line and Go's own error."""
    from layerlab.cli import gotemplate

    try:
        template = gotemplate.compile_template(gotemplate.prepare_format(fmt), name)
    except gotemplate.TemplateError as exc:
        raise CliError(str(exc), 64) from None
    try:
        text = template.execute(data)
    except gotemplate.TemplateError as exc:
        ctx.out()
        raise CliError(exc.go_error) from None
    ctx.out(text)


def key_values(values: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` flag values (``--label``, ``--build-arg``) as a dict; a bare KEY maps to ""."""
    result: dict[str, str] = {}
    for value in values:
        key, _, val = value.partition("=")
        result[key] = val
    return result


class StreamError(CliError):
    """An error message inside a JSON progress stream (the CLI prints it bare)."""


def display_stream(ctx: CommandContext, messages: Iterable[Json]) -> list[Json]:
    """Print a JSON message stream as ``jsonmessage.DisplayJSONMessagesStream`` does when the
    output is not a terminal; return the ``aux`` payloads. An error message raises."""
    aux: list[Json] = []
    for message in messages:
        detail = message.get("errorDetail")
        if detail or message.get("error"):
            text = (detail or {}).get("message") or message.get("error", "")
            code = int((detail or {}).get("code") or 1)
            raise StreamError(text, code)
        if "aux" in message:
            aux.append(message["aux"])
            continue
        progress = message.get("progressDetail") or {}
        if progress.get("current", 0) > 0 or progress.get("total", 0) > 0:
            continue  # progress bars are only drawn on a terminal
        line = f"{message['id']}: " if message.get("id") else ""
        if message.get("from"):
            line += f"(from {message['from']}) "
        if message.get("stream") is not None and "status" not in message:
            ctx.stdout.write(line + message["stream"])
            continue
        status = message.get("status", "")
        if message.get("progress") and not progress:
            ctx.stdout.write(f"{line}{status} {message['progress']}\n")
        else:
            ctx.stdout.write(f"{line}{status}\n")
    return aux


def short_id(identifier: str) -> str:
    """``stringid.TruncateID``: drop the algorithm prefix, keep 12 hex digits."""
    return identifier.partition(":")[2][:12] if ":" in identifier else identifier[:12]


def go_json(value: Any, indent: int | None = None) -> str:
    """``encoding/json`` output: HTML characters escaped as Go does, keys in the given order."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, separators=(",", ": "))
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    """``--filter k=v`` flags as the Engine API's ``filters`` map."""
    filters: dict[str, list[str]] = {}
    for value in values:
        key, _, val = value.partition("=")
        filters.setdefault(key.strip().lower(), []).append(val)
    return filters


def format_rows(
    fmt: str,
    rows: list[Mapping[str, Any]],
    headers: Mapping[str, str],
    default: str,
    go_type: str = "",
) -> str:
    """Render ``--format`` (or the default table) over ``rows`` as docker's formatter does:
    a ``table`` format prints a header row and goes through the tab writer. ``go_type`` names
    docker's row struct (``*formatter.imageContext``): an unknown field is then an error, as
    on a Go struct, instead of ``<no value>``."""
    from layerlab.cli import gotemplate

    if fmt in ("", "table"):
        fmt = default
    if fmt == "json":
        rows = [dict(sorted(row.items())) for row in rows]
    if go_type:
        rows = [gotemplate.StructContext(row, go_type) for row in rows]
    try:
        return gotemplate.render_format(fmt, rows, headers)
    except gotemplate.TemplateError as exc:
        raise CliError(str(exc)) from None
