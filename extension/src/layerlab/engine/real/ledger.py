"""LayerLab's record of the images it created on real engines in safe mode.

Containers carry a label (``layerlab.engine.real.labels.MANAGED_LABEL``), which docker shows
nowhere unless asked. Images cannot: a build label becomes one more ``LABEL`` step and history
row that the learner never wrote. So the real-engine adapter writes down what it made instead:
the IDs of the images it built and the references it created (with the image each one named),
per engine address and owner, in one JSON file that ``%docker_reset`` reads back.

Several kernels and terminals may share the file, so every read-modify-write holds an exclusive
``flock`` on a lock file beside it, and the new content replaces the old atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "real-engine-ledger.json"
_VERSION = 1


@dataclass
class Entries:
    """What one owner created on one engine: references (``web:1`` -> the image ID it named
    when LayerLab made it) and the IDs of images LayerLab built."""

    references: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.references or self.images)


def default_path() -> Path:
    """``$LAYERLAB_HOME/real-engine-ledger.json`` (the simulator's home directory)."""
    from layerlab.engine.home import default_home

    return default_home() / FILE_NAME


class Ledger:
    """The ledger file at ``path`` (default: ``default_path()``, looked up on each use, so it
    follows ``LAYERLAB_HOME`` as the simulator does)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path or default_path()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The whole document, under the lock; written back if the caller changed it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                document = self._read()
                before = json.dumps(document, sort_keys=True)
                yield document
                if json.dumps(document, sort_keys=True) != before:
                    self._write(document)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {"version": _VERSION, "engines": {}}
        if not isinstance(document, dict) or document.get("version") != _VERSION:
            raise ValueError(f"{self.path} is not a LayerLab ledger (version {_VERSION})")
        return document

    def _write(self, document: dict[str, Any]) -> None:
        # Write beside the file and rename over it: a crash leaves the old or the new ledger.
        handle, temporary = tempfile.mkstemp(prefix=".ledger-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=1, sort_keys=True)
                out.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    @staticmethod
    def _slot(document: dict[str, Any], engine: str, owner: str) -> dict[str, Any]:
        owners = document["engines"].setdefault(engine, {})
        slot = owners.setdefault(owner, {})
        slot.setdefault("references", {})
        slot.setdefault("images", [])
        return slot

    @staticmethod
    def _prune(document: dict[str, Any], engine: str, owner: str) -> None:
        owners = document["engines"].get(engine, {})
        slot = owners.get(owner)
        if slot is not None and not slot["references"] and not slot["images"]:
            del owners[owner]
        if not owners:
            document["engines"].pop(engine, None)

    def record(
        self,
        engine: str,
        owner: str,
        references: dict[str, str] | None = None,
        images: Iterable[str] = (),
    ) -> None:
        """Add what LayerLab just created on ``engine`` for ``owner``."""
        images = list(images)
        if not references and not images:
            return
        with self._locked() as document:
            slot = self._slot(document, engine, owner)
            slot["references"].update(references or {})
            slot["images"].extend(i for i in images if i not in slot["images"])

    def entries(self, engine: str, owner: str) -> Entries:
        with self._locked() as document:
            slot = document["engines"].get(engine, {}).get(owner, {})
            return Entries(dict(slot.get("references", {})), list(slot.get("images", [])))

    def forget(
        self, engine: str, owner: str, references: Iterable[str] = (), images: Iterable[str] = ()
    ) -> None:
        """Drop entries (removed, gone, or no longer LayerLab's)."""
        references, images = set(references), set(images)
        if not references and not images:
            return
        with self._locked() as document:
            slot = document["engines"].get(engine, {}).get(owner)
            if slot is None:
                return
            for reference in references:
                slot["references"].pop(reference, None)
            slot["images"] = [i for i in slot["images"] if i not in images]
            self._prune(document, engine, owner)
