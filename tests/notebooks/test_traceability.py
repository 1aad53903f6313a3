"""notebooks/README.md maps every bullet of the source notes to the cells that teach it."""

from __future__ import annotations

import re

from notebook_course import NOTEBOOKS, read

SOURCE_NOTES = NOTEBOOKS / "source-notes.ko.md"
# | quoted note | [notebook](ko/NN-name.ipynb) | `cell-id`, `cell-id` |
ROW = re.compile(
    r"^\| (?P<note>.+?) \| \[(?P<name>[^\]]+)\]\((?P<link>[^)]+)\) \| (?P<cells>.+) \|$"
)


def source_bullets() -> list[str]:
    lines = SOURCE_NOTES.read_text(encoding="utf-8").splitlines()
    return [line[2:].strip() for line in lines if line.startswith("- ")]


def traceability_rows() -> dict[str, tuple[str, list[str]]]:
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in (NOTEBOOKS / "README.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            note = match["note"].replace("\\|", "|")
            rows[note] = (match["link"], re.findall(r"`([^`]+)`", match["cells"]))
    return rows


def test_the_source_notes_have_bullets() -> None:
    assert len(source_bullets()) >= 30


def test_every_bullet_is_traced_to_existing_cells() -> None:
    rows = traceability_rows()
    missing = [bullet for bullet in source_bullets() if bullet not in rows]
    assert not missing, f"bullets without a row in notebooks/README.md: {missing}"
    for bullet in source_bullets():
        link, cell_ids = rows[bullet]
        assert cell_ids, f"no cell named for {bullet!r}"
        for language in ("ko", "en"):
            notebook = read(NOTEBOOKS / link.replace("ko/", f"{language}/", 1))
            ids = {cell.id for cell in notebook.cells}
            unknown = [cell_id for cell_id in cell_ids if cell_id not in ids]
            assert not unknown, f"{bullet!r}: no cells {unknown} in {language}/{link}"
