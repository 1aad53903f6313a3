"""Hints that teach in steps: the idea first, then where to look, the command last."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layerlab import session as session_module
from layerlab.grading.selfcheck import check
from layerlab.grading.tasks import EXERCISES, LESSON_TASKS

# A docker command that does the task, with its arguments, in backticks: an answer. Commands
# that only look (history, inspect, images, ps, logs, diff) and `--help` are where to look.
DOING = "run|create|build|tag|rm|rmi|exec|push|pull|stop|start|kill|prune|commit"
ANSWER = re.compile(rf"`docker (?:[a-z]+ )?(?:{DOING}) (?!--help`)[^`]+`")


def public_checks():
    """Every check a learner's ``%docker_check`` runs: the exercises' public ones and the
    lessons' own."""
    tasks = [task for exercise in EXERCISES.values() for task in exercise.tasks]
    tasks += [task for lesson in LESSON_TASKS.values() for task in lesson]
    return [(task.id, c) for task in tasks for c in task.checks if c.visibility == "public"]


def test_a_first_hint_never_gives_the_answer() -> None:
    for task_id, c in public_checks():
        assert not ANSWER.search(c.hints[0]), f"{task_id} / {c.name}: {c.hints[0]}"


def test_stepped_hints_end_with_the_command() -> None:
    stepped = [(task_id, c) for task_id, c in public_checks() if len(c.hints) > 1]
    assert len(stepped) >= 10
    for task_id, c in stepped:
        assert len(c.hints) == 3 and "`" in c.hints[-1], f"{task_id} / {c.name}"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAYERLAB_ENGINE", "sim")
    monkeypatch.setattr(session_module, "_session", None)
    yield
    session_module.current_session().close()


def test_each_new_failure_shows_the_next_hint(fresh: None) -> None:
    shown = [str(check("04-background")).splitlines()[1] for _ in range(4)]
    assert "Hint 1/3: a container started detached" in shown[0]
    assert "Hint 2/3: `docker run --help`" in shown[1]
    assert "Hint 3/3: `docker run -d --name ticker busybox sleep 3600`" in shown[2]
    assert shown[3] == shown[2]  # the last step stays
