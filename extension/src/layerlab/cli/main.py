"""``run_cli``: the docker CLI front shared by both engines.

Dispatch follows cobra as the docker CLI sets it up: the root command parses its own flags up to
the first word (``SetInterspersed(false)``), management commands (``image``, ``container``,
``system``) pick a subcommand, and leaf commands parse their flags, check their argument count
and run a handler from ``layerlab.cli.commands``.
"""

from __future__ import annotations

import importlib
import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

from layerlab.cli.commands.base import CommandContext, StdinSource
from layerlab.cli.commands.build import build_banner, uses_buildkit
from layerlab.cli.errors import CliError, UnsupportedFlag, args_error, daemon_error, usage_error
from layerlab.cli.flags import FlagError, FlagSet, ParsedArgs, specs_from_help
from layerlab.cli.grammar import (
    BUILDX_HELP,
    CLI_PROFILE,
    EXACT1,
    GROUPS,
    TOP_COMMANDS,
    Command,
    Group,
    as_buildx,
    cli_26,
    read_help,
)
from layerlab.cli.wire import OverTheWire
from layerlab.engine.api import Engine
from layerlab.engine.errors import EngineError, EngineUnavailable
from layerlab.version import __version__ as LAYERLAB_VERSION

_ROOT_USAGE = "docker [OPTIONS] COMMAND [ARG...]"
_COMMAND_LINE = re.compile(r"^  ([a-z]+) {2,}\S")

Handler = Callable[[CommandContext, ParsedArgs], int]


def run_cli(
    argv: list[str],
    engine: Engine,
    stdout: TextIO,
    stderr: TextIO,
    cwd: str | os.PathLike[str] = ".",
    stdin: StdinSource = None,
) -> int:
    """Run one docker command line (``argv`` without the leading ``docker``); write what the docker
    CLI writes to each stream and return its exit code. Never raises for user mistakes."""
    if any("\x00" in arg for arg in argv):
        # No shell can pass one (arguments are C strings), so docker never sees it; paths with
        # one would reach the system only to be refused.
        stderr.write("layerlab: a docker command line cannot hold a NUL character (\\x00)\n")
        return 1
    wire = cast(Engine, OverTheWire(engine))  # what reaches the daemon is JSON's
    # The simulator's 26.1 profile speaks with Engine 26.1's CLI: its help texts and flags.
    named = getattr(engine, "profile", "")
    profile = CLI_PROFILE.set(named if isinstance(named, str) else "")
    try:
        return _dispatch(list(argv), wire, stdout, stderr, Path(cwd), stdin)
    except CliError as exc:
        if exc.text:
            stderr.write(exc.text + "\n")
        return exc.code
    except EngineUnavailable as exc:
        stderr.write(f"{exc.message}\n")
        return 1
    except EngineError as exc:
        stderr.write(daemon_error(exc) + "\n")
        return 1
    except KeyboardInterrupt:
        # Ctrl-C (an interrupted kernel) ends a wait or a follow as it ends docker: quietly,
        # with the shell's status for SIGINT.
        return 130
    except Exception as exc:
        if os.environ.get("LAYERLAB_DEBUG") == "1":
            stderr.write(traceback.format_exc())
        stderr.write(
            f"layerlab: internal error: {type(exc).__name__}: {exc}\n"
            "This is a LayerLab bug, please report it "
            "(set LAYERLAB_DEBUG=1 to see the traceback).\n"
        )
        return 1
    finally:
        CLI_PROFILE.reset(profile)


def _listed_commands(help_text: str) -> set[str]:
    return {m[1] for line in help_text.splitlines() if (m := _COMMAND_LINE.match(line))}


