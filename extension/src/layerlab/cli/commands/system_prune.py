"""``docker system prune``: stopped containers, unused networks (and anonymous volumes), dangling
or unused images and the build cache, in the CLI's order, with one total."""

from __future__ import annotations

from layerlab.cli.commands.base import CommandContext, confirmed, parse_filters
from layerlab.cli.commands.containers import prune_containers
from layerlab.cli.commands.images import print_reclaimed, print_section, prune_images
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs


def cmd_system_prune(ctx: CommandContext, parsed: ParsedArgs) -> int:
    every, volumes = parsed.flag("all"), parsed.flag("volumes")
    filters = parse_filters(parsed.items("filter"))
    if volumes and "until" in filters:
        raise CliError('ERROR: The "until" filter is not supported with "--volumes"')
    if not parsed.flag("force") and not confirmed(ctx, _warning(every, volumes, filters)):
        return 0
    space = prune_containers(ctx, filters)
    networks = ctx.engine.prune_networks(filters=filters or None)
    print_section(ctx, "Deleted Networks:", networks.get("NetworksDeleted") or [])
    if volumes:
        report = ctx.engine.prune_volumes(filters=filters or None)
        print_section(ctx, "Deleted Volumes:", report.get("VolumesDeleted") or [])
        space += int(report.get("SpaceReclaimed") or 0)
    space += prune_images(ctx, filters, every)
    cache = ctx.engine.prune_builds(filters=filters or None, all=every)
    print_section(ctx, "Deleted build cache objects:", cache.get("CachesDeleted") or [])
    space += int(cache.get("SpaceReclaimed") or 0)
    print_reclaimed(ctx, space)
    return 0


def _warning(every: bool, volumes: bool, filters: dict[str, list[str]]) -> str:
    items = ["all stopped containers", "all networks not used by at least one container"]
    if volumes:
        items.append("all anonymous volumes not used by at least one container")
    if every:
        items += ["all images without at least one container associated to them", "all build cache"]
    else:
        items += ["all dangling images", "unused build cache"]
    text = "WARNING! This will remove:\n" + "".join(f"  - {item}\n" for item in items)
    # The CLI names only these filters, sorted.
    shown = sorted(f"{k}={v}" for k in ("label", "label!", "until") for v in filters.get(k, []))
    if shown:
        text += "\n  Items to be pruned will be filtered with:\n"
        text += "".join(f"  - {item}\n" for item in shown)
    return text
