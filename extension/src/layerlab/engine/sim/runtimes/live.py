"""Programs that keep running after ``docker run -d``: starting their monitor, and reading what
it records, for the container store.

A live container's files are its materialised root, where its program runs; the monitor
(:mod:`.monitor`) keeps the program and records its output and exit. ``settle`` brings the
container's record up to date: new output into the log, and once the program has ended, what it
wrote into the writable layer, its exit code and time. While it runs, the root and the
container's record are kept one set of files, as Docker's overlay is: ``snapshot`` takes what
the program wrote so far into the record (for ``diff``, ``cp``, ``commit``, ``exec``), and
``write_through`` writes into the root what changed beside the program (an exec'd simulated
shell, ``cp`` into the container).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from layerlab.engine.sim.programs.applets.base import RunsLive
from layerlab.engine.sim.runtimes import confinement, rootfs, streams
from layerlab.engine.sim.store.fs import Entry, Tree, changes_to_tar, tar_to_changes


def launch(
    job: confinement.Job, made: rootfs.Materialised, directory: Path, stdin_open: bool
) -> None:
    """Start ``job`` under a monitor of its own, and raise :class:`RunsLive` for the caller."""
    bwrap, description = confinement.probe()
    if bwrap is None:
        raise confinement.Unavailable(description.removeprefix("none: "))
    confinement.check_user(job)
    limits = confinement.Limits.default()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    file_fds = streams.file_pipes(job.dev_files)
    try:
        command = confinement.command(bwrap, job, file_fds=file_fds)
        (directory / "job.json").write_text(json.dumps({
            "command": command,
            "pass_fds": sorted(file_fds.values()),  # the monitor inherits them, passes them on
            "stdin_open": stdin_open,
            "terminal": sorted(job.terminal),
            "memory_bytes": limits.memory_bytes,
            "cpu_seconds": 24 * 3600,  # a server may run all day; memory is what is bounded
        }))  # fmt: skip
        (directory / "made.json").write_text(json.dumps(made.describe()))
        # The files as the program found them: what it changed is measured against these,
        # while the container's own record may change meanwhile (``docker exec`` writes there).
        started_with = {p: e for p, e in made.tree_before.items() if e.kind != "chardev"}
        (directory / "before.tar").write_bytes(changes_to_tar(dict(started_with)))
        with open(directory / "monitor.log", "wb") as errors:
            subprocess.Popen(
                [sys.executable, "-m", "layerlab.engine.sim.runtimes.monitor", str(directory)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # outlives the command, the kernel and its Ctrl-C
                close_fds=True,
                pass_fds=tuple(file_fds.values()),
            )
    finally:
        for fd in file_fds.values():
            os.close(fd)
    raise RunsLive(str(directory))


@dataclass
class Ended:
    code: int
    at: float  # real time


def read_output(directory: Path, offset: int) -> tuple[list[tuple[int, bytes, float]], int]:
    """Output records from byte ``offset`` of the log: ((fd, data, real time), ...), new offset.
    A record still being written is left for the next read."""
    try:
        with open(directory / "log", "rb") as log:
            log.seek(offset)
            data = log.read()
    except OSError:
        return [], offset
    records = []
    complete = data[: data.rfind(b"\n") + 1]
    for line in complete.splitlines():
        record = json.loads(line)
        records.append((int(record["fd"]), base64.b64decode(record["data"]), float(record["t"])))
    return records, offset + len(complete)


def ended(directory: Path) -> Ended | None:
    try:
        status = json.loads((directory / "exit.json").read_text())
    except (OSError, ValueError):
        if not directory.exists() or _monitor_gone(directory):
            return Ended(137, time.time())  # its monitor died (a reboot): the program is gone
        return None
    return Ended(int(status["code"]), float(status["t"]))


def _monitor_gone(directory: Path) -> bool:
    pids = _pids(directory)
    if not pids:
        # Still starting: the monitor writes child.json within moments of its start.
        return time.time() - directory.stat().st_mtime > 30
    return not confinement.process_alive(pids.get("bwrap"))


def _pids(directory: Path) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in json.loads((directory / "child.json").read_text()).items()}
    except (OSError, ValueError, TypeError):
        return {}


def send(directory: Path, signo: int) -> None:
    """Send ``signo`` to the program (PID 1 of its container, which ignores signals it has no
    handler for, except SIGKILL)."""
    for _ in range(50):  # the monitor may still be starting the program
        pid = _pids(directory).get("pid")
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signo)
            return
        if ended(directory) is not None:
            return
        time.sleep(0.02)


def wait_for_end(directory: Path, seconds: float) -> Ended | None:
    deadline = time.monotonic() + seconds
    while True:
        status = ended(directory)
        if status is not None or time.monotonic() >= deadline:
            return status
        time.sleep(0.05)


def stop(directory: Path, timeout: float, signo: int = signal.SIGTERM) -> Ended:
    """Docker's stop: the signal, ``timeout`` seconds (really waited), then SIGKILL."""
    send(directory, signo)
    status = wait_for_end(directory, timeout)
    if status is None:
        send(directory, signal.SIGKILL)
        status = wait_for_end(directory, 10) or Ended(137, time.time())
    return status


