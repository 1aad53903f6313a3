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
