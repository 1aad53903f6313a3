"""Every solution scores full marks and every untouched exercise zero, through `layerlab grade`
on the simulated engine, with results.json and the CSV summary."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from tests.realengine import REGISTRY_PORT, registry_port_free

from layerlab.grading.cli import main
from layerlab.grading.grader import grade
from layerlab.grading.tasks import EXERCISES

from .helpers import EXERCISES as EXERCISE_DIR
from .helpers import SOLUTIONS, notebooks

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    with registry_port_free():  # exercise 05 starts a registry container on port 5000
        code = main(
            [str(SOLUTIONS), str(EXERCISE_DIR), "--jobs", "3", "--timeout", "60",
             "--json", str(out / "results.json"), "--csv", str(out / "summary.csv")]
        )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    return {row["submission"]: row for row in rows}, json.loads((out / "results.json").read_text())


@pytest.mark.parametrize("path", notebooks(SOLUTIONS), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_solution_scores_full_marks(graded, path):
    row = graded[0][str(path)]
    exercise = EXERCISES[path.stem]
    assert float(row["score"]) == exercise.max_score > 0, row["notes"]
    assert row["notes"] == ""


@pytest.mark.parametrize("path", notebooks(EXERCISE_DIR), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_untouched_exercise_scores_zero(graded, path):
    row = graded[0][str(path)]
    assert row["exercise"] == path.stem
    assert float(row["score"]) == 0
    assert float(row["max_score"]) == EXERCISES[path.stem].max_score


def test_results_json_is_gradescope_shaped(graded):
    submissions = graded[1]["submissions"]
    assert len(submissions) == len(notebooks(SOLUTIONS)) + len(notebooks(EXERCISE_DIR))
    first = submissions[0]
    assert set(first) >= {"submission", "score", "max_score", "tests", "output"}
    visibility = {test["visibility"] for s in submissions for test in s["tests"]}
    assert visibility == {"visible", "hidden"}
    for submission in submissions:
        assert sum(t["score"] for t in submission["tests"]) == submission["score"]
        assert sum(t["max_score"] for t in submission["tests"]) == submission["max_score"]
    failing = next(t for s in submissions if s["score"] == 0 for t in s["tests"])
    assert "Hint 1/3:" in failing["output"]  # the grader's report gives the first step


def _processes_of_grading() -> list[str]:
    """Programs and port proxies still running from a submission's scratch folder."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "layerlab-grade-" in args and ("runtimes.monitor" in args or "proxy.py" in args):
            found.append(args[:200])
    return found


def test_nothing_a_submission_started_outlives_its_grading(graded):
    # Exercise 04 leaves `ticker` (sleep 3600) running and 05 its registry on port 5000.
    assert _processes_of_grading() == []


def test_a_port_the_notebook_publishes_held_by_another_program_fails_with_the_reason():
    with registry_port_free(), socket.socket() as holder:
        # As any server does: the registry just stopped leaves its closed connections in
        # TIME_WAIT on this port, which only a plain bind() refuses.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", REGISTRY_PORT))
        holder.listen()
        result = grade(SOLUTIONS / "en" / "05-sharing.ipynb", timeout=60)
    assert result.score == 0 and result.max_score > 0
    assert result.notes == [
        f"port {REGISTRY_PORT} of this machine is in use by another program, and the notebook "
        "publishes it: free it and grade again"
    ]
