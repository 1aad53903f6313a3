"""``docker build`` with BuildKit, as Docker Engine 26.1 runs it: a solve whose progress is
BuildKit's solve status (:mod:`.solve_status`), and one image at the end.

What differs from the classic builder (measured on Engine 26.1 with buildx 0.13):

- No intermediate images and no build containers: each step's result is kept in the build
  cache (here the ``build_cache`` table, by a key made of the step and everything it reads),
  and only the final image is written, with no parent. ``docker history`` shows ``<missing>``
  under its top row.
- Every RUN, COPY and ADD makes a layer, and so does a WORKDIR other than ``/``, even when the
  layer is empty; the other instructions only change the config. Each instruction leaves a
  history row in BuildKit's words (``RUN /bin/sh -c … # buildkit``, ``ENV A=b``, ``CMD ["sh"]``)
  with the comment ``buildkit.dockerfile.v0``.
- The progress is a list of vertices: the Dockerfile's transfer, the base image's metadata,
  ``.dockerignore``, ``[1/N] FROM …``, the context's transfer, one per layer step (``N`` counts
  FROM and those), and the export, each with its statuses and logs.

- A base image that is not here is resolved in its registry and its missing layers fetched
  within the FROM step (``resolve …``, ``extracting sha256:…``, each blob's size); it does not
  become a local image.

- Only the stages the target (the last one, or ``--target``) needs are built; steps are named
  by stage (``[build 2/3]``, ``[stage-1 1/2]`` for an unnamed one) when there are several, and
  stages that start from the same image share its FROM vertex.

- ``COPY --from`` an image rather than a stage reads that image's files: its metadata is loaded
  after the bases', it has a ``FROM …`` vertex of its own without a stage's name (the base's,
  when it is the same image), and the steps are named by stage as if it were one.

- A base's ONBUILD triggers (an image's, or those an earlier stage declared) run first in the
  stage, as steps of its own: they are numbered on from FROM without counting in the total
  (``[3/2] COPY a.txt /a.txt``), and a failing one points at the FROM line.

- ``COPY --from`` names a stage above its own: one that copies from itself is a circular
  dependency (refused before any metadata loads), one further down must be defined first
  (refused once the bases' metadata is loaded), as BuildKit says.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerlab.engine.reference import parse_normalized
from layerlab.engine.sim.builder import cache_records, solve_run, solve_sources, stage_plan
from layerlab.engine.sim.builder.classic import read_context, tag_reference
from layerlab.engine.sim.builder.context import (
    BuildContext,
    CopyError,
    SourceTree,
    copy_sources,
    normalize_dest,
    parse_chown,
    sources_hash,
)
from layerlab.engine.sim.builder.context_load import ContextLoader
from layerlab.engine.sim.builder.dockerfile import (
    DockerfileError,
    Instruction,
    expand,
    parse_dockerfile_result,
    substitute,
)
from layerlab.engine.sim.builder.image_records import (
    declared_args,
    export,
    history_row,
    metadata_text,
    write_image,
)
from layerlab.engine.sim.builder.job import Build, StepFailed, allowed_args
from layerlab.engine.sim.builder.solve_cache import SolveCache, cache_key
from layerlab.engine.sim.builder.solve_sources import ImageVertices
from layerlab.engine.sim.builder.solve_status import Failed, Trace, Vertex
from layerlab.engine.sim.builder.stage import StageState, base_run_config
from layerlab.engine.sim.builder.stage_plan import SolveStage
from layerlab.engine.sim.builder.steps import dispatch, stage_env
from layerlab.engine.sim.images.store import Image
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.registry.store import RemoteImage

Json = dict[str, Any]

_LAYER_STEPS = ("RUN", "COPY", "ADD", "WORKDIR")


@dataclass
class Result:
    """A stage so far: its layers, its history and the key its next step's cache key extends."""

    chain_id: str
    diff_ids: list[str]
    history: list[Json]
    key: str


