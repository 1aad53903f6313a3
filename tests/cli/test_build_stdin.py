"""``docker build -``: a Dockerfile or a whole context archive read from stdin."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tarfiles import tar_of

DOCKERFILE = b'FROM busybox\nCOPY . /ctx\nCMD ["ls", "/ctx"]\n'


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    sim = SimEngine(home=tmp_path / "home")
    yield sim
    sim.close()


def _build(engine: SimEngine, argv: list[str], data: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["build", *argv], engine, out, err, stdin=data)
    return code, out.getvalue(), err.getvalue()


def _run(engine: SimEngine, image: str) -> str:
    out = io.StringIO()
    assert run_cli(["run", "--rm", image], engine, out, io.StringIO()) == 0
    return out.getvalue()


def test_a_dockerfile_on_stdin_builds_with_an_empty_context(engine: SimEngine) -> None:
    code, out, _ = _build(engine, ["-t", "alone", "-"], DOCKERFILE)
    assert code == 0
    assert out.startswith("Sending build context to Docker daemon  2.048kB\r\r\n")
    assert _run(engine, "alone") == "Dockerfile\n"  # the context holds only the Dockerfile


@pytest.mark.parametrize("pack", [lambda data: data, gzip.compress], ids=["tar", "tar.gz"])
def test_an_archive_on_stdin_is_the_whole_context(engine: SimEngine, pack) -> None:
    context = tar_of({"Dockerfile": DOCKERFILE, "app.txt": b"hi\n"})
    assert _build(engine, ["-q", "-t", "packed", "-"], pack(context))[0] == 0
    assert _run(engine, "packed") == "Dockerfile\napp.txt\n"


def test_f_names_the_dockerfile_inside_a_stdintar_of(engine: SimEngine) -> None:
    context = tar_of({"build/Containerfile": DOCKERFILE})
    assert _build(engine, ["-q", "-f", "build/Containerfile", "-t", "named", "-"], context)[0] == 0


def test_stdin_mistakes_say_what_docker_says(engine: SimEngine, tmp_path: Path) -> None:
    code, _, err = _build(engine, ["-"], b"")
    assert (code, err.splitlines()[-1]) == (
        1, "Error response from daemon: the Dockerfile (Dockerfile) cannot be empty",
    )  # fmt: skip
    code, _, err = _build(engine, ["-f", "-", "-"], DOCKERFILE)
    assert err.splitlines()[-1] == (
        "invalid argument: can't use stdin for both build context and dockerfile"
    )
    code, _, err = _build(engine, ["-f", "-", str(tmp_path)], DOCKERFILE)
    assert code == 1 and "not supported by LayerLab" in err


@pytest.mark.parametrize(
    "data",
    [
        b"\x1f\x8b\x08",  # found by the fuzz harness: a gzip header and nothing more
        gzip.compress(b"garbage"),  # whole gzip, but no tar inside
        gzip.compress(tar_of({"Dockerfile": DOCKERFILE}))[:40],  # cut short
    ],
)
def test_a_compressed_context_that_holds_no_whole_tar_is_the_daemons_eof(
    engine: SimEngine, data: bytes
) -> None:
    code, _, err = _build(engine, ["-q", "-"], data)
    assert code == 1
    assert err.endswith("\nError response from daemon: unexpected EOF\n")  # as Engine 20.10
