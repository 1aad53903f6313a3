"""The Korean and English editions teach with the same code, and both are what their
source (notebooks/source/*.md, built by notebooks/generate.py) says."""

from __future__ import annotations

import importlib.util
import re
import sys

import nbformat
import pytest
from notebook_course import LANGUAGES, NOTEBOOKS, code_cells, notebook_names, read


def _generator():  # notebooks/ is not a package: load its generator by path
    spec = importlib.util.spec_from_file_location("course_generate", NOTEBOOKS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _same_language(cell: tuple[str, str]) -> tuple[str, str]:
    cell_id, code = cell
    return cell_id, re.sub(r"^%docker_lang (ko|en)$", "%docker_lang", code, flags=re.MULTILINE)


@pytest.mark.parametrize("name", notebook_names())
def test_editions_have_identical_code_cells(name: str) -> None:
    korean, english = (read(NOTEBOOKS / language / name) for language in LANGUAGES)
    # The same code, but for the edition's `%docker_lang` (LayerLab's own messages).
    assert [_same_language(c) for c in code_cells(korean)] == [
        _same_language(c) for c in code_cells(english)
    ]
    assert [c.id for c in korean.cells] == [c.id for c in english.cells]
    assert [c.cell_type for c in korean.cells] == [c.cell_type for c in english.cells]


@pytest.mark.parametrize("name", notebook_names())
def test_committed_notebooks_match_their_source(name: str) -> None:
    generate = _generator()
    cells = generate.parse_source(NOTEBOOKS / "source" / name.replace(".ipynb", ".md"))
    for language in LANGUAGES:
        committed = read(NOTEBOOKS / language / name)
        expected = generate.build_notebook(cells, language)
        assert [(c.id, c.cell_type, c.source) for c in committed.cells] == [
            (c.id, c.cell_type, c.source) for c in expected.cells
        ], f"{language}/{name} was edited by hand or not regenerated"
        tags = [c.metadata.get("tags", []) for c in committed.cells]
        assert tags == [c.metadata.get("tags", []) for c in expected.cells]


@pytest.mark.parametrize("name", notebook_names())
def test_each_notebook_starts_from_its_own_state(name: str) -> None:
    number = name.split("-")[0]
    first_code = code_cells(read(NOTEBOOKS / "ko" / name))[0][1].splitlines()
    assert first_code == [
        "%load_ext layerlab",
        "%docker_lang ko",
        f"%docker_state course-{number}",
        "%docker_reset baseline --deterministic",
    ]


@pytest.mark.parametrize("name", notebook_names())
def test_every_code_cell_has_outputs_committed_or_is_silent(name: str) -> None:
    """Except the learner's own cells and their checks (``nbval-skip``), left unrun."""
    notebook = read(NOTEBOOKS / "ko" / name)
    docker_cells = [
        c
        for c in notebook.cells
        if c.cell_type == "code"
        and "docker" in c.source
        and "nbval-skip" not in c.metadata.get("tags", [])
    ]
    assert docker_cells and all(c.outputs for c in docker_cells)


def test_streams_are_merged_in_a_fixed_order() -> None:
    """However the kernel interleaved the two streams, the committed outputs are the same."""
    generate = _generator()

    def stream(name: str, text: str) -> nbformat.NotebookNode:
        return nbformat.v4.new_output("stream", name=name, text=text)

    result = nbformat.v4.new_output("execute_result", data={"text/plain": "42"})
    orders = [
        [stream("stderr", "warn\n"), stream("stdout", "a\n")],
        [stream("stdout", "a\n"), stream("stderr", "warn\n")],
    ]
    merged = []
    for outputs in orders:
        notebook = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [*outputs, stream("stdout", "b\n"), result]
        notebook.cells.append(cell)
        generate.merge_streams(notebook)
        merged.append(notebook.cells[0].outputs)
    assert merged[0] == merged[1]
    assert [(o.get("name"), o.get("text")) for o in merged[0]] == [
        ("stdout", "a\nb\n"),
        ("stderr", "warn\n"),
        (None, None),
    ]


@pytest.mark.parametrize("name", notebook_names())
def test_committed_cells_have_one_output_per_stream_stdout_first(name: str) -> None:
    for language in LANGUAGES:
        for cell in read(NOTEBOOKS / language / name).cells:
            if cell.cell_type == "code":
                names = [o.name for o in cell.outputs if o.output_type == "stream"]
                assert names in ([], ["stdout"], ["stderr"], ["stdout", "stderr"]), cell.id


@pytest.mark.parametrize("name", notebook_names())
def test_long_outputs_open_in_a_scrolling_box(name: str) -> None:
    """A `--help` or a whole JSON keeps all its lines but does not push the lesson away."""
    generate = _generator()
    for language in LANGUAGES:
        for cell in read(NOTEBOOKS / language / name).cells:
            if cell.cell_type != "code":
                continue
            text = "".join(
                o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get(
                    "text/plain", ""
                )
                for o in cell.outputs
            )
            long = text.count("\n") > generate.LONG_OUTPUT_LINES
            assert bool(cell.metadata.get("scrolled")) == long, f"{language}/{name} {cell.id}"


@pytest.mark.parametrize("name", notebook_names())
def test_no_stray_values_in_the_lessons(name: str) -> None:
    """A cell's last expression (a write_text's character count) is no lesson's output."""
    for cell in read(NOTEBOOKS / "en" / name).cells:
        for output in cell.get("outputs", []):
            if output.output_type == "execute_result":
                value = "".join(output.data.get("text/plain", ""))
                assert not value.strip().isdigit(), f"{name} {cell.id} shows a stray {value}"


def test_the_lessons_text_speaks_of_docker_not_of_the_course_tooling() -> None:
    """Cell tags and switches the tests use stay out of what a learner reads."""
    generate = _generator()
    for source in sorted((NOTEBOOKS / "source").glob("*.md")):
        for cell in generate.parse_source(source):
            text = " ".join(" ".join(lines) for lines in cell.text.values())
            for word in ("needs-hub", "--deterministic", "nbval", "when testing"):
                assert word not in text, f"{source.name} {cell.cell_id} mentions {word}"