def build(
    engine: ContainerBackend,
    context_tar: bytes,
    *,
    tags: list[str],
    dockerfile: str,
    nocache: bool,
    buildargs: dict[str, str],
    labels: dict[str, str],
    pull: bool,
    shared_key: str = "",
    target: str = "",
    uploaded: bool = False,
) -> Iterator[Json]:
    """Build an image from ``context_tar``: the solve status, then the image ID or an error.
    ``target`` names the stage to build (default: the last).
    ``shared_key`` names the client's context folder: the daemon keeps what it received from
    it, and asks again only for files that changed. ``uploaded``: the client sent the context
    as the tar itself (buildx does so for a tar on stdin) rather than from a folder."""
    refs = [tag_reference(tag) for tag in tags]
    names = [str(parse_normalized(tag)) for tag in tags]
    context = read_context(engine, context_tar)
    trace = Trace(engine.clock.now)
    loader = ContextLoader(engine, context, trace, shared_key, context_tar if uploaded else None)
    solver = _Solver(engine, context, trace, nocache, buildargs, pull, loader)
    try:
        image_id = solver.solve(dockerfile or "Dockerfile", labels, target)
    except Failed as failure:
        cache_records.note_use(engine, solver.touched - solver.made)
        detail: Json = {"message": failure.message}
        if failure.lines:
            detail["source"] = {
                "filename": solver.dockerfile_name,
                "data": solver.dockerfile,
                "lines": list(failure.lines),
            }
        trace.messages.append({"errorDetail": detail, "error": failure.message})
        return iter(trace.messages)
    cache_records.note_use(engine, solver.touched - solver.made)
    export(engine, trace, image_id, refs, names)
    return iter(trace.messages)


