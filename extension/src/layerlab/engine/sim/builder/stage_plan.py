"""Which stages a BuildKit build runs and how its steps are named: the Dockerfile's stages, the
ones the target needs, the images ``COPY --from`` reads, and the ONBUILD triggers a base hands
down (measured on Engine 26.1 with buildx 0.13; :mod:`.buildkit` runs the plan)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from layerlab.engine.reference import InvalidReference, parse_normalized
from layerlab.engine.sim.builder.classic import meta_arg
from layerlab.engine.sim.builder.dockerfile import Instruction, expand, parse_trigger
from layerlab.engine.sim.builder.job import Build

if TYPE_CHECKING:
    from layerlab.engine.sim.images.store import Image


@dataclass
class SolveStage:
    """One stage of the Dockerfile, as the solve meets it."""

    index: int
    name: str  # its AS name, lower case ("" for none)
    from_ins: Instruction
    base_name: str  # FROM's word, variables expanded
    steps: list[Instruction] = field(default_factory=list)
    base_stage: int | None = None  # FROM an earlier stage
    label: str = ""  # in step names when there are several stages: "build", "stage-1"
    total: int = 0  # its steps that count: FROM an image, RUN, COPY, ADD, WORKDIR
    counted: int = 0


def plan(build: Build, instructions: list[Instruction]) -> list[SolveStage]:
    """The Dockerfile's stages; ARGs before the first FROM are the build's own."""
    stages: list[SolveStage] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            base = expand(ins.args[0], build.meta_env(), build.escape)
            stages.append(SolveStage(len(stages), (ins.stage_name or "").lower(), ins, base))
        elif stages:
            stages[-1].steps.append(ins)
        else:
            meta_arg(build, ins)
    named = {stage.name: stage.index for stage in stages if stage.name}
    for stage in stages:
        stage.base_stage = named.get(stage.base_name.lower())
        if stage.base_stage is not None and stage.base_stage >= stage.index:
            stage.base_stage = None
        # An image COPY --from reads is a stage of its own for BuildKit: steps get names.
        if len(stages) > 1 or image_sources(stages, stages):
            stage.label = stage_name(stage)
    return stages


def needed(stages: list[SolveStage], target: SolveStage) -> list[SolveStage]:
    """The target and the stages it builds on or copies from, in the Dockerfile's order."""
    wanted: set[int] = set()
    pending = [target.index]
    while pending:
        index = pending.pop()
        if index in wanted:
            continue
        wanted.add(index)
        stage = stages[index]
        if stage.base_stage is not None:
            pending.append(stage.base_stage)
        for ins in stage.steps:
            found = source_stage(stages, ins)
            if found is not None:
                pending.append(found)
    return [stage for stage in stages if stage.index in wanted]


def wrong_source(
    stages: list[SolveStage], among: list[SolveStage], wrong: Callable[[int, SolveStage], bool]
) -> tuple[Instruction, SolveStage] | None:
    """The first ``COPY --from`` of ``among`` that names a stage ``wrong`` for its own."""
    for stage in among:
        for ins in stage.steps:
            source = source_stage(stages, ins)
            if source is not None and wrong(source, stage):
                return ins, stage
    return None


def triggers(
    stages: list[SolveStage], stage: SolveStage, bases: Mapping[str, tuple[Image, object]]
) -> list[Instruction]:
    """The ONBUILD triggers the stage's base hands it: an image's, or the ONBUILD lines of
    the earlier stage it starts from (whose own base's triggers it fired itself). Each runs as a
    step of the stage that fires it, its errors pointing at FROM."""
    if stage.base_stage is not None:
        earlier = stages[stage.base_stage].steps
        texts = [ins.args[0] for ins in earlier if ins.keyword == "ONBUILD"]
    elif stage.base_name in bases:
        image = bases[stage.base_name][0]
        texts = list((image.config.get("config") or {}).get("OnBuild") or [])
    else:
        texts = []
    fired = []
    for text in texts:
        step = parse_trigger(text)
        step.line, step.end_line = stage.from_ins.line, stage.from_ins.end_line
        fired.append(step)
    return fired


def reads_context(steps: list[Instruction]) -> bool:
    return any(ins.keyword in ("COPY", "ADD") and not ins.flags.get("from") for ins in steps)


def image_sources(
    stages: list[SolveStage], among: list[SolveStage]
) -> list[tuple[Instruction, str]]:
    """The ``COPY --from`` words of ``among``'s steps that name no stage of ``stages`` but an
    image, with their instructions, in the Dockerfile's order."""
    named = {stage.name for stage in stages if stage.name}
    found = []
    for stage in among:
        for ins in stage.steps:
            word = ins.flags.get("from") if ins.keyword == "COPY" else None
            if not word or word.lower() in named:
                continue
            if word.isdigit() and int(word) < len(stages):
                continue
            found.append((ins, word))
    return found


def reference(name: str) -> str:
    """An image's full name (``busybox`` and ``docker.io/library/busybox:latest`` are one)."""
    try:
        return str(parse_normalized(name).with_default_tag())
    except InvalidReference:
        return name


def source_stage(stages: list[SolveStage], ins: Instruction) -> int | None:
    """The index of the stage a ``COPY --from`` reads (by name or number), if it names one."""
    word = (ins.flags.get("from") or "").lower() if ins.keyword == "COPY" else ""
    named = {stage.name: stage.index for stage in stages if stage.name}
    found = named.get(word, int(word) if word.isdigit() else None)
    return found if found is not None and found < len(stages) else None


def stage_name(stage: SolveStage) -> str:
    return stage.name or f"stage-{stage.index}"
