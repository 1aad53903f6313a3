"""How the classic builder turns a step into an image: run configs, the cache probe, commits.

Facts measured on Docker Engine 20.10 (classic builder):

- Every step after FROM commits a child image whose ``config`` is the stage's run config (with
  ``Image`` = the parent image ID) and whose ``container_config`` is the *probe*: the run config
  with ``Cmd`` replaced by the step's comment (``["/bin/sh", "-c", "#(nop) ", "ENV A=b"]``), by
  ``["/bin/sh", "-c", "#(nop) COPY file:<sum> in /app "]`` for COPY/ADD/WORKDIR, or by the RUN
  command itself. The history ``created_by`` is that Cmd joined by spaces.
- Steps that create a container (metadata steps, WORKDIR) store it with ``Hostname`` = the short
  container ID and ``Labels`` = ``{}`` when unset, because the daemon fills those in on create;
  RUN and COPY store the probe as it was.
- A layer whose diff is empty is not added to ``rootfs`` and its history row has ``empty_layer``.
- The cache reuses the newest child of the parent whose ``container_config`` equals the probe by
  the daemon's comparison (Cmd, Env, Entrypoint, User, Labels, ports, volumes; not WorkingDir).
- Top-level keys of the image config are sorted; nested ``config`` keys follow Go's struct order.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerlab.engine.profiles import daemon
from layerlab.engine.sim.images.config import DEFAULT_PATH, config_doc, go_json, rfc3339
from layerlab.engine.sim.store import fs
from layerlab.go_strconv import go_quote

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.images.store import Image

Json = dict[str, Any]


def base_run_config(image: Image | None) -> Json:
    """The run config a stage starts from: the base image's config, or an empty one with PATH."""
    config = copy.deepcopy((image.config.get("config") if image else None) or {})
    config = config_doc(config)
    if not config.get("Env"):
        config["Env"] = [DEFAULT_PATH]
    config["Image"] = image.id if image else ""
    return config


def same_config(a: Json, b: Json) -> bool:
    """The daemon's cache comparison of two container configs (Image and Hostname ignored)."""
    if a.get("OpenStdin") or b.get("OpenStdin"):
        return False
    for key in ("AttachStdout", "AttachStderr", "User", "Tty"):
        if a.get(key) != b.get(key):
            return False
    for key in ("Cmd", "Env", "Entrypoint"):
        if list(a.get(key) or []) != list(b.get(key) or []):
            return False
    labels_a, labels_b = a.get("Labels") or {}, b.get("Labels") or {}
    if len(labels_a) != len(labels_b) or any(labels_b.get(k) != v for k, v in labels_a.items()):
        return False
    for key in ("ExposedPorts", "Volumes"):
        keys_a, keys_b = set(a.get(key) or {}), set(b.get(key) or {})
        if len(a.get(key) or {}) != len(b.get(key) or {}) or not keys_a <= keys_b:
            return False
    return True


@dataclass
class StageState:
    """What the classic builder carries from step to step within one stage."""

    image_id: str  # "" for FROM scratch before the first commit
    run_config: Json
    stage_name: str = ""
    maintainer: str = ""
    cmd_set: bool = False
    cache_busted: bool = False
    allowed_args: dict[str, str | None] = field(default_factory=dict)

    @property
    def shell(self) -> list[str]:
        return list(self.run_config.get("Shell") or ["/bin/sh", "-c"])


