"""``docker port``: a container's published ports, from what the daemon's inspect says.

As docker/cli does it (measured with CLI 28.2.2 and 26.1.5): every mapping as ``80/tcp ->
0.0.0.0:8080`` in natural order, or for one private port (``80`` meaning ``80/tcp``) its host
addresses only; a port that does not parse or is not published is an error.
"""

from __future__ import annotations

import re
from typing import Any

from layerlab.cli.commands.base import CommandContext
from layerlab.cli.errors import CliError, daemon_error
from layerlab.cli.flags import ParsedArgs
from layerlab.cli.portspec import PortSpecError, parse_uint16
from layerlab.engine.errors import EngineError

_PIECES = re.compile(r"(\d+)")


def cmd_port(ctx: CommandContext, parsed: ParsedArgs) -> int:
    container = parsed.positionals[0]
    try:
        doc = ctx.engine.inspect_container(container)
    except EngineError as exc:
        raise CliError(daemon_error(exc)) from None
    ports: dict[str, Any] = (doc.get("NetworkSettings") or {}).get("Ports") or {}
    if len(parsed.positionals) > 1:
        wanted = parsed.positionals[1]
        number, _, protocol = wanted.partition("/")
        _check_port(number)
        frontends = ports.get(f"{number}/{protocol or 'tcp'}") or []
        if not frontends:
            raise CliError(f"Error: No public port '{wanted}' published for {container}")
        lines = [_address(frontend) for frontend in frontends]
    else:
        lines = [
            f"{private} -> {_address(frontend)}"
            for private, frontends in ports.items()
            for frontend in frontends or []
        ]
    for line in sorted(lines, key=_natural):
        ctx.out(line)
    return 0


def _check_port(number: str) -> None:
    try:
        parse_uint16(number)
    except PortSpecError as exc:
        raise CliError(f"Error: invalid port ({number}): {exc}") from None


def _address(frontend: dict[str, str]) -> str:
    """Go's net.JoinHostPort: an IPv6 host in brackets."""
    host, port = frontend.get("HostIp", ""), frontend.get("HostPort", "")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _natural(text: str) -> list[tuple[int, int | str]]:
    """Natural order (sortorder.NaturalLess): runs of digits compare as numbers."""
    return [(0, int(piece)) if piece.isdigit() else (1, piece) for piece in _PIECES.split(text)]
