"""What a docker command left behind: its two output streams and its exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass


class DockerCommandError(Exception):
    """Raised instead of printing when failures are set to raise (tests, graders)."""

    def __init__(self, result: DockerResult) -> None:
        super().__init__(f"docker {result.command} exited with {result.exit_code}: {result.stderr}")
        self.result = result


@dataclass
class DockerResult:
    command: str
    stdout: str
    stderr: str
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def check(self) -> DockerResult:
        if not self.ok:
            raise DockerCommandError(self)
        return self

    def _ipython_display_(self) -> None:
        # Shown as a terminal would show it: the streams, not a Python repr.
        sys.stdout.write(self.stdout)
        sys.stderr.write(self.stderr)

    def __repr__(self) -> str:
        return (
            f"DockerResult(command={self.command!r}, exit_code={self.exit_code}, "
            f"stdout={self.stdout!r}, stderr={self.stderr!r})"
        )