class Committer:
    """Probes the cache and commits images for one build."""

    def __init__(self, engine: ContainerBackend, nocache: bool) -> None:
        self.engine = engine
        self.nocache = nocache

    # -- cache ----------------------------------------------------------------------------------
    def probe(self, state: StageState, probe_config: Json) -> str | None:
        """The cached child image for this step, or None (which busts the cache for the stage)."""
        if self.nocache or state.cache_busted:
            return None
        images = self.engine.image_store
        if state.image_id:
            candidates = [images.get(i) for i in images.children(state.image_id)]
        else:  # FROM scratch: every image without a parent is a sibling
            candidates = [img for img in images.all() if not img.parent]
        best: Image | None = None
        for image in candidates:
            if image is None:
                continue
            stored = image.config.get("container_config")
            if stored is None or not same_config(stored, probe_config):
                continue
            if best is None or (image.created, image.seq) > (best.created, best.seq):
                best = image
        if best is None:
            state.cache_busted = True
            return None
        return best.id

    # -- commit ---------------------------------------------------------------------------------
    def commit(
        self,
        state: StageState,
        container_config: Json,
        changes: fs.Changes | None,
        container_id: str = "",
    ) -> str:
        """Make the child image of ``state.image_id``; ``changes`` become its layer."""
        engine = self.engine
        parent = engine.image_store.get(state.image_id) if state.image_id else None
        parent_doc = parent.config if parent else {}
        diff_ids = list(parent.diff_ids) if parent else []
        # An empty diff adds no layer: the daemon drops layers whose DiffID is the empty tar's.
        empty = not changes
        if changes:
            layer = engine.layers.add_changes(parent.chain_id if parent else "", changes)
            diff_ids.append(layer.diff_id)
        now = engine.clock.now()
        created = rfc3339(now)
        entry: Json = {"created": created}
        if state.maintainer:
            entry["author"] = state.maintainer
        entry["created_by"] = " ".join(container_config.get("Cmd") or [])
        if empty:
            entry["empty_layer"] = True
        config = config_doc(copy.deepcopy(state.run_config))
        doc: Json = {
            "architecture": parent_doc.get("architecture", "amd64"),
            "config": config,
            "container_config": config_doc(container_config),
            "created": created,
            "docker_version": daemon(engine.profile).version,
            "history": [*(parent_doc.get("history") or []), entry],
            "os": parent_doc.get("os", "linux"),
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        if state.maintainer:
            doc["author"] = state.maintainer
        if container_id:
            doc["container"] = container_id
        raw = go_json(dict(sorted(doc.items()))).encode()
        return engine.image_store.put(raw, state.image_id, now)


def created_container_config(probe_config: Json, container_id: str) -> Json:
    """The probe as the daemon stores it once a container was created from it."""
    stored = copy.deepcopy(probe_config)
    stored["Hostname"] = container_id[:12]
    if stored.get("Labels") is None:
        stored["Labels"] = {}
    return stored


# -- Go's fmt verbs, for the texts the daemon writes into history --------------------------------


def go_quote_list(items: list[str]) -> str:
    """Go's ``%q`` of a []string: ``["cat" "hello.txt"]``."""
    return "[" + " ".join(go_quote(i) for i in items) + "]"


def go_quote_rune(value: int) -> str:
    """Go's ``%q`` of an int: a quoted character literal such as ``'\\x00'`` or ``'A'``."""
    char = chr(value)
    if char == "'":
        return "'\\''"
    if char == "\\":
        return "'\\\\'"
    if char.isprintable():
        return f"'{char}'"
    named = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}
    if value in named:
        return f"'{named[value]}'"
    if value < 0x80:
        return f"'\\x{value:02x}'"
    return f"'\\u{value:04x}'" if value < 0x10000 else f"'\\U{value:08x}'"


def go_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``5s``, ``1m30s``, ``1h0m0s``, ``500ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    n = abs(nanos)
    if n < 1_000_000_000:
        for unit, scale in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= scale:
                return sign + _fraction(n, scale) + unit
    hours, rest = divmod(n, 3600 * 1_000_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000_000)
    seconds = _fraction(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _fraction(value: int, scale: int) -> str:
    whole, frac = divmod(value, scale)
    if not frac:
        return str(whole)
    digits = len(str(scale)) - 1
    return f"{whole}.{frac:0{digits}d}".rstrip("0")


def healthcheck_text(health: Json) -> str:
    """``%q`` of the *HealthConfig as the daemon logs it: ``&{["CMD-SHELL" "true"] "5s" …}``."""
    return "&{{{} {} {} {} {}}}".format(
        go_quote_list(health.get("Test") or []),
        go_quote(go_duration(health.get("Interval", 0))),
        go_quote(go_duration(health.get("Timeout", 0))),
        go_quote(go_duration(health.get("StartPeriod", 0))),
        go_quote_rune(health.get("Retries", 0)),
    )
