"""BuildKit on a real engine: the daemon's solve status (protobuf in ``moby.buildkit.trace``
messages) decoded into the shape the simulator streams, shown by buildx's plain printer at
buildx's pace, and, against Engine 26.1, a build as a learner runs it through LayerLab."""

from __future__ import annotations

import base64
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.buildkit_progress import PlainPrinter
from layerlab.cli.buildkit_stream import follow_paced
from layerlab.cli.main import run_cli
from layerlab.engine.errors import EngineError
from layerlab.engine.real.engine import RealEngine
from layerlab.engine.real.solve_status import BadStatus, StatusDecoder
from layerlab.viz.explain import explain_build

# -- protobuf, written by hand for the tests (the wire format the daemon sends) -------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def _field(number: int, value: int | bytes | str) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _time(seconds: float) -> bytes:
    whole = int(seconds)
    return _field(1, whole) + _field(2, round((seconds - whole) * 1e9))


def _trace(*parts: tuple[int, bytes]) -> dict[str, object]:
    body = b"".join(_field(number, data) for number, data in parts)
    return {"id": "moby.buildkit.trace", "aux": base64.b64encode(body).decode()}


def _vertex(digest: str, name: str, started: float | None = None,
            completed: float | None = None, cached: bool = False,
            error: str = "") -> tuple[int, bytes]:  # fmt: skip
    body = _field(1, digest) + _field(2, "sha256:input") + _field(3, name)
    if cached:
        body += _field(4, 1)
    if started is not None:
        body += _field(5, _time(started))
    if completed is not None:
        body += _field(6, _time(completed))
    if error:
        body += _field(7, error)
    return 1, body


def _status(vertex: str, name: str, at: float, done: bool, current: int = 0) -> tuple[int, bytes]:
    body = _field(1, name) + _field(2, vertex) + _field(4, current) + _field(6, _time(at))
    body += _field(7, _time(at))
    if done:
        body += _field(8, _time(at))
    return 2, body


def _log(vertex: str, data: bytes, at: float, stream: int = 1) -> tuple[int, bytes]:
    return 3, _field(1, vertex) + _field(2, _time(at)) + _field(3, stream) + _field(4, data)


T = 1_700_000_000.25


def test_a_status_response_reads_as_the_simulators_json() -> None:
    decoder = StatusDecoder()
    message = _trace(
        _vertex("sha256:a", "[2/2] RUN make", T, T + 1.5, error="exit code: 2"),
        _status("sha256:a", "transferring context:", T, True, current=34),
        _log("sha256:a", b"hi\n", T + 0.5, stream=2),
        (4, _field(1, "sha256:a") + _field(2, 1) + _field(3, b"careful")),
        (9, _field(1, "a field this client does not know")),
    )
    status = decoder.decode(str(message["aux"]))
    assert status["vertexes"] == [{
        "digest": "sha256:a", "name": "[2/2] RUN make", "started": pytest.approx(T),
        "completed": pytest.approx(T + 1.5), "cached": False, "error": "exit code: 2",
    }]  # fmt: skip
    assert status["statuses"][0]["id"] == "transferring context:"
    assert status["statuses"][0]["current"] == 34
    assert status["statuses"][0]["completed"] == pytest.approx(T)
    assert status["logs"] == [
        {"vertex": "sha256:a", "stream": 2, "data": "hi\n", "timestamp": pytest.approx(T + 0.5)}
    ]
    assert status["warnings"] == [{"vertex": "sha256:a", "short": "careful"}]


def test_a_character_cut_between_two_chunks_comes_out_whole() -> None:
    decoder = StatusDecoder()
    text = "héllo\n".encode()
    first = decoder.decode(str(_trace(_log("sha256:a", text[:2], T))["aux"]))
    second = decoder.decode(str(_trace(_log("sha256:a", text[2:], T))["aux"]))
    assert first["logs"][0]["data"] + second["logs"][0]["data"] == "héllo\n"


def test_what_is_not_a_status_response_is_refused() -> None:
    with pytest.raises(BadStatus):
        StatusDecoder().decode("not base64!")
    with pytest.raises(BadStatus):
        StatusDecoder().decode(base64.b64encode(b"\x0a\x10short").decode())


# -- the printer over a real daemon's stream -------------------------------------------------


def _printed(*updates: dict[str, object]) -> str:
    out = io.StringIO()
    printer = PlainPrinter(out)
    for update in updates:
        printer.feed(update)
    return out.getvalue()


def _v(digest: str, name: str, started: float | None = None, completed: float | None = None,
       **extra: object) -> dict[str, object]:  # fmt: skip
    return {"digest": digest, "name": name, "started": started, "completed": completed, **extra}


def test_vertices_announced_before_they_start_are_not_shown() -> None:
    text = _printed(
        {"vertexes": [_v("b", "[2/2] RUN make"), _v("a", "[1/2] FROM busybox")]},
        {"vertexes": [_v("a", "[1/2] FROM busybox", T, T + 0.01, cached=True)]},
    )
    assert "RUN make" not in text
    assert text.endswith("#1 [1/2] FROM busybox\n#1 CACHED\n")


def test_a_vertex_that_starts_while_another_runs_waits_for_it() -> None:
    text = _printed(
        {"vertexes": [_v("a", "[2/3] RUN sleep 1", T)]},
        {"vertexes": [_v("b", "[internal] load metadata", T + 0.1)]},
        {"logs": [{"vertex": "a", "data": "one\n", "timestamp": T + 0.2, "stream": 1}]},
        {"vertexes": [_v("a", "[2/3] RUN sleep 1", T, T + 1)]},
        {"vertexes": [_v("b", "[internal] load metadata", T + 0.1, T + 1.2)]},
    )
    assert text.split("\n\n")[1:] == [
        "#1 [2/3] RUN sleep 1\n#1 0.200 one\n#1 DONE 1.0s",
        "#2 [internal] load metadata\n#2 DONE 1.1s\n",
    ]


