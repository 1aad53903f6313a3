"""The simulator against the real engine's golden transcripts, command by command.

Each scenario runs through ``layerlab docker`` on a fresh simulated state; outputs are normalised
on both sides with the same rules and compared. The match rate must not fall below
``SIM_MATCH_FLOOR`` (a ratchet: raise it as the simulator improves). Set
``LAYERLAB_GOLDEN_REPORT=path`` to write the report (rate and every differing command).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import reference_images
from .scenario import (
    CommandResult,
    load_golden,
    normalize_results,
    parse_scenario,
    run_scenario,
    scenario_paths,
    with_fork_server,
)

SIM_MATCH_FLOOR = 1.0


@dataclass
class Outcome:
    scenario: str
    expected: CommandResult
    actual: CommandResult

    @property
    def matches(self) -> bool:
        e, a = self.expected, self.actual
        return (e.stdout, e.stderr, e.exit_code) == (a.stdout, a.stderr, a.exit_code)


# Each scenario's run on the simulator, once per test session: the live differential
# (test_live_differential.py) and the comparison with the golden transcripts below read the
# same run, so CI does not simulate every scenario twice.
_simulated: dict[Path, list[CommandResult]] = {}


def run_on_simulator(path: Path, tmp: Path) -> list[CommandResult]:
    """The scenario's results on a fresh simulated state (kept for the rest of the session)."""
    if path not in _simulated:
        _simulated[path] = _simulate(path, tmp)
    return _simulated[path]


def _simulate(path: Path, tmp: Path) -> list[CommandResult]:
    scenario = parse_scenario(path)
    env = {
        **os.environ,
        "LAYERLAB_ENGINE": "sim",
        "LAYERLAB_PROFILE": scenario.profile,
        "LAYERLAB_HOME": str(tmp / "home"),
        "LAYERLAB_DETERMINISTIC": "0",
    }
    env.pop("DOCKER_BUILDKIT", None)
    docker = [sys.executable, "-m", "layerlab", "docker"]
    results = run_scenario(scenario, docker, with_fork_server(env), tmp / "work")
    trace = tmp / "home" / "forkserver.log"
    twice = ran_twice(trace.read_text()) if trace.exists() else []
    if twice:  # seen twice in CI, never here: what the fork server did, for the failure
        print(f"{path.stem}: commands run in a child and in their client: {twice}")
        print(trace.read_text())
    return results


def ran_twice(trace: str) -> list[str]:
    """The clients of a fork server trace whose command ran in a child and in the client."""
    served = {
        line.split()[4]
        for line in trace.splitlines()
        if line.startswith("child ") and " for client " in line
    }
    return [
        line
        for line in trace.splitlines()
        if line.startswith("client ") and " runs here" in line and line.split()[1] in served
    ]


def recorded_elsewhere(path: Path) -> str | None:
    """Why a scenario's golden transcript cannot be compared on this machine, if it cannot:
    it was recorded with another Node.js than the one the simulator runs here (the live
    differential compares both engines on this machine's Node.js instead)."""
    header, _ = load_golden(path.stem)
    wanted = reference_images.runtime_versions(parse_scenario(path).images())
    differs = {key: value for key, value in wanted.items() if header.get(key) != value}
    if not differs:
        return None
    recorded = {key: header.get(key) for key in differs}
    return f"{path.stem} was recorded with {recorded}, this machine has {differs}"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    collected: list[Outcome] = []
    for path in scenario_paths():
        if recorded_elsewhere(path):
            continue
        _, golden = load_golden(path.stem)
        actual = run_on_simulator(path, tmp_path_factory.mktemp(path.stem))
        for expected, got in zip(normalize_results(golden), normalize_results(actual), strict=True):
            collected.append(Outcome(path.stem, expected, got))
    return collected


def report(outcomes: list[Outcome]) -> str:
    matched = sum(o.matches for o in outcomes)
    rate = matched / len(outcomes) if outcomes else 0.0
    lines = [
        "# Fidelity: the simulator against the real engine",
        "",
        f"{matched} of {len(outcomes)} scenario commands match ({rate:.1%}) after normalisation.",
        "",
        "## Commands that differ",
        "",
    ]
    for o in outcomes:
        if o.matches:
            continue
        lines += [f"### {o.scenario}: `{o.expected.command}`", "", "```diff"]
        for stream in ("stdout", "stderr", "exit_code"):
            want, got = getattr(o.expected, stream), getattr(o.actual, stream)
            if want != got:
                lines.append(f"- {stream}: {want!r}")
                lines.append(f"+ {stream}: {got!r}")
        lines += ["```", ""]
    return "\n".join(lines)


def test_every_scenario_has_a_golden_transcript() -> None:
    for path in scenario_paths():
        _, results = load_golden(path.stem)
        assert len(results) == len(parse_scenario(path).commands()), path.stem


def test_golden_transcripts_were_recorded_with_this_machines_runtimes() -> None:
    """Where not, those scenarios are left out of the comparison below: say so."""
    reasons = [reason for path in scenario_paths() if (reason := recorded_elsewhere(path))]
    if reasons:
        pytest.skip("; ".join(reasons))


def test_simulator_matches_real_engine(outcomes: list[Outcome]) -> None:
    text = report(outcomes)
    target = os.environ.get("LAYERLAB_GOLDEN_REPORT")
    if target:
        Path(target).write_text(text + "\n", encoding="utf-8")
    matched = sum(o.matches for o in outcomes)
    rate = matched / len(outcomes)
    print(f"\nsimulator fidelity: {matched}/{len(outcomes)} = {rate:.1%}")
    assert rate >= SIM_MATCH_FLOOR, text


def test_a_trace_shows_a_command_that_ran_twice() -> None:
    trace = (
        "client 10 asks ['docker', 'images']\n"
        "child 11 for client 10 starts ['docker', 'images']\n"
        "child 11 ends with 0\n"
        "client 12 runs here, no server yet: ['docker', 'ps']\n"
        "client 13 asks ['docker', 'history', 'a']\n"
        "child 14 for client 13 starts ['docker', 'history', 'a']\n"
        "client 13 runs here: no reply ['docker', 'history', 'a']\n"
    )
    assert ran_twice(trace) == ["client 13 runs here: no reply ['docker', 'history', 'a']"]
