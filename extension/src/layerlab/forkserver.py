"""The quick terminal command: ``layerlab docker …`` handed to a warm process that forks.

A fresh Python spends about 110 ms importing LayerLab before a command starts, while the
command itself then takes 1 to 3 ms (``images``, ``run --rm busybox echo hi``). Docker's CLI is
quick because its daemon is already running; LayerLab does the same with a fork server: one
background process per LayerLab home (``<home>/cli.sock``) that has imported everything once,
and forks a child for each command.

The child is the command as a fresh process would run it: it gets the client's own stdin,
stdout and stderr (passed over the socket, so terminals stay terminals), its working
directory, environment and arguments, and runs ``layerlab.__main__.main``. The client forwards
the signals it gets (Ctrl-C) to the child and exits with the child's code; when the client dies
(``kill -9``), the child is killed too, as the one process it stands for would be.

The server starts on the first command that finds none (that command runs in its own process,
as before), runs as the user, accepts only the user's own connections, and leaves when its
home is removed, when LayerLab's code changes under it, or after 15 idle minutes.
``LAYERLAB_FORKSERVER=0`` turns it off. This module's client half imports only the standard
library, so that asking costs little.
"""

from __future__ import annotations

import _signal  # not ``signal``/``socket``: their enums cost the client a few ms each
import _socket
import marshal
import os
import struct
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs the client about 10 ms
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import TextIO

IDLE_SECONDS = 15 * 60
_HEADER = struct.Struct("!I")  # the request's length, before its JSON
_FORWARDED = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT)
_LOCKS: list[TextIO] = []  # the server's lock file, which its children must not keep


def socket_path() -> str:
    """Where the fork server of the current LayerLab home listens (as ``engine.home`` finds
    the home, without importing it)."""
    home = os.environ.get("LAYERLAB_HOME")
    if not home:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(
            os.path.expanduser("~"), ".local", "share"
        )
        home = os.path.join(base, "layerlab")
    return os.path.join(os.path.abspath(home), "cli.sock")


def enabled() -> bool:
    return (
        os.environ.get("LAYERLAB_FORKSERVER", "1") != "0"
        and hasattr(os, "fork")
        and hasattr(_socket, "AF_UNIX")
        and hasattr(_socket, "SCM_RIGHTS")
    )


def _code_key() -> str:
    """Which LayerLab a process runs: the interpreter and where the package lives."""
    package = os.path.dirname(os.path.abspath(__file__))
    return f"{sys.executable}\0{package}"


# -- the client ---------------------------------------------------------------------------------


def run(args: list[str]) -> int | None:
    """Run ``layerlab ARGS`` in a child of the fork server: its exit code, or None when there
    is no server to ask (one is started for the next command) or it cannot take this one."""
    if not enabled():
        return None
    path = socket_path()
    if len(path.encode()) > 100:  # beyond what a Unix socket address holds
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return None  # a closed standard stream: nothing to hand over
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.connect(path)
    except OSError:
        client.close()
        _trace(f"client {os.getpid()} runs here, no server yet: {args!r}")
        _start_server(path)
        return None
    _trace(f"client {os.getpid()} asks {args!r}")
    try:
        try:
            # marshal, not json: a builtin, and it keeps lone surrogates (bytes not UTF-8).
            request = marshal.dumps(
                {"argv": args, "cwd": os.getcwd(), "env": dict(os.environ), "key": _code_key()}
            )
            data = _HEADER.pack(len(request)) + request
            fds = struct.pack("3i", 0, 1, 2)
            sent = client.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
            if sent < len(data):  # a large environment may not go in one piece
                # Never an empty send: once the request is whole, the child may already have
                # run and the server closed the connection, and a send of nothing then fails
                # (EPIPE), which would make this command run a second time here.
                client.sendall(data[sent:])
            first = _receive(client, 5)
        except OSError as error:  # the working directory is gone, or the server went away
            _trace(f"client {os.getpid()} runs here: {error!r} {args!r}")
            return None
        if first is None:
            _trace(f"client {os.getpid()} runs here: no reply {args!r}")
            return None  # refused before any child ran (its code changed): it runs here
        if first[:1] == b"X":  # killed before it could say who it is
            return int(struct.unpack("!i", first[1:])[0])
        pid = struct.unpack("!I", first[1:])[0]
        for number in _FORWARDED:
            _signal.signal(number, lambda signum, _frame: _forward(pid, signum))
        last = _receive(client, 5)
    finally:
        client.close()
    if last is None or last[:1] != b"X":
        return 137  # the child vanished without a word: killed
    return int(struct.unpack("!i", last[1:])[0])


def _trace(event: str) -> None:
    """One line in the file ``LAYERLAB_FORKSERVER_TRACE`` names, when it names one: what the
    client and the children did, for finding out why a command's output came twice."""
    target = os.environ.get("LAYERLAB_FORKSERVER_TRACE")
    if target:
        try:
            with open(target, "a") as trace:
                trace.write(event + "\n")
        except OSError:
            pass


def _forward(pid: int, signum: int) -> None:
    """To the command's process group, as a terminal sends Ctrl-C to its foreground group."""
    try:  # noqa: SIM105 (contextlib is one import more for every terminal command)
        os.killpg(pid, signum)
    except OSError:
        pass


