"""A snapshot of what an engine holds, read only through the Engine API, as plain data.

Images, their layers (keyed by ChainID, so a layer two images share is one entry), their
history steps (metadata-only steps marked ``empty``), tags and containers. Everything the
graph, the widgets and the text views draw comes from an :class:`EngineState`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from layerlab.engine.errors import EngineError

if TYPE_CHECKING:
    from layerlab.engine.api import Engine

Json = dict[str, Any]
ImageKind = Literal["tagged", "dangling", "intermediate"]

# Instructions the classic builder records with "#(nop)" that only change the image config.
METADATA_INSTRUCTIONS = frozenset(
    "ENV CMD LABEL EXPOSE ENTRYPOINT USER VOLUME ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL "
    "MAINTAINER".split()
)
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_SUM = re.compile(r"\b(file|dir|multi):([0-9a-f]{64})")
_SHELL_FORM = re.compile(r"^(\|\d+ (?:\S+=\S* )*)?/bin/sh -c ")


@dataclass(frozen=True)
class Step:
    """One row of ``docker history``, base first."""

    instruction: str  # readable: "RUN echo hi", "COPY file:ef23… in /f.txt", "ENV X=1"
    created_by: str  # exactly as the engine reports it
    size: int
    empty: bool  # metadata only: no layer
    image_id: str | None  # the local image this step produced, None for "<missing>"
    created: int = 0


@dataclass(frozen=True)
class Layer:
    chain_id: str
    diff_id: str
    parent: str | None  # ChainID of the layer below
    instruction: str
    size: int


@dataclass(frozen=True)
class Image:
    id: str
    tags: tuple[str, ...]
    kind: ImageKind
    layers: tuple[str, ...]  # ChainIDs, base first
    steps: tuple[Step, ...]
    parent: str
    created: int
    size: int

    @property
    def short_id(self) -> str:
        return short(self.id)

    @property
    def name(self) -> str:
        """What a learner would call it: its first tag, else its short ID."""
        return self.tags[0] if self.tags else self.short_id


@dataclass(frozen=True)
class Container:
    id: str
    name: str
    image_id: str
    image: str  # as given to `docker run`
    state: str  # created, running, exited, ...
    status: str
    changes: int | None  # entries in `docker diff`, None when not asked for


@dataclass
class EngineState:
    engine: str
    images: dict[str, Image] = field(default_factory=dict)
    layers: dict[str, Layer] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)
    _users: dict[str, list[Image]] | None = field(default=None, repr=False, compare=False)

    def users_of(self, chain_id: str) -> list[Image]:
        """Tagged and dangling images whose layers include ``chain_id``."""
        if self._users is None:  # built once: graphs ask this for every layer
            self._users = {}
            for image in self.images.values():
                if image.kind != "intermediate":
                    for layer in image.layers:
                        self._users.setdefault(layer, []).append(image)
        return list(self._users.get(chain_id, []))

    def resolve(self, name: str) -> Image | None:
        """An image by tag (``app`` means ``app:latest``), full ID or ID prefix."""
        wanted = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
        for image in self.images.values():
            if name in image.tags or wanted in image.tags:
                return image
        bare = name.removeprefix("sha256:")
        if len(bare) >= 4:
            matches = [i for i in self.images.values() if i.id[7:].startswith(bare)]
            if len(matches) == 1:
                return matches[0]
        return None


class InspectCache:
    """Image inspect and history results by image ID. An image ID is the digest of its config,
    so both stay valid as long as the ID exists (tags are read fresh from ``images``)."""

    def __init__(self) -> None:
        self.inspected: dict[str, Json] = {}
        self.histories: dict[str, list[Json]] = {}

    def inspect(self, engine: Engine, image_id: str) -> Json:
        if image_id not in self.inspected:
            self.inspected[image_id] = engine.inspect_image(image_id)
        return self.inspected[image_id]

    def history(self, engine: Engine, image_id: str) -> list[Json]:
        if image_id not in self.histories:
            self.histories[image_id] = engine.history(image_id)
        return self.histories[image_id]


def short_sums(text: str) -> str:
    """``COPY file:<64 hex> in /app`` reads better as ``COPY file:ef23827ba10c… in /app``."""
    return _SUM.sub(lambda m: f"{m.group(1)}:{m.group(2)[:12]}…", text)


def short(image_or_layer_id: str) -> str:
    return image_or_layer_id.removeprefix("sha256:")[:12]


def chain_ids(diff_ids: list[str]) -> list[str]:
    """ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    chain: list[str] = []
    for diff_id in diff_ids:
        if not chain:
            chain.append(diff_id)
        else:
            digest = hashlib.sha256(f"{chain[-1]} {diff_id}".encode()).hexdigest()
            chain.append(f"sha256:{digest}")
    return chain


def instruction_text(created_by: str) -> str:
    """The Dockerfile line a history row came from, as a learner would write it."""
    text = created_by.strip().removesuffix("# buildkit").strip()
    nop = _NOP.match(text)
    if nop:
        return text[nop.end() :].strip()
    shell = _SHELL_FORM.match(text)
    if shell:
        args = (shell.group(1) or "").strip()
        command = text[shell.end() :]
        build_args = " ".join(args.split()[1:])
        return f"RUN {command}" + (f"  (build args: {build_args})" if build_args else "")
    return text


