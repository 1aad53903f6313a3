"""A real Python program in a container, on the simulator and on a real engine, side by side.

    python benchmarks/python.py --private-engine [--runs 15]

Times ``docker run --rm python:3.12 python -c 'print(1)'`` in-process through the session on
both engines (the real engine's python image is the one the differential builds, holding the
same interpreter: ``tests/differential/python_image.py``), alternating the two so that the
machine's drift touches both alike. Prints the medians and the ratio as a Markdown table.
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

from differential import python_image  # noqa: E402
from layerlab.session import Session  # noqa: E402

COMMAND = ["run", "--rm", "python:3.12", "python", "-c", "print(1)"]


def timed(session: Session) -> float:
    started = time.perf_counter()
    result = session.run(COMMAND)
    elapsed = time.perf_counter() - started
    if result.stdout != "1\n":
        raise RuntimeError(f"unexpected output: {result.stdout!r} {result.stderr!r}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--private-engine", action="store_true")
    args = parser.parse_args(argv)
    if not args.private_engine or not os.environ.get("DOCKER_HOST"):
        parser.error("needs DOCKER_HOST pointing at a private engine and --private-engine")
    env = dict(os.environ)
    python_image.provide(python_image.REFERENCE, ["docker"], env)
    with tempfile.TemporaryDirectory(prefix="bench-python-") as scratch:
        os.environ["LAYERLAB_HOME"] = str(Path(scratch) / "home")
        sim = Session(engine_name="sim")
        real = Session(engine_name="real")
        try:
            sim.run(["pull", "-q", "python:3.12"])
            for session in (sim, real):  # warm-up: first runs prepare caches
                timed(session)
                timed(session)
            sims, reals = [], []
            for _ in range(args.runs):
                sims.append(timed(sim))
                reals.append(timed(real))
        finally:
            sim.close()
            real.close()
    sim_ms, real_ms = statistics.median(sims) * 1000, statistics.median(reals) * 1000
    print("| engine | median (ms) | fastest (ms) |")
    print("| --- | ---: | ---: |")
    print(f"| simulator | {sim_ms:.1f} | {min(sims) * 1000:.1f} |")
    print(f"| real engine | {real_ms:.1f} | {min(reals) * 1000:.1f} |")
    print(f"\nreal / simulator: {real_ms / sim_ms:.1f}x ({args.runs} runs each, alternating)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
