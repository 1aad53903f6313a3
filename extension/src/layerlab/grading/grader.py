"""Grades one submission: run it in a fresh kernel against a fresh engine, then check the
engine's state from here, outside the learner's kernel.

The learner's code can change anything in its own kernel (even monkeypatch
``layerlab.grading``), but the checks that count run in this process, whose modules were all
imported before the submission started, on a private copy of the state it left.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from layerlab.engine.api import Engine
from layerlab.engine.sim.engine import SimEngine, remove_every_container, state_path
from layerlab.grading import checks as _checks  # noqa: F401  (imported before any submission runs)
from layerlab.grading.cleanup import remove_resources
from layerlab.grading.model import CheckResult, Context, Exercise, run_task
from layerlab.grading.tasks import EXERCISES, find_exercise

GRACE_SECONDS = 15.0  # kernel start and shutdown, beyond the learner's time limit


@dataclass
class SubmissionResult:
    path: str
    exercise: Exercise | None
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return self.exercise.max_score if self.exercise else 0.0


def identify_exercise(path: Path, nb: Any | None, explicit: str | None) -> Exercise:
    """``--exercise``, else the notebook's ``layerlab.exercise`` metadata, else its file name."""
    if explicit:
        return find_exercise(explicit)
    declared = ((nb or {}).get("metadata", {}).get("layerlab") or {}).get("exercise")
    if isinstance(declared, str) and declared in EXERCISES:
        return EXERCISES[declared]
    return find_exercise(path.name)


def grade(
    path: Path,
    engine: str = "sim",
    timeout: float = 120.0,
    exercise_id: str | None = None,
) -> SubmissionResult:
    """Grade one notebook; every failure becomes a note and a score, never an exception."""
    started = time.monotonic()
    result = SubmissionResult(str(path), None)
    nb = None
    try:
        nb = _read_notebook(path)
    except Exception as exc:
        result.notes.append(f"the notebook could not be read: {exc}"[:300])
    try:
        result.exercise = identify_exercise(path, nb, exercise_id)
    except KeyError as err:
        result.notes.append(str(err.args[0]))
        return result
    # The simulator binds published ports on this machine for real: one submission at a time.
    ports = result.exercise.resources.ports if engine == "sim" else ()
    with _ports_held(ports), tempfile.TemporaryDirectory(prefix="layerlab-grade-") as scratch:
        try:
            busy = [port for port in ports if not _port_free(port)]
            if busy:
                reason = (
                    f"port {busy[0]} of this machine is in use by another program, and the "
                    "notebook publishes it: free it and grade again"
                )
                result.notes.append(reason)
                result.results = _all_failed(result.exercise, reason)
            else:
                _run_and_check(Path(scratch), path, nb, result, engine, timeout)
        finally:
            if engine == "sim":
                remove_every_container(Path(scratch) / "layerlab")
    result.seconds = time.monotonic() - started
    return result


def _read_notebook(path: Path) -> Any:
    from layerlab.grading._imports import skip_slow_optional_imports

    skip_slow_optional_imports()
    import nbformat

    return nbformat.read(path, as_version=4)


def _run_and_check(
    scratch: Path, path: Path, nb: Any, result: SubmissionResult, kind: str, timeout: float
) -> None:
    exercise = result.exercise
    assert exercise is not None
    real = _real_engine() if kind == "real" else None
    preexisting: frozenset[str] = frozenset()
    if real is not None:
        remove_resources(real, exercise.resources)
        preexisting = frozenset(image["Id"] for image in real.images(all=True))
    if nb is not None:
        result.notes.extend(_execute(scratch, path, kind, timeout))
    try:
        engine = (
            real
            if real is not None
            else _private_copy(scratch, exercise, result, ran=nb is not None)
        )
        context = Context(engine, preexisting)
        for task in exercise.tasks:
            result.results.extend(run_task(task, context, include_hidden=True))
    except Exception as exc:  # an unreadable state: every check fails, with the reason
        result.notes.append(f"the engine state could not be read: {exc}"[:300])
        result.results = _all_failed(exercise, "the engine state could not be read")
    finally:
        if real is not None:
            remove_resources(real, exercise.resources, created_after=preexisting)


