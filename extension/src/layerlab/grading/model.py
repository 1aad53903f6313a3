"""What an exercise is made of: tasks, each with checks worth points.

A check is a function of the engine state (through the Engine API) that returns quietly when
the learner's work is there and raises ``CheckFailed`` with what it found when it is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.api import Engine

Visibility = Literal["public", "hidden"]


class CheckFailed(Exception):
    """The learner's work is not (yet) what the check expects; the message says what was found."""


@dataclass
class Context:
    """What a check sees: the engine, and the image IDs that were there before the submission
    ran (on a shared real engine, images that are not the learner's)."""

    engine: Engine
    preexisting_images: frozenset[str] = frozenset()


Test = Callable[[Context], None]


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    test: Test
    success: str
    # One hint, or hints that teach in steps: the idea first, then where to look, the command
    # last; the self-check shows the next one each time the check fails again.
    hint: str | tuple[str, ...]
    visibility: Visibility = "public"

    @property
    def hints(self) -> tuple[str, ...]:
        return (self.hint,) if isinstance(self.hint, str) else self.hint


@dataclass(frozen=True)
class Task:
    id: str
    title: str
    checks: tuple[Check, ...]
    graded: bool = True  # False: a lesson's check, for the learner alone (no points)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def public_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.visibility == "public")


@dataclass(frozen=True)
class Resources:
    """The names an exercise creates: on a real engine the grader removes exactly these (and
    the images the submission left dangling) before and after a run. ``ports``: the ports of
    this machine its notebook publishes (the simulator binds them for real), so its
    submissions are graded one at a time."""

    containers: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class Exercise:
    id: str  # the notebook's file stem, e.g. "01-images-and-containers"
    state: str  # the simulated engine's named state the notebook works in
    tasks: tuple[Task, ...]
    resources: Resources = field(default_factory=Resources)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tasks)


@dataclass(frozen=True)
class CheckResult:
    task: Task
    check: Check
    passed: bool
    detail: str  # what the check found (failure) or "" (success)
    hint_step: int = 0  # which of the check's hints a failure shows (see Check.hint)

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0

    @property
    def message(self) -> str:
        if self.passed:
            return tr(self.check.success)
        hints = self.check.hints
        step = min(self.hint_step, len(hints) - 1)
        label = (
            tr("Hint {step}/{steps}", step=step + 1, steps=len(hints))
            if len(hints) > 1
            else tr("Hint")
        )
        name, hint = tr(self.check.name), tr(hints[step])
        if self.detail:
            return tr(
                "{check}: not yet ({found}). {label}: {hint}",
                check=name, found=self.detail, label=label, hint=hint,
            )  # fmt: skip
        return tr("{check}: not yet. {label}: {hint}", check=name, label=label, hint=hint)


def run_check(task: Task, check: Check, context: Context) -> CheckResult:
    """Run one check; any error inside it counts as a failure with its reason, never a crash."""
    try:
        check.test(context)
    except CheckFailed as failed:
        return CheckResult(task, check, False, str(failed))
    except Exception as exc:  # an engine error, or state the check did not foresee
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return CheckResult(task, check, False, reason)
    return CheckResult(task, check, True, "")


def run_task(task: Task, context: Context, include_hidden: bool) -> list[CheckResult]:
    checks = task.checks if include_hidden else task.public_checks()
    return [run_check(task, check, context) for check in checks]
