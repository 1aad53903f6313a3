"""Time and identity for the simulator: a clock that can be virtual, and IDs that can be seeded.

Programs in simulated containers never really wait: ``sleep 1000`` or ``docker stop``'s grace
period move the clock forward instead. The offset lives in the state, so every process sharing
the state sees the same time. In deterministic mode the clock starts at a fixed instant and moves
one second per command, and IDs come from a seeded counter, so a notebook's output is the same
on every run.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from layerlab.engine.sim.store.database import Store

DETERMINISTIC_EPOCH = 1767225600.0  # 2026-01-01T00:00:00Z
COMMAND_TICK = 1.0


class Clock:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def deterministic(self) -> bool:
        return self.store.get_meta("deterministic") == "1"

    def now(self) -> float:
        offset = float(self.store.get_meta("clock:offset") or "0")
        if self.deterministic:
            return DETERMINISTIC_EPOCH + offset
        return time.time() + offset

    def advance(self, seconds: float) -> None:
        """Let virtual time pass (a foreground ``sleep``, a stop's grace period)."""
        if seconds <= 0:
            return
        offset = float(self.store.get_meta("clock:offset") or "0")
        self.store.set_meta("clock:offset", repr(offset + seconds))

    def tick(self) -> None:
        """Called once per command: in deterministic mode, commands are a second apart."""
        if self.deterministic:
            self.advance(COMMAND_TICK)


class IdSource:
    def __init__(self, store: Store) -> None:
        self.store = store

    def hex64(self) -> str:
        """64 hex digits; never all digits in the short form (Docker re-rolls those too)."""
        while True:
            value = self._next()
            if not value[:12].isdigit():
                return value

    def _next(self) -> str:
        seed = self.store.get_meta("seed")
        if seed is None:
            return secrets.token_hex(32)
        counter = self.store.next_seq("ids")
        return hashlib.sha256(f"{seed}:{counter}".encode()).hexdigest()

    def choice(self, options: list[str]) -> str:
        """A pick for generated container names, seeded like the IDs."""
        return options[int(self.hex64()[:8], 16) % len(options)]
