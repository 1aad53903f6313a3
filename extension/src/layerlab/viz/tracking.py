"""Remembering the engine's state before each command, to show what the last one changed.

A :class:`ChangeTracker` listens to the session (``Session.listeners``). It is armed only
once a graph has been asked for, so sessions that never draw pay nothing per command.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from layerlab.engine.errors import EngineError
from layerlab.viz.state import EngineState, InspectCache, collect_state

if TYPE_CHECKING:
    from layerlab.engine.api import Engine
    from layerlab.session import Session


class ChangeTracker:
    def __init__(self) -> None:
        self.armed = False
        self.cache = InspectCache()
        self.before: EngineState | None = None
        self.command: str | None = None

    def __call__(self, phase: str, argv: list[str], engine: Engine) -> None:
        if not self.armed or phase != "before":
            return
        try:
            self.before = collect_state(engine, self.cache)
            self.command = "docker " + shlex.join(argv)
        except EngineError:  # an engine that cannot answer now cannot be compared later
            self.before, self.command = None, None

    def last_change(self, engine: Engine) -> EngineState | None:
        """The state before the last command, if it was taken on the same engine."""
        if self.before is None or self.before.engine != engine.name:
            return None
        return self.before


def tracker_for(session: Session) -> ChangeTracker:
    """The session's tracker, added to its listeners on first use, and armed."""
    for listener in session.listeners:
        if isinstance(listener, ChangeTracker):
            listener.armed = True
            return listener
    tracker = ChangeTracker()
    tracker.armed = True
    session.listeners.append(tracker)
    return tracker
