"""A container's output as clients read it: ``docker logs`` (whole, or followed: in virtual
time for a simulated program, as it comes for one that really runs) and ``docker attach``.

The streaming calls open their own transactions: a followed log is read in several, with the
program running in between."""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
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
    keeps its stdin open; the output is everything the next run writes until the program ends,
    or for a container that already runs, what it writes from now on."""
    store = engine.containers_store
    with engine.store.transaction():
        engine.settle()
        c = store.resolve(container)
        # A running container: only what it writes from now on, as Docker attaches (a program
        # that really runs, from the next record of its log; a simulated one, whose whole
        # output is written ahead in virtual time, from this moment on).
        since = Since(store.next_log_seq(c), engine.clock.now()) if c.running else None
        if not c.running:
            store.attached_clients.add(c.id)
        if stdin is not None and c.doc["Config"].get("OpenStdin") and not c.running:
            c.run["stdin"] = base64.b64encode(stdin).decode("ascii")  # the next start reads it
            store.save(c)
    return _AttachedOutput(engine, c.id, since)


@dataclass(frozen=True)
class Since:
    """Where a client that attaches to a running container begins to read its log."""

    seq: int  # the first record, for a program that really runs
    moment: float  # the first instant after which output counts, for a simulated one


class _AttachedOutput:
    """The output an attached client reads: what :func:`_attached` gives at once, then, for a
    program that really runs, what it writes as it comes, until it ends. An iterator rather than
    a generator so that a KeyboardInterrupt raised while it waits (a Ctrl-C, which the client
    forwards to the program) leaves it able to go on where it was."""

    def __init__(self, engine: ContainerBackend, container_id: str, since: Since | None):
        self.engine = engine
        self.container_id = container_id
        self.since = since
        self.pending: deque[tuple[int, bytes]] = deque()
        self.seen = 0  # records of the run read so far
        self.begun = False
        self.following = False

    def __iter__(self) -> _AttachedOutput:
        return self

    def __next__(self) -> tuple[bytes | None, bytes | None]:
        while not self.pending:
            if not self.begun:
                with self.engine.store.transaction():
                    chunks, following = _attached(self.engine, self.container_id, self.since)
                self.pending.extend(chunks)
                self.begun, self.following = True, following
                continue
            if not self.following:
                raise StopIteration
            with self.engine.store.transaction():
                chunks, following = self._more()
            self.pending.extend(chunks)
            self.seen += len(chunks)
            self.following = following
            if following and not self.pending:
                time.sleep(0.05)
        stream, data = self.pending.popleft()
        return (data, None) if stream == 1 else (None, data)

    def _more(self) -> tuple[list[tuple[int, bytes]], bool]:
        """The run's output written since the last read, and whether the program runs on. (A
        run's records have consecutive numbers, so those read are skipped, not read again.)"""
        store = self.engine.containers_store
        try:
            c = store.resolve(self.container_id)
        except NotFound:
            return [], False  # an --rm container gone with its program
        if c.run.get("live"):  # else it has ended, its output all in the log
            store.import_live_output(c)
        output = store.output(c, self.engine.clock.now(), _first_seq(c, self.since) + self.seen)
        # Read before settling: an --rm container goes with its program's end.
        running = store.settle(c, self.engine.clock.now()) and c.running
        return [(stream, data) for stream, data, _ in output], running


def _first_seq(c: Container, since: Since | None) -> int:
    """The first record an attached client reads: its run's first, or where it attached."""
    return int(c.run.get("first_log_seq", 0)) if since is None else since.seq


def _attached(
    engine: ContainerBackend, container_id: str, since: Since | None
) -> tuple[list[tuple[int, bytes]], bool]:
    """What an attached client sees at once: all output until the program ends (waiting for it
    in virtual time) or, for a program that never ends, until now; or, for a program that
    really runs, nothing yet and the word that its output is to be followed."""
    store = engine.containers_store
    try:
        c = store.resolve(container_id)
    except NotFound:
        return [], False  # already gone: an --rm container whose start failed
    if c.running and c.run.get("live"):
        return [], True  # read as it comes (``_AttachedOutput._more``)
    first_seq = int(c.run.get("first_log_seq", 0))
    if c.running and not c.run.get("forever"):
        end = c.run["started"] + c.run["duration"]
        engine.clock.advance(end - engine.clock.now())
        output = store.output(c, end, first_seq)
        store.settle(c, end)
    else:
        output = store.output(c, engine.clock.now(), first_seq)
    after = float("-inf") if since is None else since.moment
    return [(stream, data) for stream, data, at in output if at > after], False


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
