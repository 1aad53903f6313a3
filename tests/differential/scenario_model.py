"""What a scenario is: its steps, its results, and where scenario files and goldens live.

The step types mirror the scenario format (``tests/scenarios/README.md``): ``$ docker ...``
commands, ``@file``, ``@tar``, ``@stdin``, ``@sleep``, ``@capture`` and ``@image``;
``@profile`` says which Docker the scenario is for. A
:class:`CommandResult` is what one command printed, from either engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = REPO_ROOT / "tests" / "scenarios"
GOLDEN_DIR = SCENARIO_DIR / "golden"
REAL_ENGINE_SCRIPT = REPO_ROOT / "scripts" / "real-engine"

DEFAULT_TIMEOUT = 60.0
BASELINE_IMAGE = "busybox:latest"
REGISTRY_ADDRESS = "127.0.0.1:5000"


class ScenarioSyntaxError(ValueError):
    """A scenario file that does not follow the format; the message names file and line."""


@dataclass(frozen=True)
class FileWrite:
    """`@file PATH` … `@end`: write `content` to PATH (relative to the work dir)."""

    path: str
    content: str
    line: int


@dataclass(frozen=True)
class TarCreate:
    """`@tar PATH FROM_DIR`: pack FROM_DIR's contents (relative names) into the tar PATH."""

    path: str
    from_dir: str
    line: int


@dataclass(frozen=True)
class StdinFrom:
    """`@stdin PATH`: the next command reads PATH (relative to the work dir) on its stdin, as
    `docker build - < PATH` does in a shell; other commands read nothing."""

    path: str
    line: int


@dataclass(frozen=True)
class Sleep:
    """`@sleep N`: wait N seconds (only where a detached container must get going)."""

    seconds: float
    line: int


@dataclass(frozen=True)
class Capture:
    """`@capture NAME`: keep the previous command's stdout (stripped) as `${NAME}` for later
    commands, e.g. an image ID that differs from engine to engine."""

    name: str
    line: int


@dataclass(frozen=True)
class UsesImage:
    """`@image REF`: the scenario needs REF besides the baseline. The simulator pulls it from
    its Hub; the real engine, which can pull nothing, is handed a copy built on this machine
    (``reference_images.py``). Either way quietly, before the next command."""

    reference: str
    line: int


@dataclass(frozen=True)
class Command:
    """`$ docker ARGS…`: `args` excludes the leading `docker`; `text` is the line as written."""

    args: tuple[str, ...]
    text: str
    line: int


Step = FileWrite | TarCreate | StdinFrom | Sleep | Capture | UsesImage | Command


CAPTURE_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


DEFAULT_PROFILE = "20.10"
PROFILES = ("20.10", "26.1")


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    path: Path | None = None
    # `@profile 26.1`: recorded on Engine 26.1 with buildx, run on the simulator's 26.1 profile.
    profile: str = DEFAULT_PROFILE

    def commands(self) -> list[Command]:
        return [step for step in self.steps if isinstance(step, Command)]

    def images(self) -> list[str]:
        """The references of its `@image` lines."""
        return [step.reference for step in self.steps if isinstance(step, UsesImage)]


@dataclass(frozen=True)
class CommandResult:
    command: str
    stdout: str
    stderr: str
    exit_code: int
