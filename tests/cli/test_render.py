"""Expected strings come from Go (fmt, strconv, text/tabwriter) and docker/go-units v0.5.0."""

from __future__ import annotations

import pytest

from layerlab.cli import render


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (999_499, "999kB"),
        (999_500, "1e+03kB"),  # Go's %.3g rounds 999.5 up and switches to exponent form
        (1_234_567, "1.23MB"),
        (7_654_321, "7.65MB"),
        (1e9, "1GB"),
        (123_456_789_012, "123GB"),
        (5.5e18, "5.5EB"),
    ],
)
def test_human_size_precision_3_matches_go_units(size: float, expected: str) -> None:
    assert render.human_size(size) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(999_500, "999.5kB"), (1_234_567, "1.235MB"), (123_456_789_012, "123.5GB"), (0, "0B")],
)
def test_human_size_precision_4_is_go_units_human_size(size: float, expected: str) -> None:
    assert render.human_size(size, 4) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1000, "1000B"), (999_500, "976.1KiB"), (1_234_567, "1.177MiB"), (1e9, "953.7MiB")],
)
def test_bytes_size_uses_binary_units(size: float, expected: str) -> None:
    assert render.bytes_size(size) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "Less than a second"),
        (0.5, "Less than a second"),
        (1, "1 second"),
        (1.9, "1 second"),
        (2, "2 seconds"),
        (59.9, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5399, "About an hour"),
        (5400, "2 hours"),
        (86399, "24 hours"),
        (172_799, "2 days"),  # hours are rounded before the day threshold
        (1_209_599, "2 weeks"),
        (5_183_999, "2 months"),
        (63_071_999, "1 years"),  # years use truncated hours: go-units prints "1 years"
        (63_072_000, "2 years"),
        (100_000_000, "3 years"),
    ],
)
def test_human_duration_matches_go_units(seconds: float, expected: str) -> None:
    assert render.human_duration(seconds) == expected


def test_created_ago_appends_ago() -> None:
    assert render.created_ago(1_000_000, 1_000_000 + 3 * 86400) == "3 days ago"
    assert render.created_ago(50, 50.2) == "Less than a second ago"


@pytest.mark.parametrize(
    ("value", "verb", "precision", "expected"),
    [
        (4261574.0, "g", -1, "4.261574e+06"),
        (100000.0, "g", -1, "100000"),
        (1e6, "g", -1, "1e+06"),
        (0.5, "g", -1, "0.5"),
        (3.0, "g", -1, "3"),
        (1e-7, "g", -1, "1e-07"),
        (0.0001, "g", -1, "0.0001"),
        (0.125, "g", 2, "0.12"),
        (0.0125, "g", 2, "0.013"),
        (2.5, "g", 1, "2"),
        (0.00001234, "g", 3, "1.23e-05"),
        (123456.0, "g", 4, "1.235e+05"),
        (1234.5678, "e", 6, "1.234568e+03"),
        (3.14159, "f", 2, "3.14"),
        (-2.5, "g", -1, "-2.5"),
    ],
)
def test_go_format_float(value: float, verb: str, precision: int, expected: str) -> None:
    assert render.go_format_float(value, verb, precision) == expected


def test_tabwrite_docker_images_table() -> None:
    text = (
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n"
        "alpine\tlatest\tabc123\t2 weeks ago\t7.8MB\n"
        "my-very-long-repository-name\t1.0\tdef456\t3 days ago\t120MB\n"
    )
    assert render.tabwrite(text) == (
        "REPOSITORY                     TAG       IMAGE ID   CREATED       SIZE\n"
        "alpine                         latest    abc123     2 weeks ago   7.8MB\n"
        "my-very-long-repository-name   1.0       def456     3 days ago    120MB\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # empty cells are padded; a trailing tab makes an empty last cell
        ("A\tB\n\tx\nlonger cell\t\n", "A             B\n              x\nlonger cell   \n"),
        # a line without tabs ends the column block
        (
            "a\tb\tc\nno tabs here\naa\tbbbbbbbbbbbbbb\tc\n",
            "a         b         c\nno tabs here\naa        bbbbbbbbbbbbbb   c\n",
        ),
        # text after the last newline is flushed without a newline
        ("a\tb\nc", "a         b\nc"),
        # a form feed flushes: columns start anew and it prints as a newline
        ("x\fyy\tz\nw\tv\n", "x\nyy        z\nw         v\n"),
        ("h1\th2\th3\nv1\t\tv3\n", "h1        h2        h3\nv1                  v3\n"),
    ],
)
def test_tabwrite_matches_go_tabwriter(text: str, expected: str) -> None:
    assert render.tabwrite(text) == expected