def _dispatch(
    argv: list[str],
    engine: Engine,
    stdout: TextIO,
    stderr: TextIO,
    cwd: Path,
    stdin: StdinSource,
) -> int:
    root_help = read_help("docker.txt")
    root_flags = FlagSet(specs_from_help(root_help), interspersed=False)
    try:
        parsed = root_flags.parse(argv)
    except FlagError as exc:
        if cli_26():  # the pointer, then the whole help (its leading blank line too)
            raise CliError(f"{exc}\nSee 'docker --help'.\n{root_help}", 125) from None
        raise usage_error(str(exc), _ROOT_USAGE, "docker") from None
    if parsed.help:
        stderr.writelines(_notice(note) + "\n" for note in parsed.notices)
        stdout.write(root_help)
        return 0
    if parsed.flag("version"):
        stdout.write(f"LayerLab {LAYERLAB_VERSION} (a port of the Docker CLI 28.2.2)\n")
        return 0
    for name in parsed.order:
        raise UnsupportedFlag("docker", f"--{name}")
    words = parsed.positionals
    if not words:
        stderr.write(root_help)
        return 0
    name, rest = words[0], words[1:]
    if name in GROUPS:
        return _run_group(GROUPS[name], rest, engine, stdout, stderr, cwd, stdin)
    if name in TOP_COMMANDS:
        return _run_command(TOP_COMMANDS[name], rest, engine, stdout, stderr, cwd, stdin)
    if name in _listed_commands(root_help):
        raise CliError(f"layerlab: 'docker {name}' is not supported by LayerLab")
    if cli_26():
        raise CliError(f"docker: '{name}' is not a docker command.\nSee 'docker --help'")
    raise CliError(
        f"docker: unknown command: docker {name}\n\nRun 'docker --help' for more information"
    )


def _run_group(
    group: Group,
    args: list[str],
    engine: Engine,
    stdout: TextIO,
    stderr: TextIO,
    cwd: Path,
    stdin: StdinSource,
) -> int:
    help_text = read_help(group.help_file)
    if group.name == "builder" and uses_buildkit(engine):
        # buildx answers `docker builder`: its help on stdout for anything it does not know.
        if args and args[0] in group.commands:
            return _run_command(group.commands[args[0]], args[1:], engine, stdout, stderr, cwd,
                                stdin)  # fmt: skip
        if args and args[0] in _listed_commands(read_help(BUILDX_HELP)):
            raise CliError(f"layerlab: 'docker buildx {args[0]}' is not supported by LayerLab")
        if args and args[0] == "-h":
            stdout.write("Flag shorthand -h has been deprecated, please use --help\n")
        stdout.write(read_help(BUILDX_HELP))
        return 0
    if group.name == "builder" and (not args or args[0] not in group.commands):
        stderr.write(build_banner(engine))  # the CLI's notice for every builder command
    if not args:
        stderr.write(help_text)
        return 0
    first = args[0]
    if first in ("--help", "-h"):
        if first == "-h":
            stdout.write(_notice("Flag shorthand -h has been deprecated, use --help") + "\n")
        stdout.write(help_text)
        return 0
    if first in group.commands:
        return _run_command(group.commands[first], args[1:], engine, stdout, stderr, cwd, stdin)
    if first in _listed_commands(help_text):
        raise CliError(f"layerlab: 'docker {group.name} {first}' is not supported by LayerLab")
    if cli_26():  # cobra's NoArgs on a command with subcommands: its usage, as an error
        raise CliError(help_text.removesuffix("\n"))
    raise CliError(
        f"docker: unknown command: docker {group.name} {first}\n\n"
        f"Usage:  docker {group.name}\n\n"
        f"Run 'docker {group.name} --help' for more information"
    )


def _buildx_answers(command: Command, engine: Engine) -> bool:
    """Engine 26.1's CLI hands ``build`` and ``builder …`` to buildx while BuildKit is on."""
    buildx = command.path[-1] == "build" or command.path[:2] == ("builder", "prune")
    return buildx and uses_buildkit(engine)


def _check_buildx_arg_count(command: Command, count: int) -> None:
    """buildx's words for a wrong number of arguments (measured with Engine 26.1's CLI and
    buildx 0.13): its own message, then the usage and cobra's short description."""
    if count == (1 if command.args == EXACT1 else 0):
        return
    wrong = "requires exactly 1 argument" if command.args == EXACT1 else "accepts no arguments"
    summary = command.help_text.split("\n", 1)[0]
    raise CliError(
        f"ERROR: \"{command.name}\" {wrong}.\nSee '{command.name} --help'.\n\n"
        f"Usage:  {command.usage}\n\n{summary}"
    )


def _notice(text: str) -> str:
    return text.replace(", use --help", ", please use --help") if cli_26() else text


