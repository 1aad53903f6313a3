"""The simulator against a real engine: the same scenarios, in-process through ``Session.run``.

    python benchmarks/engines.py --private-engine [--repeat 3] [NAME ...]

Each scenario (``tests/scenarios/NAME.scn``) runs on a fresh simulated state and on the real
engine at ``DOCKER_HOST`` reset to the baseline, with the sessions' default settings (safe mode
on for the real engine, as in the course). Only the docker commands are timed (not file
preparation or ``@sleep``); the median of the repeats is reported, with the ratio real/sim, as
a Markdown table. Resetting wipes the engine, hence ``--private-engine``: never point this at
an engine other people use.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from differential.scenario import (  # noqa: E402
    Capture,
    Command,
    FileWrite,
    Scenario,
    Sleep,
    TarCreate,
    parse_scenario,
    reset_real_engine,
)
from layerlab.session import Session  # noqa: E402

# A container's life, a cached multi-step build, tags and listings.
DEFAULT_SCENARIOS = ["images_vs_containers", "build_layers_cache", "managing_images"]
_CAPTURE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def prepare(step: FileWrite | TarCreate | Sleep, workdir: Path) -> None:
    """A scenario's file step (untimed): write a file, pack a tar, or wait."""
    if isinstance(step, FileWrite):
        target = workdir / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.content, encoding="utf-8")
    elif isinstance(step, TarCreate):
        with tarfile.open(workdir / step.path, "w") as archive:
            for path in sorted((workdir / step.from_dir).rglob("*")):
                archive.add(path, str(path.relative_to(workdir / step.from_dir)), recursive=False)
    else:
        time.sleep(step.seconds)


def timed_run(scenario: Scenario, session: Session, workdir: Path) -> float:
    """Seconds spent in the scenario's docker commands."""
    workdir.mkdir(parents=True, exist_ok=True)
    captures: dict[str, str] = {}
    last_stdout = ""
    spent = 0.0
    for step in scenario.steps:
        if isinstance(step, Capture):
            captures[step.name] = last_stdout.strip()
        elif isinstance(step, Command):
            argv = [_CAPTURE.sub(lambda m: captures[m.group(1)], arg) for arg in step.args]
            started = time.perf_counter()
            result = session.run(argv, cwd=str(workdir))
            spent += time.perf_counter() - started
            last_stdout = result.stdout
        else:
            prepare(step, workdir)
    return spent


def run_sim(scenario: Scenario, scratch: Path) -> float:
    os.environ["LAYERLAB_HOME"] = str(scratch / "home")
    session = Session(engine_name="sim")
    try:
        return timed_run(scenario, session, scratch / "work")
    finally:
        session.close()


def run_real(scenario: Scenario, scratch: Path, env: dict[str, str]) -> float:
    reset_real_engine(env)
    session = Session(engine_name="real")
    try:
        return timed_run(scenario, session, scratch / "work")
    finally:
        session.close()
        reset_real_engine(env)


def table(rows: list[tuple[str, int, float, float]], repeat: int) -> str:
    lines = [
        "| scenario | commands | simulator (s) | real engine (s) | real / sim |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, commands, sim, real in rows:
        lines.append(f"| {name} | {commands} | {sim:.2f} | {real:.2f} | {real / sim:.1f}x |")
    total_sim = sum(r[2] for r in rows)
    total_real = sum(r[3] for r in rows)
    total_commands = sum(r[1] for r in rows)
    lines.append(
        f"| all | {total_commands} | {total_sim:.2f} | {total_real:.2f} | "
        f"{total_real / total_sim:.1f}x |"
    )
    lines.append("")
    lines.append(f"Median of {repeat} runs; only the docker commands are timed.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT_SCENARIOS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--private-engine",
        action="store_true",
        help="confirm that DOCKER_HOST is a private engine (it is reset between runs)",
    )
    args = parser.parse_args(argv)
    if not args.private_engine or not os.environ.get("DOCKER_HOST"):
        parser.error("needs DOCKER_HOST pointing at a private engine and --private-engine")
    env = dict(os.environ)
    env.pop("DOCKER_BUILDKIT", None)
    rows = []
    for name in args.names:
        scenario = parse_scenario(REPO / "tests" / "scenarios" / f"{name}.scn")
        sims, reals = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
                sims.append(run_sim(scenario, Path(scratch)))
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
                reals.append(run_real(scenario, Path(scratch), env))
        rows.append(
            (name, len(scenario.commands()), statistics.median(sims), statistics.median(reals))
        )
        print(f"{name}: sim {rows[-1][2]:.2f}s, real {rows[-1][3]:.2f}s", file=sys.stderr)
    print(table(rows, args.repeat))
    print(f"\n(engine: {shlex.quote(env['DOCKER_HOST'])})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
