"""The learner's self-check: a task's public checks against the current engine, with hints.

Hidden checks are never run, shown or counted here; they run only in the grader.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from layerlab.grading.model import CheckResult, Context, Task, run_task
from layerlab.i18n import tr


@dataclass
class TaskReport:
    task: Task
    results: list[CheckResult]

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.check.points for r in self.results)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def __str__(self) -> str:
        lines = [f"{self.task.id}: {tr(self.task.title)}"]
        for result in self.results:
            mark = tr("PASS") if result.passed else tr("FAIL")
            lines.append(f"  [{mark}] {result.message}")
        if not self.task.graded:
            passed = sum(r.passed for r in self.results)
            lines.append(
                "  " + tr("{passed} of {total} passed", passed=passed, total=len(self.results))
            )
            return "\n".join(lines)
        lines.append(
            "  "
            + tr(
                "{score}/{top} points from the public checks (the grader runs further checks)",
                score=_points(self.score),
                top=_points(self.max_score),
            )
        )
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        sys.stdout.write(str(self) + "\n")


def _points(value: float) -> str:
    return f"{value:g}"


def check(task_id: str) -> TaskReport:
    """Run the public checks of ``task_id`` against the current engine: in a notebook,
    ``layerlab.grading.check("01-hello")`` or ``%docker_check 01-hello``."""
    from layerlab.grading.tasks import find_task
    from layerlab.session import current_session

    _, task = find_task(task_id)
    session = current_session()
    context = Context(session.engine())
    failures = session.check_failures
    results = []
    for result in run_task(task, context, include_hidden=False):
        key = (task.id, result.check.name)
        if result.passed:
            failures.pop(key, None)
        else:  # each new failure of the same check shows its next hint
            result = replace(result, hint_step=failures.get(key, 0))
            failures[key] = failures.get(key, 0) + 1
        results.append(result)
    return TaskReport(task, results)
