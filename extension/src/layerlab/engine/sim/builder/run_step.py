"""RUN in the classic builder: a container over the parent image runs the command; its changes
become the layer (none at all when nothing changed: ``empty_layer``, as on Engine 20.10).

A failing command leaves its container behind (exited, with its output in ``docker logs``) and
the images of the earlier steps as dangling ``<none>`` images, like the daemon. A command that
never ends (a server) would hang the real build; LayerLab fails the step with an explanation.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from layerlab.engine.sim.builder.dockerfile import Instruction
from layerlab.engine.sim.builder.events import ContainerRemoved, ContainerStarted, Output
from layerlab.engine.sim.builder.job import BUILTIN_ARGS, StepFailed, allowed_args
from layerlab.engine.sim.builder.stage import StageState, config_doc
from layerlab.engine.sim.images.config import rfc3339
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.builder.job import Build
    from layerlab.engine.sim.programs.process import ProgramResult


def run_step(build: Build, state: StageState, ins: Instruction) -> None:
    from layerlab.engine.sim.containers.runtime import oci_error, process_context
    from layerlab.engine.sim.programs.executable import ExecError
    from layerlab.engine.sim.programs.process import run_process

    config = state.run_config
    cmd = list(ins.args) if ins.json_form else [*state.shell, *ins.args]
    build_args = allowed_args(build, state)
    saved_cmd = cmd
    if build_args:
        shown = sorted(
            a for a in build_args
            if a.partition("=")[0] not in BUILTIN_ARGS or a.partition("=")[0] in build.referenced
        )  # fmt: skip
        saved_cmd = [f"|{len(shown)}", *shown, *cmd]
    probe = copy.deepcopy(config)
    probe["Cmd"] = saved_cmd
    probe["Entrypoint"] = None  # RUN runs without the image's entrypoint
    if build.try_cache(state, probe):
        return
    engine = build.engine
    container_id = engine.ids.hex64()
    build.emit(ContainerStarted(container_id))
    lower = build.stage_tree(state)
    tree = dict(lower)
    for volume in config.get("Volumes") or {}:
        # The daemon creates a volume's mount point in the container: RUN's layer keeps it.
        path = fs.normpath(volume)
        if path not in tree:
            tree[path] = fs.directory(mtime=int(engine.clock.now()))
    env = [*(config.get("Env") or []), *build_args]
    now = engine.clock.now()
    context = process_context(
        tree,
        env,
        config.get("User") or "",
        config.get("WorkingDir") or "/",
        container_id[:12],
        now,
    )
    if state.image_id:
        context.base = (engine.image_store.require(state.image_id).chain_id, lower)
    command_text = " ".join(cmd)
    try:
        result = run_process(cmd, context)
    except ExecError as err:
        _leave_container(build, state, container_id, cmd, env, None, tree, now)
        raise StepFailed(oci_error(err, engine.profile)) from None
    for stream, data, _offset in result.output:
        build.emit(Output(stream, data.decode("utf-8", errors="replace")))
    if result.runs_forever:
        raise StepFailed(
            f"The command '{command_text}' never finished: it keeps running (like a server), so "
            "the real engine would wait for it forever. LayerLab stopped the build instead; start "
            "long-running programs with CMD and `docker run`, not RUN."
        )
    engine.clock.advance(result.duration)
    if result.exit_code != 0:
        _leave_container(build, state, container_id, cmd, env, result, tree, now)
        raise StepFailed(
            f"The command '{command_text}' returned a non-zero code: {result.exit_code}",
            code=result.exit_code,
        )
    changes = fs.compute_changes(lower, tree)
    state.image_id = build.committer.commit(state, probe, changes, container_id)
    build.emit(ContainerRemoved(container_id))


def _leave_container(
    build: Build,
    state: StageState,
    container_id: str,
    cmd: list[str],
    env: list[str],
    result: ProgramResult | None,
    tree: fs.Tree,
    started: float,
) -> None:
    """Keep the failed step's container, as the daemon does (``docker ps -a`` shows it)."""
    from layerlab.engine.sim.containers.config import new_container_doc
    from layerlab.engine.sim.containers.service import generated_name
    from layerlab.engine.sim.containers.store import Container

    engine = build.engine
    run_config = state.run_config
    doc = new_container_doc(
        engine, container_id, generated_name(engine), state.image_id, run_config,
        state.image_id, {"command": cmd, "entrypoint": [], "detach": True},
    )  # fmt: skip
    config = dict(doc["Config"])
    config.update(
        Env=env,
        Cmd=cmd,
        Entrypoint=None,
        Healthcheck={"Test": ["NONE"]},
        NetworkDisabled=True,
        Labels=dict(run_config.get("Labels") or {}),
    )
    doc["Config"] = config_doc(config)
    if result is None:
        doc["State"].update(ExitCode=127, Error="")
    else:
        finished = started + result.duration
        doc["State"].update(
            Status="exited", ExitCode=result.exit_code, StartedAt=rfc3339(started),
            FinishedAt=rfc3339(finished),
        )  # fmt: skip
        doc["LayerLab"].update(
            started=started, duration=result.duration, exit_code=result.exit_code
        )
    container = Container(
        container_id, doc["Name"][1:], engine.store.next_seq("containers"), doc, b""
    )
    store = engine.containers_store
    if state.image_id:  # FROM scratch has no image to diff against
        store.set_tree(container, tree)
    if result is not None:
        store.add_output(container, result.output, started)
    store.save(container)