def _check_arg_count_26(command: Command, count: int) -> None:
    """Engine 26.1's CLI: ``"docker rm" requires at least 1 argument.``, a pointer to
    ``--help``, the usage and the command's short description; exit 1."""
    rule, least, most = command.args

    def plural(number: int) -> str:
        return "argument" if number == 1 else "arguments"

    if rule == "min" and count < least:
        wrong = f"requires at least {least} {plural(least)}"
    elif rule == "exact" and count != least:
        wrong = f"requires exactly {least} {plural(least)}"
    elif rule == "max" and count > most:
        wrong = f"requires at most {most} {plural(most)}"
    elif rule == "range" and not least <= count <= most:
        wrong = f"requires at least {least} and at most {most} {plural(most)}"
    elif rule == "none" and count:
        wrong = "accepts no arguments"
    else:
        return
    raise CliError(
        f"\"{command.name}\" {wrong}.\nSee '{command.name} --help'.\n\n"
        f"Usage:  {command.usage}\n\n{_short(command)}"
    )


def _short(command: Command) -> str:
    """cobra's short description of a command: its line in its parent's list of commands."""
    parent = GROUPS[command.path[0]].help_file if len(command.path) > 1 else "docker.txt"
    listed = re.search(rf"^  {re.escape(command.path[-1])} +(\S.*)$", read_help(parent), re.M)
    if listed:
        return listed[1]
    lines = command.help_text.splitlines()  # an alias the list leaves out: its description
    at = next(i for i, line in enumerate(lines) if line.startswith("Usage:"))
    return next(line for line in lines[at + 1 :] if line and not line.startswith("\t"))


def _check_arg_count(command: Command, count: int) -> None:
    if cli_26():
        _check_arg_count_26(command, count)
        return
    rule, least, most = command.args
    noun = "argument" if max(least, most) == 1 else "arguments"
    name = command.name
    if rule == "min" and count < least:
        message, verb = f"'{name}' requires at least {least} {noun}", "See"
    elif rule == "exact" and count != least:
        message, verb = f"'{name}' requires {least} {noun}", "Run"
    elif rule == "max" and count > most:
        # "SRun" is what docker 28.2.2 really prints for this validator.
        message, verb = f"'{name}' requires at most {most} {noun}", "SRun"
    elif rule == "range" and not least <= count <= most:
        message, verb = f"'{name}' requires at least {least} and at most {most} {noun}", "Run"
    elif rule == "none" and count:
        message, verb = f"'{name}' accepts no arguments", "Run"
    else:
        return
    raise args_error(message, command.usage, name, verb)


def _handler(command: Command) -> Handler:
    module_name, _, function = command.handler.partition(":")
    module = importlib.import_module(f"layerlab.cli.commands.{module_name}")
    handler: Handler = getattr(module, function)
    return handler


def _run_command(
    command: Command,
    args: list[str],
    engine: Engine,
    stdout: TextIO,
    stderr: TextIO,
    cwd: Path,
    stdin: StdinSource,
) -> int:
    if command.path[-1] == "build" or command.path[0] == "builder":
        stderr.write(build_banner(engine))
    buildx = _buildx_answers(command, engine)
    if buildx:  # buildx's help, flags and error texts; the same handler
        command = as_buildx(command)
    try:
        parsed = command.flagset().parse(args)
    except FlagError as exc:
        if buildx or cli_26():
            raise CliError(f"{exc}\nSee '{command.name} --help'.", 125) from None
        raise usage_error(str(exc), command.usage, command.name) from None
    notices = parsed.notices
    if buildx:
        notices = [note.replace(", use --help", ", please use --help") for note in notices]
    stdout.writelines(_notice(note) + "\n" for note in notices)
    if parsed.help:
        stdout.write(command.help_text)
        return 0
    if buildx:
        _check_buildx_arg_count(command, len(parsed.positionals))
    else:
        _check_arg_count(command, len(parsed.positionals))
    for flag_name in parsed.order:
        if flag_name not in command.supported:
            raise UnsupportedFlag(command.name, f"--{flag_name}")
    ctx = CommandContext(engine, stdout, stderr, cwd, stdin, command)
    return _handler(command)(ctx, parsed)
