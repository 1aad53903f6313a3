"""The images a scenario may ask for with ``@image``, built for the real engine on this machine
(nothing can be pulled here): ``python:3.12`` and ``node:14``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from layerlab.engine.sim.runtimes import nodejs

from . import node_image, python_image
from .local_image import dockerfile_like_hub, provide_built

_RECIPES = {recipe.REFERENCE: recipe for recipe in (python_image, node_image)}


def provide(reference: str, docker: list[str], env: dict[str, str]) -> None:
    """Load ``reference`` into the real engine at ``env``'s DOCKER_HOST."""
    recipe = _RECIPES.get(reference)
    if recipe is None:
        raise RuntimeError(f"no recipe for {reference} on the real engine")
    dockerfile = dockerfile_like_hub(*recipe.HUB_IMAGE)
    provide_built(reference, recipe.cache_key(), recipe.write_rootfs, dockerfile, env)


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


if (
    __name__ == "__main__"
):  # build and load by hand: cd tests; python -m differential.reference_images node:14
    for wanted in sys.argv[1:] or list(_RECIPES):
        provide(wanted, ["docker"], dict(os.environ))
        print(f"{wanted} loaded", file=sys.stderr)
