"""How the daemon starts a process in a container: its environment, user and the errors when
the program cannot start. Shared by ``docker run``/``start``, ``docker exec`` and build steps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from layerlab.engine.profiles import api_at_least
from layerlab.engine.sim.images.config import DEFAULT_PATH
from layerlab.engine.sim.programs.applets import users
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:  # the programs are imported when one first runs: start-up stays fast
    from layerlab.engine.sim.programs.executable import ExecError
    from layerlab.engine.sim.programs.process import ProcessContext


def env_map(env: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in env:
        key, _, value = item.partition("=")
        out[key] = value
    return out


def process_context(
    tree: fs.Tree,
    env: Iterable[str],
    user: str,
    workdir: str,
    hostname: str,
    now: float,
    tty: bool = False,
) -> ProcessContext:
    """The daemon's environment (the default PATH, HOSTNAME, and TERM on a terminal) with the
    config's Env over it, and HOME from /etc/passwd when Env has none; the user's uid and,
    without ``:group``, their primary group."""
    from layerlab.engine.sim.programs.process import ProcessContext
    from layerlab.engine.sim.runtimes import PROGRAMS

    # In that order, as the daemon makes it: a variable of Env replaces one of these in place.
    variables = {"PATH": DEFAULT_PATH.removeprefix("PATH="), "HOSTNAME": hostname}
    if tty:
        variables["TERM"] = "xterm"
    variables.update(env_map(env))
    name, _, group = user.partition(":")
    record = _passwd_record(tree, name or "root")
    if "HOME" not in variables:
        variables["HOME"] = record[5] if record else ("/root" if name in ("", "root", "0") else "/")
    context = ProcessContext(
        tree=tree, env=variables, cwd=workdir or "/", hostname=hostname, now=now, programs=PROGRAMS
    )
    if name:
        context.uid = int(name) if name.isdigit() else int(record[2]) if record else 0
    if group:
        gid = users.group_id(tree, group)
        if gid is not None:
            context.gid = gid
    elif record and record[3].isdigit():
        context.gid = int(record[3])
    return context


def _passwd_record(tree: fs.Tree, user: str) -> list[str] | None:
    """The user's /etc/passwd row (by name or uid), if it reaches the home directory."""
    record = users.passwd_row(tree, int(user) if user.isdigit() else user)
    return record if record is not None and len(record) > 5 else None


def on_terminal(output: list[tuple[int, bytes, float]]) -> list[tuple[int, bytes, float]]:
    """What a program wrote as its terminal shows it (-t): one stream, each newline as CRLF
    (the terminal's onlcr setting)."""
    return [(1, data.replace(b"\n", b"\r\n"), at) for _, data, at in output]


def exec_error_text(err: ExecError) -> str:
    """runc's words for a program that cannot start."""
    if err.reason == "not_found":
        if "/" in err.path:
            return f'exec: "{err.path}": stat {err.path}: no such file or directory'
        return f'exec: "{err.path}": executable file not found in $PATH'
    if err.reason in ("permission", "is_dir"):  # execve refuses a directory with EACCES
        return f'exec: "{err.path}": permission denied'
    return f'exec: "{err.path}": exec format error'


def oci_error(err: ExecError, profile: str) -> str:
    """The daemon's error for a container whose program cannot start; Engine 26.1 says first
    which step failed (measured: ``docker run busybox nosuchprogram``)."""
    text = (
        "failed to create shim task: OCI runtime create failed: runc create failed: "
        f"unable to start container process: {exec_error_text(err)}: unknown"
    )
    return f"failed to create task for container: {text}" if api_at_least(profile, "1.45") else text


def exit_code_for(err: ExecError) -> int:
    return 126 if err.reason in ("permission", "is_dir", "exec_format") else 127
