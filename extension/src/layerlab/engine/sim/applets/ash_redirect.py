"""Redirections of the ash interpreter: ``<``, ``>``, ``>>``, ``>&``, ``<&``, here-documents.

A redirected command of a :class:`ash.Shell` runs with a child ``Io`` whose file descriptors
point at files of the container's tree or at devices (``/dev/null``, ``/dev/stdout``...);
failures print busybox's ``can't create``/``can't open`` texts.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from ..shell_ast import Redir
from .ash_state import InStream, RedirectError
from .base import FileSink, FsError, Io, NullSink, lookup, write_file

if TYPE_CHECKING:
    from .ash import Shell


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


def _device(shell: Shell, target: str):
    path = posixpath.normpath(posixpath.join(shell.io.cwd, target))
    if path in ("/dev/null", "/dev/zero"):
        return NullSink()
    if path in ("/dev/stdout", "/dev/fd/1"):
        return shell.io.fds.get(1, NullSink())
    if path in ("/dev/stderr", "/dev/fd/2"):
        return shell.io.fds.get(2, NullSink())
    return None


def _open_output(shell: Shell, target: str, append: bool):
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
    return FileSink(shell.io.tree, real, shell.io.sys.start)


def _open_input(shell: Shell, target: str) -> bytes:
    if _device(shell, target) is not None:
        return b""
    try:
        _, entry = lookup(shell.io.tree, target, shell.io.cwd)
    except FsError as error:
        reason = "no such file" if error.reason.startswith("No such") else error.reason
        raise RedirectError(f"can't open {target}: {reason}") from None
    return entry.data
