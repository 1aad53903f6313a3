"""``%%docker`` and ``%docker`` magics, plus the magics that pick, show and reset the engine.

Thin by design: they split cells into command lines, expand ``$var``/``{expr}`` like ``!``
does, and hand each line to the session. A failed docker command is a result (its message
and exit code), never a Python traceback, unless failures are set to raise.
"""

from __future__ import annotations

import html
import re
import sys
from typing import Any

from IPython.core.display_functions import display
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from layerlab.engine.profiles import PROFILES
from layerlab.i18n import LANGUAGES, language, set_language, tr
from layerlab.result import DockerResult
from layerlab.session import ENGINES, current_session

_GO_TEMPLATE = re.compile(r"\{\{.*?\}\}")
_HIDDEN = re.compile(r"\x00(\d+)\x00")


def cell_commands(cell: str) -> list[str]:
    """The command lines of a ``%%docker`` cell: ``\\`` joins lines, blank and ``#`` lines go."""
    commands: list[str] = []
    pending = ""
    for raw in cell.splitlines():
        line = raw.rstrip()
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    if pending.strip():
        commands.append(pending.strip())
    return commands


@magics_class
class DockerMagics(Magics):
    def _expand(self, line: str) -> str:
        """``$name`` and ``{expression}`` from the user's namespace, as ``!cmd`` expands them,
        except that Go templates (``{{.State.Status}}``) pass through untouched: ``!`` would
        turn ``{{`` into ``{``, and docker's ``--format`` needs them whole."""
        if self.shell is None:
            return line
        templates: list[str] = []

        def hide(match: re.Match[str]) -> str:
            templates.append(match.group(0))
            return f"\0{len(templates) - 1}\0"

        hidden = _GO_TEMPLATE.sub(hide, line)
        expanded = str(self.shell.var_expand(hidden, depth=2))
        return _HIDDEN.sub(lambda m: templates[int(m.group(1))], expanded)

    def _run(self, line: str) -> DockerResult:
        # Docker's two streams go to the cell's one, in the order they were written, as a
        # terminal shows them: a notebook paints its stderr red, and pull progress, warnings
        # and notices are no alarms. A command that fails gets a badge with its exit status.
        # (The result keeps the streams apart; an unclosed quote gets the shell's message and
        # status 2, see Session.run.)
        result = current_session().run(line, stdout=sys.stdout, stderr=sys.stdout)
        if not result.ok:
            sys.stdout.flush()
            display(ExitStatus(result.exit_code))
        return result

    @cell_magic
    def docker(self, line: str, cell: str) -> None:
        """Run each line of the cell as a docker command (the leading `docker` is optional),
        stopping at the first one that fails."""
        for command in cell_commands(cell):
            result = self._run(self._expand(command))
            if not result.ok:
                break

    @no_var_expand  # expanded by _expand, which keeps Go templates whole
    @line_magic("docker")
    def docker_line(self, line: str) -> DockerResult:
        """Run one docker command line, print its output and return the result object."""
        return _Quiet.wrap(self._run(self._expand(line)))

    @magic_arguments()
    @argument("name", nargs="?", choices=ENGINES, help="sim (the simulator) or real (DOCKER_HOST)")
    @argument(
        "--profile",
        choices=list(PROFILES),
        help="which Docker the simulator is: 20.10 (classic builder) or 26.1 (buildx, BuildKit)",
    )
    @line_magic
    def docker_engine(self, line: str) -> None:
        """Show or choose the engine: `%docker_engine sim` or `%docker_engine real`;
        `%docker_engine sim --profile 26.1` makes the simulator Docker Engine 26.1 with buildx."""
        args = parse_argstring(self.docker_engine, line)
        session = current_session()
        if args.name:
            session.use(args.name)
        if args.profile:
            session.use_profile(args.profile)
        print(tr("engine: {name}", name=session.engine_name))

    @magic_arguments()
    @argument("name", nargs="?", help="the state to use (created on first use)")
    @line_magic
    def docker_state(self, line: str) -> None:
        """Show or choose the simulated engine's named state: `%docker_state course-01`.
        Each state is separate, so resetting one never touches another."""
        args = parse_argstring(self.docker_state, line)
        session = current_session()
        if args.name:
            try:
                session.use_state(args.name)
            except ValueError as err:
                print(f"layerlab: {err}", file=sys.stderr)
                return
        print(tr("state: {name}", name=session.state))

    @magic_arguments()
    @argument("name", nargs="?", choices=LANGUAGES, help="ko (한국어) or en (English)")
    @line_magic
    def docker_lang(self, line: str) -> None:
        """Show or choose the language of LayerLab's own messages (graphs, explanations,
        checks, status): `%docker_lang ko`. Docker's output stays as Docker prints it."""
        args = parse_argstring(self.docker_lang, line)
        if args.name:
            set_language(args.name)
        print(tr("language: {name}", name=language()))

    @line_magic
    def docker_status(self, line: str) -> None:
        """Which engine is current, and what it holds."""
        from layerlab.status import describe

        print(describe(current_session()))

    @magic_arguments()
    @argument("state", nargs="?", default="baseline", help="baseline (busybox only) or empty")
    @argument("--deterministic", action="store_true", help="fixed clock and seeded IDs")
    @line_magic
    def docker_reset(self, line: str) -> None:
        """Reset the simulated engine to a named starting state. On the real engine, removes
        only what LayerLab created."""
        args = parse_argstring(self.docker_reset, line)
        session = current_session()
        engine: Any = session.engine()
        if session.engine_name == "real":
            from layerlab.engine.real.safety import remove_managed

            print(remove_managed(engine).summary())
            return
        try:
            engine.reset(args.state, deterministic=args.deterministic or None)
        except ValueError as err:
            print(f"layerlab: {err}", file=sys.stderr)
            return
        print(tr("engine reset to '{state}'", state=args.state))

    @line_magic
    def docker_safe(self, line: str) -> None:
        """`%docker_safe on|off`: on the real engine, refuse options that reach outside the
        container (host mounts, --privileged, host namespaces) and label what LayerLab creates.
        On by default; turn it off only on a machine of your own."""
        value = line.strip().lower()
        session = current_session()
        if value in ("on", "off"):
            session.safe = value == "on"
        elif value:
            print(tr("layerlab: use %docker_safe on or %docker_safe off"), file=sys.stderr)
        if session.engine_name == "real":
            print(tr("safe mode: on") if session.safe else tr("safe mode: off"))
        else:
            on = session.safe
            print(
                tr("safe mode: on (applies to the real engine)")
                if on
                else tr("safe mode: off (applies to the real engine)")
            )

    @line_magic
    def docker_raise(self, line: str) -> None:
        """`%docker_raise on|off`: make failed docker commands raise (for tests and graders)."""
        value = line.strip().lower()
        session = current_session()
        if value in ("on", "off"):
            session.raise_on_error = value == "on"
        print(tr("raise on failure: on") if session.raise_on_error else tr("raise on failure: off"))


class ExitStatus:
    """The badge under a command that failed: its exit status, as a shell prompt would show."""

    def __init__(self, code: int) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"[{tr('exit status {code}', code=self.code)}]"

    def _repr_html_(self) -> str:
        text = html.escape(tr("exit status {code}", code=self.code))
        return (
            "<span class='layerlab-exit-status' style='display:inline-block;padding:0 0.5em;"
            "border-radius:0.6em;background:#f3e0c9;color:#6b3a00;font-size:85%'>"
            f"{text}</span>"
        )


class _Quiet(DockerResult):
    """The result `%docker` returns: its output was already printed live, so displaying it as
    the cell's value must not print it again."""

    @classmethod
    def wrap(cls, result: DockerResult) -> DockerResult:
        return cls(result.command, result.stdout, result.stderr, result.exit_code)

    def _ipython_display_(self) -> None:
        return None
