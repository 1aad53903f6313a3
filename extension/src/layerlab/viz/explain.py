"""The build explainer: for the last ``docker build``, which steps came from the cache, which
step broke it, and why.

The classic builder reuses a step when an image exists whose parent is the previous step's
image and whose build config (the instruction, with a COPY/ADD's file checksum, build args,
environment, labels) is the same. So the first rebuilt step is explained by comparing it
with the earlier images built on the same parent (through the Engine API); every later step
is rebuilt because its parent is new.

BuildKit (Engine 26.1 with buildx) keeps no intermediate images: its steps and their outcomes
are read from the build's solve status (``[2/4] COPY …``, cached or not), and a step is rebuilt
when no cached result has the same inputs (the instruction, the files it reads, the result of
the step before it).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from layerlab.engine.api import TRACE_ID
from layerlab.engine.errors import EngineError
from layerlab.i18n import tr
from layerlab.viz.layerfiles import image_files
from layerlab.viz.state import instruction_text, short

if TYPE_CHECKING:
    from layerlab.cli.commands.build import BuildRecord
    from layerlab.engine.api import Engine

Json = dict[str, Any]
Outcome = Literal["base", "cached", "built", "failed"]
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_RESULT = re.compile(r"^ ---> ([0-9a-f]{12})$")


@dataclass
class BuildStep:
    number: int
    instruction: str
    outcome: Outcome = "built"
    image_id: str = ""  # short ID of the image this step produced (or the base image)
    reason: str = ""


@dataclass
class BuildExplanation:
    tags: list[str]
    steps: list[BuildStep] = field(default_factory=list)
    error: str = ""
    note: str = ""

    @property
    def breaker(self) -> BuildStep | None:
        return next((s for s in self.steps if s.outcome in ("built", "failed")), None)

    def text(self) -> str:
        name = ", ".join(self.tags) or tr("untagged image")
        lines = [tr("last build: {name}", name=name)]
        if self.note:
            lines.append(self.note)
        marks = _outcome_marks()
        for step in self.steps:
            lines.append(f"  {marks[step.outcome]} {step.number:>2}. {step.instruction}")
            if step.reason:
                lines.append(f"           ↳ {step.reason}")
        if self.error:
            lines.append(tr("error: {error}", error=self.error))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        colours = {"base": "#eee", "cached": "#d9f2d9", "built": "#fde2c8", "failed": "#f8c9c9"}
        names = _outcome_names()
        rows = "".join(
            f"<tr style='background:{colours[s.outcome]}'><td>{s.number}</td>"
            f"<td>{html.escape(names[s.outcome])}</td><td><code>{html.escape(s.instruction)}</code></td>"
            f"<td>{html.escape(s.reason)}</td></tr>"
            for s in self.steps
        )
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        error = (
            f"<p>{html.escape(tr('error: {error}', error=self.error))}</p>" if self.error else ""
        )
        title = tr("last build: {name}", name=", ".join(self.tags) or tr("untagged image"))
        columns = (tr("step"), tr("outcome"), tr("instruction"), tr("why"))
        headings = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
        return (
            f"<div class='layerlab-build-explainer'><b>{html.escape(title)}</b>{note}"
            f"<table><tr>{headings}</tr>{rows}</table>{error}</div>"
        )


def _outcome_names() -> dict[str, str]:
    return {
        "base": tr("base"),
        "cached": tr("cache ✓"),
        "built": tr("built"),
        "failed": tr("FAILED"),
    }


def _outcome_marks() -> dict[str, str]:
    """The outcomes' names padded to one width on a terminal (a Korean letter takes two)."""
    names = _outcome_names()
    width = max(_display_width(name) for name in names.values())
    return {key: name + " " * (width - _display_width(name)) for key, name in names.items()}


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def parse_steps(messages: list[Json]) -> tuple[list[BuildStep], str]:
    """Steps and their outcomes from the build's streamed messages."""
    steps: list[BuildStep] = []
    error = ""
    text = "".join(str(m.get("stream", "")) for m in messages)
    for line in text.splitlines():
        step = _STEP.match(line)
        if step:
            instruction = step.group(3)
            is_from = instruction.split(" ", 1)[0].upper() == "FROM"
            steps.append(BuildStep(int(step.group(1)), instruction, "base" if is_from else "built"))
        elif steps and line == " ---> Using cache":
            steps[-1].outcome = "cached"
        elif steps and _RESULT.match(line):
            steps[-1].image_id = line[-12:]
    for message in messages:
        if "error" in message:
            error = str(message["error"]).strip()
    if error and steps and not steps[-1].image_id:
        steps[-1].outcome = "failed"
    return steps, error


