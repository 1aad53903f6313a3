"""Scenario files: parse them, run them against a docker CLI, normalise what they print.

A scenario (`tests/scenarios/*.scn`, format in `tests/scenarios/README.md`) is a list of
docker commands plus files to create before them. The same scenario runs against the real
engine (to record a golden transcript) and against LayerLab (to compare), so this module must
not depend on either: callers pass the argv prefix that stands for `docker`.

The parts live in `scenario_model`, `scenario_parse`, `scenario_run` and `scenario_normalize`;
this module gathers them and reads the golden transcripts.
"""

from __future__ import annotations

import json
from pathlib import Path

from .scenario_model import (
    BASELINE_IMAGE,
    DEFAULT_TIMEOUT,
    GOLDEN_DIR,
    REAL_ENGINE_SCRIPT,
    REGISTRY_ADDRESS,
    REPO_ROOT,
    SCENARIO_DIR,
    Capture,
    Command,
    CommandResult,
    FileWrite,
    Scenario,
    ScenarioSyntaxError,
    Sleep,
    StdinFrom,
    Step,
    TarCreate,
    UsesImage,
)
from .scenario_normalize import TABLE_SEPARATOR, IdMap, normalize, normalize_results
from .scenario_parse import parse_scenario, parse_scenario_text
from .scenario_run import (
    ImageProvider,
    real_engine_26,
    real_engine_env,
    reset_real_engine,
    run_scenario,
    with_fork_server,
)

__all__ = [
    "BASELINE_IMAGE",
    "DEFAULT_TIMEOUT",
    "GOLDEN_DIR",
    "REAL_ENGINE_SCRIPT",
    "REGISTRY_ADDRESS",
    "REPO_ROOT",
    "SCENARIO_DIR",
    "TABLE_SEPARATOR",
    "Capture",
    "Command",
    "CommandResult",
    "FileWrite",
    "IdMap",
    "ImageProvider",
    "Scenario",
    "ScenarioSyntaxError",
    "Sleep",
    "StdinFrom",
    "Step",
    "TarCreate",
    "UsesImage",
    "golden_path",
    "load_golden",
    "normalize",
    "normalize_results",
    "parse_scenario",
    "parse_scenario_text",
    "real_engine_26",
    "real_engine_env",
    "reset_real_engine",
    "run_scenario",
    "scenario_paths",
    "with_fork_server",
]


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def load_golden(name: str) -> tuple[dict[str, object], list[CommandResult]]:
    """The golden file's header (versions, …) and its raw results."""
    data = json.loads(golden_path(name).read_text(encoding="utf-8"))
    results = [
        CommandResult(
            command=entry["command"],
            stdout=entry["stdout"],
            stderr=entry["stderr"],
            exit_code=entry["exit_code"],
        )
        for entry in data["commands"]
    ]
    header = {key: value for key, value in data.items() if key != "commands"}
    return header, results


def scenario_paths() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.scn"))
