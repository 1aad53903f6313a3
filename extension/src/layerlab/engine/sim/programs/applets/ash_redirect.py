"""Redirections of the ash interpreter: ``<``, ``>``, ``>>``, ``>&``, ``<&``, here-documents.

A redirected command of a :class:`ash.Shell` runs with a child ``Io`` whose file descriptors
point at files of the container's tree or at devices (``/dev/null``, ``/dev/stdout``...);
failures print busybox's ``can't create``/``can't open`` texts.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from layerlab.engine.sim.programs.applets.ash_state import InStream, RedirectError
from layerlab.engine.sim.programs.applets.base import FileSink, FsError, Io, NullSink, Sink
from layerlab.engine.sim.programs.applets.devices import device_sink, stdin_of_device
from layerlab.engine.sim.programs.applets.fileio import write_file
from layerlab.engine.sim.programs.applets.paths import lookup
from layerlab.engine.sim.programs.shell.syntax import Redir

if TYPE_CHECKING:
    from layerlab.engine.sim.programs.applets.ash import Shell


def with_redirections(shell: Shell, redirs: list[Redir], action) -> int:
    if not redirs:
        return action()
    saved_io, saved_stdin = shell.io, shell.stdin
    try:
        shell.io, shell.stdin = open_redirections(shell, redirs)
    except RedirectError as error:
        shell.io, shell.stdin = saved_io, saved_stdin
        shell.error(error.message)
        return 1
    try:
        return action()
    finally:
        cwd = shell.io.cwd  # `cd dir >/dev/null` still changes directory
        shell.io, shell.stdin = saved_io, saved_stdin
        shell.io.cwd = cwd


def open_redirections(shell: Shell, redirs: list[Redir]) -> tuple[Io, InStream]:
    fds = dict(shell.io.fds)
    stdin = shell.stdin
    for redir in redirs:
        if redir.heredoc is not None:
            body = redir.heredoc.body
            text = body if redir.heredoc.quoted else shell.expander.heredoc(body)
            stdin = InStream(text.encode("utf-8", "surrogateescape"))
            continue
        target = shell.expander.string(redir.target)
        fd = redir.fd if redir.fd is not None else (0 if redir.op[0] == "<" else 1)
        if redir.op in (">&", "<&"):
            if target == "-":
                fds.pop(fd, None)
            elif target.isdigit() and int(target) in fds:
                fds[fd] = fds[int(target)]
            elif target.isdigit() or fd == 0:
                raise RedirectError(f"{target}: Bad file descriptor")
            else:
                fds[fd] = _open_output(shell, target, append=False)
            continue
        if redir.op == "<" or redir.op == "<>":
            data = _open_input(shell, target)
            if fd == 0:
                stdin = InStream(data)
            continue
        fds[fd] = _open_output(shell, target, append=redir.op == ">>")
    return shell.io.child(fds=fds, env=shell.io.env), stdin


_FD_PATHS = {"/dev/stdout": 1, "/dev/stderr": 2, "/dev/stdin": 0}


def _fd_of(path: str) -> int | None:
    """``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``: the shell's own descriptor N."""
    if path in _FD_PATHS:
        return _FD_PATHS[path]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if path.startswith(prefix) and path[len(prefix) :].isdigit():
            return int(path[len(prefix) :])
    return None


def _device(shell: Shell, target: str) -> Sink | None:
    """The sink of a device or descriptor path, or None for a plain file."""
    path = posixpath.normpath(posixpath.join(shell.io.cwd, target))
    fd = _fd_of(path)
    if fd is not None:
        return shell.io.fds.get(fd, NullSink())
    try:
        real, entry = lookup(shell.io.tree, target, shell.io.cwd)
    except FsError:
        return None
    if entry.kind != "chardev":
        return None
    try:
        return device_sink(shell.io, real, entry)
    except FsError as error:
        raise RedirectError(f"can't create {target}: {error.reason}") from None


def _open_output(shell: Shell, target: str, append: bool) -> Sink:
    device = _device(shell, target)
    if device is not None:
        return device
    try:
        real = write_file(shell.io, target, b"", append=True)
        if not append:
            write_file(shell.io, real, b"")
    except FsError as error:
        reason = "nonexistent directory" if error.reason.startswith("No such") else error.reason
        raise RedirectError(f"can't create {target}: {reason}") from None
    return FileSink(shell.io.sys, real)


def _open_input(shell: Shell, target: str) -> bytes:
    path = posixpath.normpath(posixpath.join(shell.io.cwd, target))
    if _fd_of(path) is not None:
        return b""
    try:
        real, entry = lookup(shell.io.tree, target, shell.io.cwd)
        if entry.kind == "chardev":
            return stdin_of_device(shell.io, real, entry)
    except FsError as error:
        reason = "no such file" if error.reason.startswith("No such file") else error.reason
        raise RedirectError(f"can't open {target}: {reason}") from None
    return entry.data
