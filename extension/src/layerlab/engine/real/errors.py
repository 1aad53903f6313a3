"""The real daemon's errors as LayerLab's: an HTTP status becomes the matching
``layerlab.engine.errors`` exception with the daemon's exact message; an unreachable daemon
becomes ``EngineUnavailable`` with a hint on how to start one or switch to the simulator."""

from __future__ import annotations

import docker.errors
import requests

from layerlab.engine.errors import (
    Conflict,
    EngineError,
    EngineUnavailable,
    InvalidArgument,
    NotFound,
    NotModified,
)

_BY_STATUS: dict[int, type[EngineError]] = {
    304: NotModified, 400: InvalidArgument, 404: NotFound, 409: Conflict,
}  # fmt: skip


def unavailable(base_url: str, exc: Exception) -> EngineUnavailable:
    return EngineUnavailable(
        f"Cannot connect to the Docker daemon at {base_url}. Is the docker daemon running?\n"
        "LayerLab: start a real engine (for example `scripts/real-engine start`, then set "
        "DOCKER_HOST), or use the simulated engine with `%docker_engine sim` "
        f"(or LAYERLAB_ENGINE=sim). Cause: {exc}"
    )


def translate(exc: Exception, base_url: str) -> Exception:
    """The LayerLab error for an exception raised by docker-py/requests (others unchanged)."""
    if isinstance(exc, docker.errors.APIError):
        status = exc.response.status_code if exc.response is not None else 500
        message = exc.explanation
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        text = str(message if message is not None else exc).strip()
        return _BY_STATUS.get(status, EngineError)(text, status)
    if isinstance(exc, (requests.exceptions.ConnectionError, docker.errors.DockerException)):
        return unavailable(base_url, exc)
    return exc