def _receive(connection: _socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = connection.recv(size - len(data))
        except InterruptedError:
            continue
        if not chunk:
            return None
        data += chunk
    return data


def _start_server(path: str) -> None:
    """Start a fork server for the next commands, detached from this one."""
    import subprocess

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.Popen(
            [sys.executable, "-m", "layerlab", "forkserver", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        pass


# -- the server ---------------------------------------------------------------------------------


def serve(path: str, main: Callable[[list[str]], int]) -> int:
    """Listen at ``path`` and run each request's ``main(argv)`` in a forked child."""
    import fcntl
    import socket
    import time

    os.makedirs(os.path.dirname(path), exist_ok=True)
    lock = open(path + ".lock", "w")  # noqa: SIM115 (held for the server's life)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another server of this home runs
    _LOCKS.append(lock)
    _warm_up()
    if os.path.lexists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    listener.settimeout(0.2)
    identity = os.stat(path).st_ino
    signature = _signature()
    children: dict[int, socket.socket] = {}
    last_request = time.monotonic()
    try:
        while True:
            _reap(children)
            if not _still_ours(path, identity):
                break
            if not children and time.monotonic() - last_request > IDLE_SECONDS:
                break
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            last_request = time.monotonic()
            _accept(connection, listener, children, main)
            # Checked after the fork, while the child runs: a change means the server goes,
            # and the next command starts a new one on the new code.
            if _signature() != signature:
                break
    finally:
        listener.close()
        if _still_ours(path, identity):
            os.unlink(path)
    return 0


def _accept(
    connection: socket.socket,
    listener: socket.socket,
    children: dict[int, socket.socket],
    main: Callable[[list[str]], int],
) -> None:
    import socket

    connection.settimeout(5)
    fds: list[int] = []
    try:
        credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        client, uid, _ = struct.unpack("3i", credentials)
        if uid != os.getuid():
            connection.close()
            return
        data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
        size = _HEADER.unpack(data[: _HEADER.size])[0]
        data = data[_HEADER.size :]
        while len(data) < size:
            chunk = connection.recv(size - len(data))
            if not chunk:
                raise OSError("request cut short")
            data += chunk
        request = marshal.loads(data)
        if request.get("key") != _code_key() or len(fds) != 3:
            raise OSError("not this LayerLab")
        request["client"] = client
    except (OSError, ValueError, EOFError, TypeError):
        for fd in fds:
            os.close(fd)
        connection.close()
        return
    connection.settimeout(None)
    pid = os.fork()
    if pid == 0:
        listener.close()
        for other in children.values():
            other.close()
        _child(connection, fds, request, main)  # never returns
    for fd in fds:
        os.close(fd)
    children[pid] = connection


def _reap(children: dict[int, socket.socket]) -> None:
    """Collect ended children; one killed by a signal cannot say so, so the server does."""
    import contextlib

    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        if os.WIFSIGNALED(status):
            with contextlib.suppress(OSError):
                connection.sendall(b"X" + struct.pack("!i", 128 + os.WTERMSIG(status)))
        connection.close()


def _child(
    connection: socket.socket,
    fds: list[int],
    request: dict[str, object],
    main: Callable[[list[str]], int],
) -> None:
    """Become the command: the client's streams, place, environment and arguments."""
    import contextlib

    code = 1
    try:
        for lock in _LOCKS:  # the server's lock is the server's alone
            lock.close()
        connection.sendall(b"P" + struct.pack("!I", os.getpid()))  # first, before anything
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])  # type: ignore[arg-type]
        argv = [str(arg) for arg in request["argv"]]  # type: ignore[attr-defined]
        sys.argv = ["layerlab", *argv]
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        # As a fresh Python opens them: stdout line-buffered on a terminal, stderr always.
        sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
        for number in _FORWARDED:
            _signal.signal(number, _signal.SIG_DFL)
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        _die_with_client(connection)
        _trace(f"child {os.getpid()} for client {request.get('client')} starts {argv!r}")
        code = main(argv)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            _trace(f"child {os.getpid()} ends with {code}")
            with contextlib.suppress(OSError):
                connection.sendall(b"X" + struct.pack("!i", code))
        finally:
            # Whatever happened above (a signal while answering), the child never goes back
            # into the server's loop, nor runs Python's exit (which would flush streams again).
            os._exit(code & 0xFF)


def _die_with_client(connection: socket.socket) -> None:
    """When the client goes (killed, or its terminal closed), so does the command."""
    import threading

    def watch() -> None:
        try:
            while connection.recv(64):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), _signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _still_ours(path: str, identity: int) -> bool:
    try:
        return os.stat(path).st_ino == identity
    except OSError:
        return False


def _signature() -> tuple[int, float]:
    """LayerLab's own files, counted and dated: a change means the server must go."""
    import contextlib

    package = os.path.dirname(os.path.abspath(__file__))
    count, newest = 0, 0.0
    for folder, folders, files in os.walk(package):
        folders[:] = [name for name in folders if name != "__pycache__"]  # Python's, not ours
        for name in files:  # code, help texts, messages, the Hub's data
            count += 1
            with contextlib.suppress(OSError):
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return count, newest


def _warm_up() -> None:
    """Import what commands use and read the help texts, once, in the server: its children
    start with all of it (the notebook's parts, magics and pictures, are left out)."""
    import contextlib
    import importlib
    import pkgutil

    importlib.import_module("layerlab.session")
    for package in ("layerlab.cli", "layerlab.engine"):
        module = importlib.import_module(package)
        for found in pkgutil.walk_packages(module.__path__, package + "."):
            # An optional part (the real engine's SDK) may not be installed.
            with contextlib.suppress(ImportError):
                importlib.import_module(found.name)
    from layerlab.cli import grammar

    for profile in ("", "26.1"):  # each CLI's help texts, where its flags are defined
        token = grammar.CLI_PROFILE.set(profile)
        for command in grammar.TOP_COMMANDS.values():
            command.flagset()
        for group in grammar.GROUPS.values():
            grammar.read_help(group.help_file)
            for command in group.commands.values():
                command.flagset()
        grammar.CLI_PROFILE.reset(token)