_BUILDKIT_STEP = re.compile(r"^\[ *(\d+)/\d+\] (.*)$")


def buildkit_steps(messages: list[Json]) -> tuple[list[BuildStep], str]:
    """Steps and their outcomes from BuildKit's solve status (what `-q` hides is still sent)."""
    steps: dict[int, BuildStep] = {}
    error = ""
    for message in messages:
        if message.get("id") != TRACE_ID:
            if "error" in message:
                error = str(message["error"]).strip()
            continue
        for vertex in message["aux"].get("vertexes") or []:
            step = _BUILDKIT_STEP.match(str(vertex.get("name", "")))
            if not step:
                continue
            number, instruction = int(step.group(1)), step.group(2)
            is_from = instruction.split(" ", 1)[0].upper() == "FROM"
            outcome: Outcome = "base" if is_from else "built"
            if vertex.get("error"):
                outcome = "failed"
            elif vertex.get("cached") and not is_from:
                outcome = "cached"
            steps[number] = BuildStep(number, instruction, outcome)
    return [steps[number] for number in sorted(steps)], error


def quiet_steps(engine: Engine, record: BuildRecord) -> list[BuildStep]:
    """Steps of a quiet build, from the built image's history: a step whose image is older
    than the build was taken from the cache."""
    image_id = ""
    for message in record.messages:  # {"stream": "sha256:…"} when quiet, else {"aux": {"ID"}}
        aux, stream = message.get("aux"), str(message.get("stream", "")).strip()
        if isinstance(aux, dict) and "ID" in aux:
            image_id = str(aux["ID"])
        elif re.fullmatch(r"sha256:[0-9a-f]{64}", stream):
            image_id = stream
    if not image_id:
        return []
    try:
        history = list(reversed(engine.history(image_id)))
    except EngineError:
        return []
    local = [row for row in history if str(row.get("Id", "")).startswith("sha256:")]
    steps = [BuildStep(1, tr("FROM (base image)"), "base", short(local[0]["Id"]))] if local else []
    for row in local[1:]:
        outcome: Outcome = "cached" if row.get("Created", 0) < int(record.started) else "built"
        instruction = instruction_text(row.get("CreatedBy", ""))
        steps.append(BuildStep(len(steps) + 1, instruction, outcome, short(row["Id"])))
    return steps


def explain_build(engine: Engine, record: BuildRecord | None = None) -> BuildExplanation:
    """Explain the last build run in this process (or ``record``)."""
    if record is None:
        from layerlab.cli.commands import build

        record = build.last_build
    if record is None:
        return BuildExplanation([], note=tr("no build has run in this session yet"))
    buildkit = any(m.get("id") == TRACE_ID for m in record.messages)
    steps, error = (buildkit_steps if buildkit else parse_steps)(record.messages)
    result = BuildExplanation(list(record.tags), steps, error)
    if not steps and not error and not buildkit:  # `build -q`: the daemon sent only the ID
        result.steps = steps = quiet_steps(engine, record)
        result.note = tr("a quiet build: cache use is read from when each step's image was made")
    if record.engine != engine.name:
        result.note = tr(
            "(that build ran on the {then} engine; now on {now})",
            then=record.engine,
            now=engine.name,
        )
    first = result.breaker
    if first is None:
        if steps:
            result.note = result.note or tr("every step came from the cache: nothing was rebuilt")
        return result
    index = steps.index(first)
    if record.nocache:
        first.reason = tr("--no-cache: the builder did not look for cached steps")
    elif index == 0:
        first.reason = tr("the first step has no parent image to reuse a cache from")
    elif buildkit:
        first.reason = tr(
            "BuildKit had no cached result with these inputs: the instruction, the files it "
            "reads, or the result of the step before it changed"
        )
    else:
        first.reason = _why_rebuilt(engine, steps[index - 1], first, steps)
    for later in steps[index + 1 :]:
        if later.outcome == "built" and buildkit:
            later.reason = tr(
                "rebuilt because an earlier step was: the result it starts from is new"
            )
        elif later.outcome == "built":
            later.reason = tr("rebuilt because an earlier step was: its parent image is new")
    return result


