"""What the ash interpreter passes around besides the tree: control-flow signals and stdin.

``exit``, ``return``, ``break``/``continue`` unwind the interpreter as exceptions (like ash's
longjmp), a failed redirection as :class:`RedirectError`; :class:`InStream` is a shell's
standard input, shared between ``read`` (a line at a time) and the programs it starts;
:class:`Job` records a background job.
"""

from __future__ import annotations

from dataclasses import dataclass

from layerlab.engine.sim.programs.applets.base import RunsForever


class ExitShell(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class ReturnSignal(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class LoopSignal(Exception):
    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind)
        self.kind, self.levels = kind, levels


class RedirectError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class InStream:
    """A shell's standard input: `read` takes a line, a program takes the rest."""

    data: bytes
    pos: int = 0
    open_end: bool = False  # no end after the data: a reader waits forever (see Io.stdin_open)

    def read_line(self) -> bytes | None:
        if self.pos >= len(self.data):
            if self.open_end:
                raise RunsForever(interruptible=True)  # ash runs traps while `read` waits
            return None
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        line = self.data[self.pos : end]
        self.pos = end
        return line

    def take_all(self) -> bytes:
        rest = self.data[self.pos :]
        self.pos = len(self.data)
        return rest


@dataclass
class Job:
    pid: int
    end: float
    status: int
    forever: bool
