"""A simulated engine per test, and a helper to build images from a Dockerfile text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from layerlab.engine.sim.engine import SimEngine
from layerlab.session import Session

Build = Callable[..., str]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = SimEngine(home=tmp_path / "home")
    engine.reset("baseline", deterministic=True)
    yield Session(engine_name="sim", _engine=engine)
    engine.close()


@pytest.fixture
def docker(session: Session) -> Callable[[str], str]:
    """Run a docker command line on the test engine; it must succeed; returns stdout."""

    def run(command: str) -> str:
        result = session.run(command)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    return run


@pytest.fixture
def build(session: Session, tmp_path: Path) -> Build:
    """build(tag, dockerfile, **files) in a context directory that keeps earlier files."""
    context = tmp_path / "context"
    context.mkdir()

    def run(tag: str, dockerfile: str, *flags: str, **files: str) -> str:
        (context / "Dockerfile").write_text(dockerfile)
        for name, text in files.items():
            (context / name.replace("__", ".")).write_text(text)
        result = session.run(["build", *flags, "-t", tag, str(context)])
        assert result.exit_code == 0, result.stdout + result.stderr
        return result.stdout

    return run
