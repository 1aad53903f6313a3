"""The images a scenario may ask for with ``@image``, built for the real engine on this machine
(nothing can be pulled here): ``python:3.12`` and ``node:14``."""

from __future__ import annotations

import json
from pathlib import Path

from layerlab.engine.sim.runtimes import nodejs

from . import node_image, python_image

_PROVIDERS = {
    python_image.REFERENCE: python_image.provide,
    node_image.REFERENCE: node_image.provide,
}


def provide(reference: str, docker: list[str], env: dict[str, str]) -> None:
    """Load ``reference`` into the real engine at ``env``'s DOCKER_HOST."""
    provider = _PROVIDERS.get(reference)
    if provider is None:
        raise RuntimeError(f"no recipe for {reference} on the real engine")
    provider(reference, docker, env)


def runtime_versions(references: list[str]) -> dict[str, str]:
    """What a golden transcript of a scenario using ``references`` depends on besides the
    engine: the Node.js version, which an uncaught error prints with Node's own stack frames,
    and npm's, whose messages and lock files vary between versions.
    (The python image's programs print nothing of the interpreter's version.)"""
    if node_image.REFERENCE not in references:
        return {}
    versions = {"node_version": nodejs.host_version()}
    npm = nodejs.host_npm()
    if npm is not None:
        versions["npm_version"] = json.loads((Path(npm) / "package.json").read_text())["version"]
    return versions
