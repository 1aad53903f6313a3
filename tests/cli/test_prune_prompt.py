"""`prune` without -f asks first, as docker does; only y/yes goes ahead."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

QUESTION = "Are you sure you want to continue? [y/N] "


@pytest.fixture
def engine(tmp_path: Path) -> SimEngine:
    return SimEngine(home=tmp_path / "home")


def prune(engine: SimEngine, args: list[str], stdin: bytes | None) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(args, engine, out, err, cwd=".", stdin=stdin)
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize("stdin", [None, b"", b"n\n", b"no\n"])
def test_no_answer_declines_and_removes_nothing(engine: SimEngine, stdin: bytes | None) -> None:
    run_cli(["run", "--name", "stopped", "busybox", "true"], engine, io.StringIO(), io.StringIO())
    out, err, code = prune(engine, ["container", "prune"], stdin)
    assert (out, err, code) == (
        f"WARNING! This will remove all stopped containers.\n{QUESTION}",
        "",
        0,
    )
    assert [c["Names"] for c in engine.containers(all=True)] == [["/stopped"]]


def test_yes_goes_ahead(engine: SimEngine) -> None:
    run_cli(["run", "--name", "stopped", "busybox", "true"], engine, io.StringIO(), io.StringIO())
    out, _, code = prune(engine, ["container", "prune"], b"y\n")
    assert out.startswith(f"WARNING! This will remove all stopped containers.\n{QUESTION}")
    assert "Deleted Containers:" in out and code == 0
    assert engine.containers(all=True) == []


def test_image_prune_questions(engine: SimEngine) -> None:
    out, _, _ = prune(engine, ["image", "prune"], None)
    assert out == f"WARNING! This will remove all dangling images.\n{QUESTION}"
    out, _, _ = prune(engine, ["image", "prune", "-a"], None)
    assert out == (
        "WARNING! This will remove all images without at least one container associated to "
        f"them.\n{QUESTION}"
    )
    out, _, _ = prune(engine, ["image", "prune"], b"yes\n")
    assert (
        out
        == f"WARNING! This will remove all dangling images.\n{QUESTION}Total reclaimed space: 0B\n"
    )
