"""A confined program's streams: the pipes bwrap reads small files from, the pseudo-terminal
of ``-t``, which of fds 0, 1 and 2 get the terminal, and the pump that feeds stdin and reads
the outputs until the program ends or a limit stops it (:mod:`.confinement` starts it)."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import termios
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.engine.sim.runtimes.confinement import Limits


def file_pipes(files: Mapping[str, bytes]) -> dict[str, int]:
    """For each file, the read end of a pipe that holds its (small) contents, for bwrap's
    ``--file``; the caller passes them on and closes them."""
    fds = {}
    for target, data in files.items():
        read, write = os.pipe()
        os.set_inheritable(read, True)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)  # far below a pipe's 64 KiB: never blocks
        fds[target] = read
    return fds


def open_terminal(onlcr: bool) -> tuple[int, int]:
    """A pseudo-terminal (master, slave) for a program's terminal. ``onlcr``: the terminal turns
    each newline into CRLF itself (runc's default); off where LayerLab does it for the whole
    output of a run, the simulated programs' too (``containers.runtime.on_terminal``)."""
    master, slave = os.openpty()
    if not onlcr:
        attributes = termios.tcgetattr(slave)
        attributes[1] &= ~termios.ONLCR
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
    return master, slave


def standard_streams(terminal: frozenset[int], slave: int, stdin: int) -> tuple[int, int, int]:
    """What the program gets as fds 0, 1 and 2: the terminal's slave for those in
    ``terminal``, else ``stdin`` and pipes."""
    return (
        slave if 0 in terminal else stdin,
        slave if 1 in terminal else subprocess.PIPE,
        slave if 2 in terminal else subprocess.PIPE,
    )


def read_report(fd: int) -> int:
    with os.fdopen(fd, "rb") as report:
        text = report.read().decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else 0


def pump(
    process: subprocess.Popen[bytes],
    terminal: int,
    stdin: bytes,
    keep_stdin_open: bool,
    on_output: Callable[[int, bytes], None],
    limits: Limits,
    forward_interrupt: bool = False,
) -> str | None:
    """Feed stdin and read the outputs (``terminal``: a pseudo-terminal's master, or -1) until
    the program ends or a limit stops it. Input for a terminal is left out: nothing types
    there (the CLI refuses -i with -t where its own input is no terminal).

    A first Ctrl-C (KeyboardInterrupt) is handed to the program as SIGINT when it is the main
    process of a container a client waits for (``forward_interrupt``), as the docker CLI
    forwards it, and the program decides how it ends; a second one stops it ("interrupt"),
    where the docker CLI would leave it running: the simulator runs it inside the command.
    Elsewhere a Ctrl-C ends the run at once (the caller kills the program)."""
    deadline = time.monotonic() + limits.wall_seconds
    selector = selectors.DefaultSelector()
    streams = {terminal: 1} if terminal >= 0 else {}
    if process.stdout is not None:
        streams[process.stdout.fileno()] = 1
    if process.stderr is not None:
        streams[process.stderr.fileno()] = 2
    for fileno in streams:
        os.set_blocking(fileno, False)
        selector.register(fileno, selectors.EVENT_READ)
    pending = memoryview(stdin)
    writer: int | None = process.stdin.fileno() if process.stdin is not None else None
    if writer is not None and pending:
        os.set_blocking(writer, False)
        selector.register(writer, selectors.EVENT_WRITE)
    elif writer is not None and not keep_stdin_open:
        assert process.stdin is not None
        process.stdin.close()
        writer = None
    written = 0
    open_streams = len(streams)
    interrupted = False
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kill(process)
                return "time"
            try:
                ready = selector.select(min(remaining, 1.0))
            except KeyboardInterrupt:
                if not forward_interrupt:
                    raise
                if interrupted:
                    kill(process)
                    return "interrupt"
                interrupted = True
                interrupt(process)
                continue
            for key, _ in ready:
                fileno = int(key.fd)
                if fileno == writer:
                    try:
                        sent = os.write(fileno, pending[:65536])
                    except (BrokenPipeError, BlockingIOError) as error:
                        sent = 0 if isinstance(error, BlockingIOError) else len(pending)
                    pending = pending[sent:]
                    if not pending:
                        selector.unregister(fileno)
                        if not keep_stdin_open and process.stdin is not None:
                            process.stdin.close()
                            writer = None
                    continue
                try:
                    data = os.read(fileno, 65536)
                except BlockingIOError:
                    continue
                except OSError:  # a terminal whose every slave is closed: the program ended
                    data = b""
                if not data:
                    selector.unregister(fileno)
                    open_streams -= 1
                    continue
                written += len(data)
                if written > limits.output_bytes:
                    kill(process)
                    return "output"
                on_output(streams[fileno], data)
        # Both outputs are closed; the program may still be running (it closed them itself).
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill(process)
            return "time"
        return None
    finally:
        selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if terminal >= 0:
            os.close(terminal)


def interrupt(process: subprocess.Popen[bytes]) -> None:
    """SIGINT to the sandbox's main program: the child of bubblewrap (``process``), PID 1 of its
    namespace, which ignores it unless it has a handler, as any PID 1 does. (A kernel without
    /proc's children lists names none: then only the second Ctrl-C acts, and stops it.)"""
    try:
        with open(f"/proc/{process.pid}/task/{process.pid}/children") as listed:
            children = [int(pid) for pid in listed.read().split()]
    except (OSError, ValueError):
        return  # ended meanwhile
    for pid in children:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGINT)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the program and everything in its sandbox (its session), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
