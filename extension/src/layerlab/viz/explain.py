"""The build explainer: for the last ``docker build``, which steps came from the cache, which
step broke it, and why.

The classic builder reuses a step when an image exists whose parent is the previous step's
image and whose build config (the instruction, with a COPY/ADD's file checksum, build args,
environment, labels) is the same. So the first rebuilt step is explained by comparing it
with the earlier images built on the same parent (through the Engine API); every later step
is rebuilt because its parent is new.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from layerlab.engine.errors import EngineError
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
        name = ", ".join(self.tags) or "untagged image"
        lines = [f"last build: {name}"]
        if self.note:
            lines.append(self.note)
        for step in self.steps:
            mark = {"base": "base  ", "cached": "cache ✓", "built": "built ", "failed": "FAILED"}
            lines.append(f"  {mark[step.outcome]} {step.number:>2}. {step.instruction}")
            if step.reason:
                lines.append(f"           ↳ {step.reason}")
        if self.error:
            lines.append(f"error: {self.error}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        colours = {"base": "#eee", "cached": "#d9f2d9", "built": "#fde2c8", "failed": "#f8c9c9"}
        rows = "".join(
            f"<tr style='background:{colours[s.outcome]}'><td>{s.number}</td>"
            f"<td>{s.outcome}</td><td><code>{html.escape(s.instruction)}</code></td>"
            f"<td>{html.escape(s.reason)}</td></tr>"
            for s in self.steps
        )
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        error = f"<p><b>error:</b> {html.escape(self.error)}</p>" if self.error else ""
        return (
            f"<div class='layerlab-build-explainer'><b>last build: "
            f"{html.escape(', '.join(self.tags) or 'untagged image')}</b>{note}"
            "<table><tr><th>step</th><th>outcome</th><th>instruction</th><th>why</th></tr>"
            f"{rows}</table>{error}</div>"
        )


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
    steps = [BuildStep(1, "FROM (base image)", "base", short(local[0]["Id"]))] if local else []
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
        return BuildExplanation([], note="no build has run in this session yet")
    steps, error = parse_steps(record.messages)
    result = BuildExplanation(list(record.tags), steps, error)
    if not steps and not error:  # `build -q`: the daemon sent only the image ID
        result.steps = steps = quiet_steps(engine, record)
        result.note = "a quiet build: cache use is read from when each step's image was made"
    if record.engine != engine.name:
        result.note = f"(that build ran on the {record.engine} engine; now on {engine.name})"
    first = result.breaker
    if first is None:
        if steps:
            result.note = result.note or "every step came from the cache: nothing was rebuilt"
        return result
    index = steps.index(first)
    if record.nocache:
        first.reason = "--no-cache: the builder did not look for cached steps"
    elif index == 0:
        first.reason = "the first step has no parent image to reuse a cache from"
    else:
        first.reason = _why_rebuilt(engine, steps[index - 1], first, steps)
    for later in steps[index + 1 :]:
        if later.outcome == "built":
            later.reason = "rebuilt because an earlier step was: its parent image is new"
    return result


def _cmd_text(config: Json) -> str:
    return instruction_text(" ".join(config.get("ContainerConfig", {}).get("Cmd") or []))


def _why_rebuilt(engine: Engine, parent: BuildStep, step: BuildStep, steps: list[BuildStep]) -> str:
    try:
        parent_data = engine.inspect_image(parent.image_id)
        listed = engine.images(all=True)
        built = engine.inspect_image(step.image_id) if step.image_id else None
    except EngineError as err:
        return f"cannot tell: {err}"
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
        return f"the instruction changed: the cached step was `{before}`, now `{wanted}`"
    if built is not None:
        keys = sorted(
            key
            for key in set(built["ContainerConfig"]) | set(earlier["ContainerConfig"])
            if key not in ("Hostname", "Image")
            and built["ContainerConfig"].get(key) != earlier["ContainerConfig"].get(key)
        )
        if keys:
            return f"same instruction, but the build config differs in {', '.join(keys)}"
    return "no cached image matched this step"


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
            return (
                f"its parent changed: this same step was cached on top of image "
                f"{short(row['ParentId'])}, but now follows {parent.image_id} "
                f"(`{parent.instruction}`)"
            )
    return (
        f"nothing was built on image {parent.image_id} (`{parent.instruction}`) before: "
        "the first build of this step on this parent"
    )


def _changed_files(engine: Engine, earlier_id: str, new_id: str) -> str:
    """Name the files whose content differs between the cached and the new COPY/ADD layer."""
    try:
        old_files, new_files = image_files(engine, earlier_id), image_files(engine, new_id)
    except EngineError as err:
        return f"the files it copies changed (cannot compare them: {err})"
    old = old_files.contents(len(old_files.layers) - 1) if old_files.layers else {}
    new = new_files.contents(len(new_files.layers) - 1) if new_files.layers else {}
    changed = sorted(p for p in old.keys() & new.keys() if old[p] != new[p])
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    parts = []
    if changed:
        parts.append("changed: " + ", ".join(changed))
    if added:
        parts.append("new: " + ", ".join(added))
    if removed:
        parts.append("gone: " + ", ".join(removed))
    detail = "; ".join(parts) or "the file checksum differs"
    return f"a file it copies changed since the cached build ({detail})"
