"""Recipes of the simulated Docker Hub's images: steps as a Dockerfile would have them.

A :class:`Recipe` is a base recipe plus its own steps; a :class:`LayerStep` adds a file tree
(with the size the real layer declares), a :class:`MetaStep` changes the config only. The
helpers (``run``, ``copy``, ``env``, ``cmd``...) write the ``created_by`` history texts the
classic builder writes, so ``docker history`` looks like the real images'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from layerlab.engine.sim.store import fs

REST = -1  # a layer whose declared size makes the image total what the real image shows


@dataclass(frozen=True, eq=False)
class LayerStep:
    created_by: str  # "{hash}" is replaced by the layer tar's sha256
    tree: Callable[[], fs.Tree]
    size: int | None = None  # declared size; None: the files' own size; REST: see above


@dataclass(frozen=True, eq=False)
class MetaStep:
    created_by: str
    change: dict[str, Any] = field(default_factory=dict)


Step = LayerStep | MetaStep


@dataclass(frozen=True, eq=False)
class Recipe:
    name: str
    created: str
    steps: tuple[Step, ...]
    base: Recipe | None = None
    size: int | None = None  # the total `docker images` shows (needed with a REST layer)


def _argv(values: list[str]) -> str:
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def add_root(tree: Callable[[], fs.Tree], size: int | None = None) -> LayerStep:
    return LayerStep("/bin/sh -c #(nop) ADD file:{hash} in / ", tree, size)


def run(command: str, tree: Callable[[], fs.Tree], size: int | None = None) -> LayerStep:
    return LayerStep(f"/bin/sh -c {command}", tree, size)


def copy(tree: Callable[[], fs.Tree], dest: str, size: int | None = None) -> LayerStep:
    return LayerStep(f"/bin/sh -c #(nop) COPY file:{{hash}} in {dest} ", tree, size)


def env(name: str, value: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  ENV {name}={value}", {"Env": (name, value)})


def cmd(*argv: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  CMD {_argv(list(argv))}", {"Cmd": list(argv)})


def entrypoint(*argv: str) -> MetaStep:
    return MetaStep(
        f"/bin/sh -c #(nop)  ENTRYPOINT {_argv(list(argv))}", {"Entrypoint": list(argv)}
    )


def workdir(path: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop) WORKDIR {path}", {"WorkingDir": path})


def expose(port: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  EXPOSE {port}", {"ExposedPorts": port})


def stopsignal(signal: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  STOPSIGNAL {signal}", {"StopSignal": signal})


def label(name: str, value: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  LABEL {name}={value}", {"Labels": (name, value)})
