"""A container's output as clients read it: ``docker logs`` (whole, or followed: in virtual
time for a simulated program, as it comes for one that really runs) and ``docker attach``.

The streaming calls open their own transactions: a followed log is read in several, with the
program running in between."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from layerlab.engine.errors import Conflict, NotFound
from layerlab.engine.sim.containers.store import Container
from layerlab.engine.sim.images.config import rfc3339
from layerlab.i18n import tr

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Chunks = Iterator[tuple[bytes | None, bytes | None]]  # (stdout, stderr) pieces, one set


def stream_logs(
    engine: ContainerBackend, container: str, follow: bool, timestamps: bool, tail: str | int
) -> Chunks:
    """``docker logs`` as a stream; with ``follow``, until the program ends."""
    with engine.store.transaction():
        engine.settle()
        c = engine.containers_store.resolve(container)
        live = follow and c.running and bool(c.run.get("live"))
        lines, endless = _stream_lines(engine, container, follow, timestamps, tail)
        if live:
            seen = _line_count(engine, c)
    if live:
        return _follow_live(engine, c.id, lines, timestamps, seen)
    return _chunks(container, lines, endless)


def _follow_live(
    engine: ContainerBackend,
    container_id: str,
    lines: list[tuple[int, bytes]],
    timestamps: bool,
    seen: int,
) -> Chunks:
    """``logs -f`` of a program that really runs: lines as they come, until it ends."""
    running = True
    while True:
        for stream, line in lines:
            yield (line, None) if stream == 1 else (None, line)
        if not running:
            return
        time.sleep(0.2)
        with engine.store.transaction():
            lines, running = _follow_live_lines(engine, container_id, timestamps, seen)
        seen += len(lines)


def _chunks(container: str, lines: list[tuple[int, bytes]], endless: bool) -> Chunks:
    for stream, line in lines:
        yield (line, None) if stream == 1 else (None, line)
    if endless:
        raise Conflict(
            tr(
                "LayerLab: container {name} runs a program that never exits (a server or an "
                "endless loop), so following its logs would never end: the logs so far are "
                "above. Use 'docker logs' without -f, or stop the container first.",
                name=container,
            )
        )


def attach(engine: ContainerBackend, container: str, stdin: bytes | None) -> Chunks:
    """``docker attach``: what ``stdin`` gives is read by the next start of a container that
    keeps its stdin open; the output is everything until the program ends."""
    with engine.store.transaction():
        c = engine.containers_store.resolve(container)
        if not c.running:
            engine.containers_store.attached_clients.add(c.id)
        if stdin is not None and c.doc["Config"].get("OpenStdin") and not c.running:
            c.run["stdin"] = base64.b64encode(stdin).decode("ascii")  # the next start reads it
            engine.containers_store.save(c)
    return _attached_output(engine, c.id)


def _attached_output(engine: ContainerBackend, container_id: str) -> Chunks:
    with engine.store.transaction():
        chunks = _attached(engine, container_id)
    for stream, data in chunks:
        yield (data, None) if stream == 1 else (None, data)


def _attached(engine: ContainerBackend, container_id: str) -> list[tuple[int, bytes]]:
    """Everything an attached client sees: all output until the program ends (waiting for it in
    virtual time) or, for a program that never ends, until now."""
    store = engine.containers_store
    try:
        c = store.resolve(container_id)
    except NotFound:
        return []  # already gone: an --rm container whose start failed
    first_seq = int(c.run.get("first_log_seq", 0))
    if c.running and not c.run.get("forever"):
        end = c.run["started"] + c.run["duration"]
        engine.clock.advance(end - engine.clock.now())
        output = store.output(c, end, first_seq)
        store.settle(c, end)
    else:
        output = store.output(c, engine.clock.now(), first_seq)
    return [(stream, data) for stream, data, _ in output]


def logs(
    engine: ContainerBackend,
    container: str,
    stdout: bool,
    stderr: bool,
    timestamps: bool,
    tail: str | int,
) -> bytes:
    c = engine.containers_store.resolve(container)
    streams = {n for n, wanted in ((1, stdout), (2, stderr)) if wanted}
    lines = _log_lines(engine, c, engine.clock.now(), timestamps, tail, streams)
    return b"".join(line for _, line in lines)


def _stream_lines(
    engine: ContainerBackend, container: str, follow: bool, timestamps: bool, tail: str | int
) -> tuple[list[tuple[int, bytes]], bool]:
    """Both streams' lines; with ``follow``, until the program ends (waiting for it in virtual
    time). The flag says the program never ends (then only the lines so far)."""
    store = engine.containers_store
    c = store.resolve(container)
    now = engine.clock.now()
    if not (follow and c.running):
        return _log_lines(engine, c, now, timestamps, tail), False
    if c.run.get("forever") or c.run.get("live"):
        return _log_lines(engine, c, now, timestamps, tail), True
    end = c.run["started"] + c.run["duration"]
    engine.clock.advance(end - now)
    lines = _log_lines(engine, c, end, timestamps, tail)
    store.settle(c, end)  # may remove an --rm container: its lines are read already
    return lines, False


def _line_count(engine: ContainerBackend, c: Container) -> int:
    """How many lines the container's log holds so far (both streams)."""
    return len(_log_lines(engine, c, engine.clock.now(), False, "all"))


def _follow_live_lines(
    engine: ContainerBackend, container_id: str, timestamps: bool, seen: int
) -> tuple[list[tuple[int, bytes]], bool]:
    """For ``logs -f`` of a program that really runs: the lines after the first ``seen``, and
    whether it still runs."""
    store = engine.containers_store
    try:
        c = store.resolve(container_id)
    except NotFound:
        return [], False  # an --rm container gone with its program
    if c.run.get("live"):
        store.import_live_output(c)
    lines = _log_lines(engine, c, engine.clock.now(), timestamps, "all")
    # Read before settling: an --rm container goes with its program's end.
    still_running = store.settle(c, engine.clock.now()) and c.running
    return lines[seen:], still_running


def _log_lines(
    engine: ContainerBackend,
    c: Container,
    until: float,
    timestamps: bool,
    tail: str | int,
    streams: set[int] | None = None,
) -> list[tuple[int, bytes]]:
    """The log as (stream, line) pairs: the streams asked for, then their last ``tail`` lines."""
    lines: list[tuple[int, bytes]] = []
    for stream, data, at in engine.containers_store.output(c, until):
        if streams is None or stream in streams:
            prefix = (rfc3339(at) + " ").encode() if timestamps else b""
            lines.extend((stream, prefix + line) for line in data.splitlines(keepends=True))
    try:
        count = int(tail)
    except ValueError:
        count = -1  # the daemon reads anything else (such as "all") as every line
    if count >= 0:
        lines = lines[len(lines) - count :] if count else []
    return lines