def _cmd_text(config: Json) -> str:
    return instruction_text(" ".join(config.get("ContainerConfig", {}).get("Cmd") or []))


def _why_rebuilt(engine: Engine, parent: BuildStep, step: BuildStep, steps: list[BuildStep]) -> str:
    try:
        parent_data = engine.inspect_image(parent.image_id)
        listed = engine.images(all=True)
        built = engine.inspect_image(step.image_id) if step.image_id else None
    except EngineError as err:
        return tr("cannot tell: {error}", error=err)
    new_id = built["Id"] if built else ""
    siblings = [
        engine.inspect_image(row["Id"])
        for row in listed
        if row.get("ParentId") == parent_data["Id"] and row["Id"] != new_id
    ]
    wanted = _cmd_text(built) if built else step.instruction
    if not siblings:
        return _no_earlier_child(engine, listed, parent, wanted, new_id)
    same_kind = [s for s in siblings if _cmd_text(s).split(" ", 1)[0] == wanted.split(" ", 1)[0]]
    earlier = max(same_kind or siblings, key=lambda s: s.get("Created", ""))
    before = _cmd_text(earlier)
    copies = wanted.split(" ", 1)[0] in ("COPY", "ADD")
    same_target = before.rsplit(" in ", 1)[-1] == wanted.rsplit(" in ", 1)[-1]
    if before != wanted and built is not None and copies and same_target:
        return _changed_files(engine, earlier["Id"], new_id)
    if before != wanted:
        return tr(
            "the instruction changed: the cached step was `{before}`, now `{now}`",
            before=before, now=wanted,
        )  # fmt: skip
    if built is not None:
        keys = sorted(
            key
            for key in set(built["ContainerConfig"]) | set(earlier["ContainerConfig"])
            if key not in ("Hostname", "Image")
            and built["ContainerConfig"].get(key) != earlier["ContainerConfig"].get(key)
        )
        if keys:
            return tr(
                "same instruction, but the build config differs in {keys}", keys=", ".join(keys)
            )
    return tr("no cached image matched this step")


def _no_earlier_child(
    engine: Engine, listed: list[Json], parent: BuildStep, wanted: str, new_id: str
) -> str:
    """Nothing was built on this parent before: the parent itself is new, or it changed."""
    for row in listed:
        if row["Id"] == new_id or not row.get("ParentId"):
            continue
        try:
            other = engine.inspect_image(row["Id"])
        except EngineError:
            continue
        if _cmd_text(other) == wanted:
            return tr(
                "its parent changed: this same step was cached on top of image {cached_on}, "
                "but now follows {parent} (`{instruction}`)",
                cached_on=short(row["ParentId"]), parent=parent.image_id,
                instruction=parent.instruction,
            )  # fmt: skip
    return tr(
        "nothing was built on image {parent} (`{instruction}`) before: "
        "the first build of this step on this parent",
        parent=parent.image_id, instruction=parent.instruction,
    )  # fmt: skip


def _changed_files(engine: Engine, earlier_id: str, new_id: str) -> str:
    """Name the files whose content differs between the cached and the new COPY/ADD layer."""
    try:
        old_files, new_files = image_files(engine, earlier_id), image_files(engine, new_id)
    except EngineError as err:
        return tr("the files it copies changed (cannot compare them: {error})", error=err)
    old = old_files.contents(len(old_files.layers) - 1) if old_files.layers else {}
    new = new_files.contents(len(new_files.layers) - 1) if new_files.layers else {}
    changed = sorted(p for p in old.keys() & new.keys() if old[p] != new[p])
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    parts = []
    if changed:
        parts.append(tr("changed: {paths}", paths=", ".join(changed)))
    if added:
        parts.append(tr("new: {paths}", paths=", ".join(added)))
    if removed:
        parts.append(tr("gone: {paths}", paths=", ".join(removed)))
    detail = "; ".join(parts) or tr("the file checksum differs")
    return tr("a file it copies changed since the cached build ({detail})", detail=detail)
