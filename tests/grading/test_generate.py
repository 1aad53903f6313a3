"""The exercise notebooks are exactly what the generator makes from the solutions."""

from __future__ import annotations

import re

import nbformat
import pytest

from layerlab.grading.generate import exercise_text, pairs, placeholder, strip_solutions
from layerlab.grading.tasks import EXERCISES

from .helpers import EXERCISES as EXERCISE_DIR
from .helpers import SOLUTIONS, notebooks


@pytest.mark.parametrize(
    "solution", notebooks(SOLUTIONS), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_committed_exercise_equals_generated(solution):
    exercise = EXERCISE_DIR / solution.relative_to(SOLUTIONS)
    assert exercise.exists(), f"missing {exercise}: run `python -m layerlab.grading.generate`"
    assert exercise.read_text(encoding="utf-8") == exercise_text(solution), (
        f"{exercise} is stale: run `python -m layerlab.grading.generate`"
    )


def test_every_exercise_has_both_languages_and_no_extra_notebooks():
    for language in ("en", "ko"):
        names = {p.stem for p in (SOLUTIONS / language).glob("*.ipynb")}
        assert names == set(EXERCISES), language
    assert len(pairs(SOLUTIONS, EXERCISE_DIR)) == 2 * len(EXERCISES)
    assert sum(len(e.tasks) for e in EXERCISES.values()) >= 15


def code_of(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_languages_share_the_code_cells():
    for english in (SOLUTIONS / "en").glob("*.ipynb"):
        korean = SOLUTIONS / "ko" / english.name
        # The same code, but for each edition's `%docker_lang` (LayerLab's own messages).
        code = [
            [
                re.sub(r"^%docker_lang (en|ko)$", "%docker_lang", c.source, flags=re.MULTILINE)
                for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "code"
            ]
            for path in (english, korean)
        ]
        assert code[0] == code[1], english.name
        assert f"\n%docker_lang {korean.parent.name}\n" in code_of(korean)[0]


def test_exercise_starts_with_setup_and_hides_every_solution():
    for exercise in notebooks(EXERCISE_DIR):
        nb = nbformat.read(exercise, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code").source
        language = exercise.parent.name
        assert first_code.startswith(
            f"%load_ext layerlab\n%docker_lang {language}\n%docker_state exercise-"
        )
        assert "%docker_reset baseline" in first_code
        for cell in nb.cells:
            assert "BEGIN SOLUTION" not in cell.source
            assert cell.get("outputs", []) == []


def test_solution_regions_become_placeholders_by_cell_kind():
    docker = "%%docker\nimages\n### BEGIN SOLUTION\nrun busybox\n### END SOLUTION\nps"
    assert strip_solutions(docker) == "%%docker\nimages\n# YOUR DOCKER COMMANDS HERE\nps"
    python = "for x in y:\n    ### BEGIN SOLUTION\n    print(x)\n    ### END SOLUTION"
    assert strip_solutions(python) == "for x in y:\n    # YOUR CODE HERE"
    assert placeholder("%%writefile Dockerfile\nFROM busybox") == "# YOUR INSTRUCTIONS HERE"


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx", "x\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION"],
)
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(ValueError):
        strip_solutions(source)
