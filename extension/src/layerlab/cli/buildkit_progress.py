"""What buildx prints while BuildKit builds: its plain progress, then a failure's account.

The daemon streams solve status (:mod:`layerlab.engine.sim.builder.solve_status`); this is
buildx 0.13's "plain" printer over it (BuildKit's ``progressui``), what a notebook or a pipe gets:
``#0 building with "default" instance using docker driver``, then each vertex as ``#N name``
with its statuses (``#1 transferring dockerfile: 63B done``), its logs (``#7 0.045 hi``: seconds
since the vertex started) and its end (``#7 DONE 0.1s``, ``#4 CACHED``, ``#6 ERROR: …``), a
blank line between vertices. A failed build ends with the failed vertex's last log lines, the
Dockerfile around the failing instruction (BuildKit's ``errdefs.Source``) and
``ERROR: failed to solve: …``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TextIO

Json = dict[str, Any]

DESCRIPTION = 'building with "default" instance using docker driver'
_LOGS_KEPT = 10  # the plain printer keeps a vertex's last lines for the failure's account


def human_bytes(size: int) -> str:
    """``units.Bytes`` with ``%.2f``: whole bytes below 1 kB, else two decimals and a unit."""
    if size < 1000:
        return f"{size}B"
    value, units = float(size), ["kB", "MB", "GB", "TB"]
    for index, unit in enumerate(units):
        value /= 1000
        if value < 1000 or index == len(units) - 1:
            return f"{value:.2f}{unit}"
    raise AssertionError("unreachable")


def add_log_lines(logs: list[str], partial: bool, data: str, seconds: float) -> bool:
    """Add what a vertex printed, ``seconds`` after it started, to its ``logs`` as BuildKit's
    printers keep them (``0.045 hi``): a first line goes on the last one when that had no
    newline yet (``partial``). Returns whether the last line is still without one."""
    lines = data.split("\n")
    complete = data.endswith("\n")
    if complete:
        lines = lines[:-1]
    places = 3 if seconds < 10 else 2 if seconds < 100 else 1
    for number, line in enumerate(lines):
        if number == 0 and partial and logs:
            logs[-1] += line
            continue
        logs.append(f"{seconds:.{places}f} {line}")
    return not complete


@dataclass
class _Vertex:
    index: int
    name: str
    started: float | None = None
    intervals: list[tuple[float, float]] = field(default_factory=list)
    statuses: dict[str, Json] = field(default_factory=dict)
    updated: list[str] = field(default_factory=list)  # statuses to print next
    logs: list[str] = field(default_factory=list)  # lines to print next
    partial: bool = False  # the last line has no newline yet
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # to print next
    completed: bool = False
    completed_at: float = 0.0
    cached: bool = False
    error: str = ""
    seen: tuple[Any, ...] = ()  # the last state announced, to tell a change from a repeat
    count: int = 0  # updates since it was last shown: the busiest vertex is shown next


class PlainPrinter:
    """Feed it the daemon's trace messages; it writes what buildx writes to ``out``.

    As BuildKit's printer does, it keeps which vertices have something new (``update``) and
    prints them on each refresh (``refresh``): the completed ones first, in the order they
    completed, then the one in progress. While a vertex is in progress, another that starts
    waits until it ends, so that the steps of a build do not interleave line by line. ``feed``
    does both, for a daemon whose messages are each one refresh; a daemon streaming in real
    time is refreshed at buildx's pace instead
    (:func:`layerlab.cli.buildkit_stream.follow_paced`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.vertices: dict[str, _Vertex] = {}
        self.current = ""
        self.started = False
        self.updates: dict[str, None] = {}  # vertices with something to print, in order

    def feed(self, status: Json) -> None:
        self.update(status)
        self.refresh()

    def update(self, status: Json) -> None:
        for raw in status.get("vertexes") or []:
            digest = raw["digest"]
            vertex = self.vertices.get(digest)
            if vertex is None:
                vertex = self.vertices[digest] = _Vertex(0, raw["name"])
            if raw.get("started") is None:
                continue  # announced, not started: there is nothing to show yet
            state = (raw["name"], raw["started"], raw.get("completed"), bool(raw.get("cached")),
                     raw.get("error") or "")  # fmt: skip
            vertex.started = raw["started"]
            if raw.get("completed") is not None:
                if (vertex.started, raw["completed"]) not in vertex.intervals:
                    vertex.intervals.append((vertex.started, raw["completed"]))
                vertex.completed = True
                vertex.completed_at = raw["completed"]
                vertex.cached = bool(raw.get("cached"))
                vertex.error = raw.get("error") or ""
            else:
                vertex.completed = False
            if state != vertex.seen:
                vertex.seen = state
                self._touch(digest)
        # As progressui does, what names a vertex not announced yet is left out.
        for raw in status.get("statuses") or []:
            if vertex := self.vertices.get(raw["vertex"]):
                vertex.statuses[raw["id"]] = raw
                vertex.updated.append(raw["id"])
                self._touch(raw["vertex"])
        for raw in status.get("warnings") or []:
            if vertex := self.vertices.get(raw["vertex"]):
                vertex.warnings.append(raw["short"])
                self._touch(raw["vertex"])
        for raw in status.get("logs") or []:
            if vertex := self.vertices.get(raw["vertex"]):
                self._add_log(vertex, raw["data"], raw["timestamp"])
                self._touch(raw["vertex"])

    def _touch(self, digest: str) -> None:
        self.updates[digest] = None
        self.vertices[digest].count += 1

    def refresh(self) -> None:
        """Print what is new: completed vertices first (the current one, then by the time
        they completed), then the vertex in progress, or the busiest waiting one when none
        is."""
        current = self.current
        completed = [d for d in self.updates if self.vertices[d].completed]
        rest = [d for d in self.updates if not self.vertices[d].completed]
        if current in completed:
            self._print(current)
        for digest in sorted(completed, key=lambda d: self.vertices[d].completed_at):
            if digest != current:
                self._print(digest)
        if not rest:
            if current and not self.vertices[current].completed:
                return
            for digest, vertex in self.vertices.items():  # show a vertex still in progress
                if vertex.started is not None and not vertex.completed:
                    self._print(digest)
                    return
            return
        if current in rest:
            self._print(current)
            return
        if current and not self.vertices[current].completed:
            return  # the others wait until the current one ends
        busiest = max(rest, key=lambda d: self.vertices[d].count)
        self._print(busiest)

    def _add_log(self, vertex: _Vertex, data: str, at: float) -> None:
        vertex.partial = add_log_lines(
            vertex.logs, vertex.partial, data, at - (vertex.started or at)
        )

    def _print(self, digest: str) -> None:
        vertex = self.vertices[digest]
        write = self.out.write
        if vertex.index == 0:
            vertex.index = 1 + max((v.index for v in self.vertices.values()), default=0)
        if digest != self.current:
            if self.current:
                old = self.vertices[self.current]
                old.count = 0
                if old.partial:
                    write("\n")
                write(f"#{old.index} ...\n")
            if self.started:
                write("\n")
            else:
                write(f"#0 {DESCRIPTION}\n\n")
                self.started = True
            write(f"#{vertex.index} {vertex.name}\n")
        for name in dict.fromkeys(vertex.updated):
            write(f"#{vertex.index} {_status_line(vertex.statuses[name])}\n")
        vertex.updated.clear()
        for warning in vertex.warnings:
            write(f"#{vertex.index} WARN: {warning}\n")
        vertex.warnings.clear()
        for number, line in enumerate(vertex.logs):
            last = number == len(vertex.logs) - 1
            write(f"#{vertex.index} {line}" + ("" if last and vertex.partial else "\n"))
            if not (last and vertex.partial):
                vertex.kept = [*vertex.kept, line][-_LOGS_KEPT:]
        vertex.logs = vertex.logs[-1:] if vertex.partial else []
        self.current = digest
        self.updates.pop(digest, None)
        if vertex.completed:
            vertex.count = 0
            self.current = ""
            if vertex.partial:
                write("\n")
            if vertex.error:
                write(f"#{vertex.index} ERROR: {vertex.error}\n")
            elif vertex.cached:
                write(f"#{vertex.index} CACHED\n")
            else:
                took = sum(end - start for start, end in vertex.intervals)
                write(f"#{vertex.index} DONE {took:.1f}s\n")

    def failed_logs(self) -> str:
        """The account of each failed vertex: its name and its last lines."""
        text = ""
        for vertex in sorted(self.vertices.values(), key=lambda v: v.index):
            if vertex.error:
                lines = "".join(line + "\n" for line in vertex.kept)
                text += f"------\n > {vertex.name}:\n{lines}------\n"
        return text


def _status_line(status: Json) -> str:
    current, total = int(status.get("current") or 0), int(status.get("total") or 0)
    size = ""
    if total:
        size = f" {human_bytes(current)} / {human_bytes(total)}"
    elif current:
        size = f" {human_bytes(current)}"
    took = ""
    started, completed = status.get("started"), status.get("completed")
    end = completed if completed is not None else status.get("timestamp")
    if started is not None and end is not None and end - started > 0.01:
        took = f" {end - started:.1f}s"
    return f"{status['id']}{size}{took}{' done' if completed is not None else ''}"


def source_excerpt(source: Json) -> str:
    """The Dockerfile around the failing lines, as BuildKit's ``errdefs.Source`` prints it."""
    lines = str(source.get("data") or "").split("\n")
    start, end = (int(n) for n in source.get("lines") or (0, 0))
    if start < 1 or start > len(lines):
        return ""
    end = min(max(end, start), len(lines))
    first, last = start, end
    pad = 4 if end == start else 2
    padded = 0
    while padded < pad:
        if first > 1:
            first -= 1
            padded += 1
        if last != len(lines):
            last += 1
            padded += 1
        padded += 1
    text = f"{source.get('filename') or 'Dockerfile'}:{start}\n--------------------\n"
    for number in range(first, last + 1):
        mark = ">>>" if start <= number <= end else "   "
        text += f" {number:3d} | {mark} {lines[number - 1]}\n"
    return text + "--------------------\n"
