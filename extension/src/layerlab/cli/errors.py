"""Failures of a docker command, rendered exactly as the docker CLI renders them.

A command raises one of these; ``main.run_cli`` prints ``text`` on stderr and exits with
``code``. Daemon errors (``EngineError``) are turned into ``Error response from daemon: …``.
"""

from __future__ import annotations

from layerlab.engine.errors import EngineError


class CliError(Exception):
    """A failed command: ``text`` goes to stderr verbatim (a newline is added), then exit
    ``code``. An empty ``text`` prints nothing (the output was already written)."""

    def __init__(self, text: str, code: int = 1) -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class UnsupportedFlag(CliError):
    """A real docker flag that LayerLab does not model: refuse loudly instead of ignoring it."""

    def __init__(self, command: str, flag: str) -> None:
        super().__init__(
            f"layerlab: the flag {flag} of '{command}' is not supported by LayerLab "
            "(it exists in docker, but LayerLab does not model it)",
            code=125,
        )
        self.flag = flag


def usage_error(message: str, usage: str, command: str) -> CliError:
    """A flag error: pflag's message, the usage line and a pointer to ``--help``; exit 125."""
    return CliError(
        f"{message}\n\nUsage:  {usage}\n\nRun '{command} --help' for more information", 125
    )


def args_error(message: str, usage: str, command: str, verb: str = "Run") -> CliError:
    """A wrong number of arguments; ``verb`` is "See" or "Run" (or docker's typo "SRun")
    depending on which cobra validator the real command uses; exit 1."""
    return CliError(
        f"docker: {message}\n\nUsage:  {usage}\n\n{verb} '{command} --help' for more information"
    )


def daemon_error(exc: EngineError) -> str:
    """The CLI's rendering of an Engine API error response."""
    return f"Error response from daemon: {exc.message}"
