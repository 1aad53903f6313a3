"""The shell interpreter (busybox's `sh`/`ash` applet): runs what `shell.Parser` produces.

Pipelines are computed stage by stage (each stage's output becomes the next one's input),
background jobs run at once on their own clock, and loops that never end are cut at a horizon
and reported as "runs forever" so a container can stay up. :class:`Shell` keeps the state
(variables, options, positional parameters) and runs lists and pipelines; compound commands,
simple commands and redirections are run by ``ash_compound``, ``ash_simple`` and
``ash_redirect``.
"""

from __future__ import annotations

import copy

from layerlab.engine.sim.programs.applets.ash_compound import run_compound
from layerlab.engine.sim.programs.applets.ash_redirect import with_redirections
from layerlab.engine.sim.programs.applets.ash_simple import run_program, run_simple
from layerlab.engine.sim.programs.applets.ash_state import (
    ExitShell,
    InStream,
    Job,
    LoopSignal,
    ReturnSignal,
)
from layerlab.engine.sim.programs.applets.base import (
    SHELL_BANNER,
    WRITE_LIMIT_BYTES,
    BufferSink,
    Clock,
    FsError,
    Io,
    NullSink,
    OutOfMemory,
    RunsForever,
)
from layerlab.engine.sim.programs.applets.expand import Expander, ExpansionError
from layerlab.engine.sim.programs.applets.paths import lookup, resolve
from layerlab.engine.sim.programs.shell.parser import Parser, ShellSyntaxError
from layerlab.engine.sim.programs.shell.syntax import (
    AndOr,
    CommandList,
    FunctionDef,
    Pipeline,
    Simple,
)

__all__ = ["ExitShell", "InStream", "LoopSignal", "ReturnSignal", "Shell", "run_sh"]

MAX_STEPS = 2_000_000
# The longest value a variable (or a command substitution) may hold: `x=$x$x` in a loop doubles
# it each time, and without a bound the simulator itself would take the machine's memory (the
# expander holds a word as one object per character: 4 MiB costs it about 400 MB).
MAX_VALUE_CHARS = 4 << 20