def _restore(directory: Path, tree: Tree) -> rootfs.Materialised | None:
    try:
        description = json.loads((directory / "made.json").read_text())
        before = tar_to_changes((directory / "before.tar").read_bytes())
    except (OSError, ValueError):
        return None
    started_with = {path: entry for path, entry in before.items() if entry is not None}
    made = rootfs.Materialised.restore(description, started_with or tree)
    return made if os.path.isdir(made.root) else None


def snapshot(directory: Path, tree: Tree, now: int, uid: int, gid: int) -> None:
    """Bring ``tree`` up to the files the program has written so far (for ``docker exec``)."""
    made = _restore(directory, tree)
    if made is not None:
        rootfs.collect(made, tree, now, uid, gid)


def write_through(directory: Path, before: Tree, after: Tree) -> None:
    """Write into a running program's files what changed beside it, from ``before`` to
    ``after`` (a simulated shell that ``docker exec`` ran, ``docker cp``): in Docker both work
    on the container's one overlay, so the program sees it. What the files hold already (the
    program wrote it itself) is left alone."""
    try:
        description = json.loads((directory / "made.json").read_text())
    except (OSError, ValueError):
        return
    root, owners = str(description["root"]), bool(description.get("owners"))
    access = rootfs.Access.restore(description.get("access"))
    if not os.path.isdir(root):
        return
    for path in sorted((p for p in before if p not in after), reverse=True):
        if not rootfs.skipped(path):
            _remove(root + path)
    missing: dict[str, Entry] = {}
    for path, entry in sorted(after.items()):
        if path == "/" or before.get(path) == entry or rootfs.skipped(path):
            continue
        host = root + path
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            missing[path] = entry
            continue
        ids = (st.st_uid, st.st_gid) if owners else (entry.uid, entry.gid)
        if rootfs.entry_from_host(host, st, entry, entry.mtime, ids, access) == entry:
            continue
        if entry.kind == "dir" and stat.S_ISDIR(st.st_mode):
            if owners:
                os.chown(host, entry.uid, entry.gid)
            os.chmod(host, rootfs.mode_of(entry, access))
            continue
        _remove(host)
        missing[path] = entry
    rootfs.write_entries(root, missing, owners, access)


def _remove(host: str) -> None:
    if os.path.isdir(host) and not os.path.islink(host):
        rootfs.remove_tree(host)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(host)


def root_of(directory: Path) -> str | None:
    """The live container's files, where an exec'd real program runs too."""
    try:
        root = str(json.loads((directory / "made.json").read_text())["root"])
    except (OSError, ValueError, KeyError):
        return None
    return root if os.path.isdir(root) else None


def program_pid(directory: Path) -> int | None:
    return _pids(directory).get("pid")


def finish(directory: Path, tree: Tree, now: int, uid: int, gid: int) -> None:
    """Take what the program wrote into ``tree``, then remove its files and root."""
    made = _restore(directory, tree)
    if made is not None:
        rootfs.collect(made, tree, now, uid, gid)
        made.remove()
    discard(directory)


def discard(directory: Path) -> None:
    """Kill whatever still runs for this container and remove its files."""
    pids = _pids(directory)
    if pids.get("pid") and not (directory / "exit.json").exists():
        send(directory, signal.SIGKILL)
        wait_for_end(directory, 5)  # the monitor reaps it and writes down its end
    bwrap = pids.get("bwrap")
    if bwrap:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(bwrap, signal.SIGKILL)
    with contextlib.suppress(OSError, ValueError):
        root = json.loads((directory / "made.json").read_text())["root"]
        rootfs.Materialised.restore({"root": root}, {}).remove()
    shutil.rmtree(directory, ignore_errors=True)
