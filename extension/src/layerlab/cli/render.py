"""Text rendering helpers that reproduce the docker CLI's output byte for byte.

Sources of truth (docker CLI 28.2.2):
- sizes and durations: github.com/docker/go-units v0.5.0 (:mod:`layerlab.cli.units`);
- tables: ``cli/command/formatter/tabwriter`` (:mod:`layerlab.cli.tabwriter`);
- Go's ``fmt``/``strconv`` formatting (:mod:`layerlab.cli.gofmt`);
- ``DisplayablePorts`` and ``ContainerContext.Command`` from ``cli/command/formatter`` (here);
  the COMMAND string itself is built by the daemon (moby ``container/view.go``).

The commands use ``render.<helper>`` for all of these, so this module re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from layerlab.cli.gofmt import go_format_float, go_sprintf, go_value_string
from layerlab.cli.tabwriter import display_width, ellipsis, render_table, tabwrite
from layerlab.cli.units import bytes_size, created_ago, human_duration, human_size
from layerlab.go_strconv import go_quote

__all__ = [
    "bytes_size",
    "container_command",
    "created_ago",
    "display_width",
    "ellipsis",
    "format_ports",
    "go_format_float",
    "go_quote",
    "go_sprintf",
    "go_value_string",
    "human_duration",
    "human_size",
    "quote_command",
    "render_table",
    "tabwrite",
]

# ---------------------------------------------------------------------------
# docker ps columns


def container_command(path: str, args: Iterable[str]) -> str:
    """The daemon's ``Command`` summary: args containing a space are single-quoted."""
    quoted = [f"'{arg}'" if " " in arg else arg for arg in args]
    return f"{path} {' '.join(quoted)}" if quoted else path


def quote_command(path: str, args: Iterable[str], trunc: bool = True) -> str:
    """docker ps COMMAND column: ``strconv.Quote(Ellipsis(command, 20))``."""
    command = container_command(path, args)
    if trunc:
        command = ellipsis(command, 20)
    return go_quote(command)


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port_group(key: str, first: int, last: int) -> str:
    ip, _, proto = key.rpartition("/")
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{proto}"


def format_ports(ports: Iterable[Mapping[str, Any]]) -> str:
    """docker/cli ``DisplayablePorts`` for Engine API port dicts.

    Ports published on the same number (or only exposed) are grouped into consecutive
    ranges; mappings to a different host port are listed after the groups.
    """

    def sort_key(port: Mapping[str, Any]) -> tuple[int, str, int, str]:
        return (
            int(port.get("PrivatePort") or 0),
            port.get("IP") or "",
            int(port.get("PublicPort") or 0),
            port.get("Type") or "",
        )

    groups: dict[str, list[int]] = {}  # insertion order = order the keys first appeared
    result: list[str] = []
    host_mappings: list[str] = []
    for port in sorted(ports, key=sort_key):
        private, ip, public, proto = sort_key(port)
        key = proto
        if ip:
            if public != private:
                host_mappings.append(f"{_join_host_port(ip, str(public))}->{private}/{proto}")
                continue
            key = f"{ip}/{proto}"
        group = groups.get(key)
        if group is None:
            groups[key] = [private, private]
        elif private == group[1] + 1:
            group[1] = private
        else:
            result.append(_port_group(key, group[0], group[1]))
            groups[key] = [private, private]
    result.extend(_port_group(key, first, last) for key, (first, last) in groups.items())
    result.extend(host_mappings)
    return ", ".join(result)