def test_tabwrite_counts_east_asian_wide_characters_twice() -> None:
    # docker's tabwriter fork measures cells with go-runewidth (stdlib would count runes).
    assert render.tabwrite("日本語\tx\nab\ty\n") == "日本語    x\nab        y\n"


def test_render_table_rows() -> None:
    rows = [["CONTAINER ID", "NAMES"], ["0123456789ab", "web"], ["ba9876543210", ""]]
    assert render.render_table(rows) == (
        "CONTAINER ID   NAMES\n0123456789ab   web\nba9876543210   \n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sleep 1", '"sleep 1"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("tab\there\n", '"tab\\there\\n"'),
        ("\x1b[0m", '"\\x1b[0m"'),
        ("café \u00a0", '"café \\u00a0"'),
    ],
)
def test_go_quote_matches_strconv_quote(text: str, expected: str) -> None:
    assert render.go_quote(text) == expected


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("abcdefghijklmnopqrstuvwxyz", 20, "abcdefghijklmnopqrs…"),
        ("short", 20, "short"),
        ("abc", 1, "a"),
        ("abc", 0, ""),
        ("日本語日本語", 5, "日本…"),
        ("日本", 4, "日本"),
        ("日本語", 2, "日本語"),  # docker returns the input when the first rune is too wide
    ],
)
def test_ellipsis_counts_display_width(text: str, width: int, expected: str) -> None:
    assert render.ellipsis(text, width) == expected


def test_quote_command_matches_docker_ps() -> None:
    assert render.quote_command("nginx", ["-g", "daemon off;"]) == '"nginx -g \'daemon of…"'
    assert render.quote_command("nginx", ["-g", "daemon off;"], trunc=False) == (
        "\"nginx -g 'daemon off;'\""
    )
    assert render.quote_command("/docker-entrypoint.sh", ["nginx", "-g", "daemon off;"]) == (
        '"/docker-entrypoint.…"'
    )
    assert render.quote_command("sleep", ["infinity"], trunc=False) == '"sleep infinity"'
    assert render.quote_command("/bin/sh", []) == '"/bin/sh"'


def test_format_ports_groups_ranges_and_orders_mappings() -> None:
    ports = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 9001, "Type": "tcp"},
        {"PrivatePort": 9000, "Type": "tcp"},
        {"PrivatePort": 9002, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
        {"IP": "0.0.0.0", "PrivatePort": 443, "PublicPort": 443, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 444, "PublicPort": 444, "Type": "tcp"},
    ]
    assert render.format_ports(ports) == (
        "53/udp, 0.0.0.0:443-444->443-444/tcp, 9000-9002/tcp, "
        "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
    )


def test_format_ports_split_ranges_keep_first_key_order() -> None:
    ports = [{"PrivatePort": port, "Type": "tcp"} for port in (3000, 3001, 3005, 3006, 4000)]
    assert render.format_ports(ports) == "3000-3001/tcp, 3005-3006/tcp, 4000/tcp"
    assert render.format_ports([]) == ""


def test_go_sprintf_matches_go_fmt() -> None:
    result = render.go_sprintf(
        "%5s|%-5s|%05d|%x|%X|%q|%v|%.2f|%e|%g|%s %s|%d",
        "ab",
        "cd",
        42,
        255,
        "hello",
        "hi",
        1.5,
        3.14159,
        1234.5678,
        0.000012345,
        "only",
        7.5,
    )
    assert result == (
        '   ab|cd   |00042|ff|68656C6C6F|"hi"|1.5|3.14|1.234568e+03|1.2345e-05|'
        "only %!s(float64=7.5)|%!d(MISSING)"
    )
    assert render.go_sprintf("%d %s", 1, 2, 3) == "1 %!s(int=2)%!(EXTRA int=3)"
    assert render.go_sprintf("%t|%c|%8.3f|%+d", "x", 65, 2.5, 5) == "%!t(string=x)|A|   2.500|+5"
    assert render.go_sprintf("100%%") == "100%"
