"""``docker build`` on a real daemon: the Engine API's build request for either builder, and
BuildKit's messages in the form LayerLab's engines share.

With BuildKit (``POST /build?version=2``) LayerLab's client uploads the context as a tar, where
buildx reaches BuildKit over gRPC and serves the context folder's files in a session. The
daemon's BuildKit reads an uploaded tar as a remote context, so a build's first vertices are
``[internal] load remote build context`` and ``copy /context /`` where buildx shows ``load build
definition``, ``load .dockerignore`` and ``load build context``; the image is named with its tag
made explicit (``…:latest``); and an error comes without the Dockerfile lines it points at (the
gRPC error's source, which the Engine API does not pass on). The rest is the daemon's own solve
status, measured on Engine 26.1 (FIDELITY.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from layerlab.engine.api import TRACE_ID
from layerlab.engine.errors import EngineError
from layerlab.engine.real.solve_status import BadStatus, StatusDecoder

Json = dict[str, Any]


def build_params(
    tags: list[str],
    dockerfile: str,
    nocache: bool,
    pull: bool,
    target: str,
    network: str,
    buildargs: dict[str, str] | None,
    labels: dict[str, str] | None,
    *,
    buildkit: bool,
    quiet: bool,
    rm: bool,
) -> dict[str, Any]:
    """The query of ``POST /build``. docker-py sends one ``t``; the Engine API takes it
    repeated, as the CLI sends it. BuildKit has no intermediate containers to keep or remove,
    and ``-q`` only hides its progress on the client's side."""
    params: dict[str, Any] = {"t": list(tags), "dockerfile": dockerfile, "nocache": nocache,
                              "pull": pull}  # fmt: skip
    if buildkit:
        params["version"] = "2"
    else:
        params.update(q=quiet, rm=rm, forcerm=False)
    if target:
        params["target"] = target
    if network:
        params["networkmode"] = network
    if buildargs:
        params["buildargs"] = json.dumps(buildargs)
    # No label in safe mode: the classic builder would show it as one more step. The ledger
    # records the image instead.
    if labels:
        params["labels"] = json.dumps(labels)
    return params


def buildx_messages(messages: Iterator[Json]) -> Iterator[Json]:
    """The daemon's BuildKit messages in the form LayerLab's engines share: the solve status
    decoded from protobuf, and a failure worded as buildx words it (``failed to solve: …``,
    buildx's wrapping of the error its solve returns)."""
    decoder = StatusDecoder()
    for message in messages:
        if message.get("id") == TRACE_ID and isinstance(message.get("aux"), str):
            try:
                yield {**message, "aux": decoder.decode(message["aux"])}
            except BadStatus as exc:
                raise EngineError(
                    f"layerlab: unreadable build status from the daemon: {exc}"
                ) from None
        elif message.get("error"):
            text = f"failed to solve: {message['error']}"
            detail = {**(message.get("errorDetail") or {}), "message": text}
            yield {**message, "error": text, "errorDetail": detail}
        else:
            yield message
