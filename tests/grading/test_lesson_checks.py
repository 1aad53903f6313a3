"""The checks at the end of lessons 01-05: each fails on what its lesson left, passes once the
task is done, and the lessons end with them (both editions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layerlab import session as session_module
from layerlab.grading import check
from layerlab.grading.tasks import LESSON_TASKS
from layerlab.session import Session

ROOT = Path(__file__).resolve().parents[2]

# What each lesson made that its checks build on, as the lesson makes it.
LESSON_FILES = {
    "hello/hello.sh": 'echo "Hello from $(hostname)!"\n',
    "hello/Dockerfile": 'FROM busybox\nWORKDIR /app\nCOPY hello.sh .\nCMD ["sh", "hello.sh"]\n',
    "quote/quote.txt": "Build once, run anywhere.\n",
    "quote/Dockerfile": 'FROM busybox\nCOPY quote.txt /quote.txt\nCMD ["cat", "/quote.txt"]\n',
    "counted/Dockerfile": "FROM busybox\nENV STEP=1\nRUN echo one > /one.txt\nCOPY f /f\n",
    "counted/f": "f\n",
    "counted-too/Dockerfile": (
        "FROM busybox\nENV STEP=1\nRUN echo one > /one.txt\nCOPY f /f\nRUN echo more > /more.txt\n"
    ),
    "counted-too/f": "f\n",
}
BEFORE = {
    "01-images-and-containers": ["build -t hello-app hello"],
    "05-sharing": [
        "build -t localhost:5000/team/quote-app:1.0 quote",
        "push localhost:5000/team/quote-app:1.0",
    ],
}
# A learner's answer to each task.
SOLUTIONS = {
    "lesson-01-own-layer": ["run --name scratchpad busybox sh -c 'echo milk > /tmp/todo.txt'"],
    "lesson-01-many": ["run --name hello-4 hello-app", "run --name hello-5 hello-app"],
    "lesson-02-count": ["build -t counted counted"],
    "lesson-02-share": ["build -t counted counted", "build -t counted-too counted-too"],
    "lesson-03-tag": ["tag busybox mybox:1.0"],
    "lesson-03-default-command": ["run --name plain busybox"],
    "lesson-04-created": ["create --name waiting busybox"],
    "lesson-04-commit": [
        "run --name maker busybox sh -c 'echo made > /made.txt'",
        "commit maker made:1",
    ],
    "lesson-05-load": [
        "save -o quote.tar localhost:5000/team/quote-app:1.0",
        "rmi localhost:5000/team/quote-app:1.0",
        "load -i quote.tar",
        "run --name quote-again localhost:5000/team/quote-app:1.0",
    ],
    "lesson-05-version": [
        "tag localhost:5000/team/quote-app:1.0 localhost:5000/team/quote-app:2.0",
        "push localhost:5000/team/quote-app:2.0",
    ],
}
FIRST = "01-images-and-containers"  # its last cell, after the checks, points to the next lesson
# Lesson 05's registry container serves its checks; only then does the lesson remove it.
AFTER_CHECKS = {FIRST: ["next"], "05-sharing": ["cleanup-intro", "cleanup"]}
TASKS = [(lesson, task) for lesson, tasks in LESSON_TASKS.items() for task in tasks]


@pytest.fixture(params=["20.10", "26.1"])
def sim(request, tmp_path, monkeypatch):
    """A fresh simulated engine in each profile (the classic builder and BuildKit), working in
    a folder that holds the lessons' files."""
    monkeypatch.setenv("LAYERLAB_PROFILE", request.param)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAYERLAB_ENGINE", "sim")
    for name, text in LESSON_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    current = Session(engine_name="sim", state="lessons")
    monkeypatch.setattr(session_module, "_session", current)
    current.engine().reset("baseline", deterministic=True)
    yield current
    current.close()


def test_every_lesson_has_two_to_four_checks() -> None:
    assert sorted(LESSON_TASKS) == [
        "01-images-and-containers",
        "02-layers",
        "03-managing-images",
        "04-managing-containers",
        "05-sharing",
    ]
    assert all(2 <= len(tasks) <= 4 for tasks in LESSON_TASKS.values())
    assert sorted(SOLUTIONS) == sorted(task.id for _, task in TASKS)


@pytest.mark.parametrize(("lesson", "task"), TASKS, ids=[task.id for _, task in TASKS])
def test_a_check_fails_until_the_task_is_done(sim: Session, lesson, task) -> None:
    for command in BEFORE.get(lesson, []):
        assert sim.run(command).ok, command
    before = check(task.id)
    assert not before.passed and "Hint" in str(before)
    for command in SOLUTIONS[task.id]:
        assert sim.run(command).ok, command
    after = check(task.id)
    assert after.passed, str(after)
    # Not graded: no points, only how many checks passed.
    total = len(task.checks)
    assert str(after).splitlines()[-1].strip() == f"{total} of {total} passed"


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("lesson", sorted(LESSON_TASKS))
def test_each_lesson_ends_with_its_checks(lesson: str, language: str) -> None:
    """The lesson's last cells hand the learner a cell of their own and a check per task; both
    are left unrun in the committed notebook (the check would only say "not yet")."""
    notebook = json.loads((ROOT / "notebooks" / language / f"{lesson}.ipynb").read_text())
    checks = [
        cell
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and "".join(cell["source"]).startswith("%docker_check ")
    ]
    asked = ["".join(cell["source"]).split()[1] for cell in checks]
    assert asked == [task.id for task in LESSON_TASKS[lesson]]
    after = notebook["cells"][notebook["cells"].index(checks[-1]) + 1 :]
    assert [cell["id"] for cell in after] == AFTER_CHECKS.get(lesson, [])
    for check_cell in checks:
        learner = notebook["cells"][notebook["cells"].index(check_cell) - 1]
        for cell in (learner, check_cell):
            assert "nbval-skip" in cell["metadata"].get("tags", []), cell["source"]
            assert not cell.get("outputs"), cell["source"]
        # A cell magic with an empty body is IPython's UsageError: the learner's cell has a
        # placeholder line, a comment the magic skips.
        body = "".join(learner["source"]).split("\n")
        assert body[0] == "%%docker" and body[1].startswith("#"), learner["source"]
