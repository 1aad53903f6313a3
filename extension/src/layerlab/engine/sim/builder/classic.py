"""``docker build`` in the simulated engine: the classic builder of Docker Engine 20.10.

The build emits events (:mod:`.events`) that :class:`.events.ClassicStream` makes into the
daemon's build stream, split where it splits them (measured with
``APIClient.build(decode=True)``): ``Step 2/6 : COPY a /`` and ``\\n`` arrive separately, then
`` ---> Using cache`` / `` ---> Running in <12hex>`` / RUN output / ``Removing intermediate
container <12hex>`` and `` ---> <12hex>``; ``{"aux": {"ID": …}}`` after each stage; the
``[Warning] One or more build-args [...] were not consumed`` line; ``Successfully built`` and one
``Successfully tagged`` per tag. ``quiet`` keeps all of that back and sends only the image ID
(or, on failure, everything, then the error). Errors found before any output (tags, a missing or
unparsable Dockerfile) are raised, as the daemon answers them with an HTTP error instead.
"""

from __future__ import annotations

import lzma
import tarfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import EngineError, InvalidArgument
from layerlab.engine.reference import InvalidReference, Reference, parse_normalized
from layerlab.engine.sim.builder.context import BuildContext
from layerlab.engine.sim.builder.dockerfile import (
    NO_IMAGE_GENERATED,
    Instruction,
    expand,
    parse_dockerfile_result,
    parse_trigger,
)
from layerlab.engine.sim.builder.events import (
    Built,
    ClassicStream,
    Failed,
    Notice,
    StageDone,
    StepDone,
    StepStarted,
    TriggersStarted,
)
from layerlab.engine.sim.builder.job import BUILTIN_ARGS, Build, StepFailed
from layerlab.engine.sim.builder.stage import StageState, base_run_config
from layerlab.engine.sim.builder.steps import dispatch
from layerlab.engine.sim.images.config import rfc3339
from layerlab.engine.sim.store.clock import DETERMINISTIC_EPOCH

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.images.store import Image

Json = dict[str, Any]


def build(
    engine: ContainerBackend,
    context_tar: bytes,
    *,
    tags: list[str],
    dockerfile: str,
    nocache: bool,
    quiet: bool,
    buildargs: dict[str, str],
    labels: dict[str, str],
    pull: bool,
) -> Iterator[Json]:
    """Build an image from ``context_tar`` and return the daemon's message stream."""
    refs = [tag_reference(tag) for tag in tags]
    context = read_context(engine, context_tar)
    name = dockerfile or "Dockerfile"
    text = _dockerfile_text(context, name)
    parsed = parse_dockerfile_result(text, name)
    stream = ClassicStream()
    session = Build(engine, context, parsed.escape_token, nocache, buildargs, pull, stream)
    for warning in parsed.warnings:
        session.emit(Notice(warning + "\n"))
    image_id = run_build(session, parsed.instructions, labels)
    if image_id is not None:
        now = rfc3339(engine.clock.now())
        for ref in refs:
            engine.image_store.set_ref(ref, image_id, now)
        session.emit(Built(image_id, [ref.familiar() for ref in refs]))
        if quiet:
            return iter([{"stream": f"{image_id}\n"}])
    return iter(stream.messages)


def read_context(engine: ContainerBackend, context_tar: bytes) -> BuildContext:
    """The context the client sent; in deterministic mode every file gets one fixed time."""
    fixed = int(DETERMINISTIC_EPOCH) if engine.clock.deterministic else None
    try:
        return BuildContext.from_tar(context_tar, fixed_mtime=fixed)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError):
        # A compressed context that does not hold a whole tar: the daemon's reader runs dry.
        raise EngineError("unexpected EOF") from None


def tag_reference(tag: str) -> Reference:
    try:
        ref = parse_normalized(tag)
    except InvalidReference as err:
        raise InvalidArgument(str(err)) from None
    if ref.digest:
        raise InvalidArgument("build tag cannot contain a digest")
    return ref.with_default_tag()


def _dockerfile_text(context: BuildContext, name: str) -> str:
    data = context.read(name)
    if data is None and name == "Dockerfile":
        data = context.read("dockerfile")  # the daemon falls back to the lower-case name
    if data is None:
        raise EngineError(f"Cannot locate specified Dockerfile: {name}")
    return data.decode("utf-8", errors="replace")


def _literal(word: str) -> str:
    """``word`` quoted so that Dockerfile expansion gives it back unchanged."""
    return "'" + word.replace("'", "'\\''") + "'"


def run_build(build: Build, instructions: list[Instruction], labels: dict[str, str]) -> str | None:
    """Dispatch every step; the final image ID, or None after a reported error."""
    # `--label` adds one LABEL step per label, sorted, at the end of the last stage.
    for key in sorted(labels):
        shown = f"LABEL {key}={labels[key]}"
        instructions = [
            *instructions,
            Instruction("LABEL", shown, [_literal(key), _literal(labels[key])]),
        ]
    total = len(instructions)
    state: StageState | None = None
    try:
        for number, ins in enumerate(instructions, start=1):
            if ins.keyword == "FROM" and state is not None:
                _end_stage(build, state)
            build.emit(StepStarted(number, total, ins.original))
            if ins.keyword == "ARG" and state is None:
                meta_arg(build, ins)
                continue
            if ins.keyword == "FROM":
                state = _begin_stage(build, ins)
            else:
                assert state is not None  # the parser refuses steps before FROM
                dispatch(build, state, ins)
            build.emit(StepDone(state.image_id))
        if state is not None:
            _end_stage(build, state)
    except EngineError as err:
        code = err.code if isinstance(err, StepFailed) else None
        build.emit(Failed(err.message, code))
        return None
    _warn_unused_args(build)
    final = state.image_id if state is not None else ""
    if not final:
        build.emit(Failed(NO_IMAGE_GENERATED))
        return None
    return final


def meta_arg(build: Build, ins: Instruction) -> None:
    for name, default in ins.pairs:
        env = build.meta_env()
        key = expand(name, env, build.escape)
        build.meta_args[key] = None if default is None else expand(default, env, build.escape)
        build.referenced.add(key)


def _begin_stage(build: Build, ins: Instruction) -> StageState:
    name = expand(ins.args[0], build.meta_env(), build.escape)
    image: Image | None
    if name.lower() == "scratch":
        image = None
    elif name.lower() in build.stage_names and build.stage_names[name.lower()]:
        image = build.engine.image_store.require(build.stage_names[name.lower()])
    else:
        image = build.base_image(name)
    state = StageState(image.id if image else "", base_run_config(image), ins.stage_name or "")
    triggers = list(state.run_config.get("OnBuild") or [])
    state.run_config["OnBuild"] = None
    if triggers:
        build.emit(TriggersStarted(len(triggers)))
        for trigger in triggers:
            dispatch(build, state, parse_trigger(trigger))
    return state


def _end_stage(build: Build, state: StageState) -> None:
    if state.image_id:
        build.emit(StageDone(state.image_id))
    if state.stage_name:
        build.stage_names[state.stage_name] = state.image_id
    build.stage_ids.append(state.image_id)


def _warn_unused_args(build: Build) -> None:
    unused = sorted(k for k in build.options if k not in build.referenced and k not in BUILTIN_ARGS)
    if unused:
        build.emit(
            Notice(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
        )
