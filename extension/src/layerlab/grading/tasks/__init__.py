"""Every exercise of the course, with its tasks and checks, by notebook name and task ID, and
the checks at the end of the lessons (:mod:`layerlab.grading.tasks.lessons`)."""

from __future__ import annotations

from layerlab.grading.model import Exercise, Task
from layerlab.grading.tasks import (
    images_containers,
    layers,
    managing_containers,
    managing_images,
    sharing,
)
from layerlab.grading.tasks.lessons import LESSON_TASKS
from layerlab.i18n import tr

EXERCISES: dict[str, Exercise] = {
    module.EXERCISE.id: module.EXERCISE
    for module in (images_containers, layers, managing_images, managing_containers, sharing)
}


def find_task(task_id: str) -> tuple[Exercise | None, Task]:
    """The task and its exercise (``None`` for a lesson's check)."""
    for exercise in EXERCISES.values():
        for task in exercise.tasks:
            if task.id == task_id:
                return exercise, task
    for tasks in LESSON_TASKS.values():
        for task in tasks:
            if task.id == task_id:
                return None, task
    known = ", ".join(
        [t.id for e in EXERCISES.values() for t in e.tasks]
        + [t.id for tasks in LESSON_TASKS.values() for t in tasks]
    )
    raise KeyError(tr("unknown task {task!r}; the tasks are: {known}", task=task_id, known=known))


def find_exercise(name: str) -> Exercise:
    """The exercise by its ID or a notebook file name/stem that starts with it."""
    for exercise in EXERCISES.values():
        if name == exercise.id or name.startswith(exercise.id):
            return exercise
    raise KeyError(
        tr(
            "no exercise matches {name!r}; the exercises are: {known}",
            name=name,
            known=", ".join(EXERCISES),
        )
    )
