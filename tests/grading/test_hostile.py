"""Broken, hanging and hostile submissions: each gets a score and a reason, never a crash."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from layerlab.grading.grader import grade
from layerlab.grading.report import table

from .helpers import EXERCISES, SOLUTIONS, cell_index, with_cells

pytestmark = pytest.mark.slow

SOLVED = SOLUTIONS / "en" / "01-images-and-containers.ipynb"
UNTOUCHED = EXERCISES / "en" / "01-images-and-containers.ipynb"
HELLO_POINTS = 3  # 01-hello: what is done before the second task starts

TAMPER = """
import layerlab.grading as grading
import layerlab.grading.model as model
from layerlab.grading.model import CheckResult

model.run_check = lambda task, check, context: CheckResult(task, check, True, "")
grading.check = lambda task_id: "all passed"
print(grading.selfcheck.check("01-hello"))
open("../status.json", "w").write('{"notes": []}')
"""
DELETE = """
import os, shutil
shutil.rmtree(os.environ["LAYERLAB_HOME"])
shutil.rmtree(os.getcwd(), ignore_errors=True)
"""
RAISE = "raise RuntimeError('boom')"
KILL_PARENT = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    second_task = cell_index(SOLVED, "## Task `01-writable-layers`")
    end = cell_index(SOLVED, "%docker_check 01-image-unchanged") + 1
    (folder / "not-a-notebook.ipynb").write_text("{ this is not json", encoding="utf-8")
    cases = {
        "loops": with_cells(SOLVED, folder / "loops.ipynb", {second_task: "while True:\n    pass"}),
        "raises": with_cells(SOLVED, folder / "raises.ipynb", {second_task: RAISE}),
        "deletes": with_cells(SOLVED, folder / "deletes.ipynb", {end: DELETE}),
        "tampers": with_cells(UNTOUCHED, folder / "tampers.ipynb", {end: TAMPER}),
        "kills": with_cells(SOLVED, folder / "kills.ipynb", {second_task: KILL_PARENT}),
        "garbage": folder / "not-a-notebook.ipynb",
    }  # fmt: skip

    def run(path):
        return grade(path, timeout=10, exercise_id="01-images-and-containers")

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(cases, pool.map(run, cases.values()), strict=True))
    for result in results.values():
        print(table(result))
    return results


def notes(result) -> str:
    return " | ".join(result.notes)


def test_endless_loop_is_stopped_and_earlier_work_counts(graded):
    result = graded["loops"]
    assert result.score == HELLO_POINTS
    assert "time limit of 10 s reached" in notes(result)


def test_a_raising_cell_is_reported_and_later_cells_still_count(graded):
    result = graded["raises"]
    assert result.score == result.max_score == 9
    assert "raised RuntimeError: boom" in notes(result)


def test_deleted_engine_state_scores_zero_with_the_reason(graded):
    result = graded["deletes"]
    assert result.score == 0
    assert "left no engine state named 'exercise-01'" in notes(result)


def test_tampering_in_the_kernel_changes_nothing(graded):
    result = graded["tampers"]
    assert result.score == 0
    assert all(not r.passed for r in result.results)


def test_killing_the_runner_keeps_the_grader_alive(graded):
    result = graded["kills"]
    assert result.score == HELLO_POINTS
    assert "runner stopped early" in notes(result)


def test_unreadable_notebook_scores_zero_with_the_reason(graded):
    result = graded["garbage"]
    assert result.score == 0 and result.max_score == 9
    assert "could not be read" in notes(result)