def is_metadata(instruction: str) -> bool:
    return instruction.split(" ", 1)[0].upper() in METADATA_INSTRUCTIONS


def collect_state(
    engine: Engine, cache: InspectCache | None = None, diffs: bool = True
) -> EngineState:
    """Read the engine's images, layers and containers. ``diffs`` counts each container's
    changed files (one ``diff`` call per container)."""
    cache = cache or InspectCache()
    state = EngineState(engine=engine.name)
    listed = engine.images(all=True)
    parents = {row.get("ParentId") or "" for row in listed}
    layer_counts: dict[str, int] = {}
    inspected: dict[str, Json] = {}
    for row in listed:
        try:
            inspected[row["Id"]] = cache.inspect(engine, row["Id"])
        except EngineError:  # removed since it was listed
            continue
        layer_counts[row["Id"]] = len(inspected[row["Id"]].get("RootFS", {}).get("Layers") or [])
    for row in listed:
        data = inspected.get(row["Id"])
        if data is None:
            continue
        try:
            history = cache.history(engine, row["Id"])
        except EngineError:
            continue
        tags = tuple(t for t in row.get("RepoTags") or [] if t != "<none>:<none>")
        kind: ImageKind = "tagged"
        if not tags:
            kind = "intermediate" if row["Id"] in parents else "dangling"
        diff_ids = list(data.get("RootFS", {}).get("Layers") or [])
        steps = assign_steps(history, len(diff_ids), layer_counts)
        chain = chain_ids(diff_ids)
        layer_steps = [s for s in steps if not s.empty]
        for index, chain_id in enumerate(chain):
            if chain_id not in state.layers:
                step = layer_steps[index] if index < len(layer_steps) else None
                state.layers[chain_id] = Layer(
                    chain_id=chain_id,
                    diff_id=diff_ids[index],
                    parent=chain[index - 1] if index else None,
                    instruction=step.instruction if step else "(unknown step)",
                    size=step.size if step else 0,
                )
        state.images[row["Id"]] = Image(
            id=row["Id"],
            tags=tags,
            kind=kind,
            layers=tuple(chain),
            steps=tuple(steps),
            parent=row.get("ParentId") or "",
            created=int(row.get("Created") or 0),
            size=int(row.get("Size") or 0),
        )
    for row in engine.containers(all=True):
        changes = None
        if diffs:
            try:
                changes = len(engine.diff(row["Id"]) or [])
            except EngineError:
                changes = None
        names = row.get("Names") or [""]
        state.containers[row["Id"]] = Container(
            id=row["Id"],
            name=names[0].lstrip("/"),
            image_id=row.get("ImageID", ""),
            image=row.get("Image", ""),
            state=row.get("State", ""),
            status=row.get("Status", ""),
            changes=changes,
        )
    return state


def assign_steps(history: list[Json], layer_count: int, layer_counts: dict[str, int]) -> list[Step]:
    """History rows (top first, as the API gives them) as steps base first, each marked empty
    or not. The API does not say which rows made a layer: where a row names a local image we
    know its layer count exactly; the rest are guessed from the instruction and size, then
    corrected so the number of layer steps matches the image's layers."""
    rows = list(reversed(history))
    known: list[int | None] = []
    for row in rows:
        image_id = row.get("Id") or ""
        known.append(layer_counts.get(image_id) if image_id.startswith("sha256:") else None)
    made_layer: list[bool] = [False] * len(rows)
    below = 0  # layers below the current row, when known
    unknown: list[int] = []  # rows whose layer-ness is still open, in order
    for index in range(len(rows)):
        count = known[index]
        if count is None or (index and known[index - 1] is None):
            unknown.append(index)
            if count is not None:  # first known row after unknown ones: settle them
                _settle(rows, unknown, count - below, made_layer)
                unknown = []
                below = count
            continue
        made_layer[index] = count > below
        below = count
    if unknown:
        _settle(rows, unknown, layer_count - below, made_layer)
    steps = []
    for index, row in enumerate(rows):
        created_by = row.get("CreatedBy", "")
        image_id = row.get("Id") or ""
        steps.append(
            Step(
                instruction=instruction_text(created_by),
                created_by=created_by,
                size=int(row.get("Size") or 0),
                empty=not made_layer[index],
                image_id=image_id if image_id.startswith("sha256:") else None,
                created=int(row.get("Created") or 0),
            )
        )
    return steps


def _settle(rows: list[Json], indexes: list[int], wanted: int, made_layer: list[bool]) -> None:
    """Mark ``wanted`` of ``indexes`` as layer steps, most likely first: a non-zero size, then
    file-changing instructions, then a RUN whose layer only deletes (size 0)."""

    def likelihood(index: int) -> int:
        row = rows[index]
        text = instruction_text(row.get("CreatedBy", ""))
        if int(row.get("Size") or 0) > 0:
            return 3
        if is_metadata(text):
            return 0
        return 2 if text.split(" ", 1)[0] in ("ADD", "COPY") else 1

    ranked = sorted(indexes, key=lambda i: (-likelihood(i), i))
    for index in ranked[: max(wanted, 0)]:
        made_layer[index] = True
