"""``docker commit``: a container's writable layer becomes the top layer of a new image.

Measured on Docker Engine 20.10 (``daemon/commit.go``, ``builder/dockerfile.BuildFromConfig``):

- The new image's ``config`` starts from the container's config. Each ``--change`` line is a
  Dockerfile instruction dispatched on it without committing anything; only ``CMD``,
  ``ENTRYPOINT``, ``ENV``, ``EXPOSE``, ``HEALTHCHECK``, ``LABEL``, ``ONBUILD``, ``USER``,
  ``VOLUME`` and ``WORKDIR`` are accepted (``<keyword> is not a valid change command``). An
  ``ENTRYPOINT`` without a ``CMD`` in the same commit drops the container's Cmd, as in a build.
- ``container_config`` is the container's config as it was, ``container`` its ID; the history
  entry's ``created_by`` is the container's command, with ``-a`` as ``author`` and ``-m`` as
  ``comment`` (shown by ``docker history`` and as inspect's ``Comment``).
- A container whose writable layer is empty adds an ``empty_layer`` history entry, no layer.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.profiles import daemon
from layerlab.engine.sim.builder.context import BuildContext
from layerlab.engine.sim.builder.dockerfile.checks import InstructionError, to_instruction
from layerlab.engine.sim.builder.dockerfile.lines import ParseError, parse_lines
from layerlab.engine.sim.builder.job import Build, StepFailed
from layerlab.engine.sim.builder.stage import StageState, config_doc
from layerlab.engine.sim.builder.steps import dispatch
from layerlab.engine.sim.images.config import go_json, rfc3339
from layerlab.engine.sim.images.service import tag
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]

VALID_CHANGES = frozenset(
    {"cmd", "entrypoint", "env", "expose", "healthcheck", "label", "onbuild", "user", "volume",
     "workdir"}
)  # fmt: skip


def commit(
    engine: ContainerBackend,
    container: str,
    repository: str | None,
    tag_name: str | None,
    message: str,
    author: str,
    changes: list[str],
) -> Json:
    c = engine.containers_store.resolve(container)
    engine.containers_store.sync_live_files(c)
    container_config: Json = c.doc["Config"]
    config = apply_changes(engine, container_config, changes)
    parent = engine.image_store.require(c.image_id)
    diff_ids = list(parent.diff_ids)
    layer_changes = fs.tar_to_changes(c.upper) if c.upper else {}
    if layer_changes:
        diff_ids.append(engine.layers.add_changes(parent.chain_id, layer_changes).diff_id)
    now = engine.clock.now()
    created = rfc3339(now)
    entry: Json = {"created": created}
    if author:
        entry["author"] = author
    entry["created_by"] = " ".join(container_config.get("Cmd") or [])
    if message:
        entry["comment"] = message
    if not layer_changes:
        entry["empty_layer"] = True
    doc: Json = {
        "architecture": parent.config.get("architecture", "amd64"),
        "config": config_doc(config),
        "container": c.id,
        "container_config": config_doc(container_config),
        "created": created,
        "docker_version": daemon(engine.profile).version,
        "history": [*(parent.config.get("history") or []), entry],
        "os": parent.config.get("os", "linux"),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    if author:
        doc["author"] = author
    image_id = engine.image_store.put(go_json(dict(sorted(doc.items()))).encode(), parent.id, now)
    if repository:
        tag(engine, image_id, repository, tag_name)
    return {"Id": image_id}


def apply_changes(engine: ContainerBackend, container_config: Json, changes: list[str]) -> Json:
    """The container's config with the ``--change`` instructions applied (BuildFromConfig)."""
    config = copy.deepcopy(container_config)
    if not changes:
        return config
    try:
        nodes, _warnings, escape = parse_lines("\n".join(changes))
    except ParseError as err:
        raise InvalidArgument(str(err)) from None
    for node in nodes:
        if node.keyword not in VALID_CHANGES:
            raise InvalidArgument(f"{node.keyword} is not a valid change command")
    try:
        instructions = [to_instruction(node) for node in nodes]
    except InstructionError as err:
        raise InvalidArgument(str(err)) from None
    build = Build(engine, BuildContext({}, {}), escape, nocache=True, options={}, pull=False)
    build.commits = False
    state = StageState(image_id=config.get("Image") or "", run_config=config)
    for instruction in instructions:
        try:
            dispatch(build, state, instruction)
        except StepFailed as err:
            raise InvalidArgument(err.message) from None
    return state.run_config
