"""Which engine LayerLab talks to, and how one command line runs against it.

Settings come from the environment (``LAYERLAB_ENGINE=sim|real``, ``LAYERLAB_PROFILE=20.10|26.1``,
``LAYERLAB_HOME``, ``LAYERLAB_DETERMINISTIC=1``, ``LAYERLAB_SAFE=0``) and can be changed from
the notebook with magics.
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from layerlab.cli.safety import check_argv
from layerlab.engine.real.labels import owner
from layerlab.engine.real.safety import REFUSED_EXIT_CODE, enforcing, safe_by_default
from layerlab.result import DockerCommandError, DockerResult

if TYPE_CHECKING:
    from layerlab.cli.commands.base import StdinSource
    from layerlab.engine.api import Engine

ENGINES = ("sim", "real")

# Called as listener("before" | "after", argv, engine) around each command; layerlab.viz uses
# it to show what the last command changed. A listener must not raise.
CommandListener = Callable[[str, list[str], "Engine"], None]


@dataclass
class Session:
    engine_name: str = field(default_factory=lambda: os.environ.get("LAYERLAB_ENGINE", "sim"))
    state: str = field(default_factory=lambda: os.environ.get("LAYERLAB_STATE", "default"))
    # Which Docker the simulator is (layerlab.engine.profiles); "" for LAYERLAB_PROFILE's.
    profile: str = ""
    raise_on_error: bool = False
    # Safe mode (layerlab.engine.real.safety, layerlab.cli.safety) applies to the real engine
    # only: the simulator has no host.
    safe: bool = field(default_factory=safe_by_default)
    listeners: list[CommandListener] = field(default_factory=list)
    # The self-check's count of each check's failures in a row (task ID, check name): each new
    # failure shows the check's next hint (see grading.selfcheck).
    check_failures: dict[tuple[str, str], int] = field(default_factory=dict)
    _engine: Engine | None = None

    @property
    def safe_active(self) -> bool:
        return self.safe and self.engine_name == "real"

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.engine_name, self.state, self.profile)
        return self._engine

    def use(self, name: str) -> None:
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}: choose 'sim' or 'real'")
        if name != self.engine_name:
            self.close()
            self.engine_name = name

    def use_profile(self, profile: str) -> None:
        """Make the simulator the Docker of ``profile`` (its state stays as it is)."""
        from layerlab.engine.profiles import choose_profile

        choose_profile(profile)  # validates the name before anything changes
        if profile != self.profile:
            if self.engine_name == "sim":
                self.close()
            self.profile = profile

    def use_state(self, state: str) -> None:
        """Switch the simulated engine to another named state (created on first use)."""
        from layerlab.engine.sim.engine import state_path

        state_path(Path("."), state)  # validates the name before anything changes
        if state != self.state:
            if self.engine_name == "sim":
                self.close()
            self.state = state

    def close(self) -> None:
        engine, self._engine = self._engine, None
        close = getattr(engine, "close", None)
        if close is not None:
            close()

    def run(
        self,
        command: str | list[str],
        cwd: str | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        input: str | bytes | None = None,
    ) -> DockerResult:
        """Run one docker command line. Output goes to the given streams as it is produced and
        is also captured in the result; ``input`` is its standard input (none by default)."""
        out, err = _Tee(stdout), _Tee(stderr)
        try:
            argv = split_command(command) if isinstance(command, str) else list(command)
        except CommandLineError as problem:  # the shell's refusal: nothing runs, status 2
            err.write(f"layerlab: {problem}\n")
            result = DockerResult(str(command), "", err.getvalue(), 2)
            if self.raise_on_error:
                raise DockerCommandError(result) from None
            return result
        if argv and argv[0] == "docker":
            argv = argv[1:]
        stdin = input.encode() if isinstance(input, str) else input
        code = self.run_argv(argv, out, err, cwd, stdin=stdin)
        result = DockerResult(shlex.join(argv), out.getvalue(), err.getvalue(), code)
        if self.raise_on_error and code != 0:
            raise DockerCommandError(result)
        return result

    def run_argv(
        self,
        argv: list[str],
        stdout: TextIO,
        stderr: TextIO,
        cwd: str | None,
        stdin: StdinSource = None,
    ) -> int:
        from layerlab.cli.main import run_cli
        from layerlab.engine.errors import EngineUnavailable

        try:
            engine = self.engine()
        except EngineUnavailable as err:
            stderr.write(f"{err}\n")
            return 1
        begin = getattr(engine, "begin_command", None)
        if begin is not None:
            begin()
        if hasattr(engine, "safe_owner"):  # in safe mode the real engine marks what it creates
            engine.safe_owner = owner() if self.safe_active else None
        refused = check_argv(argv) if self.safe_active else None
        if refused is not None:
            stderr.write(refused + "\n")
            return REFUSED_EXIT_CODE
        for listener in list(self.listeners):  # a listener may remove itself
            listener("before", argv, engine)
        try:
            with enforcing(self.safe_active):
                return run_cli(argv, engine, stdout, stderr, cwd=cwd or _cwd(), stdin=stdin)
        finally:
            for listener in list(self.listeners):
                listener("after", argv, engine)


def _cwd() -> str:
    """The working directory; one removed under the shell is still its name (``$PWD``), as
    the docker CLI keeps working there until a command needs a file from it."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return os.environ.get("PWD") or "/"


def open_engine(name: str, state: str = "default", profile: str = "") -> Engine:
    if name == "real":
        from layerlab.engine.real.engine import RealEngine

        return RealEngine.from_env()
    if name != "sim":
        from layerlab.engine.errors import EngineUnavailable

        raise EngineUnavailable(
            f"unknown engine {name!r} in LAYERLAB_ENGINE: use 'sim' (the simulator) or 'real'"
        )
    from layerlab.engine.sim.engine import SimEngine

    engine = SimEngine(state=state, profile=profile)
    if os.environ.get("LAYERLAB_DETERMINISTIC") == "1" and not engine.clock.deterministic:
        engine.reset("baseline", deterministic=True)
    return engine


class CommandLineError(ValueError):
    """A command line a shell would not run; the message is the shell's (bash's)."""


def split_command(line: str) -> list[str]:
    """Shell-like splitting of one command line (quotes, escapes); ``#`` starts a comment.
    An unclosed quote raises :class:`CommandLineError`; a backslash at the very end stays a
    backslash, as in ``bash -c``."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        if lexer.state in ("'", '"'):
            message = f"unexpected EOF while looking for matching `{lexer.state}'"
            raise CommandLineError(message) from None
        if line.endswith("\\"):  # shlex's "No escaped character"
            words = split_command(line[:-1])
            if words and not line[:-1][-1:].isspace():
                return [*words[:-1], words[-1] + "\\"]
            return [*words, "\\"]
        raise CommandLineError(str(lexer.state)) from None


class _Tee(io.StringIO):
    """Captures everything written and passes it on to a live stream, if there is one."""

    def __init__(self, target: TextIO | None) -> None:
        super().__init__()
        self.target = target

    def write(self, text: str) -> int:
        if self.target is not None:
            self.target.write(text)
        return super().write(text)

    def flush(self) -> None:
        if self.target is not None:
            self.target.flush()


_session: Session | None = None


def current_session() -> Session:
    global _session
    if _session is None:
        _session = Session()
    return _session
