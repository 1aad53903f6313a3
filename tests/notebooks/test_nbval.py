"""Every course notebook, both editions, replays with exactly its committed outputs on the
simulator (nbval).

nbval runs in a child pytest rather than through ``--nbval`` in pytest.ini: the child gets a
private ``LAYERLAB_HOME`` before any kernel starts, only the course notebooks are collected
(never exercises or scratch notebooks), and the parent run keeps its own options. One child
runs all notebooks (one kernel start each, as nbval does anyway); its JUnit report gives each
notebook its own pass/fail here, with nbval's diff as the failure message.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from notebook_course import NOTEBOOKS, ROOT, kernel_env, notebook_paths
from realengine import registry_port_free

SANITIZE = NOTEBOOKS / "nbval-sanitize.cfg"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nbval_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Failure messages per notebook (relative path), empty for a notebook that passed."""
    work = tmp_path_factory.mktemp("nbval")
    report = work / "report.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-cell-timeout=120",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--junitxml={report}",
        "-q",
        *[str(path.relative_to(ROOT)) for path in notebook_paths()],
    ]
    if SANITIZE.exists():
        command.insert(4, f"--nbval-sanitize-with={SANITIZE.relative_to(ROOT)}")
    with registry_port_free():
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=kernel_env(work / "home", "sim"),
            capture_output=True,
            text=True,
            timeout=600,
        )
    if not report.exists():
        pytest.fail(f"nbval did not run:\n{done.stdout}\n{done.stderr}")
    results: dict[str, list[str]] = {}
    for case in ET.parse(report).iter("testcase"):
        # nbval's items are named "path::Cell N"; the classname carries the notebook's path.
        notebook = _notebook_of(case.get("classname", ""), case.get("file", ""))
        problems = results.setdefault(notebook, [])
        for bad in (*case.findall("failure"), *case.findall("error")):
            problems.append(f"{case.get('name')}: {bad.get('message', '')}\n{bad.text or ''}")
    return results


def _notebook_of(classname: str, file: str) -> str:
    if file:
        return file
    # "notebooks.ko.01-images-and-containers.ipynb" -> "notebooks/ko/01-....ipynb"
    stem = classname.removesuffix(".ipynb")
    head, _, name = stem.rpartition(".")
    return f"{head.replace('.', '/')}/{name}.ipynb"


@pytest.mark.parametrize(
    "notebook", [str(p.relative_to(ROOT)) for p in notebook_paths()], ids=lambda p: p
)
def test_notebook_replays_exactly(nbval_report: dict[str, list[str]], notebook: str) -> None:
    assert notebook in nbval_report, f"nbval collected no cells of {notebook}"
    problems = nbval_report[notebook]
    assert not problems, "\n\n".join(problems)


def test_every_notebook_has_both_editions() -> None:
    names = {
        language: sorted(path.name for path in (NOTEBOOKS / language).glob("*.ipynb"))
        for language in ("ko", "en")
    }
    assert names["ko"] == names["en"]
    assert len(names["ko"]) == 6
    assert all(Path(NOTEBOOKS / "ko" / name).stat().st_size > 0 for name in names["ko"])
