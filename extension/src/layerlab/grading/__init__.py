"""Exercises' checks, the learner's self-check and the grader.

In a notebook: ``%docker_check 01-hello`` or ``layerlab.grading.check("01-hello")`` runs the
public checks of one task. ``layerlab grade SUBMISSION.ipynb`` grades whole notebooks.
"""

from __future__ import annotations

from layerlab.grading.model import Check, CheckFailed, CheckResult, Context, Exercise, Task
from layerlab.grading.selfcheck import TaskReport, check

__all__ = [
    "Check",
    "CheckFailed",
    "CheckResult",
    "Context",
    "Exercise",
    "Task",
    "TaskReport",
    "check",
]
