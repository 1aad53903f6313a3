"""Grading against a real engine: solutions score full marks, an untouched exercise zero.

The exercises use fixed names (`hello`, `localhost:5000/greeter`, …) that would collide with
other users of a shared engine, so these tests start a private engine and registry of their
own (`scripts/real-engine` with its own folder and network namespace), after checking with
tests/realengine.py that a real engine is available at all (skip, or fail with
LAYERLAB_REQUIRE_REAL=1). Only busybox is needed: no image comes from Docker Hub.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from tests.realengine import _unavailable, reachable_real_engine

from layerlab.engine.real.engine import RealEngine
from layerlab.grading.grader import grade
from layerlab.grading.tasks import EXERCISES as EXERCISE_IDS

from .helpers import EXERCISES, ROOT, SOLUTIONS

pytestmark = [pytest.mark.real, pytest.mark.slow]
SCRIPT = ROOT / "scripts" / "real-engine"


@pytest.fixture(scope="module")
def private_engine():
    reachable_real_engine()
    name = f"llgrade{os.getpid()}"
    env = {**os.environ, "LAYERLAB_REAL_DIR": f"/tmp/{name}", "LAYERLAB_REAL_NETNS": name}
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=180
    )
    try:
        if started.returncode != 0:
            _unavailable(f"could not start a private engine: {started.stderr[-500:]}")
        host = f"unix:///tmp/{name}/docker.sock"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DOCKER_HOST", host)
            yield RealEngine(host, timeout=60)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=180)


@pytest.mark.parametrize("name", sorted(EXERCISE_IDS))
def test_solution_scores_full_marks_on_the_real_engine(private_engine, name):
    result = grade(SOLUTIONS / "en" / f"{name}.ipynb", engine="real", timeout=90)
    failed = [r.message for r in result.results if not r.passed]
    assert result.score == result.max_score, failed
    # The grader removes what the exercise names once it is done.
    leftovers = {c["Names"][0].lstrip("/") for c in private_engine.containers(all=True)}
    assert leftovers.isdisjoint(result.exercise.resources.containers)
    for reference in result.exercise.resources.images:
        assert not private_engine.images(name=reference), reference


def test_untouched_exercise_scores_zero_on_the_real_engine(private_engine):
    result = grade(EXERCISES / "en" / "01-images-and-containers.ipynb", engine="real", timeout=60)
    assert result.score == 0 and result.max_score == 9
