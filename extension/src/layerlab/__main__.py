"""``layerlab docker ARGS…``: one docker command against the current engine, as the CLI does it.

Kept light on imports: a fresh ``layerlab docker images`` must start fast.
"""

from __future__ import annotations

import os
import sys

USAGE = """Usage: layerlab COMMAND

Commands:
  docker ARGS...   run a docker command line against the current engine
                   (LAYERLAB_ENGINE=sim, the default, or real)
  reset [STATE]    reset the simulated engine to a starting state (baseline, empty)
  grade ...        grade notebook submissions (see 'layerlab grade --help')
"""


def main(argv: list[str] | None = None, forked: bool = False) -> int:
    """``forked``: this process is already a child of the fork server (see ``forkserver``)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if args else 1
    command, rest = args[0], args[1:]
    if command == "docker" and not forked:
        from layerlab import forkserver

        code = forkserver.run(args)
        if code is not None:
            return code
    if command == "forkserver" and len(rest) == 1:
        from layerlab import forkserver

        return forkserver.serve(rest[0], lambda args: main(args, forked=True))
    if command == "docker":
        from layerlab.session import current_session

        # Arguments that are not UTF-8 arrive as lone surrogates; what the CLI prints of
        # them itself goes out as the bytes they were, as docker prints them.
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="surrogateescape")

        return current_session().run_argv(
            rest, sys.stdout, sys.stderr, cwd=None, stdin=_piped_stdin
        )
    if command == "reset":
        return _reset(rest)
    if command == "grade":
        from layerlab.grading.cli import main as grade_main

        return grade_main(rest)
    sys.stderr.write(f"layerlab: unknown command {command!r}\n\n{USAGE}")
    return 1


def _piped_stdin() -> bytes | None:
    """Everything piped in (``layerlab docker load < image.tar``); nothing from a terminal,
    where docker would wait for typing."""
    if sys.stdin is None or sys.stdin.closed or sys.stdin.isatty():
        return None
    return sys.stdin.buffer.read()


def _reset(args: list[str]) -> int:
    from layerlab.engine.sim.engine import SimEngine
    from layerlab.engine.sim.system.states import STATES

    deterministic = "--deterministic" in args
    names = [a for a in args if not a.startswith("--")] or ["baseline"]
    if names[0] not in STATES:
        sys.stderr.write(
            f"layerlab: unknown state {names[0]!r}; choose one of: {', '.join(STATES)}\n"
        )
        return 1
    SimEngine(state=os.environ.get("LAYERLAB_STATE", "default")).reset(
        names[0], deterministic=deterministic
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
