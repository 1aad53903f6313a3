"""The pflag-like parser, the command table and the usage-error texts (no engine needed).

Expected texts were taken from the real docker CLI 28.2.2 (they need no daemon)."""

from __future__ import annotations

import io
import sys

import pytest

from layerlab.cli.flags import FlagError, FlagSpec, parse_int, specs_from_help
from layerlab.cli.grammar import GROUPS, TOP_COMMANDS, read_help
from layerlab.cli.main import run_cli

RUN = TOP_COMMANDS["run"].flagset()
PS = TOP_COMMANDS["ps"].flagset()


def test_specs_come_from_the_help_text() -> None:
    specs = {s.long: s for s in specs_from_help(read_help("ps.txt"))}
    assert specs["last"] == FlagSpec("last", "n", "int")
    assert specs["all"] == FlagSpec("all", "a", "bool")
    assert specs["format"] == FlagSpec("format", None, "string")
    assert set(specs) == {"all", "filter", "format", "last", "latest", "no-trunc", "quiet", "size"}


def test_run_knows_every_docker_flag() -> None:
    longs = {s.long for s in RUN.specs}
    assert {"publish", "env", "add-host", "cpus", "volume", "hostname", "rm"} <= longs
    assert len(longs) > 90


def test_combined_short_flags_and_value() -> None:
    parsed = RUN.parse(["-dp", "80:80", "-e", "A=1", "-eB=2", "busybox", "ls", "-l"])
    assert parsed.flag("detach")
    assert parsed.items("publish") == ["80:80"]
    assert parsed.items("env") == ["A=1", "B=2"]
    assert parsed.positionals == ["busybox", "ls", "-l"]


def test_run_stops_at_the_image() -> None:
    parsed = RUN.parse(["--rm", "busybox", "--rm", "-it"])
    assert parsed.positionals == ["busybox", "--rm", "-it"]
    assert parsed.order == ["rm"]


def test_interspersed_flags_elsewhere() -> None:
    parsed = PS.parse(["-a", "--", "-q"])
    assert parsed.positionals == ["-q"] and not parsed.flag("quiet")
    parsed = TOP_COMMANDS["rm"].flagset().parse(["x", "-f", "y"])
    assert parsed.positionals == ["x", "y"] and parsed.flag("force")


def test_long_forms() -> None:
    parsed = PS.parse(["--last=3", "--all=false", "--format", "{{.ID}}"])
    assert parsed.get("last") == 3 and parsed.get("all") is False
    assert parsed.text("format") == "{{.ID}}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--badflag"], "unknown flag: --badflag"),
        (["-x"], "unknown shorthand flag: 'x' in -x"),
        (["-ax"], "unknown shorthand flag: 'x' in -x"),
        (["-n"], "flag needs an argument: 'n' in -n"),
        (["--last"], "flag needs an argument: --last"),
        (["-na", "3"], 'invalid argument "a" for "-n, --last" flag: '
                        'strconv.ParseInt: parsing "a": invalid syntax'),
        (["--all=maybe"], 'invalid argument "maybe" for "-a, --all" flag: '
                          'strconv.ParseBool: parsing "maybe": invalid syntax'),
        (["-f", "bad"], 'invalid argument "bad" for "-f, --filter" flag: '
                        "bad format of filter (expected name=value)"),
    ],
)  # fmt: skip
def test_flag_errors(args: list[str], message: str) -> None:
    with pytest.raises(FlagError) as caught:
        PS.parse(args)
    assert str(caught.value) == message


def test_parse_int_like_go() -> None:
    assert parse_int("0x10") == 16
    assert parse_int("010") == 8
    assert parse_int("-5") == -5
    with pytest.raises(ValueError, match="value out of range"):
        parse_int("99999999999999999999")
    with pytest.raises(ValueError, match="invalid syntax"):
        parse_int("")


def test_help_shorthand_notice() -> None:
    parsed = TOP_COMMANDS["rm"].flagset().parse(["-h"])
    assert parsed.help and parsed.notices == ["Flag shorthand -h has been deprecated, use --help"]
    # run has its own -h (hostname)
    with pytest.raises(FlagError, match="flag needs an argument: 'h' in -h"):
        RUN.parse(["-h"])


