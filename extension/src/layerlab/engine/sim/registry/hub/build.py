"""Building a simulated Docker Hub image from its recipe: layer tars, config and history.

Steps of the whole base chain are replayed in order: a layer step becomes a tar (file mtimes
fixed to the recipe's date, hard links kept) with its declared size, a meta step changes the
config; the result is the image config bytes the daemon would hash. Builds are cached per
process, so each image is built at most once and only when first used.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from typing import Any

from layerlab.engine.sim.images.config import (
    DEFAULT_PATH,
    container_config,
    image_config,
    parse_rfc3339,
    rfc3339,
)
from layerlab.engine.sim.registry.hub.recipes import REST, LayerStep, Recipe, Step
from layerlab.engine.sim.store import fs


@dataclass(frozen=True)
class HubLayer:
    tar: bytes
    size: int


@dataclass(frozen=True)
class HubImage:
    config: bytes
    layers: list[HubLayer]

    @property
    def id(self) -> str:
        return fs.digest(self.config)


@functools.cache
def _layer_tar(step: LayerStep, mtime: int) -> bytes:
    # One replacement per Entry object, so hard links (a shared Entry) stay shared.
    moved: dict[int, fs.Entry] = {}
    tree = {
        path: moved.setdefault(id(entry), replace(entry, mtime=mtime))
        for path, entry in step.tree().items()
    }
    return fs.changes_to_tar(tree)


def _unique_size(tree: fs.Tree) -> int:
    """The size the daemon measures: files (a hard-linked file, one shared Entry, counted once)
    plus the length of each symlink's target."""
    seen: dict[int, int] = {}
    for entry in tree.values():
        seen[id(entry)] = len(entry.target.encode()) if entry.kind == "symlink" else entry.size
    return sum(seen.values())


def _all_steps(recipe: Recipe) -> list[tuple[Step, str]]:
    own = [(step, recipe.created) for step in recipe.steps]
    return (_all_steps(recipe.base) if recipe.base else []) + own


@functools.cache
def build(recipe: Recipe) -> HubImage:
    steps = _all_steps(recipe)
    layers: list[HubLayer] = []
    history: list[dict[str, Any]] = []
    conf: dict[str, Any] = {
        "Env": [DEFAULT_PATH],
        "Cmd": None,
        "Entrypoint": None,
        "WorkingDir": "",
        "ExposedPorts": None,
        "StopSignal": None,
        "Labels": None,
    }
    rest_index = None
    for index, (step, created) in enumerate(steps):
        when = rfc3339(parse_rfc3339(created) + index)
        if isinstance(step, LayerStep):
            tar = _layer_tar(step, int(parse_rfc3339(created)))
            size = step.size if step.size is not None else _unique_size(step.tree())
            if size == REST:
                rest_index, size = len(layers), 0
            layers.append(HubLayer(tar, size))
            text = step.created_by.replace("{hash}", hashlib.sha256(tar).hexdigest())
            history.append({"created": when, "created_by": text})
        else:
            _apply(conf, step.change)
            history.append({"created": when, "created_by": step.created_by, "empty_layer": True})
    if rest_index is not None and recipe.size is not None:
        rest = recipe.size - sum(layer.size for layer in layers)
        layers[rest_index] = HubLayer(layers[rest_index].tar, max(rest, 0))
    return HubImage(_config_bytes(recipe, conf, history, layers), layers)


def _apply(conf: dict[str, Any], change: dict[str, Any]) -> None:
    for key, value in change.items():
        if key == "Env":
            name, val = value
            conf["Env"] = [e for e in conf["Env"] if e.split("=", 1)[0] != name] + [f"{name}={val}"]
        elif key == "ExposedPorts":
            conf["ExposedPorts"] = {**(conf["ExposedPorts"] or {}), f"{value}/tcp": {}}
        elif key == "Labels":
            conf["Labels"] = {**(conf["Labels"] or {}), value[0]: value[1]}
        else:
            conf[key] = value


def _config_bytes(
    recipe: Recipe, conf: dict[str, Any], history: list[dict[str, Any]], layers: list[HubLayer]
) -> bytes:
    container = hashlib.sha256(f"container:{recipe.name}".encode()).hexdigest()
    parent = "sha256:" + hashlib.sha256(f"parent:{recipe.name}".encode()).hexdigest()
    last = history[-1]["created_by"]
    nop = "/bin/sh -c #(nop) "
    build_cmd = (
        ["/bin/sh", "-c", "#(nop) ", last[len(nop) :].lstrip()]
        if last.startswith(nop)
        else ["/bin/sh", "-c", last[len("/bin/sh -c ") :]]
    )
    common = {
        "exposed_ports": conf["ExposedPorts"],
        "env": conf["Env"],
        "image": parent,
        "working_dir": conf["WorkingDir"],
        "entrypoint": conf["Entrypoint"],
        "stop_signal": conf["StopSignal"],
    }
    return image_config(
        config=container_config(cmd=conf["Cmd"], labels=conf["Labels"], **common),
        container=container,
        container_config_doc=container_config(
            hostname=container[:12], cmd=build_cmd, labels=conf["Labels"] or {}, **common
        ),
        created=history[-1]["created"],
        history=history,
        diff_ids=[fs.digest(layer.tar) for layer in layers],
    )
