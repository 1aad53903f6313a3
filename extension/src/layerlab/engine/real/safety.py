"""Safe mode for a real engine on a shared machine.

A real Docker engine is root on its host: ``--privileged``, a host bind mount or the host's
namespaces give a container (and so whoever types the command) the machine. In safe mode, on
by default for the real engine (``%docker_safe off`` or ``LAYERLAB_SAFE=0`` turns it off),
LayerLab refuses the options that reach outside the container, labels the containers it
creates, records the images it builds, commits, tags, pulls and loads in its ledger
(``layerlab.engine.real.ledger``; a build label would show up as a step the learner never
wrote), keeps container and network prunes to its own, refuses the prunes of all unused images
or volumes, and ``%docker_reset`` removes only what carries that label or is in that ledger.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from layerlab.engine.real.labels import CONTAINER, MANAGED_LABEL, managed_value, owner

if TYPE_CHECKING:
    from layerlab.engine.api import Json
    from layerlab.engine.real.engine import RealEngine

REFUSED_EXIT_CODE = 125  # docker's exit code for a run/create it rejects before the daemon

_enforcing: ContextVar[bool] = ContextVar("layerlab_safe_mode", default=False)


def safe_by_default() -> bool:
    """The session's initial setting: on unless ``LAYERLAB_SAFE=0``."""
    return os.environ.get("LAYERLAB_SAFE", "1").strip().lower() not in ("0", "off", "false")


@contextlib.contextmanager
def enforcing(active: bool) -> Iterator[None]:
    """Make ``refuse_unsafe`` refuse while one command runs (the session knows the setting,
    the CLI's option parsing does not)."""
    token = _enforcing.set(active)
    try:
        yield
    finally:
        _enforcing.reset(token)


def enforced() -> bool:
    """Whether safe mode applies to the command running now (see ``enforcing``)."""
    return _enforcing.get()


# -- removing what LayerLab created ------------------------------------------------------------


@dataclass
class Cleanup:
    """What ``remove_managed`` removed, and what it had to leave (with the reason)."""

    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # references, then short IDs
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"removed {len(self.containers)} container(s) and {len(self.images)} image "
            "reference(s) or ID(s) that LayerLab created for you in safe mode; nothing else "
            "was touched"
        )
        return "\n".join([text, *(f"kept {item}" for item in self.kept)])


def remove_managed(engine: RealEngine, who: str | None = None) -> Cleanup:
    """Remove what LayerLab created for ``who`` (default: ``owner()``) on a real engine in safe
    mode, and nothing else: the containers carrying its label, then the references and images
    in its ledger. Nothing is forced: what the daemon refuses to remove (an image someone's
    container uses) is kept and reported."""
    from layerlab.engine.errors import EngineError, NotFound

    who = who or owner()
    done = Cleanup()
    container_label = f"{MANAGED_LABEL}={managed_value(CONTAINER, who)}"
    for container in engine.containers(all=True, filters={"label": [container_label]}):
        name = container["Names"][0].lstrip("/") if container.get("Names") else container["Id"]
        try:
            engine.remove_container(container["Id"], force=True)
            done.containers.append(name)
        except NotFound:
            pass
        except EngineError as exc:
            done.kept.append(f"container {name}: {exc.message}")
    _remove_recorded_images(engine, who, done)
    return done


def _inspect(engine: RealEngine, reference: str) -> Json | None:
    from layerlab.engine.errors import NotFound

    try:
        return engine.inspect_image(reference)
    except NotFound:
        return None


def _remove_recorded_images(engine: RealEngine, who: str, done: Cleanup) -> None:
    """References first (removing an image's last one deletes it and its untagged parents),
    then the images LayerLab built, by ID. Passes repeat while they make progress, so an
    image waiting for a child or a reference removed later gets another turn."""
    from layerlab.engine.errors import EngineError

    ledger, address = engine.ledger, engine.base_url
    entries = ledger.entries(address, who)
    forget_refs: set[str] = set()
    forget_ids: set[str] = set()
    refused: dict[str, str] = {}
    # (reference or ID, the image ID it must still name to be LayerLab's)
    pending = [*entries.references.items(), *((i, i) for i in entries.images)]
    progress = True
    while pending and progress:
        progress, waiting = False, []
        for key, recorded in pending:
            is_reference = key in entries.references
            forget = forget_refs if is_reference else forget_ids
            image = _inspect(engine, key)
            if image is None or image["Id"] != recorded:  # gone, or names another image now
                if image is not None:
                    done.kept.append(f"{key}: it now names another image (tagged outside LayerLab)")
                forget.add(key)
                continue
            if not is_reference:
                tags = image.get("RepoTags") or []
                outside = [t for t in tags if t not in entries.references]
                if outside:  # someone tagged it without LayerLab: it is theirs now
                    done.kept.append(f"image {key[7:19]}: tagged {', '.join(outside)}")
                    forget.add(key)
                    continue
                if tags:  # one of LayerLab's references is still on it
                    waiting.append((key, recorded))
                    continue
            try:
                engine.remove_image(key)  # never forced
            except EngineError as exc:
                refused[key] = exc.message
                waiting.append((key, recorded))
                continue
            done.images.append(key if is_reference else key[7:19])
            forget.add(key)
            progress = True
        pending = waiting
    for key, _ in pending:
        shown = key if key in entries.references else f"image {key[7:19]}"
        done.kept.append(f"{shown}: {refused.get(key, 'a reference to it was kept')}")
    ledger.forget(address, who, references=forget_refs, images=forget_ids)
