"""``layerlab grade``: grade notebook submissions, or regenerate the exercises."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

USAGE_EPILOG = """Each submission runs in a fresh kernel against a fresh simulated engine (or the
real engine at DOCKER_HOST with --engine real), then every check, hidden ones included, runs
in the grader. A folder stands for the notebooks in it."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerlab grade", description="Grade LayerLab exercise notebooks.", epilog=USAGE_EPILOG
    )
    parser.add_argument("submissions", nargs="*", type=Path, help="notebooks or folders of them")
    parser.add_argument("--json", type=Path, help="write Gradescope-style results.json here")
    parser.add_argument("--csv", type=Path, help="write a CSV summary (one row a submission)")
    parser.add_argument("--engine", choices=("sim", "real"), default="sim")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per submission")
    parser.add_argument(
        "--jobs", type=int, default=1, help="submissions graded at once (each has its own kernel)"
    )
    parser.add_argument("--exercise", help="grade as this exercise (default: from the notebook)")
    parser.add_argument(
        "--generate",
        action="store_true",
        help="regenerate exercises/ from solutions/ instead of grading",
    )
    return parser


def _expand(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            )
        else:
            found.append(path)
    return found


def main(args: list[str]) -> int:
    options = _parser().parse_args(args)
    if options.generate:
        from layerlab.grading.generate import main as generate_main

        return generate_main([])
    submissions = _expand(options.submissions)
    if not submissions:
        _parser().print_usage(sys.stderr)
        sys.stderr.write("layerlab grade: no submissions given (notebooks or folders)\n")
        return 2
    from layerlab.grading.grader import grade
    from layerlab.grading.report import table, write_csv, write_json

    results = []
    for path in submissions:
        result = grade(
            path, engine=options.engine, timeout=options.timeout, exercise_id=options.exercise
        )
        print(table(result), flush=True)
        results.append(result)
    if options.json:
        write_json(results, options.json)
    if options.csv:
        write_csv(results, options.csv)
    total = sum(r.score for r in results)
    top = sum(r.max_score for r in results)
    print(f"graded {len(results)} submission(s): {total:g}/{top:g} points in all")
    return 0
