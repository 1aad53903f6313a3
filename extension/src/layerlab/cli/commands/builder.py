"""``docker builder prune``: BuildKit's cache records go.

With buildx (the 26.1 profile) the command is buildx's: it lists each record it removed in a
table, then the total. The docker CLI's own (20.10, or ``DOCKER_BUILDKIT=0``) prints the IDs
and the reclaimed space, as the other prunes do.
"""

from __future__ import annotations

from typing import Any

from layerlab.cli import render
from layerlab.cli.commands.base import CommandContext, confirmed
from layerlab.cli.commands.build import uses_buildkit
from layerlab.cli.commands.images import print_reclaimed, print_section
from layerlab.cli.flags import ParsedArgs


def cmd_builder_prune(ctx: CommandContext, parsed: ParsedArgs) -> int:
    every = parsed.flag("all")
    what = "all build cache" if every else "all dangling build cache"
    warning = f"WARNING! This will remove {what}."
    if not parsed.flag("force") and not confirmed(ctx, warning, same_line=True):
        return 0
    if not uses_buildkit(ctx.engine):
        report = ctx.engine.prune_builds(all=every)
        print_section(ctx, "Deleted build cache objects:", report.get("CachesDeleted") or [])
        print_reclaimed(ctx, int(report.get("SpaceReclaimed") or 0))
        return 0
    known = {record["ID"]: record for record in ctx.engine.df().get("BuildCache") or []}
    report = ctx.engine.prune_builds(all=every)
    gone = [known[key] for key in report.get("CachesDeleted") or [] if key in known]
    now = ctx.now()
    rows = [_row(record, now) for record in gone]
    # buildx writes the header with the first record, then each other record by itself, each
    # time through a fresh tab writer: the columns line up in the first block only.
    if rows:
        ctx.stdout.write(tab_aligned([["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"], rows[0]]))
        for row in rows[1:]:
            ctx.stdout.write(tab_aligned([row]))
    total = sum(int(record.get("Size") or 0) for record in gone)
    ctx.stdout.write(tab_aligned([["Total:", render.human_size(total, 4)]]))
    return 0


def _row(record: dict[str, Any], now: float) -> list[str]:
    from layerlab.engine.sim.images.config import parse_rfc3339

    mutable = "*" if record.get("Type") == "source.local" else ""
    used = record.get("LastUsedAt")
    accessed = render.created_ago(parse_rfc3339(used), now) if used else ""
    size = render.human_size(int(record.get("Size") or 0), 4)
    return [f"{record['ID'] + mutable:<40}", f"{'true':<5}", f"{size:<10}", accessed]


def tab_aligned(rows: list[list[str]], tab_width: int = 8, padding: int = 1) -> str:
    """Go's ``text/tabwriter`` with tabs as padding: each column but the last is as wide as
    its widest cell plus ``padding``, rounded up to a tab stop, and filled with tabs."""
    widths = []
    for column in range(max(len(row) for row in rows) - 1):
        widest = max(len(row[column]) for row in rows if len(row) > column + 1) + padding
        widths.append(-(-widest // tab_width) * tab_width)
    lines = []
    for row in rows:
        cells = [
            cell + "\t" * -(-(widths[i] - len(cell)) // tab_width)
            for i, cell in enumerate(row[:-1])
        ]
        lines.append("".join(cells) + row[-1] + "\n")
    return "".join(lines)
