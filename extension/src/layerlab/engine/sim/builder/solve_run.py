"""What a BuildKit solve does to a stage's files for RUN and WORKDIR: the command run over
them (its output in the step's log), the working folder made with its missing parents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.sim.builder.job import StepFailed
from layerlab.engine.sim.builder.solve_status import Trace, Vertex
from layerlab.engine.sim.store import fs
from layerlab.go_strconv import go_quote

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend


def execute(
    engine: ContainerBackend,
    trace: Trace,
    vertex: Vertex,
    cmd: list[str],
    env: list[str],
    user: str,
    workdir: str,
    chain_id: str,
    tree: fs.Tree,
) -> fs.Tree:
    """Run ``cmd`` over ``tree`` (the files of the layer chain ``chain_id``): its output goes to
    the vertex's log; the files it leaves are returned. A failure is BuildKit's words."""
    from layerlab.engine.sim.containers.runtime import exec_error_text, process_context
    from layerlab.engine.sim.programs.executable import ExecError
    from layerlab.engine.sim.programs.process import run_process

    started = engine.clock.now()
    hostname = engine.ids.hex64()[:12]
    context = process_context(tree, env, user, workdir, hostname, started)
    if chain_id:  # a real program's files: the image's, prepared once (runtimes/overlay)
        context.base = (chain_id, engine.layers.tree(chain_id))
    command = go_quote(" ".join(cmd))
    try:
        run = run_process(cmd, context)
    except ExecError as err:  # runc's words in the step's log, and BuildKit's exit code 1
        reason = f"runc run failed: unable to start container process: {exec_error_text(err)}"
        trace.log(vertex, 2, reason + "\n", started)
        raise StepFailed(f"process {command} did not complete successfully: exit code: 1") from None
    for stream, data, offset in run.output:
        trace.log(vertex, stream, data.decode("utf-8", errors="replace"), started + offset)
    if run.runs_forever:
        raise StepFailed(
            f"process {command} never finished: it keeps running (like a server), so the "
            "real engine would wait for it forever. LayerLab stopped the build instead; start "
            "long-running programs with CMD and `docker run`, not RUN."
        )
    engine.clock.advance(run.duration)
    if run.exit_code != 0:
        raise StepFailed(
            f"process {command} did not complete successfully: exit code: {run.exit_code}"
        )
    return context.tree


def make_dir(engine: ContainerBackend, workdir: str, user: str, tree: fs.Tree) -> fs.Tree:
    """WORKDIR's folder and its missing parents, owned by the stage's user."""
    missing = []
    path = workdir
    while path != "/" and not (path in tree and tree[path].is_dir):
        missing.append(path)
        path = fs.parent_of(path)
    from layerlab.engine.sim.containers.runtime import process_context

    # The user's ids as a RUN gets them: its /etc/passwd row, or the numbers given.
    ids = process_context(tree, [], user, "/", "", 0.0) if user else None
    uid, gid = (ids.uid, ids.gid) if ids is not None else (0, 0)
    for path in reversed(missing):
        tree[path] = fs.directory(mtime=int(engine.clock.now()), uid=uid, gid=gid)
    return tree
