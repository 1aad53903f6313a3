"""The shell's own commands (busybox ash builtins): they change the shell itself."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from layerlab.engine.sim.programs.applets.ash_state import (
    ExitShell,
    InStream,
    LoopSignal,
    ReturnSignal,
)
from layerlab.engine.sim.programs.applets.base import FsError, RunsForever, WriteFailed
from layerlab.engine.sim.programs.applets.expand import ExpansionError
from layerlab.engine.sim.programs.applets.fileio import read_file
from layerlab.engine.sim.programs.executable import find_in_path

if TYPE_CHECKING:
    from layerlab.engine.sim.programs.applets.ash import Shell

Builtin: TypeAlias = "Callable[[Shell, list[str]], int]"

SIGNALS = {"0": "EXIT", "1": "HUP", "2": "INT", "3": "QUIT", "9": "KILL", "15": "TERM",
           "10": "USR1", "12": "USR2"}  # fmt: skip


def _applet(name: str) -> Builtin:
    """Applets that ash runs in-process: their errors carry the shell's name (`sh: ...`)."""

    def run(shell: Shell, argv: list[str]) -> int:
        # None of these read stdin, so a `while read` loop keeps its input.
        io = shell.io.child(env=shell.environment(), stdin=b"", prog="sh")
        try:
            program = io.sys.launcher.applet(name)
            assert program is not None, name  # BUILTINS below only names applets LayerLab has
            return program(argv, io)
        except WriteFailed as failed:
            if name != "printf":  # ash's printf reports nothing, only its status
                with contextlib.suppress(WriteFailed):
                    io.err(f"sh: write error: {failed.reason}\n")
            return 1

    return run


def _colon(shell: Shell, argv: list[str]) -> int:
    return 0


def _cd(shell: Shell, argv: list[str]) -> int:
    args = [a for a in argv[1:] if a not in ("-L", "-P")]
    target = args[0] if args else shell.get_var("HOME") or "/"
    if target == "-":
        target = shell.get_var("OLDPWD") or shell.io.cwd
        shell.io.out(target + "\n")
    try:
        real = shell.resolve_dir(target)
    except FsError as error:
        shell.builtin_error("cd", f"can't cd to {target}: {error.reason}")
        return 2
    shell.vars["OLDPWD"] = shell.io.cwd
    shell.io.cwd = real
    shell.vars["PWD"] = real
    return 0


def _exit(shell: Shell, argv: list[str]) -> int:
    code = shell.status
    if len(argv) > 1:
        if not re.fullmatch(r"-?\d+", argv[1]):
            shell.builtin_error("exit", f"Illegal number: {argv[1]}")
            raise ExitShell(2)
        code = int(argv[1])
    raise ExitShell(code & 0xFF)


def _return(shell: Shell, argv: list[str]) -> int:
    code = int(argv[1]) if len(argv) > 1 and re.fullmatch(r"-?\d+", argv[1]) else shell.status
    raise ReturnSignal(code & 0xFF)


def _loop_control(kind: str) -> Builtin:
    def run(shell: Shell, argv: list[str]) -> int:
        levels = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
        if shell.loop_depth == 0:
            return 0
        raise LoopSignal(kind, max(1, min(levels, shell.loop_depth)))

    return run


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def _export(shell: Shell, argv: list[str], readonly: bool = False) -> int:
    names = [a for a in argv[1:] if a != "-p"]
    if not names:
        keyword = "readonly" if readonly else "export"
        chosen = shell.readonly if readonly else shell.exported
        for name in sorted(chosen):
            if name in shell.vars:
                shell.io.out(f"{keyword} {name}={_quote(shell.vars[name])}\n")
            else:
                shell.io.out(f"{keyword} {name}\n")
        return 0
    for item in names:
        name, eq, value = item.partition("=")
        if eq:
            shell.set_var(name, value)
        (shell.readonly if readonly else shell.exported).add(name)
    return 0


def _unset(shell: Shell, argv: list[str]) -> int:
    functions = "-f" in argv
    for name in argv[1:]:
        if name in ("-f", "-v"):
            continue
        if functions:
            shell.functions.pop(name, None)
            continue
        if name in shell.readonly:
            raise ExpansionError(f"{name}: is read only")
        shell.vars.pop(name, None)
        shell.exported.discard(name)
    return 0