class _Solver:
    def __init__(
        self,
        engine: ContainerBackend,
        context: BuildContext,
        trace: Trace,
        nocache: bool,
        buildargs: dict[str, str],
        pull: bool,
        loader: ContextLoader,
    ) -> None:
        self.engine = engine
        self.context = context
        self.trace = trace
        self.cache = SolveCache(engine, nocache)
        self.loader = loader  # what comes from the client: the Dockerfile, the files
        # The classic builder's instruction handlers edit the config; here they commit nothing.
        self.build = Build(engine, context, "\\", nocache, buildargs, pull)
        self.build.commits = False
        self.dockerfile = ""
        self.dockerfile_name = ""
        self.remote: RemoteImage | None = None  # the stage's base, read from its registry
        self.stage = SolveStage(0, "", Instruction("FROM", "", []), "")  # the stage being built
        self.results: dict[int, tuple[StageState, Result]] = {}  # the stages built so far
        # The images COPY --from reads, by their word: the image, and its registry's record.
        self.sources: dict[str, tuple[Image, RemoteImage | None]] = {}
        self.stages: list[SolveStage] = []
        # The layers whose cache records this build touched (a step ran on one; the result),
        # and those it made: a record counts one use per build (cache_records).
        self.touched: set[str] = set()
        self.made: set[str] = set()
        self.images = ImageVertices(engine, trace, self.cache, self.made)

    # -- the solve ------------------------------------------------------------------------------
    def solve(self, name: str, labels: dict[str, str], target: str = "") -> str:
        loader = self.loader
        uploaded = loader.upload is not None
        text = loader.upload_definition(name) if uploaded else loader.definition(name)
        self.dockerfile, self.dockerfile_name = text, name
        try:
            parsed = parse_dockerfile_result(text, name)
        except DockerfileError as err:
            raise Failed(f"failed to solve: dockerfile parse error: {err.message}") from None
        self.build.escape = parsed.escape_token
        stages = self.stages = stage_plan.plan(self.build, list(parsed.instructions))
        chosen = [stage for stage in stages if target and stage.name == target.lower()]
        if target and not chosen:
            raise Failed(f'failed to solve: target stage "{target}" could not be found')
        needed = stage_plan.needed(stages, chosen[0] if chosen else stages[-1])
        self._check_sources(needed, lambda source, stage: source == stage.index,
                            "circular dependency detected on stage: {stage}")  # fmt: skip
        bases: dict[str, tuple[Image, RemoteImage | None]] = {}
        for stage in needed:  # each base image's metadata first, once per name
            image_base = stage.base_stage is None and stage.base_name.lower() != "scratch"
            if image_base and stage.base_name not in bases:
                bases[stage.base_name] = self._resolve(stage.from_ins, stage.base_name)
        loaded = {stage_plan.reference(name): found for name, found in bases.items()}
        # then the images COPY --from reads
        for ins, word in stage_plan.image_sources(stages, needed):
            if word not in self.sources:
                found = loaded.get(stage_plan.reference(word)) or self._resolve(ins, word)
                self.sources[word] = loaded[stage_plan.reference(word)] = found
        self._check_sources(needed, lambda source, stage: source > stage.index,
                            'cannot copy from stage "{word}", it needs to be defined before '
                            'current stage "{stage}"')  # fmt: skip
        if not uploaded:  # an uploaded context is taken whole: no .dockerignore
            loader.ignore_file()
        triggers = {stage.index: stage_plan.triggers(stages, stage, bases) for stage in needed}
        steps = {stage.index: [*triggers[stage.index], *stage.steps] for stage in needed}
        every_step = [ins for each in needed for ins in steps[each.index]]
        reads_context = stage_plan.reads_context(every_step)
        context_loaded = uploaded  # loaded before the Dockerfile was read
        for stage in needed:
            image, self.remote = bases.get(stage.base_name, (None, None))
            stage.total = sum(ins.keyword in _LAYER_STEPS for ins in stage.steps)
            stage.total += 1 if image is not None else 0
            self.stage = stage
            if stage.base_stage is not None:
                state, result = self._continue(self.results[stage.base_stage], stage)
            else:
                state = StageState(image.id if image else "", base_run_config(image), stage.name)
                state.run_config["Image"] = ""
                result = self._from(stage.base_name, image)
            # each image COPY --from reads
            for _, word in stage_plan.image_sources(stages, [stage]):
                self.images.show(word, *self.sources[word])
            if not context_loaded and reads_context:
                loader.files(every_step)
                context_loaded = True
            state.run_config["OnBuild"] = None  # fired here, not handed down
            for ins in steps[stage.index]:
                try:
                    result = self._step(state, ins, result)
                except (StepFailed, CopyError) as err:  # found by an instruction's checks
                    lines = (ins.line, ins.end_line)
                    raise Failed(f"failed to solve: {err.message}", lines) from None
            self.results[stage.index] = (state, result)
        state, result = self.results[needed[-1].index]
        self.touched.add(result.chain_id)
        # `--label` goes into the image's config last, with no step and no history row.
        state.run_config["Labels"] = {**(state.run_config.get("Labels") or {}), **labels} or None
        return write_image(self.engine, state, result.diff_ids, result.history)

    def _check_sources(
        self, needed: list[SolveStage], wrong: Callable[[int, SolveStage], bool], message: str
    ) -> None:
        """Fail on the first ``COPY --from`` of the needed stages that names a stage ``wrong``
        for its own, with BuildKit's ``message`` and the instruction's lines."""
        found = stage_plan.wrong_source(self.stages, needed, wrong)
        if found is not None:
            ins, stage = found
            text = message.format(word=ins.flags["from"], stage=stage_plan.stage_name(stage))
            raise Failed(f"failed to solve: {text}", (ins.line, ins.end_line))

    def _continue(
        self, earlier: tuple[StageState, Result], stage: SolveStage
    ) -> tuple[StageState, Result]:
        """A stage built FROM an earlier one: that stage's config and result, to go on from."""
        state, result = earlier
        mine = StageState(state.image_id, copy.deepcopy(state.run_config), stage.name)
        return mine, Result(
            result.chain_id, list(result.diff_ids), list(result.history), result.key
        )

    def _resolve(self, ins: Instruction, name: str) -> tuple[Image, RemoteImage | None]:
        return solve_sources.resolve_image(self.engine, self.trace, ins, name)

    def _from(self, name: str, base: Image | None) -> Result:
        if base is None:
            return Result("", [], [], cache_key("scratch"))
        history = list(base.config.get("history") or [])
        # The same image as one the stage copies from is one vertex, named by neither.
        copied = stage_plan.image_sources(self.stages, [self.stage])
        shared = any(stage_plan.reference(word) == stage_plan.reference(name) for _, word in copied)

        def naming(shown: str) -> str:
            prefixed = self._prefixed(shown)  # FROM counts as the stage's step either way
            return shown if shared else prefixed

        key = self.images.show(name, base, self.remote, naming)
        return Result(base.chain_id, list(base.diff_ids), history, key)

    # -- one instruction ------------------------------------------------------------------------
    def _step(self, state: StageState, ins: Instruction, result: Result) -> Result:
        if ins.keyword not in _LAYER_STEPS:
            dispatch(self.build, state, ins)
            state.run_config["Image"] = ""
            if ins.keyword != "ONBUILD":  # BuildKit keeps a trigger in the config only
                result.history.append(history_row(metadata_text(self.build, state, ins), None))
            return result
        if ins.keyword == "WORKDIR":
            dispatch(self.build, state, ins)
            state.run_config["Image"] = ""
            workdir = state.run_config.get("WorkingDir") or "/"
            if workdir == "/":
                result.history.append(history_row("WORKDIR /", None))
                return result
            user = state.run_config.get("User") or ""
            shown = f"WORKDIR {workdir}"

            def make_dir(tree: fs.Tree) -> fs.Tree:
                return solve_run.make_dir(self.engine, workdir, user, tree)

            return self._layer(ins, result, shown, [workdir, user], shown, False, make_dir)
        if ins.keyword == "RUN":
            return self._run(state, ins, result)
        return self._copy(state, ins, result)

    def _layer(
        self,
        ins: Instruction,
        result: Result,
        shown: str,
        identity: list[Any],
        history_text: str,
        marked: bool,
        make: Callable[[fs.Tree], fs.Tree],
        vertex: Vertex | None = None,
    ) -> Result:
        """A step that makes a layer: from the build cache, or made now by ``make``."""
        key = cache_key(result.key, ins.keyword, identity)
        vertex = vertex or self.trace.start(self._prefixed(shown), key)
        found = self.cache.find(key)
        if found is None:
            self.touched.add(result.chain_id)  # the step runs on its parent's layer
            lower = self.engine.layers.tree(result.chain_id)
            try:
                upper = make(dict(lower))
            except (StepFailed, CopyError) as err:
                self.trace.complete(vertex, error=err.message)
                raise Failed(f"failed to solve: {err.message}", (ins.line, ins.end_line)) from None
            changes = fs.compute_changes(lower, upper)
            chain = self.engine.layers.add_changes(result.chain_id, changes).chain_id
            created = self.cache.remember(key, chain, history_text)
            self.trace.complete(vertex)
        else:
            chain, created = found
            self.trace.complete(vertex, cached=True)
        if cache_records.note_step(self.engine, key, chain, history_text):
            self.made.add(chain)
        layer = self.engine.layers.get(chain)
        assert layer is not None
        # The layer's row has the time its layer was made: a cached rebuild is the same image.
        entry = history_row(history_text + (" # buildkit" if marked else ""), created)
        return Result(chain, [*result.diff_ids, layer.diff_id], [*result.history, entry], key)

    # -- RUN ------------------------------------------------------------------------------------
    def _run(self, state: StageState, ins: Instruction, result: Result) -> Result:
        config = state.run_config
        cmd = list(ins.args) if ins.json_form else [*state.shell, *ins.args]
        env = [*(config.get("Env") or []), *allowed_args(self.build, state)]
        user, workdir = config.get("User") or "", config.get("WorkingDir") or "/"
        declared = [f"{k}={v}" for k, v in declared_args(self.build, state)]
        prefix = [f"|{len(declared)}", *declared] if declared else []
        history_text = "RUN " + " ".join([*prefix, *cmd])
        shown = substitute(ins.original, stage_env(self.build, state), self.build.escape)
        key = cache_key(result.key, "RUN", [cmd, env, user, workdir])
        vertex = self.trace.start(self._prefixed(shown), key)

        def execute(tree: fs.Tree) -> fs.Tree:
            return solve_run.execute(
                self.engine, self.trace, vertex, cmd, env, user, workdir, result.chain_id, tree
            )

        return self._layer(ins, result, shown, [cmd, env, user, workdir], history_text, True,
                           execute, vertex)  # fmt: skip

    # -- COPY and ADD ---------------------------------------------------------------------------
    def _copy(self, state: StageState, ins: Instruction, result: Result) -> Result:
        env = stage_env(self.build, state)
        words = [expand(w, env, self.build.escape) for w in ins.args]
        *originals, dest_word = words
        shown = substitute(ins.original, env, self.build.escape)
        origin = SourceTree(self.context.tree, self.context.sums, "")
        history_text = shown
        if ins.flags.get("from"):
            origin, source_key = self._stage_source(ins)
            # BuildKit's row leaves the stage out: `COPY /src/out.txt / # buildkit`.
            history_text = re.sub(r" --from=\S+", "", shown)
        try:
            sources = [s for original in originals for s in origin.resolve(original, ins.keyword)]
        except CopyError:
            vertex = self.trace.start(self._prefixed(shown))
            missing = next(o for o in originals if not _found(origin, o, ins.keyword))
            reason = (
                f"failed to calculate checksum of ref {self.loader.snapshot_ref()}: "
                f'"/{missing.lstrip("/")}": not found'
            )
            self.trace.complete(vertex, error=reason)
            raise Failed(
                f"failed to solve: failed to compute cache key: {reason}", (ins.line, ins.end_line)
            ) from None
        dest = normalize_dest(state.run_config.get("WorkingDir") or "/", dest_word)
        chown = expand(ins.flags["chown"], env, self.build.escape) if ins.flags.get("chown") else ""
        is_add = ins.keyword == "ADD"

        def place(tree: fs.Tree) -> fs.Tree:
            owner = parse_chown(chown, tree) if chown else (0, 0)
            copy_sources(tree, origin, sources, dest, owner, is_add, int(self.engine.clock.now()))
            return tree

        identity = [sources_hash(sources), dest, chown]
        if ins.flags.get("from"):
            identity.append(source_key)
        return self._layer(ins, result, shown, identity, history_text, True, place)

    def _stage_source(self, ins: Instruction) -> tuple[SourceTree, str]:
        """What ``COPY --from=STAGE`` reads: that stage's files (by name or number)."""
        wanted = ins.flags["from"].lower()
        for index, (state, result) in self.results.items():
            if state.stage_name.lower() == wanted or str(index) == wanted:
                tree = self.engine.layers.tree(result.chain_id)
                return SourceTree(tree, None, ""), result.chain_id
        # Not a stage (those further down were refused before the build began): an image.
        image, _ = self.sources[ins.flags["from"]]
        return SourceTree(self.engine.layers.tree(image.chain_id), None, ""), image.chain_id

    # -- the image ------------------------------------------------------------------------------
    def _prefixed(self, text: str) -> str:
        """BuildKit's step name: ``[build 2/10] RUN …`` (the stage's name when there are
        several, the index padded to the total's width)."""
        stage = self.stage
        stage.counted += 1
        width = int(1 + math.log10(stage.total)) if stage.total else 1
        label = f"{stage.label} " if stage.label else ""
        return f"[{label}{stage.counted:>{width}}/{stage.total}] {text}"


def _found(origin: SourceTree, original: str, command: str) -> bool:
    try:
        origin.resolve(original, command)
    except CopyError:
        return False
    return True
