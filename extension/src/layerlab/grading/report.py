"""Grading results as a per-task table, Gradescope's results.json and a CSV summary."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from layerlab.grading.grader import SubmissionResult

GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "hidden"}


def _points(value: float) -> str:
    return f"{value:g}"


def task_scores(result: SubmissionResult) -> dict[str, tuple[float, float]]:
    """Task ID → (score, max score), in the exercise's order."""
    scores: dict[str, tuple[float, float]] = {}
    if result.exercise is not None:
        for task in result.exercise.tasks:
            scores[task.id] = (0.0, task.max_score)
    for check in result.results:
        score, top = scores.get(check.task.id, (0.0, check.task.max_score))
        scores[check.task.id] = (score + check.score, top)
    return scores


def table(result: SubmissionResult) -> str:
    exercise = result.exercise.id if result.exercise else "unknown exercise"
    lines = [
        f"{result.path}  [{exercise}]  "
        f"{_points(result.score)}/{_points(result.max_score)} points  ({result.seconds:.1f} s)"
    ]
    scores = task_scores(result)
    width = max([len(t) for t in scores] + [4])
    lines.append(f"  {'task':<{width}}  score")
    for task_id, (score, top) in scores.items():
        mark = "ok" if score == top else ""
        lines.append(f"  {task_id:<{width}}  {_points(score):>5}/{_points(top):<4} {mark}".rstrip())
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def gradescope(result: SubmissionResult) -> dict[str, Any]:
    """One submission in Gradescope's results.json shape."""
    tests = [
        {
            "name": f"{r.task.id}: {r.check.name}",
            "score": r.score,
            "max_score": r.check.points,
            "output": r.message,
            "visibility": GRADESCOPE_VISIBILITY[r.check.visibility],
        }
        for r in result.results
    ]
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.seconds, 2),
        "output": "\n".join(result.notes),
        "visibility": "visible",
        "tests": tests,
    }


def write_json(results: Sequence[SubmissionResult], target: Path) -> None:
    """One submission: its results.json; several: ``{"submissions": [{"submission": …}, …]}``."""
    if len(results) == 1:
        payload: dict[str, Any] = gradescope(results[0])
    else:
        payload = {"submissions": [{"submission": r.path, **gradescope(r)} for r in results]}
    target.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(results: Sequence[SubmissionResult], target: Path) -> None:
    task_ids: list[str] = []
    for result in results:
        for task_id in task_scores(result):
            if task_id not in task_ids:
                task_ids.append(task_id)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "exercise", "score", "max_score", *task_ids, "notes"])
        for result in results:
            scores = task_scores(result)
            writer.writerow(
                [
                    result.path,
                    result.exercise.id if result.exercise else "",
                    _points(result.score),
                    _points(result.max_score),
                    *(_points(scores[t][0]) if t in scores else "" for t in task_ids),
                    " | ".join(result.notes),
                ]
            )
