"""`docker COMMAND --help` prints docker's own help text for every command LayerLab has."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from layerlab.cli.grammar import GROUPS, TOP_COMMANDS, Command
from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

COMMANDS: list[tuple[list[str], Command]] = [
    ([name], command) for name, command in TOP_COMMANDS.items()
] + [
    ([group, name], command)
    for group, spec in GROUPS.items()
    for name, command in spec.commands.items()
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    return SimEngine(home=tmp_path_factory.mktemp("help"))


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=lambda v: str(v))
def test_help_prints_the_help_text(
    words: list[str], command: Command, engine: SimEngine, tmp_path: Path
) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli([*words, "--help"], engine, out, err, cwd=tmp_path)
    assert code == 0
    assert out.getvalue() == command.help_text
    assert "requires" not in err.getvalue()


HELP_26 = Path(__file__).resolve().parents[2] / "extension/src/layerlab/cli/help/26.1"


@pytest.fixture(scope="module")
def engine_26(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    return SimEngine(home=tmp_path_factory.mktemp("help-26"), profile="26.1")


@pytest.mark.parametrize(
    "words", [[], *(words for words, _ in COMMANDS)], ids=lambda words: " ".join(words) or "docker"
)
def test_the_26_1_profile_prints_engine_26_1_clis_help(
    words: list[str], engine_26: SimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Captured from Engine 26.1's CLI (scripts/capture-help): its help texts and its flags
    (`stop -t` is `--time` there), where buildx does not answer."""
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    out, err = io.StringIO(), io.StringIO()
    assert run_cli([*words, "--help"], engine_26, out, err, cwd=tmp_path) == 0
    command = TOP_COMMANDS.get(words[0]) if len(words) == 1 else None
    command = GROUPS[words[0]].commands[words[1]] if len(words) == 2 else command
    name = "docker" if not words else (command.help_file if command else "").removesuffix(".txt")
    if command is not None and command.derive_help_from is not None:
        name = command.derive_help_from.removesuffix(".txt")
    expected = (HELP_26 / f"{name}.txt").read_text(encoding="utf-8")
    if command is not None and command.derive_help_from is not None:
        short = "docker " + name
        expected = expected.replace(f"Usage:  {short} ", f"Usage:  {command.name} ", 1)
    assert out.getvalue() == expected
    assert out.getvalue().startswith("\nUsage:  ")  # 26.1's CLI starts with a blank line


def test_stop_takes_time_in_26_1_and_timeout_in_28(
    engine: SimEngine, engine_26: SimEngine, tmp_path: Path
) -> None:
    for sim, known, unknown in ((engine_26, "--time", "--timeout"), (engine, "--timeout", "")):
        out, err = io.StringIO(), io.StringIO()
        run_cli(["stop", known, "1", "nosuch"], sim, out, err, cwd=tmp_path)
        assert "No such container: nosuch" in err.getvalue()
        if unknown:
            err = io.StringIO()
            assert run_cli(["stop", unknown, "1", "x"], sim, out, err, cwd=tmp_path) == 125
            assert err.getvalue().startswith("unknown flag: --timeout")
