"""``-p`` and ``--expose`` as each CLI profile reads them (go-connections' ``nat``). The
refusals' words are held to the real CLIs by the container_port scenarios; here, what the
accepted values ask the daemon for."""

from __future__ import annotations

import pytest

from layerlab.cli.portspec import (
    PortMapping,
    PortSpecError,
    parse_expose,
    parse_port_spec,
    parse_uint16,
)


@pytest.mark.parametrize("old", [False, True])
def test_single_ports_ranges_and_protocols(old: bool) -> None:
    assert parse_port_spec("80", old=old) == [PortMapping("80/tcp", "", "")]
    assert parse_port_spec("8080:80", old=old) == [PortMapping("80/tcp", "", "8080")]
    assert parse_port_spec("0080:80/UDP", old=old) == [PortMapping("80/udp", "", "80")]
    assert parse_port_spec("127.0.0.1:8000-8001:80-81/tcp", old=old) == [
        PortMapping("80/tcp", "127.0.0.1", "8000"),
        PortMapping("81/tcp", "127.0.0.1", "8001"),
    ]
    # One container port and a host range: the daemon picks one port in the range.
    assert parse_port_spec("8000-8010:80", old=old) == [PortMapping("80/tcp", "", "8000-8010")]
    # As in Go, a third part of a range is ignored, and an empty protocol is tcp.
    assert parse_port_spec("1-2-3:80-81/", old=old) == [
        PortMapping("80/tcp", "", "1"),
        PortMapping("81/tcp", "", "2"),
    ]
    assert parse_port_spec("[::1]:80:80", old=old) == [PortMapping("80/tcp", "::1", "80")]


def test_an_unbracketed_ipv6_address_depends_on_the_cli() -> None:
    assert parse_port_spec("::1:80:80", old=False) == [PortMapping("80/tcp", "::1", "80")]
    with pytest.raises(PortSpecError, match="too many colons in address"):
        parse_port_spec("::1:80:80", old=True)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "invalid syntax"), ("٣", "invalid syntax"), ("+5", "invalid syntax"),
     ("0x50", "invalid syntax"), ("65536", "value out of range")],
)  # fmt: skip
def test_port_numbers_parse_as_go_parses_them(text: str, problem: str) -> None:
    with pytest.raises(PortSpecError) as caught:
        parse_uint16(text)
    assert str(caught.value) == f'strconv.ParseUint: parsing "{text}": {problem}'


def test_a_port_number_of_sixteen_bits_is_accepted() -> None:
    assert parse_uint16("65535") == 65535
    assert parse_uint16("0") == 0


def test_expose_ranges_keep_their_protocol() -> None:
    assert parse_expose("8000-8002/udp", old=False) == ["8000/udp", "8001/udp", "8002/udp"]
    assert parse_expose("80", old=True) == ["80/tcp"]
