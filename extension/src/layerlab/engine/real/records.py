"""What a real engine's build, commit, tag, pull and load created, for the ledger (safe mode).

Only what did not exist before counts: a cached build can end on an image someone else built
(``FROM busybox`` alone ends on busybox's own ID), ``tag busybox busybox`` changes nothing,
``pull`` of an up-to-date image and ``load`` of an image already present report the same
references as a first pull or load. So each operation looks at the engine before it starts and
records only the difference, each reference with the image it named at the time: a reference
someone later points elsewhere is no longer LayerLab's.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from layerlab.engine.api import Json
from layerlab.engine.errors import EngineError, InvalidArgument, NotFound

if TYPE_CHECKING:
    from layerlab.engine.real.ledger import Ledger


class RealEngine(Protocol):
    """What the records need of the real-engine adapter (which hands itself in)."""

    base_url: str
    safe_owner: str | None
    ledger: Ledger
    api: Any

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def images(self, name: str | None = None, all: bool = False) -> list[Json]: ...

    def inspect_image(self, image: str) -> Json: ...


_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")
_PULLED = re.compile(r"Status: Downloaded newer image for (\S+)")
_LOADED_REFERENCE = re.compile(r"Loaded image: (\S+)")
_LOADED_ID = re.compile(r"Loaded image ID: (sha256:[0-9a-f]{64})")


def familiar(reference: str) -> str:
    """The form docker prints (``web:latest``, ``localhost:5000/x:1``), so that one reference
    typed two ways is one ledger entry."""
    from layerlab.engine.reference import InvalidReference, parse_normalized

    try:
        return parse_normalized(reference).with_default_tag().familiar()
    except InvalidReference:
        return reference


def image_id(engine: RealEngine, reference: str) -> str | None:
    """The ID ``reference`` names now, or ``None`` when it names nothing (or cannot be asked
    about: the operation itself then reports the problem as docker would)."""
    try:
        return str(engine.inspect_image(reference)["Id"])
    except (NotFound, InvalidArgument):
        return None


def _tag_map(engine: RealEngine, repository: str | None = None) -> dict[str, str]:
    return {
        tag: image["Id"]
        for image in engine.images(name=repository, all=repository is None)
        for tag in image.get("RepoTags") or []
        if tag != "<none>:<none>"
    }


def _all_ids(engine: RealEngine) -> set[str]:
    return set(engine._call(engine.api.images, all=True, quiet=True))


def _save(engine: RealEngine, references: dict[str, str], images: list[str]) -> None:
    if engine.safe_owner:
        engine.ledger.record(engine.base_url, engine.safe_owner, references, images)


def _watch(
    messages: Iterator[Json], note: Callable[[Json], None], commit: Callable[[], None]
) -> Iterator[Json]:
    """Pass the messages on, noting each; once the stream ends (or its reader stops), record
    what it created. An engine error while recording must not hide the stream's own error."""
    try:
        for message in messages:
            note(message)
            yield message
    finally:
        with contextlib.suppress(EngineError):
            commit()


def tag(engine: RealEngine, apply: Callable[[], bool], repository: str, tag: str | None) -> bool:
    target = familiar(f"{repository}:{tag}" if tag else repository)
    before = image_id(engine, target)
    done = apply()
    after = image_id(engine, target)
    if after is not None and after != before:
        _save(engine, {target: after}, [])
    return done


def commit(engine: RealEngine, apply: Callable[[], Json], reference: str | None) -> Json:
    """A commit always makes a new image (its config names the container and the time)."""
    created = apply()
    image = str(created["Id"])
    _save(engine, {familiar(reference): image} if reference else {}, [image])
    return created


def build(
    engine: RealEngine, start: Callable[[], Iterator[Json]], tags: list[str]
) -> Iterator[Json]:
    targets = [familiar(t) for t in tags]
    before = {t: image_id(engine, t) for t in targets}
    existing = _all_ids(engine)
    messages = start()
    built: list[str] = []

    def note(message: Json) -> None:
        aux = message.get("aux") or {}
        if isinstance(aux, dict) and aux.get("ID"):
            built.append(str(aux["ID"]))
        elif _IMAGE_ID.fullmatch(str(message.get("stream", "")).strip()):  # `build -q`
            built.append(str(message["stream"]).strip())

    def commit() -> None:
        if not built:
            return
        new_id = built[-1]
        references = {
            t: new_id for t in targets if before[t] != new_id and image_id(engine, t) == new_id
        }
        _save(engine, references, [] if new_id in existing else [new_id])

    return _watch(messages, note, commit)


def pull(
    engine: RealEngine, start: Callable[[], Iterator[Json]], repository: str, all_tags: bool
) -> Iterator[Json]:
    # `pull -a` reports the repository once, not each tag: compare its tags before and after.
    before = _tag_map(engine, repository) if all_tags else {}
    messages = start()
    pulled: list[str] = []

    def note(message: Json) -> None:
        found = _PULLED.fullmatch(str(message.get("status", "")))
        if found:
            pulled.append(found[1])

    def commit() -> None:
        references: dict[str, str] = {}
        if all_tags:
            if pulled:
                after = _tag_map(engine, repository)
                references = {t: i for t, i in after.items() if before.get(t) != i}
        else:
            for reference in pulled:
                now = image_id(engine, reference)
                if now is not None:
                    references[familiar(reference)] = now
        _save(engine, references, [])

    return _watch(messages, note, commit)


def load(engine: RealEngine, start: Callable[[], Iterator[Json]]) -> Iterator[Json]:
    before_tags = _tag_map(engine)
    existing = _all_ids(engine)
    messages = start()
    loaded_refs: list[str] = []
    loaded_ids: list[str] = []

    def note(message: Json) -> None:
        for line in str(message.get("stream", "")).splitlines():
            if found := _LOADED_ID.fullmatch(line.strip()):
                loaded_ids.append(found[1])
            elif found := _LOADED_REFERENCE.fullmatch(line.strip()):
                loaded_refs.append(found[1])

    def commit() -> None:
        references = {}
        for reference in loaded_refs:
            now = image_id(engine, reference)
            if now is not None and before_tags.get(familiar(reference)) != now:
                references[familiar(reference)] = now
        _save(engine, references, [i for i in loaded_ids if i not in existing])

    return _watch(messages, note, commit)


def removed(engine: RealEngine, report: list[Json]) -> None:
    """Forget what an ``rmi`` through LayerLab took away (its ``Untagged``/``Deleted`` report),
    so that a reference pulled again later by someone else is not taken for LayerLab's."""
    if engine.safe_owner:
        engine.ledger.forget(
            engine.base_url,
            engine.safe_owner,
            references=[familiar(r["Untagged"]) for r in report if "Untagged" in r],
            images=[r["Deleted"] for r in report if "Deleted" in r],
        )
