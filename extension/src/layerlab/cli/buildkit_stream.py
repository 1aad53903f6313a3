"""Following a BuildKit build's messages: the solve status to a printer, the image ID it made or
the error it ended with.

The simulated daemon's messages are each one step of the build, ready to show, so each is
shown as it comes (:func:`follow`). A real daemon streams its solve status as the work goes,
many updates a second; buildx shows them at its own pace (BuildKit's ``progressui``): a refresh
at most every 100 ms as updates come, and one 150 ms after the last update, so that what
changes within a moment is printed once, in its final state (``transferring context: 34B
done`` rather than the transfer's start and then its end). :func:`follow_paced` does the same.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from layerlab.cli.buildkit_progress import PlainPrinter
from layerlab.engine.api import IMAGE_ID, TRACE_ID

Json = dict[str, Any]

_DISPLAY_EVERY = 0.1  # at most one refresh per 100 ms as updates come
_TICK = 0.15  # and one 150 ms after the last update
_END = object()


def follow(messages: Iterator[Json], show: Callable[[Json], None]) -> tuple[str, Json | None]:
    """Show each solve status as it comes; return the image ID the build made, or the error
    message it ended with."""
    image_id = ""
    for message in messages:
        if message.get("id") == TRACE_ID:
            show(message["aux"])
        elif message.get("id") == IMAGE_ID:
            image_id = message["aux"]["ID"]
        elif message.get("error"):
            return "", message
    return image_id, None


def follow_paced(messages: Iterator[Json], printer: PlainPrinter) -> tuple[str, Json | None]:
    """:func:`follow` for a daemon streaming in real time, refreshed at buildx's pace. The
    messages are read in a thread of their own, so that a refresh comes on time while the
    daemon is quiet (a long RUN step)."""
    inbox: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        try:
            for message in messages:
                inbox.put(message)
        except BaseException as exc:  # handed to the caller's thread, raised there
            inbox.put(exc)
        inbox.put(_END)

    threading.Thread(target=read, name="layerlab-build-status", daemon=True).start()
    image_id, error, pending, last_refresh = "", None, False, float("-inf")
    while True:
        try:
            item = inbox.get(timeout=_TICK if pending else None)
        except queue.Empty:  # quiet for a tick: show what waits
            printer.refresh()
            pending = False
            continue
        if item is _END:
            break
        if isinstance(item, BaseException):
            raise item
        if item.get("id") == TRACE_ID:
            printer.update(item["aux"])
            now = time.monotonic()
            if now - last_refresh >= _DISPLAY_EVERY:
                printer.refresh()
                last_refresh, pending = now, False
            else:
                pending = True
        elif item.get("id") == IMAGE_ID:
            image_id = item["aux"]["ID"]
        elif item.get("error"):
            error = item
            break
    printer.refresh()
    return ("", error) if error is not None else (image_id, None)
