"""What buildx draws on a terminal while BuildKit builds: the ``[+] Building`` view, redrawn.

When standard error is a terminal (``--progress=auto``, the default, or ``tty``), buildx 0.13
does not print the plain log (:mod:`layerlab.cli.buildkit_progress`): it redraws one view in
place, at most every 100 ms and at least every 150 ms while the build runs (BuildKit's
``progressui`` console display, measured on Engine 26.1 under a pseudo-terminal)::

    [+] Building 0.2s (8/8) FINISHED                                  docker:default
     => [internal] load build definition from Dockerfile                         0.0s
     => => transferring dockerfile: 99B                                          0.0s
     => CACHED [2/3] RUN echo hello > /a                                         0.0s
     => ERROR [3/3] RUN sh -c "echo bad; exit 3"                                 0.1s

One line per started vertex and per status, as wide as the terminal (the name cut to fit, the
time at the right edge), blue once done, red when failed; a running step shows the last lines it
printed below it, faint (`` => => # …``). The last view is drawn whole with ``FINISHED`` once
every vertex is done; then come each failed step's logs, all of them (the plain log keeps only
the last ten). ``NO_COLOR`` turns the colours off, as in buildx.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from layerlab.cli.buildkit_progress import add_log_lines, human_bytes

Json = dict[str, Any]

DESCRIPTION = "docker:default"  # the builder's driver and name, at the header's right
_DRAW_EVERY = 0.1  # a new view at most this often while messages arrive
_REFRESH_EVERY = 0.15  # and this often while none arrive (the clocks keep running)
_LOG_ROWS = 6  # a running step's last lines shown below it
_LOG_PAD = 10  # those lines are this much narrower than the terminal
_BLUE, _RED, _FAINT, _RESET = "\x1b[34m", "\x1b[31m", "\x1b[2m", "\x1b[0m"
_HIDE, _SHOW = "\x1b[?25l", "\x1b[?25h"


def _up(lines: int) -> str:
    return "\x1b[1A" * lines


@dataclass
class _Vertex:
    name: str
    intervals: list[tuple[float, float | None]] = field(default_factory=list)
    cached: bool = False
    error: str = ""
    statuses: dict[str, Json] = field(default_factory=dict)  # in the order they started
    warnings: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)  # "0.059 line", for a failure's account
    partial: bool = False  # the last log line has no newline yet
    output: str = ""  # everything printed, for the faint lines below a running step
    shown_output: int = 0  # how many views showed those lines (they rank which steps show)

    @property
    def started(self) -> bool:
        return bool(self.intervals)

    @property
    def completed(self) -> bool:
        return self.started and all(stop is not None for _, stop in self.intervals)


@dataclass
class _Line:
    name: str
    seconds: float
    completed: bool
    color: str = _BLUE
    status: str = ""
    vertex: _Vertex | None = None  # a vertex's own line, which may show its output below


class TtyPrinter:
    """Feed it the daemon's trace messages; it draws buildx's terminal view on ``out``, a
    terminal ``width`` columns wide and ``height`` rows high. Call :meth:`close` at the end:
    it draws the final view and the failed steps' logs."""

    def __init__(self, out: TextIO, width: int, height: int) -> None:
        self.out = out
        self.width, self.height = width, height
        self.vertices: dict[str, _Vertex] = {}
        self.order: list[_Vertex] = []  # started vertices, in the order they started
        self.first_start: float | None = None
        self.clock_offset = 0.0  # our clock minus the engine's, set at the first start
        self.lines_drawn = 0
        self.drawn_once = False
        self.last_draw = 0.0
        self.colors = not os.environ.get("NO_COLOR")
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    def feed(self, status: Json) -> None:
        with self.lock:
            self._update(status)
            if time.monotonic() - self.last_draw >= _DRAW_EVERY:
                self._draw(final=False)

    def close(self) -> None:
        self.closed.set()
        self.ticker.join()
        with self.lock:
            self._draw(final=True)
            self.out.write(self._failed_logs())

    def _tick(self) -> None:
        while not self.closed.wait(_REFRESH_EVERY / 3):
            with self.lock:
                if time.monotonic() - self.last_draw >= _REFRESH_EVERY:
                    self._draw(final=False)

    def _update(self, status: Json) -> None:
        for raw in status.get("vertexes") or []:
            vertex = self.vertices.setdefault(raw["digest"], _Vertex(raw["name"]))
            started = raw.get("started")
            if started is None:
                continue
            if self.first_start is None:
                self.first_start = started
                self.clock_offset = time.time() - started
            if not vertex.started:
                self.order.append(vertex)
            vertex.intervals = [i for i in vertex.intervals if i[0] != started]
            vertex.intervals.append((started, raw.get("completed")))
            vertex.cached = bool(raw.get("cached"))
            vertex.error = raw.get("error") or ""
        # As progressui does, what names a vertex not announced yet is left out.
        for raw in status.get("statuses") or []:
            if raw["vertex"] in self.vertices:
                self.vertices[raw["vertex"]].statuses[raw["id"]] = raw
        for raw in status.get("warnings") or []:
            if raw["vertex"] in self.vertices:
                self.vertices[raw["vertex"]].warnings.append(raw["short"])
        for raw in status.get("logs") or []:
            if raw["vertex"] in self.vertices:
                self._add_log(self.vertices[raw["vertex"]], raw["data"], raw["timestamp"])

    def _add_log(self, vertex: _Vertex, data: str, at: float) -> None:
        vertex.output += data
        seconds = at - (vertex.intervals[-1][0] if vertex.intervals else at)
        vertex.partial = add_log_lines(vertex.logs, vertex.partial, data, seconds)

    def _now(self) -> float:
        """Our clock as the engine's seconds (for what is still running)."""
        return time.time() - self.clock_offset

    def _lines(self) -> list[_Line]:
        lines = []
        for vertex in self.order:
            name = vertex.name.replace("\t", " ")
            if vertex.error:
                name = "ERROR " + name
            if vertex.cached:
                name = "CACHED " + name
            now = self._now()
            merged = _merged(vertex.intervals)
            seconds = sum((now if stop is None else stop) - start for start, stop in merged)
            color = _RED if vertex.error else _BLUE
            lines.append(_Line(name, seconds, vertex.completed, color, vertex=vertex))
            for raw in vertex.statuses.values():
                start, stop = raw.get("started"), raw.get("completed")
                took = 0.0 if start is None else (stop if stop is not None else self._now()) - start
                current, total = int(raw.get("current") or 0), int(raw.get("total") or 0)
                size = ""
                if total:
                    size = f"{human_bytes(current)} / {human_bytes(total)}"
                elif current:
                    size = human_bytes(current)
                lines.append(_Line("=> " + raw["id"], took, stop is not None, status=size))
            if vertex.warnings:  # shown for as long as the vertex's last run, never coloured
                start, stop = vertex.intervals[-1]
                took = (stop if stop is not None else self._now()) - start
                lines += [_Line("WARN: " + short, took, False) for short in vertex.warnings]
        return lines

    def _draw(self, final: bool) -> None:
        write = self.out.write
        lines = self._lines()
        with_output = [] if final else self._steps_showing_output(lines)
        if not final:
            lines = self._fit_height(lines, sum(len(self._output_rows(v)) for v in with_output))
        write(_up(self.lines_drawn + 1) + ("" if self.drawn_once else "\x1b[1B") + "\x1b[0G")
        self.drawn_once = True
        write(_HIDE)
        done = sum(v.completed for v in self.vertices.values())
        finished = "FINISHED" if final and done and done == len(self.vertices) else ""
        elapsed = time.time() - (self.clock_offset + self.first_start) if self.first_start else 0.0
        header = f"[+] Building {elapsed:.1f}s ({done}/{len(self.vertices)}) {finished}"
        header = _align(header, DESCRIPTION, self.width - 1)[: self.width]
        write(header + "\n")
        count = 0
        for line in lines:
            timer = f" {0.0 if line.seconds < 0.05 else line.seconds:3.1f}s\n"
            left = self.width - 4 - len(timer) - 1
            status = ""
            if line.status and left + len(line.status) > 20:
                status = " " + line.status
                left -= len(line.status) + 1
            if left < 12:  # too narrow a terminal to show progress
                continue
            text = _align(" => " + line.name[:left] + status, timer, self.width)
            if line.completed and self.colors:
                text = line.color + text + _RESET
            write(text)
            count += 1
            if line.vertex is not None and line.vertex in with_output:
                for row in self._output_rows(line.vertex):
                    row = f" => => # {row}\n"
                    write(_FAINT + row + _RESET if self.colors else row)
                    count += 1
                line.vertex.shown_output += 1
        if self.lines_drawn > count:  # blank what the longer view before left below
            write((" " * self.width + "\n") * (self.lines_drawn - count))
            write(_up(self.lines_drawn - count) + "\x1b[0G")
        self.lines_drawn = count
        write(_SHOW)
        self.out.flush()
        self.last_draw = time.monotonic()

    def _output_rows(self, vertex: _Vertex) -> list[str]:
        """The last rows a running step printed, in a box ``_LOG_PAD`` narrower than the view."""
        columns = max(self.width - _LOG_PAD, 1)
        rows = []
        for line in vertex.output.split("\n"):
            line = line.rsplit("\r", 1)[-1]
            rows += [line[i : i + columns] for i in range(0, len(line), columns)] or [""]
        rows = [row.ljust(columns) for row in rows[-_LOG_ROWS:] if row.strip()]
        return rows

    def _steps_showing_output(self, lines: list[_Line]) -> list[_Vertex]:
        """The running steps whose output fits below them, busiest first."""
        running = [line.vertex for line in lines if line.vertex and not line.completed]
        candidates = [v for v in running if v.output]
        candidates.sort(key=lambda v: len(v.output) + v.shown_output * 50, reverse=True)
        free = self.height - 2 - sum(not line.completed for line in lines)
        chosen = []
        for vertex in candidates:
            if free <= _LOG_ROWS + 3:
                break
            chosen.append(vertex)
            free -= _LOG_ROWS + 3
        return chosen

    def _fit_height(self, lines: list[_Line], output_rows: int) -> list[_Line]:
        """The last lines that fit the terminal; running ones cut from the top come back first."""
        limit = self.height - 2 - output_rows
        if limit < 0:
            return []
        if len(lines) <= limit:
            return lines
        cut, kept = lines[: len(lines) - limit], lines[len(lines) - limit :]
        hidden = [line for line in cut if not line.completed]
        if not hidden:
            return kept
        room = len(hidden)
        rewrapped = []
        for line in kept:
            if not line.completed or room <= 0:
                rewrapped.append(line)
            room -= 1
        free = len(kept) - len(rewrapped)
        return hidden[len(hidden) - free :] + rewrapped

    def _failed_logs(self) -> str:
        text = ""
        for vertex in self.order:
            if vertex.error:
                logs = "".join(line + "\n" for line in vertex.logs)
                text += f"------\n > {vertex.name}:\n{logs}------\n"
        return text


def _align(left: str, right: str, width: int) -> str:
    return f"{left:<{width - len(right) - 1}} {right}"


def _merged(intervals: list[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    """Overlapping intervals as one (an open one takes in everything after it)."""
    merged: list[tuple[float, float | None]] = []
    for start, stop in sorted(intervals, key=lambda interval: interval[0]):
        if merged:
            first, last = merged[-1]
            if last is None:
                break
            if start <= last:
                merged[-1] = (first, None if stop is None else max(last, stop))
                continue
        merged.append((start, stop))
    return merged


def terminal_size(out: TextIO) -> tuple[int, int] | None:
    """``out``'s terminal's columns and rows (80 by 10 where it tells none), or ``None`` when
    ``out`` is no terminal."""
    try:
        if not out.isatty():
            return None
        size = os.get_terminal_size(out.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    if size.columns > 0 and size.lines > 0:
        return size.columns, size.lines
    return 80, 10
