"""The container monitor: a small process of its own that keeps a detached program running.

``docker run -d`` of a real program must outlive the command (and the notebook kernel) that
started it, as a container outlives the docker CLI. No daemon runs for the simulator, so each
such program gets a monitor, as Podman's conmon: started in a session of its own, it runs the
confined program, appends what it writes to ``log`` (one JSON record a chunk, stamped with the
time it arrived), writes the program's host PID to ``child.json`` (for ``stop`` and ``kill``),
and its exit code and time to ``exit.json`` when it ends. The engine reads these files whenever
it looks at the container (:mod:`.live`). If the container's directory disappears (the container
was removed, or the state reset), the monitor kills the program and ends: nothing is orphaned.

Run as ``python -m layerlab.engine.sim.runtimes.monitor DIRECTORY``; ``job.json`` there holds
the command line and limits.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from layerlab.engine.sim.runtimes import confinement, streams

LOG_LIMIT = 64 << 20  # what one container may log: past it, output is dropped (and said so)


def _write_atomically(path: Path, data: object) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def run(directory: Path) -> int:
    job = json.loads((directory / "job.json").read_text())
    info_read, info_write = os.pipe()
    command = [job["command"][0], "--info-fd", str(info_write), *job["command"][1:]]
    terminal = frozenset(job.get("terminal") or ())
    # A terminal (-t) turns newlines into CRLF itself, as runc's does: the log keeps that.
    master, slave = streams.open_terminal(onlcr=True) if terminal else (-1, -1)
    # An open stdin (-i, -t) that nobody writes to, as the daemon keeps it; else none.
    stdin = subprocess.PIPE if job.get("stdin_open") else subprocess.DEVNULL
    fd0, fd1, fd2 = streams.standard_streams(terminal, slave, stdin)
    process = subprocess.Popen(
        command,
        stdin=fd0,
        stdout=fd1,
        stderr=fd2,
        pass_fds=(info_write, *job.get("pass_fds", ())),
        # The confined program's limits, without a wall clock: it runs until it is stopped.
        preexec_fn=_program_setup(
            confinement.Limits(0.0, job["cpu_seconds"], job["memory_bytes"], LOG_LIMIT)
        ),
    )
    os.close(info_write)
    for fd in job.get("pass_fds", ()):
        os.close(fd)
    if terminal:
        os.close(slave)
    with os.fdopen(info_read) as info:
        child = json.loads(info.read() or "{}").get("child-pid")
    _write_atomically(directory / "child.json", {"pid": child, "bwrap": process.pid})
    outputs = {master: 1} if terminal else {}
    if process.stdout is not None:
        outputs[process.stdout.fileno()] = 1
    if process.stderr is not None:
        outputs[process.stderr.fileno()] = 2
    selector = selectors.DefaultSelector()
    for fileno in outputs:
        selector.register(fileno, selectors.EVENT_READ)
    logged = 0
    with open(directory / "log", "ab", buffering=0) as log:
        while outputs:
            if not directory.exists():  # removed with its container: end the program too
                process.kill()
                break
            for key, _ in selector.select(1.0):
                fileno = int(key.fd)
                try:
                    data = os.read(fileno, 65536)
                except OSError:  # a terminal whose every slave is closed: the program ended
                    data = b""
                if not data:
                    selector.unregister(fileno)
                    del outputs[fileno]
                    continue
                if logged > LOG_LIMIT:
                    continue
                logged += len(data)
                if logged > LOG_LIMIT:
                    data = b"\nLayerLab: this container's log reached 64 MiB; the rest is dropped\n"
                record = {"fd": outputs[fileno], "t": time.time(), "data": _b64(data)}
                log.write(json.dumps(record).encode() + b"\n")
    code = process.wait()
    if code < 0:
        code = 128 - code
    with contextlib.suppress(OSError):
        _write_atomically(directory / "exit.json", {"code": code, "t": time.time()})
    return 0


def _program_setup(limits: confinement.Limits) -> Callable[[], None]:
    """What runs between fork and exec of the program's sandbox: its limits, and the signals
    this monitor ignores given back their default action. An ignored signal stays ignored
    across exec, and a Python started with SIGINT ignored never turns it into
    KeyboardInterrupt: ``docker kill -s INT`` (or a forwarded Ctrl-C) would do nothing."""
    limit = confinement.limit_resources(limits)

    def apply() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        limit()

    return apply


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the notebook is not for us
    return run(Path(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