class Shell:
    def __init__(self, io: Io, arg0: str, positional: list[str], named_arg0: bool) -> None:
        self.io = io
        self.vars: dict[str, str] = dict(io.env)
        self.exported: set[str] = set(io.env)
        self.readonly: set[str] = set()
        self.functions: dict[str, object] = {}
        self.positional = positional
        self.arg0 = arg0
        self.named_arg0 = named_arg0  # errors name $0 and a line when it was given
        self.line_offset = 0
        self.status = 0
        self.subst_status: int | None = None
        self.options: dict[str, bool] = {}
        self.traps: dict[str, str] = {}
        self.line = 1
        self.stdin = InStream(io.stdin, open_end=io.stdin_open)
        self.cond_depth = 0
        self.loop_depth = 0
        self.steps = 0
        self.jobs: list[Job] = []
        self.last_bg_pid: int | None = None
        self.exec_mode = False
        self.locals_stack: list[dict[str, str | None]] = []
        self.expander = Expander(self)
        self.vars.setdefault("IFS", " \t\n")
        # ash exports PWD and one more SHLVL to every program it runs.
        self.vars["PWD"] = io.cwd
        level = self.vars.get("SHLVL", "0")
        self.vars["SHLVL"] = str(int(level) + 1 if level.isdigit() else 1)
        self.exported.update(("PWD", "SHLVL"))
        self.vars.setdefault("PS1", "# " if io.uid == 0 else "$ ")

    # -- variables --------------------------------------------------------------------------
    def get_var(self, name: str) -> str | None:
        return self.vars.get(name)

    def set_var(self, name: str, value: str) -> None:
        if name in self.readonly:
            raise ExpansionError(f"{name}: is read only")
        if len(value) > MAX_VALUE_CHARS:
            raise OutOfMemory(f"a variable of more than {MAX_VALUE_CHARS >> 20} MiB")
        self.vars[name] = value
        if name in self.exported or self.options.get("a"):
            self.exported.add(name)

    def get_param(self, name: str) -> str | None:
        if name.isdigit():
            index = int(name)
            if index == 0:
                return self.arg0
            return self.positional[index - 1] if index <= len(self.positional) else None
        special = {
            "?": lambda: str(self.status),
            "$": lambda: str(self.io.pid),
            "#": lambda: str(len(self.positional)),
            "@": lambda: " ".join(self.positional),
            "*": lambda: self._star(),
            "!": lambda: "" if self.last_bg_pid is None else str(self.last_bg_pid),
            "-": lambda: "".join(k for k in "efux" if self.options.get(k)) + "c",
        }
        if name in special:
            return special[name]()
        return self.vars.get(name)

    def _star(self) -> str:
        ifs = self.vars.get("IFS", " ")
        return (ifs[:1] if ifs else "").join(self.positional)

    def environment(self) -> dict[str, str]:
        return {k: v for k, v in self.vars.items() if k in self.exported}

    # -- messages ---------------------------------------------------------------------------
    def lineno(self) -> int:
        return self.line + self.line_offset

    def error(self, message: str) -> None:
        if self.named_arg0:
            self.io.err(f"{self.arg0}: line {self.lineno()}: {message}\n")
        else:
            self.io.err(f"{self.arg0}: {message}\n")

    def builtin_error(self, name: str, message: str) -> None:
        self.io.err(f"{self.arg0}: {name}: line {self.lineno()}: {message}\n")

    # -- running text -----------------------------------------------------------------------
    def run_text(self, text: str, exec_last: bool = False) -> int:
        """Parse and run ``text`` one complete command at a time."""
        parser = Parser(text)
        while True:
            try:
                command = parser.complete_command()
            except ShellSyntaxError as error:
                self.line = error.line
                self.error(error.message)
                raise ExitShell(2) from None
            if command is None:
                return self.status
            if exec_last and parser.at_end():
                self.exec_mode = _is_single_simple(command)
            self.run_list(command)

    def run_list(self, node: CommandList) -> int:
        for and_or, background in node.items:
            if background:
                self.run_background(and_or)
            else:
                self.run_and_or(and_or)
        return self.status

    def run_and_or(self, node: AndOr) -> int:
        parts = [("", node.first), *node.rest]
        status = self.status
        ran_last = False
        for index, (op, pipeline) in enumerate(parts):
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            last = index == len(parts) - 1
            self.cond_depth += 0 if last else 1
            try:
                status = self.run_pipeline(pipeline)
            finally:
                self.cond_depth -= 0 if last else 1
            ran_last = last and not pipeline.negate
        self.status = status
        if ran_last and status != 0 and self.options.get("e") and self.cond_depth == 0:
            raise ExitShell(status)
        return status

    def run_pipeline(self, node: Pipeline) -> int:
        if node.negate:
            self.cond_depth += 1
        try:
            if len(node.commands) == 1:
                status = self.run_command(node.commands[0])
            else:
                status = self._run_stages(node.commands)
        finally:
            if node.negate:
                self.cond_depth -= 1
        self.status = int(not status) if node.negate else status
        return self.status

    def _run_stages(self, commands: list[object]) -> int:
        start = self.io.clock.t
        end = start
        data = self.stdin.take_all()
        forever: RunsForever | None = None
        status = 0
        for index, command in enumerate(commands):
            last = index == len(commands) - 1
            sink = None if last else BufferSink(WRITE_LIMIT_BYTES, holds="data in a pipe")
            stage = self.subshell(clock=Clock(start), stdin=data, stdout=sink)
            try:
                status = stage.run_isolated(lambda s, c=command: s.run_command(c))
            except RunsForever as error:
                if last:
                    raise
                forever = error
            end = max(end, stage.io.clock.t)
            data = bytes(sink.data) if sink is not None else b""
        self.io.clock.t = end
        if forever is not None:
            forever.sigterm_exit = None
            raise forever
        return status

    def run_background(self, node: AndOr) -> None:
        pid = self.io.sys.new_pid()
        job = self.subshell(clock=Clock(self.io.clock.t), stdin=b"")
        job.io.pid = pid
        try:
            status = job.run_isolated(lambda s: s.run_and_or(node))
            self.jobs.append(Job(pid, job.io.clock.t, status, forever=False))
        except RunsForever:
            self.jobs.append(Job(pid, job.io.clock.t, 0, forever=True))
        self.last_bg_pid = pid
        self.status = 0

    def subshell(
        self, clock: Clock | None = None, stdin: bytes | None = None, stdout=None
    ) -> Shell:
        clone = copy.copy(self)
        clone.vars = dict(self.vars)
        clone.exported = set(self.exported)
        clone.readonly = set(self.readonly)
        clone.functions = dict(self.functions)
        clone.positional = list(self.positional)
        clone.options = dict(self.options)
        clone.traps = {}
        clone.jobs = []
        clone.locals_stack = []
        clone.exec_mode = False
        fds = dict(self.io.fds)
        if stdout is not None:
            fds[1] = stdout
        clone.io = self.io.child(fds=fds, clock=clock or self.io.clock)
        clone.stdin = self.stdin if stdin is None else InStream(stdin)
        clone.expander = Expander(clone)
        return clone

    def run_isolated(self, action) -> int:
        """Run in this (sub)shell; `exit` ends only it."""
        try:
            return action(self)
        except ExitShell as done:
            return done.code
        except (ReturnSignal, LoopSignal):
            return self.status

    def command_substitution(self, text: str) -> str:
        sink = BufferSink(limit=MAX_VALUE_CHARS)
        child = self.subshell(stdout=sink)
        self.subst_status = child.run_isolated(lambda s: s.run_text(text))
        return bytes(sink.data).decode("utf-8", "surrogateescape").rstrip("\n")

    # -- commands ---------------------------------------------------------------------------
    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RunsForever(interruptible=True)

    def run_command(self, node: object) -> int:
        self.tick()
        try:
            if isinstance(node, Simple):
                return run_simple(self, node)
            if isinstance(node, FunctionDef):
                self.functions[node.name] = node.body
                self.status = 0
                return 0
            with_redirs = getattr(node, "redirs", [])
            return with_redirections(self, with_redirs, lambda: run_compound(self, node))
        except ExpansionError as error:
            self.error(error.message)
            raise ExitShell(2) from None

    def resolve_dir(self, path: str) -> str:
        real = resolve(self.io.tree, path, self.io.cwd)
        _, entry = lookup(self.io.tree, real)
        if not entry.is_dir:
            raise FsError("Not a directory", real)
        return real

    def run_external(self, argv: list[str], assigns: list[tuple[str, str]]) -> int:
        """Run a program (the ``command``/``exec`` builtins use this too)."""
        return run_program(self, argv, assigns)


