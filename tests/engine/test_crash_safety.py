"""Crashes and concurrency: a killed command loses nothing that was reported done, leaves a
consistent state, and two processes sharing one state never corrupt it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layerlab.engine.sim.engine import SimEngine, state_path


def layerlab(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_ENGINE": "sim"}
    return subprocess.run(
        [sys.executable, "-m", "layerlab", "docker", *args],
        env=env, capture_output=True, text=True, check=check, timeout=120,
    )  # fmt: skip


def start_layerlab(home: Path, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_ENGINE": "sim"}
    return subprocess.Popen(
        [sys.executable, "-m", "layerlab", "docker", *args],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def kill_when_busy(process: subprocess.Popen[str], home: Path) -> None:
    """SIGKILL the process once it holds the state's write lock, i.e. mid-command."""
    db = state_path(home, "default")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        probe = sqlite3.connect(db, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError:  # locked: the command is inside its transaction
            time.sleep(0.2)
            break
        finally:
            probe.close()
        time.sleep(0.02)
    assert process.poll() is None, "the command finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def assert_healthy(home: Path) -> None:
    connection = sqlite3.connect(state_path(home, "default"))
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def slow_dockerfile(context: Path) -> None:
    context.mkdir()
    steps = "\n".join(f"RUN echo step {i} > /step{i}.txt" for i in range(400))
    (context / "Dockerfile").write_text(f"FROM busybox\n{steps}\n")


@pytest.mark.slow
def test_killed_build_leaves_earlier_work_and_a_usable_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    layerlab(home, "tag", "busybox", "kept:1")
    layerlab(home, "run", "--name", "kept-container", "busybox", "sh", "-c", "echo hi > /f")
    slow_dockerfile(tmp_path / "ctx")
    build = start_layerlab(home, "build", "-t", "half:1", str(tmp_path / "ctx"))
    kill_when_busy(build, home)

    assert_healthy(home)
    images = layerlab(home, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert "kept:1" in images and "half:1" not in images
    # Nothing half-built: every image's layers exist, and every layer has its blob.
    engine = SimEngine(home=home)
    for image in engine.images(all=True):
        engine.history(image["Id"])
    assert layerlab(home, "diff", "kept-container").stdout == "A /f\n"
    assert layerlab(home, "run", "--rm", "busybox", "echo", "still works").stdout == "still works\n"


@pytest.mark.slow
def test_killed_run_leaves_a_consistent_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    layerlab(home, "run", "--name", "before", "busybox", "true")
    busy = "i=0; while [ $i -lt 15000 ]; do i=$((i+1)); echo $i > /counter; done"
    run = start_layerlab(home, "run", "--name", "interrupted", "busybox", "sh", "-c", busy)
    kill_when_busy(run, home)

    assert_healthy(home)
    names = layerlab(home, "ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.splitlines()
    assert any(line.startswith("before Exited (0)") for line in names)
    # The interrupted container exists only as created (its start never committed), or not at all.
    for line in names:
        if line.startswith("interrupted"):
            assert line == "interrupted Created"
    assert layerlab(home, "rm", "-f", "interrupted", check=False).returncode in (0, 1)
    assert layerlab(home, "run", "--rm", "busybox", "echo", "ok").stdout == "ok\n"


def test_two_processes_share_one_state(tmp_path: Path) -> None:
    home = tmp_path / "home"
    layerlab(home, "images", "-q")  # create the state before the race
    script = (
        "import sys\n"
        "from layerlab.session import Session\n"
        "session = Session(engine_name='sim')\n"
        "who = sys.argv[1]\n"
        "for i in range(25):\n"
        "    assert session.run(['run', '--name', f'{who}-{i}', 'busybox', 'true']).ok\n"
        "    assert session.run(['tag', 'busybox', f'{who}:{i}']).ok\n"
    )
    env = {**os.environ, "LAYERLAB_HOME": str(home)}
    workers = [
        subprocess.Popen([sys.executable, "-c", script, who], env=env, stderr=subprocess.PIPE)
        for who in ("left", "right")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err.decode()
    assert_healthy(home)
    names = set(layerlab(home, "ps", "-a", "--format", "{{.Names}}").stdout.split())
    tags = set(layerlab(home, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())
    for who in ("left", "right"):
        assert {f"{who}-{i}" for i in range(25)} <= names
        assert {f"{who}:{i}" for i in range(25)} <= tags