def test_a_real_daemons_stream_is_shown_at_buildxs_pace() -> None:
    """What changes within a moment is printed once, in its final state; what comes after a
    quiet moment is printed then, not when the build ends."""
    shown: list[tuple[float, str]] = []

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            shown.append((time.monotonic(), text))
            return super().write(text)

    def messages() -> Iterator[dict[str, object]]:
        vertex = _v("a", "exporting to image", T)
        yield {"id": "moby.buildkit.trace", "aux": {"vertexes": [vertex]}}
        for done in (None, T + 0.01):
            status = {"id": "naming to docker.io/library/app", "vertex": "a", "started": T,
                      "completed": done, "timestamp": T, "current": 0, "total": 0}  # fmt: skip
            yield {"id": "moby.buildkit.trace", "aux": {"statuses": [status]}}
        time.sleep(1.0)
        vertex = _v("a", "exporting to image", T, T + 0.02)
        yield {"id": "moby.buildkit.trace", "aux": {"vertexes": [vertex]}}
        yield {"id": "moby.image.id", "aux": {"ID": "sha256:abc"}}

    out = Out()
    started = time.monotonic()
    assert follow_paced(messages(), PlainPrinter(out)) == ("sha256:abc", None)
    text = out.getvalue()
    assert text.count("naming to docker.io/library/app") == 1
    assert "#1 naming to docker.io/library/app done\n" in text
    naming_shown = next(at for at, part in shown if "naming to" in part)
    assert naming_shown - started < 0.8  # on the tick after the quiet began


def test_an_error_while_reading_reaches_the_caller() -> None:
    def messages() -> Iterator[dict[str, object]]:
        yield {"id": "moby.buildkit.trace", "aux": {"vertexes": [_v("a", "x", T)]}}
        raise EngineError("the daemon went away")

    with pytest.raises(EngineError, match="went away"):
        follow_paced(messages(), PlainPrinter(io.StringIO()))


# -- against Engine 26.1 ---------------------------------------------------------------------


@pytest.fixture
def engine_26() -> RealEngine:
    host = os.environ.get("LAYERLAB_REAL_26_HOST")
    if not host:
        if os.environ.get("LAYERLAB_REQUIRE_REAL_26") == "1":
            pytest.fail("LAYERLAB_REQUIRE_REAL_26=1 but LAYERLAB_REAL_26_HOST is unset")
        pytest.skip("no Engine 26.1: LAYERLAB_REAL_26_HOST is unset")
    return RealEngine(host, timeout=120)


def _docker(engine: RealEngine, cwd: Path, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=cwd)
    return out.getvalue(), err.getvalue(), code


def test_engine_26_builds_with_buildkit_through_layerlab(
    engine_26: RealEngine, tmp_path: Path
) -> None:
    assert engine_26.profile == "26.1"
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nRUN echo built-with-buildkit\nCOPY a.txt /a.txt\nCMD cat /a.txt\n"
    )
    tag = f"layerlab-bk-{os.getpid()}"
    try:
        out, err, code = _docker(engine_26, tmp_path, "build", "--network=none", "--no-cache",
                                 "-t", tag, ".")  # fmt: skip
        assert (out, code) == ("", 0), err
        assert err.startswith('#0 building with "default" instance using docker driver\n\n')
        assert "] RUN echo built-with-buildkit\n" in err
        assert " built-with-buildkit\n" in err.split("RUN echo built-with-buildkit\n", 1)[1]
        # The Engine API's /build names the image with its tag made explicit (buildx: as typed).
        assert f"naming to docker.io/library/{tag}:latest done\n" in err
        assert "DEPRECATED" not in err
        steps = [(step.instruction, step.outcome) for step in explain_build(engine_26).steps]
        assert steps == [
            ("FROM docker.io/library/busybox:latest", "base"),
            ("RUN echo built-with-buildkit", "built"),
            ("COPY a.txt /a.txt", "built"),
        ]
        history = _docker(engine_26, tmp_path, "history", tag)[0]
        assert "buildkit.dockerfile.v0" in history
        assert _docker(engine_26, tmp_path, "run", "--rm", tag) == ("a\n", "", 0)

        out, err, code = _docker(engine_26, tmp_path, "build", "--network=none", "-q", "-t", tag,
                                 ".")  # fmt: skip
        assert (err, code) == ("", 0)
        assert out.startswith("sha256:")
        outcomes = [step.outcome for step in explain_build(engine_26).steps]
        assert outcomes == ["base", "cached", "cached"]  # -q hides the status, not from LayerLab

        # A real daemon has a host network, which safe mode (off here) would refuse.
        out, err, code = _docker(engine_26, tmp_path, "build", "--network=host", "-q", "-t", tag,
                                 ".")  # fmt: skip
        assert (err, code) == ("", 0) and out.startswith("sha256:")

        (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo out; exit 3\n")
        out, err, code = _docker(engine_26, tmp_path, "build", "--network=none", "-t", tag, ".")
        assert code == 1
        assert "#5 0." in err or " out\n" in err
        assert err.endswith(
            'ERROR: failed to solve: process "/bin/sh -c echo out; exit 3" did not complete '
            "successfully: exit code: 3\n"
        )
    finally:
        _docker(engine_26, tmp_path, "rmi", "-f", tag)