@contextlib.contextmanager
def _ports_held(ports: tuple[int, ...]) -> Iterator[None]:
    """While one submission publishes ``ports`` (its containers bind them on this machine),
    no other grading of this machine runs a notebook that publishes them too: a lock file per
    port, taken in order."""
    with contextlib.ExitStack() as stack:
        for port in sorted(set(ports)):
            path = Path(tempfile.gettempdir()) / f"layerlab-grade-port-{port}.lock"
            try:  # read-only: another user's lock file locks as well as one's own
                lock = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                lock = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
            stack.callback(os.close, lock)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _port_free(port: int) -> bool:
    """Whether a program could bind ``port`` on this machine's loopback now."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _real_engine() -> Engine:
    from layerlab.engine.real.engine import RealEngine

    return RealEngine.from_env()


def _all_failed(exercise: Exercise, reason: str) -> list[CheckResult]:
    return [CheckResult(t, c, False, reason) for t in exercise.tasks for c in t.checks]


def _environment(scratch: Path, kind: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAYERLAB_")}
    for name in ("home", "runtime", "ipython", "layerlab", "tmp"):
        (scratch / name).mkdir(exist_ok=True)
    env.update(
        HOME=str(scratch / "home"),
        JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
        IPYTHONDIR=str(scratch / "ipython"),
        TMPDIR=str(scratch / "tmp"),
        LAYERLAB_HOME=str(scratch / "layerlab"),
        LAYERLAB_ENGINE=kind,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _execute(scratch: Path, path: Path, kind: str, timeout: float) -> list[str]:
    work = scratch / "work"
    work.mkdir()
    source = scratch / "submission.ipynb"
    shutil.copyfile(path, source)
    status_file, pid_file = scratch / "status.json", scratch / "kernel.pid"
    executed = scratch / "executed.ipynb"
    command = [
        sys.executable, "-m", "layerlab.grading.runner", str(source), str(executed),
        "--cwd", str(work), "--timeout", str(timeout),
        "--status", str(status_file), "--pid-file", str(pid_file),
    ]  # fmt: skip
    runner = subprocess.Popen(
        command,
        env=_environment(scratch, kind),
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    notes: list[str] = []
    try:
        runner.wait(timeout=timeout + GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        notes.append(f"time limit of {timeout:g} s reached; graded what was built by then")
        _kill_group(runner.pid)
        runner.wait()
    _kill_group(_read_pid(pid_file))  # the kernel, and whatever it left running
    _kill_group(runner.pid)
    try:
        notes.extend(json.loads(status_file.read_text(encoding="utf-8"))["notes"])
    except Exception:  # no status: the runner itself was killed (by the learner's code?)
        if not notes:
            notes.append(
                f"the notebook runner stopped early (exit {runner.returncode}); "
                "graded what was built by then"
            )
    return [str(note) for note in notes]


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _kill_group(pid: int | None) -> None:
    if not pid or pid <= 1:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)


def _private_copy(scratch: Path, exercise: Exercise, result: SubmissionResult, ran: bool) -> Engine:
    """The exercise's simulated state, copied where the learner's processes cannot reach it
    (they are gone by now, but a copy also keeps checks from writing into the submission's)."""
    learner = state_path(scratch / "layerlab", exercise.state)
    grader_home = scratch / "grader"
    copy = state_path(grader_home, exercise.state)
    copy.parent.mkdir(parents=True, exist_ok=True)
    if not learner.exists() and ran:
        result.notes.append(f"the notebook left no engine state named {exercise.state!r}")
    for suffix in ("", "-wal", "-shm"):
        original = learner.with_name(learner.name + suffix)
        if original.exists():
            shutil.copyfile(original, copy.with_name(copy.name + suffix))
    return cast("Engine", SimEngine(home=grader_home, state=exercise.state))
