"""Normalising scenario output: replace what legitimately differs between runs or engines.

IDs become ``<idN>`` numbered by first appearance, times, durations and sizes become
placeholders, concurrent layer progress is regrouped per layer, and table columns are
collapsed so width differences do not matter. Nothing else is touched, so every other
difference between the engines shows up in a comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .scenario_model import CommandResult


@dataclass
class IdMap:
    """Numbers IDs by first appearance across one scenario. Keyed by the first 12 hex digits,
    so a short ID, its full 64-hex form and a `…`-truncated form get the same number."""

    numbers: dict[str, int] = field(default_factory=dict)

    def label(self, hex_digits: str) -> str:
        key = hex_digits[:12]
        if key not in self.numbers:
            self.numbers[key] = len(self.numbers) + 1
        return f"<id{self.numbers[key]}>"


# Rule 1: the classic builder's banner (stderr, first lines of every `build`): which variant
# appears depends on DOCKER_BUILDKIT and on buildx being installed, not on the engine.
_BANNER = re.compile(
    r"^DEPRECATED: The legacy builder is deprecated[^\n]*\n(?: {8,}[^\n]*\n)*\n?", re.M
)
# Rule 2: the build context size is the size of a tar stream the CLI makes (padding included).
# (The real line ends in "\r\r\n": the carriage returns are kept, only the size goes.)
_CONTEXT_LINE = re.compile(r"^(Sending build context to Docker daemon)[ \t]+[^\s]+", re.M)
# Rule 2b: the classic builder paints each chunk a RUN step writes to stderr red
# (ESC[91m … ESC[0m); how the shell's writes split into chunks is timing. A reset directly
# followed by red again changes nothing on screen, so it is dropped.
_COLOUR_SEAM = "\x1b[0m\x1b[91m"
# Rule 3: layer progress of push/pull. The daemon moves layers concurrently, so lines of
# different layers interleave at random. Regroup each block per layer, in order of the layer's
# first line (that order is fixed), and drop the in-between statuses that depend on timing
# (the daemon coalesces fast progress updates, so `Verifying Checksum` may or may not appear,
# and on a busy machine even `Download complete` can be coalesced into `Pull complete`).
_PROGRESS_LINE = re.compile(r"^[0-9a-f]{12}: [A-Z][^\n]*$")
_TRANSIENT_STATUSES = (
    "Waiting", "Verifying Checksum", "Downloading", "Download complete", "Extracting", "Pushing",
)  # fmt: skip
# Rule 3b: `docker diff` lists a directory before its contents, but siblings come out in Go
# map order (random from run to run). Sort each block of change lines by path; a parent still
# sorts before its children.
_CHANGE_LINE = re.compile(r"^[ACD] /[^\n]*$")
# Rule 3c: `docker load` of a tar holding several images names them in the order of the tar's
# manifest, which a Docker 20.10 `save` writes in Go map order (random). Sort each block.
_LOADED_LINE = re.compile(r"^Loaded image(?: ID)?: [^\n]*$")
# Rule 4: IDs and digests: 64 or 12 hex digits standing alone, hex after `sha256:`, and content
# hashes after `file:`/`dir:` (history cuts those short with `…`).
_HEX_ID = re.compile(
    r"(?<=sha256:)[0-9a-f]{12,64}"
    r"|(?<=file:)[0-9a-f]{12,64}|(?<=dir:)[0-9a-f]{12,64}"
    r"|(?<![0-9A-Za-z_])(?:[0-9a-f]{64}|[0-9a-f]{12})(?![0-9A-Za-z_])"
)
# Rule 5: RFC 3339 timestamps (inspect, logs -t); the zero time means "never" and is kept.
# Go's time.String form too (`2026-11-27 21:31:22 +0000 UTC`: CreatedAt in --format output).
_TIMESTAMP = re.compile(
    r"(?!0001-01-01T00:00:00Z)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} [A-Z]+"
)
# Rule 6: human durations in CREATED (`… ago`) and STATUS (`Up …`, `Exited (N) … ago`).
_DURATION = (
    r"(?:Less than a second|About a minute|About an hour"
    r"|\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?|years?))"
)
_AGO = re.compile(rf"{_DURATION} ago")
_UP = re.compile(rf"\bUp {_DURATION}")
# Rule 7: sizes of 1 kB and more (file system block and metadata overheads differ); byte
# sizes below 1 kB are the sizes of the files a scenario wrote, so they are compared.
_SIZE = re.compile(r"(?<![0-9A-Za-z.])\d+(?:\.\d+)?(?:kB|MB|GB|TB|PB)(?![0-9A-Za-z])")
# Rule 7b: the byte length of a pushed manifest (`TAG: digest: sha256:… size: 735`). The
# manifest lists each layer's compressed size, whose digits depend on the gzip implementation.
_MANIFEST_SIZE = re.compile(r"(: digest: sha256:\S+ size: )\d+")
# Rule 7c: how long npm took (`added 1 package in 379ms`, `up to date in 1s`).
_NPM_TIME = re.compile(
    r"^((?:added|removed|changed|up to date|audited)\b.* in )\d+(?:\.\d+)?(?:ms|s|m)$", re.M
)
# Rule 7d: the time in the name of npm's log file (`/root/.npm/_logs/2026-…_171Z-debug-0.log`).
_NPM_LOG = re.compile(r"(?<=/_logs/)\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}_\d{3}Z")
# Rule 9: BuildKit's plain progress (Engine 26.1 with buildx). (a) Times: how long a vertex or
# a status took (`#7 DONE 0.1s`, `exporting layers 0.0s done`, or no time when under 10 ms) and
# when a log line came (`#7 0.045 hi`, also in a failure's account). (b) Order: BuildKit runs
# independent vertices in parallel and prints each when it completes, so the context's transfer
# and FROM swap, and cached steps come out in any order; the blocks are put in the order of the
# Dockerfile's steps and renumbered. (c) A RUN's stdout and stderr reach BuildKit through two
# pipes and their interleaving is not kept: a block's log lines are sorted. (d) Whether the
# base image's vertex says CACHED or DONE depends on BuildKit's records of the image's snapshot,
# which no command shows (measured both ways for the same build after `builder prune`): FROM's
# CACHED becomes DONE (a stage's FROM, and the FROM of an image COPY --from reads). The
# metadata of several images loads at once: those blocks are put in the order of the images'
# names. (e) The name of the context's snapshot in a COPY error (`ref <uuid>::<id>`) is a
# session's random ID. (f) A status printed while under way
# (`writing image sha256:…`, `transferring dockerfile:` before its size) and again when done is
# kept once, done. (g) Stages that start
# from the same image share one FROM vertex, named after whichever of them BuildKit met first
# (`[build 1/3]` in one run, `[stage-2 1/2]` in the next), and a stage's FROM of the image a
# COPY --from reads is named after the stage or after neither: a FROM in a build of several
# stages (an image COPY --from reads counts as one) is named `[<stage>] FROM …`, and stages are
# put in the order of their names. (h) A vertex may
# be printed done before its status arrives, and then again with it: the first is dropped.
_BUILDKIT_START = "#0 building with "
_STATUS_TIME = re.compile(r" \d+\.\ds done$", re.M)
_DONE_TIME = re.compile(r"^(#\d+ DONE) \d+\.\ds$", re.M)
_LOG_TIME = re.compile(r"^(#\d+ )\d+\.\d+ ", re.M)
_ACCOUNT_LOG_TIME = re.compile(r"^\d+\.\d+ (?=.)", re.M)
_ACCOUNT_LOG = re.compile(r"^<t> ")
_FROM_CACHED = re.compile(
    r"^(#\d+) ((?:\[(?:\S+ )? *\d+/\d+\] )?FROM [^\n]*\n(?:#\d+ (?!CACHED$)[^\n]*\n)*)#\d+ CACHED$",
    re.M,
)
_CONTEXT_REF = re.compile(r"\bref [0-9a-f-]{36}::[0-9a-z]{25}\b")
_VERTEX_NUMBER = re.compile(r"^#(\d+) ", re.M)
_STEP = re.compile(r"^\[(?:(\S+) )? *(\d+)/\d+\] ")
_STAGE_FROM = re.compile(r"^(#\d+ )(?:\[\S+ +\d+/\d+\] )?(?=FROM )", re.M)
# Rule 8: tables. A header is a line of upper-case column titles separated by 2+ spaces; it
# and the rows below it (to a blank line) lose trailing spaces, and runs of 2+ spaces become
# one " | ", so a wider ID or size in one engine cannot shift the other columns.
_TABLE_HEADER = re.compile(r"^[A-Z][A-Z ]*[A-Z](?: {2,}[A-Z][A-Z ]*[A-Z])+ *$")
_COLUMN_GAP = re.compile(r" {2,}")
TABLE_SEPARATOR = " | "
# Rule 10: BuildKit's cache records in a prune's report (`builder prune` with buildx: a table;
# `system prune`: "Deleted build cache objects:" and the IDs). Their IDs are random (25
# characters of [0-9a-z]) and they come in the order the daemon streams them; buildx writes its
# table's header with the first record and each other record through a new tab writer, so only
# the first row is padded to the header. Records become `<cache-id>`, lose their padding, and
# are sorted.
_CACHE_ROW = re.compile(r"^[0-9a-z]{25}(\*?) +\t(.*)$")
# Rule 10b: the same records in `system df -v` (its "Build cache usage" table): IDs cut to 12
# characters, rows in the order the daemon streams them. Each row's ID becomes `<cache-id>`
# and the rows are sorted, their ages already made `<duration> ago` and their padding one width
# (two records of one build may be a second apart on one engine and not on the other).
_CACHE_USAGE_ROW = re.compile(
    r"^[0-9a-z]{12}( +(?:regular|source\.local|exec\.cachemount|frontend|internal) .*)$"
)
_CACHE_ID = re.compile(r"^[0-9a-z]{25}$")
_CACHE_LIST_TITLE = "Deleted build cache objects:"


def normalize(text: str, ids: IdMap) -> str:
    text = _BANNER.sub("", text)
    text = _CONTEXT_REF.sub("ref <ref>", text)
    text = _buildkit_progress(text)
    text = _CONTEXT_LINE.sub(r"\1  <size>", text)
    text = text.replace(_COLOUR_SEAM, "")
    text = _regroup_layer_progress(text)
    text = _sort_change_blocks(text)
    text = _cache_records(text)
    text = _HEX_ID.sub(lambda match: ids.label(match.group(0)), text)
    text = _TIMESTAMP.sub("<time>", text)
    text = _AGO.sub("<duration> ago", text)
    text = _UP.sub("Up <duration>", text)
    text = _SIZE.sub("<size>", text)
    text = _MANIFEST_SIZE.sub(r"\1<size>", text)
    text = _NPM_TIME.sub(r"\1<duration>", text)
    text = _NPM_LOG.sub("<time>", text)
    return _collapse_tables(text)


def _cache_records(text: str) -> str:
    output: list[str] = []
    records: list[str] = []
    listing = False  # under "Deleted build cache objects:"
    for line in text.split("\n"):
        row = _CACHE_ROW.match(line)
        if row:  # sorted by what is compared: the times they show are not
            fields = re.sub("\t+", "\t", row.group(2))
            records.append(_AGO.sub("<duration> ago", "<cache-id>" + row.group(1) + "\t" + fields))
            continue
        if listing and _CACHE_ID.match(line):
            records.append("<cache-id>")
            continue
        usage_row = _CACHE_USAGE_ROW.match(line)
        if usage_row:  # its columns' padding follows the ages' lengths: not compared either
            fields = re.sub(" {2,}", "  ", _AGO.sub("<duration> ago", usage_row.group(1)))
            records.append("<cache-id>" + fields)
            continue
        output += sorted(records)
        records = []
        listing = line == _CACHE_LIST_TITLE
        output.append(line)
    return "\n".join(output + sorted(records))


def _buildkit_progress(text: str) -> str:
    if not text.startswith(_BUILDKIT_START):
        return text
    text = _DONE_TIME.sub(r"\1", text)
    text = _STATUS_TIME.sub(" done", text)
    text = _LOG_TIME.sub(r"\1<t> ", text)
    text = _ACCOUNT_LOG_TIME.sub("<t> ", text)
    text = _FROM_CACHED.sub(r"\1 \2\1 DONE", text)
    text = _STAGE_FROM.sub(r"\1[<stage>] ", text)
    head, _, rest = text.partition("\n\n")
    blocks = rest.split("\n\n")
    tail = ""
    if blocks and "\n------\n" in "\n" + blocks[-1]:  # a failure's account follows the last block
        last, _, account = blocks[-1].partition("\n------\n")
        blocks[-1], tail = last, "\n------\n" + account
    # A vertex shown done before its status came, then again with it: the second says it all.
    shown_again = {block.split("\n", 1)[0] for block in blocks if block.count("\n") > 1}
    blocks = [block for block in blocks if not _shown_early(block, shown_again)]
    labels = set()
    for block in blocks:
        step = _STEP.match(block.split("\n", 1)[0].split(" ", 1)[-1])
        if step:
            labels.add(step.group(1) or "")
    stages = {label: place for place, label in enumerate(sorted(labels))}
    blocks = sorted(blocks, key=lambda block: block_order(block, stages))
    numbers: dict[str, str] = {}
    renumbered = []
    for block in blocks:
        lines = block.split("\n")
        logs = sorted(line for line in lines if line.startswith("#") and " <t> " in line)
        kept = [line for line in lines if not (line.startswith("#") and " <t> " in line)]
        block = "\n".join([kept[0], *logs, *kept[1:]]) if logs else block
        # A status printed while under way, then again when done: only the second is kept.
        lines = block.split("\n")
        finished = {line.removesuffix(" done") for line in lines if line.endswith(" done")}
        transfers = {_status_name(line) for line in lines[1:] if line.endswith(" done")}
        block = "\n".join(
            [lines[0]]
            + [
                line
                for line in lines[1:]
                if line not in finished
                and (line.endswith(" done") or _status_name(line) not in transfers)
            ]
        )

        def number(match: re.Match[str]) -> str:
            return "#" + numbers.setdefault(match.group(1), str(len(numbers) + 1)) + " "

        renumbered.append(_VERTEX_NUMBER.sub(number, block))
    if tail:
        tail = _sort_blocks(tail, _ACCOUNT_LOG, lambda line: line)
    return head + "\n\n" + "\n\n".join(renumbered) + tail


def _status_name(line: str) -> str:
    """A status line's name without its progress: ``#1 transferring dockerfile:`` for both
    ``#1 transferring dockerfile: 102B done`` and the ``#1 transferring dockerfile:`` printed
    while nothing had arrived yet."""
    name, colon, _ = line.partition(": ")
    return name + ":" if colon else line


def _shown_early(block: str, shown_again: set[str]) -> bool:
    header, _, rest = block.partition("\n")
    return "\n" not in rest and rest.endswith(" DONE") and header in shown_again


def block_order(block: str, stages: dict[str, int]) -> tuple[float, float, float, str]:
    """Where a vertex's block goes: the internal loads, FROM, the context, each stage's steps in
    order (the stages by name), the export."""
    name = block.split("\n", 1)[0].split(" ", 1)[-1]
    if name.startswith("[<stage>] FROM "):  # shared by stages: before all of them
        return (3.0, -1.0, 0.0, name)
    step = _STEP.match(name)
    if step:  # FROM first, then the context's transfer, then the other steps
        number = 0.0 if name[step.end() :].startswith("FROM ") else float(step.group(2))
        return (3.0, float(stages.get(step.group(1) or "", 0)), number, "")
    order = {
        "[internal] load build definition": 0.0,
        "[internal] load metadata": 1.0,
        "[internal] load .dockerignore": 2.0,
        "[internal] load build context": 3.0,
    }
    for prefix, place in order.items():
        if name.startswith(prefix):  # several images' metadata load at once: by name
            return (place, 0.0, 0.5 if place == 3.0 else 0.0, name if place == 1.0 else "")
    return (4.0, 0.0, 0.0, "")  # exporting to image


def _regroup_layer_progress(text: str) -> str:
    lines = text.split("\n")
    output: list[str] = []
    block: list[str] = []

    def flush() -> None:
        per_layer: dict[str, list[str]] = {}
        for line in block:
            layer, status = line.split(": ", 1)
            if not status.startswith(_TRANSIENT_STATUSES):
                per_layer.setdefault(layer, []).append(line)
        for layer_lines in per_layer.values():
            output.extend(layer_lines)
        block.clear()

    for line in lines:
        if _PROGRESS_LINE.match(line):
            block.append(line)
            continue
        flush()
        output.append(line)
    flush()
    return "\n".join(output)


def _sort_change_blocks(text: str) -> str:
    text = _sort_blocks(text, _CHANGE_LINE, lambda change: change[2:])
    return _sort_blocks(text, _LOADED_LINE, lambda loaded: loaded)


def _sort_blocks(text: str, pattern: re.Pattern[str], key: Callable[[str], str]) -> str:
    """Sort each run of consecutive lines matching ``pattern``; other lines stay put."""
    lines = text.split("\n")
    output: list[str] = []
    block: list[str] = []
    for line in [*lines, None]:
        if line is not None and pattern.match(line):
            block.append(line)
            continue
        output.extend(sorted(block, key=key))
        block.clear()
        if line is not None:
            output.append(line)
    return "\n".join(output)


def _collapse_tables(text: str) -> str:
    lines = text.split("\n")
    in_table = False
    for index, line in enumerate(lines):
        if _TABLE_HEADER.match(line):
            in_table = True
        elif not line.strip():
            in_table = False
        if in_table:
            lines[index] = _COLUMN_GAP.sub(TABLE_SEPARATOR, line.rstrip())
    return "\n".join(lines)


def normalize_results(results: list[CommandResult]) -> list[CommandResult]:
    """Normalise one scenario's results with one shared IdMap (stdout before stderr)."""
    ids = IdMap()
    return [
        CommandResult(
            command=result.command,
            stdout=normalize(result.stdout, ids),
            stderr=normalize(result.stderr, ids),
            exit_code=result.exit_code,
        )
        for result in results
    ]
