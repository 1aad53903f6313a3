"""Real programs in a container, on the simulator and on a real engine, side by side.

    python benchmarks/runtimes.py --private-engine [--runs 15] [python] [node]

Times ``docker run --rm python:3.12 python -c 'print(1)'`` and ``docker run --rm node:14 node -e
'console.log(1)'`` in-process through the session on both engines (the real engine's images are
the ones the differential builds, holding the same interpreter and the same Node.js:
``tests/differential/python_image.py``, ``node_image.py``), alternating the two engines so that
the machine's drift touches both alike. Prints the medians and the ratio as Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from differential import reference_images  # noqa: E402
from layerlab.session import Session  # noqa: E402

COMMANDS = {
    "python": ["run", "--rm", "python:3.12", "python", "-c", "print(1)"],
    "node": ["run", "--rm", "node:14", "node", "-e", "console.log(1)"],
}


def timed(session: Session, command: list[str]) -> float:
    started = time.perf_counter()
    result = session.run(command)
    elapsed = time.perf_counter() - started
    if result.stdout != "1\n":
        raise RuntimeError(f"unexpected output: {result.stdout!r} {result.stderr!r}")
    return elapsed


def measure(name: str, runs: int, sim: Session, real: Session) -> None:
    command = COMMANDS[name]
    image = command[2]
    reference_images.provide(image, ["docker"], dict(os.environ))
    sim.run(["pull", "-q", image])
    for session in (sim, real):  # warm-up: first runs prepare caches
        timed(session, command)
        timed(session, command)
    sims, reals = [], []
    for _ in range(runs):
        sims.append(timed(sim, command))
        reals.append(timed(real, command))
    sim_ms, real_ms = statistics.median(sims) * 1000, statistics.median(reals) * 1000
    print(f"`docker {' '.join(command)}`\n")
    print("| engine | median (ms) | fastest (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| simulator | {sim_ms:.1f} | {min(sims) * 1000:.1f} |")
    print(f"| real engine | {real_ms:.1f} | {min(reals) * 1000:.1f} |")
    print(f"\nreal / simulator: {real_ms / sim_ms:.1f}x ({runs} runs each, alternating)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--private-engine", action="store_true")
    parser.add_argument("runtimes", nargs="*", help=f"of {', '.join(COMMANDS)} (default: all)")
    args = parser.parse_args(argv)
    if unknown := set(args.runtimes) - set(COMMANDS):
        parser.error(f"no benchmark for {', '.join(sorted(unknown))}")
    if not args.private_engine or not os.environ.get("DOCKER_HOST"):
        parser.error("needs DOCKER_HOST pointing at a private engine and --private-engine")
    with tempfile.TemporaryDirectory(prefix="bench-runtimes-") as scratch:
        os.environ["LAYERLAB_HOME"] = str(Path(scratch) / "home")
        sim = Session(engine_name="sim")
        real = Session(engine_name="real")
        try:
            for name in args.runtimes or list(COMMANDS):
                measure(name, args.runs, sim, real)
        finally:
            sim.close()
            real.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
