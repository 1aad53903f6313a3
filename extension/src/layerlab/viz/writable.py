"""Plain data for the container explorer: a container's writable layer (`docker diff`) and
what stop, start and rm do to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from layerlab.engine.errors import EngineError, NotFound
from layerlab.i18n import ntr, tr

if TYPE_CHECKING:
    from layerlab.engine.api import Engine

Action = Literal["stop", "start", "rm"]
_KIND = {0: "C", 1: "A", 2: "D"}  # the Engine API's change kinds, as `docker diff` prints them


@dataclass(frozen=True)
class WritableLayer:
    id: str
    name: str
    image: str
    state: str  # created, running, exited, ...
    changes: tuple[tuple[str, str], ...]  # ("A" | "C" | "D", path)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def summary(self) -> str:
        return ntr(
            "container {name} ({id}) from {image}: {state}; writable layer holds {count} change",
            "container {name} ({id}) from {image}: {state}; writable layer holds {count} changes",
            len(self.changes),
            name=self.name, id=self.short_id, image=self.image, state=self.state,
        )  # fmt: skip


@dataclass(frozen=True)
class ActionReport:
    action: Action
    command: str  # the docker command line that does the same
    before: WritableLayer
    after: WritableLayer | None  # None once removed
    message: str
    error: str = ""


def container_choices(engine: Engine) -> list[tuple[str, str]]:
    return [
        (
            f"{(row.get('Names') or ['/?'])[0].lstrip('/')}  [{row['Id'][:12]}] {row.get('State')}",
            row["Id"],
        )
        for row in engine.containers(all=True)
    ]


def writable_layer(engine: Engine, container: str) -> WritableLayer:
    data = engine.inspect_container(container)
    changes = tuple(
        sorted((_KIND.get(c["Kind"], "?"), c["Path"]) for c in engine.diff(container) or [])
    )
    return WritableLayer(
        id=data["Id"],
        name=data.get("Name", "").lstrip("/"),
        image=data.get("Config", {}).get("Image") or data.get("Image", ""),
        state=data.get("State", {}).get("Status", ""),
        changes=changes,
    )


def perform(engine: Engine, container: str, action: Action) -> ActionReport:
    """Do ``action`` through the Engine API and say what became of the writable layer."""
    before = writable_layer(engine, container)
    command = f"docker {action} {before.name}"
    try:
        if action == "stop":
            engine.stop(before.id)
        elif action == "start":
            engine.start(before.id)
        else:
            engine.remove_container(before.id)
    except EngineError as err:
        return ActionReport(action, command, before, before, tr("nothing changed"), str(err))
    try:
        after: WritableLayer | None = writable_layer(engine, before.id)
    except NotFound:
        after = None
    return ActionReport(action, command, before, after, describe(before, after))


def describe(before: WritableLayer, after: WritableLayer | None) -> str:
    n = len(before.changes)
    if after is None:
        return ntr(
            "removed: the writable layer and its {count} change are gone for good; the image "
            "{image} is untouched, so a new container starts clean",
            "removed: the writable layer and its {count} changes are gone for good; the image "
            "{image} is untouched, so a new container starts clean",
            n,
            image=before.image,
        )
    kept = len(set(before.changes) & set(after.changes))
    added = len(set(after.changes) - set(before.changes))
    text = tr(
        "{before} → {after}: the writable layer is kept ({kept} of {count} changes)",
        before=before.state, after=after.state, kept=kept, count=n,
    )  # fmt: skip
    if added:
        text += ntr(
            "; the container's process made {count} new change",
            "; the container's process made {count} new changes",
            added,
        )
    return text
