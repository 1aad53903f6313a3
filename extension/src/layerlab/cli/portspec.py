"""Port specs as docker's CLI reads them (``-p``, ``--expose``): go-connections' ``nat``
package, in the version each CLI profile vendors.

CLI 28.2.2 (the 20.10 profile's client) vendors go-connections 0.5: lower-case messages, and
an IPv6 address with or without brackets (``[::1]:80:80``, ``::1:80:80``). Engine 26.1's CLI
vendors an older one: the same checks in upper-case words, and an address always read as a
host (``::1:80:80`` is refused with Go's "too many colons"). Every text here was measured with
both CLIs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from layerlab.go_strconv import go_quote

_PROTOCOLS = ("tcp", "udp", "sctp")


class PortSpecError(ValueError):
    """A spec the CLI refuses, worded as it words it (without the CLI's ``docker:`` frame)."""


@dataclass(frozen=True)
class PortMapping:
    port: str  # the container's port: "80/tcp"
    host_ip: str
    host_port: str  # "" (any), one port, or a range to allocate into ("8080-8081")


def parse_uint16(text: str) -> int:
    """Go's ``strconv.ParseUint(text, 10, 16)``, with its words when it fails."""
    if not text or not text.isascii() or not text.isdigit():
        raise PortSpecError(f"strconv.ParseUint: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if value > 0xFFFF:
        raise PortSpecError(f"strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return value


def parse_port_range(ports: str, *, old: bool) -> tuple[int, int]:
    """``nat.ParsePortRange``: ``80`` or ``8000-8010`` (a third part is ignored, as in Go)."""
    if not ports:
        raise PortSpecError(
            "Empty string specified for ports." if old else "empty string specified for ports"
        )
    if "-" not in ports:
        start = parse_uint16(ports)
        return start, start
    parts = ports.split("-")
    start, end = parse_uint16(parts[0]), parse_uint16(parts[1])
    if end < start:
        raise PortSpecError(
            f"Invalid range specified for the Port: {ports}"
            if old
            else f"invalid range specified for port: {ports}"
        )
    return start, end


def split_proto_port(raw: str) -> tuple[str, str]:
    """``nat.SplitProtoPort``: ``80/udp`` -> ("udp", "80"); no port -> ("", "")."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _split_parts(raw: str) -> tuple[str, str, str]:
    """(ip, host port, container port) of ``[ip:][hostPort:]containerPort``; an address with
    colons keeps all but the last two parts."""
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _host_of(address: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort(address + ":")``'s host, or its error text."""
    hostport = address + ":"
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return "", f"address {hostport}: missing ']' in address"
        if end + 1 != len(hostport) - 1:
            return "", f"address {hostport}: missing port in address"
        return hostport[1:end], ""
    host = hostport[:-1]
    if ":" in host:
        return "", f"address {hostport}: too many colons in address"
    return host, ""


def _valid_ip(text: str) -> bool:
    """Go's ``net.ParseIP``: dotted IPv4 or IPv6, no zone."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return "%" not in text


def parse_port_spec(raw: str, *, old: bool) -> list[PortMapping]:
    """``nat.ParsePortSpec``: one ``-p`` value as the mappings it asks for. ``old``: Engine
    26.1's CLI and its words."""
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = split_proto_port(container_port)
    if old or ip.startswith("["):
        host, problem = _host_of(ip)
        if problem:
            word = "Invalid ip address" if old else "invalid IP address"
            raise PortSpecError(f"{word} {ip}: {problem}")
        ip = host
    if ip and not _valid_ip(ip):
        raise PortSpecError(f"Invalid ip address: {ip}" if old else f"invalid IP address: {ip}")
    if not container_port:
        raise PortSpecError(f"{'No' if old else 'no'} port specified: {raw}<empty>")
    invalid = "Invalid" if old else "invalid"
    try:
        start, end = parse_port_range(container_port, old=old)
    except PortSpecError:
        raise PortSpecError(f"{invalid} containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = parse_port_range(host_port, old=old)
        except PortSpecError:
            raise PortSpecError(f"{invalid} hostPort: {host_port}") from None
    if host_port and end - start != host_end - host_start and end != start:
        raise PortSpecError(
            f"{invalid} ranges specified for container and host Ports: {container_port} and "
            f"{host_port}"
        )
    checked = proto.lower()
    if checked not in _PROTOCOLS:
        raise PortSpecError(f"{invalid} proto: {proto}")
    mappings = []
    for offset in range(end - start + 1):
        binding = ""
        if host_port:
            binding = str(host_start + offset)
            # One container port and a host range: the daemon allocates one port in it.
            if start == end and host_start != host_end:
                binding = f"{host_start}-{host_end}"
        mappings.append(PortMapping(f"{start + offset}/{checked}", ip, binding))
    return mappings


def parse_expose(raw: str, *, old: bool) -> list[str]:
    """``--expose 80``, ``--expose 8000-8010/udp``: the container ports it exposes, as docker
    run's own check words its refusals (the protocol is the daemon's to check)."""
    if ":" in raw:
        raise PortSpecError(f"invalid port format for --expose: {raw}")
    proto, port = split_proto_port(raw)
    try:
        start, end = parse_port_range(port, old=old)
    except PortSpecError as exc:
        raise PortSpecError(f"invalid range format for --expose: {raw}, error: {exc}") from None
    return [f"{number}/{proto}" for number in range(start, end + 1)]
