"""How long grading one submission takes on the simulated engine (goal: at most 5 s).

    python benchmarks/grading.py [--runs N]

Each run grades a solution and an untouched exercise of every topic through the grader: a
fresh kernel, a fresh engine state, the notebook, then every check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from layerlab.grading.grader import grade

    rows = []
    for kind in ("solutions", "exercises"):
        for notebook in sorted((ROOT / kind / "en").glob("*.ipynb")):
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                result = grade(notebook, timeout=60)
                samples.append(time.perf_counter() - started)
            rows.append((f"{kind}/en/{notebook.name}", result.score, result.max_score, samples))
    print("| submission | score | median (s) | max (s) | goal (s) | met |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    worst = 0.0
    for name, score, top, samples in rows:
        median = statistics.median(samples)
        worst = max(worst, median)
        met = "yes" if median <= GOAL_SECONDS else "no"
        print(f"| {name} | {score:g}/{top:g} | {median:.2f} | {max(samples):.2f} | 5 | {met} |")
    return 0 if worst <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