def _set(shell: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        for name in sorted(shell.vars):
            shell.io.out(f"{name}={_quote(shell.vars[name])}\n")
        return 0
    while args:
        flag = args[0]
        if flag == "--":
            shell.positional = args[1:]
            return 0
        if flag in ("-o", "+o") and len(args) > 1:
            shell.options[{"errexit": "e", "nounset": "u", "noglob": "f"}.get(args[1], args[1])] = (
                flag == "-o"
            )
            args = args[2:]
            continue
        if flag[:1] in ("-", "+") and len(flag) > 1:
            for letter in flag[1:]:
                shell.options[letter] = flag[0] == "-"
            args = args[1:]
            continue
        shell.positional = args
        return 0
    return 0


def _shift(shell: Shell, argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    if count > len(shell.positional):
        return 1
    shell.positional = shell.positional[count:]
    return 0


def _eval(shell: Shell, argv: list[str]) -> int:
    shell.status = 0
    return shell.run_text(" ".join(argv[1:]))


def _source(shell: Shell, argv: list[str]) -> int:
    if len(argv) < 2:
        return 0
    try:
        data = read_file(shell.io, argv[1])
    except FsError as error:
        shell.error(f"{argv[1]}: {error.reason}")
        raise ExitShell(2) from None
    return shell.run_text(data.decode("utf-8", "surrogateescape"))


def _exec(shell: Shell, argv: list[str]) -> int:
    if len(argv) == 1:
        return 0  # `exec` with only redirections is handled by the interpreter
    shell.exec_mode = True
    status = shell.run_external(argv[1:], [])
    raise ExitShell(status)


def _read(shell: Shell, argv: list[str]) -> int:
    args = argv[1:]
    raw = False
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag == "-r":
            raw = True
        elif flag in ("-p", "-t", "-n", "-u") and args:
            if flag == "-p":
                shell.io.err(args[0])
            args.pop(0)
    names = args or ["REPLY"]
    line = shell.stdin.read_line()
    if line is None:
        for name in names:
            shell.set_var(name, "")
        return 1
    text = line.decode("utf-8", "surrogateescape")
    ended = text.endswith("\n")
    text = text.rstrip("\n")
    if not raw:
        while text.endswith("\\") and (more := shell.stdin.read_line()) is not None:
            text = text[:-1] + more.decode("utf-8", "surrogateescape").rstrip("\n")
        text = re.sub(r"\\(.)", r"\1", text)
    ifs = shell.get_var("IFS")
    ifs = " \t\n" if ifs is None else ifs
    white = "".join(c for c in ifs if c in " \t\n")
    text = text.strip(white) if white else text
    for index, name in enumerate(names):
        if index == len(names) - 1:
            shell.set_var(name, text.rstrip(white) if white else text)
            break
        parts = re.split("[" + re.escape(ifs) + "]", text, maxsplit=1) if ifs else [text]
        shell.set_var(name, parts[0])
        text = parts[1].lstrip(white) if len(parts) > 1 else ""
    return 0 if ended else 1


def _trap(shell: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if not args:
        for signal, action in shell.traps.items():
            shell.io.out(f"trap -- {_quote(action)} {signal}\n")
        return 0
    action, signals = (args[0], args[1:]) if len(args) > 1 else ("-", args)
    for signal in signals:
        name = SIGNALS.get(signal, signal.upper().removeprefix("SIG"))
        if name not in SIGNALS.values():
            shell.builtin_error("trap", f"{signal}: bad trap")
            return 1
        if action == "-":
            shell.traps.pop(name, None)
        else:
            shell.traps[name] = action
    return 0


def _wait(shell: Shell, argv: list[str]) -> int:
    wanted = {int(a) for a in argv[1:] if a.isdigit()}
    status = 0
    for job in list(shell.jobs):
        if wanted and job.pid not in wanted:
            continue
        if job.forever:
            raise RunsForever(interruptible=True)
        shell.io.clock.t = max(shell.io.clock.t, job.end)
        status = job.status
        shell.jobs.remove(job)
    if wanted and not any(True for _ in wanted):
        return 127
    return status


def _local(shell: Shell, argv: list[str]) -> int:
    if not shell.locals_stack:
        shell.builtin_error("local", "not in a function")
        return 2
    frame = shell.locals_stack[-1]
    for item in argv[1:]:
        name, eq, value = item.partition("=")
        frame.setdefault(name, shell.vars.get(name))
        shell.set_var(name, value if eq else shell.vars.get(name, ""))
    return 0


def _type(shell: Shell, argv: list[str]) -> int:
    status = 0
    for name in argv[1:]:
        if name in shell.functions:
            shell.io.out(f"{name} is a function\n")
        elif name in BUILTINS:
            kind = "special shell builtin" if name in SPECIAL_BUILTINS else "shell builtin"
            shell.io.out(f"{name} is a {kind}\n")
        elif "/" not in name and shell.io.sys.launcher.applet(name) is not None:
            shell.io.out(f"{name} is {name}\n")
        elif (path := find_in_path(shell.io, name, shell.get_var("PATH") or "")) is not None:
            shell.io.out(f"{name} is {path}\n")
        else:
            shell.io.out(f"{name}: not found\n")
            status = 127
    return status


def _command(shell: Shell, argv: list[str]) -> int:
    args = argv[1:]
    if args and args[0] in ("-v", "-V"):
        status = 1
        for name in args[1:]:
            if name in shell.functions or name in BUILTINS or shell.io.sys.launcher.applet(name):
                shell.io.out(name + "\n")
                status = 0
            elif (path := find_in_path(shell.io, name, shell.get_var("PATH") or "")) is not None:
                shell.io.out(path + "\n")
                status = 0
        return status
    if not args:
        return 0
    if args[0] in BUILTINS:
        return BUILTINS[args[0]](shell, args)
    return shell.run_external(args, [])


def _umask(shell: Shell, argv: list[str]) -> int:
    if len(argv) == 1:
        shell.io.out("0022\n")
    return 0


def _let(shell: Shell, argv: list[str]) -> int:
    value = 0
    for expression in argv[1:]:
        value = int(shell.expander.string("$((" + expression + "))"))
    return 0 if value else 1


def _noop(shell: Shell, argv: list[str]) -> int:
    return 0


def _jobs_unsupported(shell: Shell, argv: list[str]) -> int:
    shell.builtin_error(argv[0], "no job control")
    return 1


SPECIAL_BUILTINS = {":", ".", "source", "break", "continue", "eval", "exec", "exit", "export",
                    "readonly", "return", "set", "shift", "trap", "unset"}  # fmt: skip

BUILTINS: dict[str, Builtin] = {
    ":": _colon,
    ".": _source,
    "source": _source,
    "break": _loop_control("break"),
    "continue": _loop_control("continue"),
    "cd": _cd,
    "chdir": _cd,
    "eval": _eval,
    "exec": _exec,
    "exit": _exit,
    "export": _export,
    "readonly": lambda shell, argv: _export(shell, argv, readonly=True),
    "return": _return,
    "set": _set,
    "shift": _shift,
    "trap": _trap,
    "unset": _unset,
    "read": _read,
    "wait": _wait,
    "local": _local,
    "type": _type,
    "command": _command,
    "umask": _umask,
    "let": _let,
    "hash": _noop,
    "alias": _noop,
    "unalias": _noop,
    "ulimit": lambda shell, argv: shell.io.out("unlimited\n") or 0,
    "jobs": _noop,
    "fg": _jobs_unsupported,
    "bg": _jobs_unsupported,
    "echo": _applet("echo"),
    "printf": _applet("printf"),
    "test": _applet("test"),
    "[": _applet("["),
    "[[": _applet("[["),
    "true": _applet("true"),
    "false": _applet("false"),
    "kill": _applet("kill"),
    "pwd": lambda shell, argv: shell.io.out(shell.io.cwd + "\n") or 0,
}

__all__ = ["BUILTINS", "SPECIAL_BUILTINS", "InStream"]