def _is_single_simple(command: CommandList) -> bool:
    if len(command.items) != 1 or command.items[0][1]:
        return False
    and_or = command.items[0][0]
    pipeline = and_or.first
    return (
        not and_or.rest
        and not pipeline.negate
        and len(pipeline.commands) == 1
        and isinstance(pipeline.commands[0], Simple)
    )


# ---------------------------------------------------------------------------------------------
# the program


def run_sh(argv: list[str], io: Io) -> int:
    """``sh [-eux] -c SCRIPT [ARG0 ARG...]`` | ``sh [-eux] FILE [ARG...]`` | ``sh`` (stdin)."""
    from layerlab.engine.sim.programs.applets.fileio import read_file

    args = argv[1:]
    options: dict[str, bool] = {}
    command: str | None = None
    while args and args[0].startswith(("-", "+")) and len(args[0]) > 1:
        flag = args.pop(0)
        if flag == "--":
            break
        for letter in flag[1:]:
            if letter == "c":
                command = ""
            elif letter in "euxfavsil":
                options[letter] = flag[0] == "-"
            else:
                io.err(f"sh: -{letter}: invalid option\n")
                return 2
    name = argv[0] if argv else "sh"  # messages name the shell as it was invoked: /bin/sh
    if command is not None:
        if not args:
            io.err("sh: -c requires an argument\n")
            return 2
        text = args[0]
        named = len(args) > 1
        shell = Shell(io, args[1] if named else name, args[2:], named_arg0=named)
        shell.line_offset = -1  # ash counts -c lines from 0
    elif args:
        try:
            text = read_file(io, args[0]).decode("utf-8", "surrogateescape")
        except FsError as error:
            io.err(f"{name}: can't open '{args[0]}': {error.reason}\n")
            return 2
        shell = Shell(io, args[0], args[1:], named_arg0=True)
    else:
        if io.stdin_open:  # commands would come from a terminal or an open pipe: none do
            if io.sys.tty:  # an interactive shell greets its terminal first
                io.out(f"\n\n{SHELL_BANNER}\nEnter 'help' for a list of built-in commands.\n\n")
            raise RunsForever(interruptible=False)
        text = io.stdin.decode("utf-8", "surrogateescape")
        io = io.child(stdin=b"")
        shell = Shell(io, name, [], named_arg0=False)
    shell.options.update(options)
    return run_script(shell, text, exec_last=command is not None)


def run_script(self: Shell, text: str, exec_last: bool) -> int:
    """Run a whole script: EXIT trap at the end, SIGTERM outcome when it never ends."""
    try:
        status = self.run_text(text, exec_last=exec_last)
    except ExitShell as done:
        status = done.code
    except (ReturnSignal, LoopSignal):
        status = self.status
    except RunsForever as forever:
        if forever.interruptible:
            forever.sigterm_exit = sigterm_outcome(self)
        raise
    exit_trap = self.traps.pop("EXIT", None)
    if exit_trap:
        self.status = status
        try:
            self.run_text(exit_trap)
        except ExitShell as done:
            status = done.code
    return status & 0xFF


def sigterm_outcome(self: Shell) -> int | None:
    """What a TERM trap does when it gets the chance: an exit code, or None (keeps running)."""
    action = self.traps.get("TERM")
    if not action:
        return None
    probe = self.subshell(stdout=NullSink())
    probe.io.fds[2] = NullSink()
    probe.io.sys = copy.copy(self.io.sys)
    probe.io.sys.tree = dict(self.io.sys.tree)
    probe.io.sys.log = []
    probe.status = 143
    try:
        probe.run_text(action)
    except ExitShell as done:
        return done.code & 0xFF
    except Exception:  # the probe must never break the run it describes
        return None
    return None