def test_hidden_deprecated_time_flag() -> None:
    parsed = TOP_COMMANDS["stop"].flagset().parse(["--time", "3", "x"])
    assert parsed.get("time") == 3
    assert parsed.notices == ["Flag --time has been deprecated, use --timeout instead"]


def test_aliases_share_handlers() -> None:
    assert GROUPS["container"].commands["ps"] is GROUPS["container"].commands["ls"]
    assert GROUPS["image"].commands["remove"].handler == TOP_COMMANDS["rmi"].handler
    assert TOP_COMMANDS["images"].usage == "docker images [OPTIONS] [REPOSITORY[:TAG]]"
    assert GROUPS["image"].commands["pull"].usage.startswith("docker image pull [OPTIONS]")


class _NoEngine:
    """Usage errors must never reach the engine."""

    name = "none"
    profile = "20.10"

    def __getattr__(self, item: str) -> object:
        raise AssertionError(f"engine.{item} called")


def _cli(*argv: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(argv), _NoEngine(), out, err)  # type: ignore[arg-type]
    return out.getvalue(), err.getvalue(), code


def test_usage_error_shapes() -> None:
    assert _cli("images", "--badflag") == (
        "",
        "unknown flag: --badflag\n\nUsage:  docker images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
        "Run 'docker images --help' for more information\n",
        125,
    )
    assert _cli("rm") == (
        "",
        "docker: 'docker rm' requires at least 1 argument\n\n"
        "Usage:  docker rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
        "See 'docker rm --help' for more information\n",
        1,
    )
    assert _cli("logs")[1].startswith("docker: 'docker logs' requires 1 argument\n")
    assert "\n\nSRun 'docker images --help'" in _cli("images", "a", "b")[1]
    assert _cli("ps", "x")[1].startswith("docker: 'docker ps' accepts no arguments\n")
    assert _cli("frobnicate") == (
        "",
        "docker: unknown command: docker frobnicate\n\nRun 'docker --help' for more information\n",
        1,
    )
    assert _cli("image", "frob")[1] == (
        "docker: unknown command: docker image frob\n\nUsage:  docker image\n\n"
        "Run 'docker image --help' for more information\n"
    )


def test_help_goes_to_stdout() -> None:
    out, err, code = _cli("rm", "--help")
    assert (out, err, code) == (read_help("rm.txt"), "", 0)
    out, err, code = _cli("container", "ls", "-h")
    assert out.startswith(
        "Flag shorthand -h has been deprecated, use --help\nUsage:  docker container ls"
    )
    assert _cli()[1] == read_help("docker.txt")  # `docker` alone: help on stderr, exit 0
    out, err, code = _cli("build", "--help")
    assert err.startswith("DEPRECATED: The legacy builder is deprecated") and code == 0


def test_unmodelled_flags_fail_loudly() -> None:
    _, err, code = _cli("run", "--cpus", "2", "busybox")
    assert code == 125 and "--cpus" in err and "not supported by LayerLab" in err
    _, err, code = _cli("network", "ls")
    assert code == 1 and "'docker network' is not supported by LayerLab" in err


def test_run_tty_without_terminal() -> None:
    assert _cli("run", "-it", "busybox") == ("", "the input device is not a TTY\n", 1)


def test_internal_errors_are_reported_not_raised() -> None:
    class Broken:
        name = "broken"

        def containers(self, **kwargs: object) -> list[dict[str, object]]:
            raise RuntimeError("boom")

    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["ps"], Broken(), out, err)  # type: ignore[arg-type]
    assert code == 1
    assert err.getvalue().startswith("layerlab: internal error: RuntimeError: boom\n")
    assert "LayerLab bug" in err.getvalue()


def test_it_in_a_real_terminal_says_what_layerlab_cannot_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Docker's "not a TTY" is true in a notebook or a pipe, not in a terminal: there LayerLab
    says that it cannot hand the terminal to the container yet."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    out, err, code = _cli("run", "-it", "busybox")
    assert (out, code) == ("", 1)
    assert err.startswith("LayerLab cannot hand a terminal to a container's program yet (-it)")
