"""Errors raised by engines, carrying the daemon's exact message and HTTP status.

Both engines raise these, so the CLI renders a simulated failure and a real one the same way.
"""

from __future__ import annotations


class EngineError(Exception):
    """A daemon error response: ``message`` is what the daemon said, ``status`` its HTTP code."""

    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class InvalidArgument(EngineError):
    status = 400


class NotFound(EngineError):
    status = 404


class Conflict(EngineError):
    status = 409


class NeverEnds(Conflict):
    """LayerLab's own refusal to wait for a simulated program that never ends (a server or an
    endless loop) in the foreground, where the real client would wait forever. ``output`` is
    what the program printed before LayerLab stopped waiting (stdout, stderr)."""

    def __init__(
        self, message: str, container: str, output: tuple[bytes, bytes] = (b"", b"")
    ) -> None:
        super().__init__(message)
        self.container = container
        self.output = output


class NotModified(EngineError):
    status = 304


class EngineUnavailable(EngineError):
    """No engine could be reached (the real engine is down, or misconfigured)."""

    status = 503


class BuildError(EngineError):
    """A build step failed; ``code`` is the failing command's exit code when there is one."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
