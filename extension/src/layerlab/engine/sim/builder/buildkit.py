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
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from layerlab.engine.reference import InvalidReference, parse_normalized
from layerlab.engine.sim.builder import cache_records, stage_plan
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
    dated,
    declared_args,
    export,
    history_row,
    metadata_text,
)
from layerlab.engine.sim.builder.job import Build, StepFailed, allowed_args
from layerlab.engine.sim.builder.solve_status import Failed, Trace, Vertex
from layerlab.engine.sim.builder.stage import StageState, base_run_config, go_quote
from layerlab.engine.sim.builder.stage_plan import SolveStage
from layerlab.engine.sim.builder.steps import dispatch, stage_env
from layerlab.engine.sim.images.config import go_json, rfc3339
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


def _cache_key(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


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
        self.nocache = nocache
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
                bases[stage.base_name] = self._base(stage.from_ins, stage.base_name)
        loaded = {stage_plan.reference(name): found for name, found in bases.items()}
        # then the images COPY --from reads
        for ins, word in stage_plan.image_sources(stages, needed):
            if word not in self.sources:
                found = loaded.get(stage_plan.reference(word)) or self._base(ins, word)
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
        shown_from: set[str] = set()  # a FROM shared by stages is one vertex, shown once
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
                result = self._from(stage.base_name, image, shown_from)
            # each image COPY --from reads
            for _, word in stage_plan.image_sources(stages, [stage]):
                self._image_vertex(word, *self.sources[word], shown_from)
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
        return self._image(state, result)

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

    def _base(self, ins: Instruction, name: str) -> tuple[Image, RemoteImage | None]:
        """The base image: a local one, else the registry's (its manifest and config are read
        now; its layers come with the FROM step, and no local image is made of it)."""
        try:
            ref = parse_normalized(name).with_default_tag()
        except InvalidReference as err:
            raise Failed(f"failed to solve: {err}") from None
        image = self.engine.image_store.find(name)
        remote = None
        if image is None:
            from layerlab.engine.sim.registry.store import Registries

            remote = Registries(self.engine).find(ref.domain, ref.path, ref.tag, ref.digest)
            if remote is None:
                vertex = self.trace.start(f"[internal] load metadata for {ref}")
                reason = (
                    f"{ref}: not found"
                    if ref.domain != "docker.io"
                    else "pull access denied, repository does not exist or may require "
                    "authorization: server message: insufficient_scope: authorization failed"
                )
                self.trace.complete(vertex, error=reason)
                message = f"{name}: failed to resolve source metadata for {ref}: {reason}"
                raise Failed(f"failed to solve: {message}", (ins.line, ins.end_line))
            image = Image(remote.image_id, remote.config, "", 0.0, "", 0)
        vertex = self.trace.start(f"[internal] load metadata for {ref}")
        self.trace.complete(vertex)
        return image, remote

    def _from(self, name: str, base: Image | None, shown_from: set[str]) -> Result:
        if base is None:
            return Result("", [], [], _cache_key("scratch"))
        history = list(base.config.get("history") or [])
        # The same image as one the stage copies from is one vertex, named by neither.
        copied = stage_plan.image_sources(self.stages, [self.stage])
        shared = any(stage_plan.reference(word) == stage_plan.reference(name) for _, word in copied)
        key = self._image_vertex(name, base, self.remote, shown_from, step=True, plain=shared)
        return Result(base.chain_id, list(base.diff_ids), history, key)

    def _image_vertex(
        self,
        name: str,
        image: Image,
        remote: RemoteImage | None,
        shown_from: set[str],
        step: bool = False,
        plain: bool = False,
    ) -> str:
        """An image's ``FROM`` vertex, once per build: its layers snapshotted, or fetched from
        its registry, on first use. A base's is a ``step`` of its stage, named by it unless
        ``plain``; an image COPY --from reads is named by none. Returns its key."""
        ref = parse_normalized(name).with_default_tag()
        # An image read from its registry is resolved by its name the first time it is used.
        key = _cache_key("from", image.id, str(ref) if remote else "")
        shown = f"FROM {ref}@{remote.digest}" if remote else f"FROM {ref}"
        name_of_step = self._prefixed(shown) if step else shown
        name_of_step = shown if plain else name_of_step
        # One vertex per name and image: stages FROM the same image share it, while another
        # name of the same image is a vertex of its own (with the same cache).
        if f"{ref} {key}" in shown_from:
            return key
        shown_from.add(f"{ref} {key}")
        for chain_id in fs.chain_ids(image.diff_ids):  # BuildKit's records of its layers
            if cache_records.note_base_layer(self.engine, chain_id):
                self.made.add(chain_id)
        vertex = self.trace.start(name_of_step, key)
        cached = self._cached(key) is not None
        if not cached:  # the first build that uses it: BuildKit snapshots the image
            if remote is not None:
                self._fetch(vertex, ref, remote)
            self._remember(key, image.chain_id, f"FROM {ref}")
        if remote is not None and (notice := _stand_in_notice(ref)):
            self.trace.warn(vertex, notice)
        self.trace.complete(vertex, cached=cached)
        return key

    def _fetch(self, vertex: Vertex, ref: object, remote: RemoteImage) -> None:
        """The base's layers that are not here yet, as BuildKit's docker driver fetches them:
        the manifest, the config and each missing layer, then the layers are unpacked."""
        from layerlab.engine.sim.registry.formats import compressed_blob

        self.trace.status(vertex, f"resolve {ref}@{remote.digest}")
        chain = fs.chain_ids(layer.diff_id for layer in remote.layers)
        missing = [
            i for i, chain_id in enumerate(chain) if self.engine.layers.get(chain_id) is None
        ]
        if not missing:
            return
        sizes = {}
        for i in missing:
            layer = remote.layers[i]
            tar = layer.tar if layer.tar is not None else self.engine.layers.tar(layer.diff_id)
            sizes[i] = compressed_blob(tar)[1]
            self.engine.layers.add(chain[i - 1] if i else "", tar, size=layer.size)
            self.trace.status(vertex, f"extracting {layer.digest}")
        for digest, size in [(remote.digest, len(remote.manifest)),
                             ("sha256:" + remote.image_id.removeprefix("sha256:"),
                              len(remote.config))]:  # fmt: skip
            self.trace.status(vertex, digest, size, total=size)
        for i in missing:
            self.trace.status(vertex, remote.layers[i].digest, sizes[i], total=sizes[i])

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
                return _make_dir(self.engine, workdir, user, tree)

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
        key = _cache_key(result.key, ins.keyword, identity)
        vertex = vertex or self.trace.start(self._prefixed(shown), key)
        found = self._cached(key)
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
            created = self._remember(key, chain, history_text)
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
        key = _cache_key(result.key, "RUN", [cmd, env, user, workdir])
        vertex = self.trace.start(self._prefixed(shown), key)

        def execute(tree: fs.Tree) -> fs.Tree:
            return self._execute(cmd, env, user, workdir, vertex, result.chain_id, tree)

        return self._layer(ins, result, shown, [cmd, env, user, workdir], history_text, True,
                           execute, vertex)  # fmt: skip

    def _execute(
        self,
        cmd: list[str],
        env: list[str],
        user: str,
        workdir: str,
        vertex: Vertex,
        chain_id: str,
        tree: fs.Tree,
    ) -> fs.Tree:
        from layerlab.engine.sim.containers.runtime import exec_error_text, process_context
        from layerlab.engine.sim.programs.executable import ExecError
        from layerlab.engine.sim.programs.process import run_process

        started = self.engine.clock.now()
        hostname = self.engine.ids.hex64()[:12]
        context = process_context(tree, env, user, workdir, hostname, started)
        if chain_id:  # a real program's files: the image's, prepared once (runtimes/overlay)
            context.base = (chain_id, self.engine.layers.tree(chain_id))
        command = go_quote(" ".join(cmd))
        try:
            run = run_process(cmd, context)
        except ExecError as err:  # runc's words in the step's log, and BuildKit's exit code 1
            reason = f"runc run failed: unable to start container process: {exec_error_text(err)}"
            self.trace.log(vertex, 2, reason + "\n", started)
            raise StepFailed(
                f"process {command} did not complete successfully: exit code: 1"
            ) from None
        for stream, data, offset in run.output:
            self.trace.log(vertex, stream, data.decode("utf-8", errors="replace"), started + offset)
        if run.runs_forever:
            raise StepFailed(
                f"process {command} never finished: it keeps running (like a server), so the "
                "real engine would wait for it forever. LayerLab stopped the build instead; start "
                "long-running programs with CMD and `docker run`, not RUN."
            )
        self.engine.clock.advance(run.duration)
        if run.exit_code != 0:
            raise StepFailed(
                f"process {command} did not complete successfully: exit code: {run.exit_code}"
            )
        return context.tree

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
                f"failed to calculate checksum of ref {self._context_ref()}: "
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

    def _context_ref(self) -> str:
        """BuildKit's name for the context it received: a session's UUID and a snapshot ID."""
        digits = self.engine.ids.hex64()
        uuid = f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-b{digits[17:20]}-{digits[20:32]}"
        number, snapshot = int(digits[32:], 16), ""
        while len(snapshot) < 25:
            number, digit = divmod(number, 36)
            snapshot += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
        return f"{uuid}::{snapshot}"

    # -- the image ------------------------------------------------------------------------------
    def _image(self, state: StageState, result: Result) -> str:
        config = {k: v for k, v in state.run_config.items() if v not in (None, "", [], {}, False)}
        config.pop("Image", None)
        if state.cmd_set:
            config["ArgsEscaped"] = True
        history = dated(result.history)
        doc: Json = {
            "architecture": "amd64",
            "config": config,
            "created": history[-1]["created"] if history else rfc3339(self.engine.clock.now()),
            "history": history,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": result.diff_ids},
        }
        raw = go_json(doc).encode()
        return self.engine.image_store.put(raw, "", self.engine.clock.now())

    def _prefixed(self, text: str) -> str:
        """BuildKit's step name: ``[build 2/10] RUN …`` (the stage's name when there are
        several, the index padded to the total's width)."""
        stage = self.stage
        stage.counted += 1
        width = int(1 + math.log10(stage.total)) if stage.total else 1
        label = f"{stage.label} " if stage.label else ""
        return f"[{label}{stage.counted:>{width}}/{stage.total}] {text}"

    # -- the build cache ------------------------------------------------------------------------
    def _cached(self, key: str) -> tuple[str, float] | None:
        """The layer chain a step with this key made, and when; None if it must run."""
        if self.nocache:
            return None
        row = self.engine.store.one("SELECT chain_id, created FROM build_cache WHERE key = ?", key)
        if row is None:
            return None
        chain_id = str(row[0])
        if chain_id and self.engine.layers.get(chain_id) is None:
            return None
        self.engine.store.execute(
            "UPDATE build_cache SET last_used = ? WHERE key = ?", self.engine.clock.now(), key
        )
        return chain_id, float(row[1])

    def _remember(self, key: str, chain_id: str, description: str) -> float:
        now = self.engine.clock.now()
        self.engine.store.execute(
            "INSERT OR REPLACE INTO build_cache(key, chain_id, description, created, last_used)"
            " VALUES (?, ?, ?, ?, ?)",
            key, chain_id, description, now, now,
        )  # fmt: skip
        return now


def _stand_in_notice(ref: Any) -> str | None:
    """LayerLab's notice for a Hub tag of python or node whose runtime is the host's."""
    if ref.domain != "docker.io" or not ref.tag:
        return None
    from layerlab.engine.sim.registry.hub.official import stand_in_notice

    return stand_in_notice(ref.path, ref.tag)


def _found(origin: SourceTree, original: str, command: str) -> bool:
    try:
        origin.resolve(original, command)
    except CopyError:
        return False
    return True


def _make_dir(engine: ContainerBackend, workdir: str, user: str, tree: fs.Tree) -> fs.Tree:
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
