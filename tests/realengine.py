"""Pytest fixtures for tests that need a reachable real Docker engine (``DOCKER_HOST``).

Without one the tests are skipped with a visible reason, unless ``LAYERLAB_REQUIRE_REAL=1``,
which turns the skip into a failure (for CI jobs that start ``scripts/real-engine``).

Use from a test module with ``from tests.realengine import real_engine, docker_cli  # noqa``
or from a conftest via ``pytest_plugins = ["tests.realengine"]``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.engine.real.engine import RealEngine

REAL_ENGINE = Path(__file__).resolve().parents[1] / "scripts" / "real-engine"
REGISTRY_PORT = 5000


def _unavailable(reason: str) -> None:
    if os.environ.get("LAYERLAB_REQUIRE_REAL") == "1":
        pytest.fail(f"LAYERLAB_REQUIRE_REAL=1 but {reason}")
    pytest.skip(reason)


def reachable_real_engine() -> RealEngine:
    """The engine at DOCKER_HOST, or skip/fail the calling test with the reason."""
    host = os.environ.get("DOCKER_HOST")
    if not host:
        _unavailable("no real engine: DOCKER_HOST is unset (run `eval $(scripts/real-engine env)`)")
    try:
        engine = RealEngine(host or "", timeout=30)
    except Exception as exc:
        _unavailable(f"no real engine at DOCKER_HOST={host}: {exc}")
        raise
    if not engine.ping():
        _unavailable(f"no real engine answers at DOCKER_HOST={host}")
    return engine


@pytest.fixture(scope="session")
def real_engine() -> RealEngine:
    return reachable_real_engine()


@pytest.fixture(scope="session")
def docker_cli(real_engine: RealEngine) -> str:
    """Path of the real docker CLI to compare against."""
    path = os.environ.get("LAYERLAB_DOCKER_CLI") or shutil.which("docker")
    if not path:
        _unavailable("the real `docker` CLI is not on PATH")
    return path or ""


@contextlib.contextmanager
def registry_port_free() -> Iterator[None]:
    """Lessons 05 and 06 and exercise 05 start a registry container on port 5000 of this
    machine, where the real engine's registry (``scripts/real-engine``) listens while the
    real-engine tests run: it is stopped meanwhile and started again, empty, afterwards."""
    stopped = False
    if _answers(REGISTRY_PORT):
        subprocess.run([str(REAL_ENGINE), "stop-registry"], check=True, capture_output=True,
                       timeout=60)  # fmt: skip
        stopped = True
    try:
        yield
    finally:
        if stopped:
            subprocess.run([str(REAL_ENGINE), "reset-registry"], check=True,
                           capture_output=True, timeout=120)  # fmt: skip


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True
