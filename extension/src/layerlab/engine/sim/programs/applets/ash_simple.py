"""Simple commands of the ash interpreter: assignments, builtins, functions, programs.

:func:`run_simple` decides what a command name means for a :class:`ash.Shell` (special
builtin, function, regular builtin, program on ``PATH``), applies ``VAR=value`` prefixes with
ash's scoping rules; :func:`run_program` starts a program and reports ``not found`` or
``Permission denied`` like busybox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.sim.programs.applets.ash_redirect import open_redirections, with_redirections
from layerlab.engine.sim.programs.applets.ash_state import RedirectError, ReturnSignal
from layerlab.engine.sim.programs.applets.base import RunsForever
from layerlab.engine.sim.programs.executable import ExecError
from layerlab.engine.sim.programs.shell.syntax import Simple

if TYPE_CHECKING:
    from layerlab.engine.sim.programs.applets.ash import Shell


def run_simple(shell: Shell, node: Simple) -> int:
    shell.line = node.line
    shell.subst_status = None
    words = [field for word in node.words for field in shell.expander.fields(word)]
    assigns = []
    for text in node.assigns:
        name, _, value = text.partition("=")
        assigns.append((name, shell.expander.string(value)))
    if not words:
        for name, value in assigns:
            shell.set_var(name, value)
        status = with_redirections(shell, node.redirs, lambda: 0)
        shell.status = shell.subst_status if status == 0 and shell.subst_status else status
        return shell.status
    from layerlab.engine.sim.programs.applets.builtins import BUILTINS, SPECIAL_BUILTINS

    name = words[0]
    if name == "exec" and len(words) == 1:
        try:  # `exec >file`: the redirections stay for the rest of the shell
            shell.io, shell.stdin = open_redirections(shell, node.redirs)
        except RedirectError as error:
            shell.error(error.message)
            shell.status = 1
            return 1
        shell.status = 0
        return 0
    if name in SPECIAL_BUILTINS:
        for var, value in assigns:
            shell.set_var(var, value)
        assigns = []
    if name in shell.functions and name not in SPECIAL_BUILTINS:
        action = lambda: _call_function(shell, name, words[1:], assigns)  # noqa: E731
    elif name in BUILTINS:
        action = lambda: _run_builtin(shell, name, words, assigns)  # noqa: E731
    else:
        action = lambda: run_program(shell, words, assigns)  # noqa: E731
    shell.status = with_redirections(shell, node.redirs, action)
    return shell.status


def _run_builtin(shell: Shell, name: str, words: list[str], assigns: list[tuple[str, str]]) -> int:
    """A regular builtin sees `VAR=x builtin` assignments only while it runs."""
    from layerlab.engine.sim.programs.applets.builtins import BUILTINS

    saved = {var: shell.vars.get(var) for var, _ in assigns}
    for var, value in assigns:
        shell.set_var(var, value)
    try:
        return BUILTINS[name](shell, words)
    finally:
        for var, value in saved.items():
            if value is None:
                shell.vars.pop(var, None)
            else:
                shell.vars[var] = value


def _call_function(shell: Shell, name: str, args: list[str], assigns: list[tuple[str, str]]) -> int:
    saved_positional = shell.positional
    saved_vars = {var: shell.vars.get(var) for var, _ in assigns}
    for var, value in assigns:
        shell.set_var(var, value)
    shell.positional = args
    shell.locals_stack.append({})
    try:
        shell.run_command(shell.functions[name])
        status = shell.status
    except ReturnSignal as signal:
        status = signal.code
    finally:
        shell.positional = saved_positional
        for var, value in {**shell.locals_stack.pop(), **saved_vars}.items():
            if value is None:
                shell.vars.pop(var, None)
            else:
                shell.vars[var] = value
    shell.status = status
    return status


# strsignal's words, which ash prints on stderr for a foreground job a signal ended.
SIGNAL_TEXT = {
    1: "Hangup", 3: "Quit", 4: "Illegal instruction", 5: "Trace/breakpoint trap", 6: "Aborted",
    7: "Bus error", 8: "Floating point exception", 9: "Killed", 10: "User defined signal 1",
    11: "Segmentation fault", 12: "User defined signal 2", 14: "Alarm clock", 15: "Terminated",
    24: "CPU time limit exceeded", 25: "File size limit exceeded", 26: "Virtual timer expired",
    27: "Profiling timer expired", 31: "Bad system call",
}  # fmt: skip


def _report_signal(shell: Shell, signal_number: int) -> None:
    shell.io.sys.killed_by = 0
    if signal_number not in (2, 13):  # ash keeps quiet about SIGINT and SIGPIPE
        shell.io.err(SIGNAL_TEXT.get(signal_number, f"Unknown signal {signal_number}") + "\n")


def run_program(shell: Shell, argv: list[str], assigns: list[tuple[str, str]]) -> int:
    env = shell.environment()
    env.update(assigns)
    # The script's last command replaces the shell (exec), keeping its PID; others are forked.
    pid = shell.io.pid if shell.exec_mode else shell.io.sys.new_pid()
    open_end = shell.stdin.open_end
    child = shell.io.child(env=env, stdin=shell.stdin.take_all(), stdin_open=open_end, pid=pid)
    try:
        child.sys.killed_by = 0
        status = child.sys.launcher.spawn(argv, child, from_shell=True)
        if child.sys.killed_by and not shell.exec_mode:
            _report_signal(shell, child.sys.killed_by)
        return status
    except ExecError as error:
        if error.reason == "not_found":
            shell.error(f"{argv[0]}: not found")
            return 127
        shell.error(f"{argv[0]}: Permission denied")
        return 126
    except RunsForever as forever:
        if not shell.exec_mode:
            forever.sigterm_exit = None
        raise
