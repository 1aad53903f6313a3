"""What a BuildKit build writes into its image and says at the end: the history rows in
BuildKit's words (``RUN /bin/sh -c … # buildkit``, ``ENV A=b``, the comment
``buildkit.dockerfile.v0``), dated as its exporter dates them, and the export's vertex, which
names the image (measured on Engine 26.1 with buildx 0.13)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerlab.engine.sim.builder.dockerfile import Instruction, expand
from layerlab.engine.sim.builder.job import Build
from layerlab.engine.sim.builder.solve_status import Trace
from layerlab.engine.sim.builder.stage import StageState, go_quote_list
from layerlab.engine.sim.builder.steps import stage_env
from layerlab.engine.sim.images.config import go_json, rfc3339

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]

HISTORY_COMMENT = "buildkit.dockerfile.v0"


def history_row(text: str, created: float | None) -> Json:
    """A history row; ``created`` None for a row that makes no layer (dated by :func:`dated`)."""
    entry: Json = {"created": created, "created_by": text, "comment": HISTORY_COMMENT}
    if created is None:
        entry["empty_layer"] = True
    return entry


def dated(history: list[Json]) -> list[Json]:
    """The exporter's dates for rows that make no layer: the first new layer's time for rows
    before it, then the time of the layer before each (BuildKit's exporter fills them so)."""
    rows = [dict(row) for row in history]
    first: Any = None
    seen_undated = False
    for row in rows:
        if row["created"] is not None:
            first = row["created"]
            if seen_undated:
                break
        else:
            seen_undated = True
    current, seen_undated = first, False
    for row in rows:
        if row["created"] is None:
            seen_undated = True
            row["created"] = current
        elif seen_undated:
            current = row["created"]
    for row in rows:
        if isinstance(row["created"], float | int):
            row["created"] = rfc3339(row["created"])
    return rows


def declared_args(build: Build, state: StageState) -> list[tuple[str, str]]:
    """The stage's ARGs with their values, as BuildKit writes them before a RUN's command."""
    out = []
    for key in state.allowed_args:
        value = build.arg_value(key, state.allowed_args)
        out.append((key, value if value is not None else ""))
    return out


def metadata_text(build: Build, state: StageState, ins: Instruction) -> str:
    """The history row BuildKit writes for an instruction that only changes the config."""
    config = state.run_config
    keyword = ins.keyword
    env = stage_env(build, state)
    if keyword in ("ENV", "LABEL"):
        pairs = [(expand(k, env, build.escape), expand(v, env, build.escape)) for k, v in ins.pairs]
        return keyword + "".join(f" {k}={v}" for k, v in pairs)
    if keyword == "ARG":
        return "ARG " + " ".join(k if v is None else f"{k}={v}" for k, v in ins.pairs)
    if keyword == "CMD":
        return f"CMD {go_quote_list(list(config.get('Cmd') or []))}"
    if keyword == "ENTRYPOINT":
        return f"ENTRYPOINT {go_quote_list(list(config.get('Entrypoint') or []))}"
    if keyword == "EXPOSE":
        ports = " ".join(f"{p}:{{}}" for p in sorted(config.get("ExposedPorts") or {}))
        return f"EXPOSE map[{ports}]"
    if keyword == "VOLUME":
        return f"VOLUME [{' '.join(sorted(config.get('Volumes') or {}))}]"
    if keyword == "USER":
        return f"USER {config.get('User') or ''}"
    if keyword == "STOPSIGNAL":
        return f"STOPSIGNAL {config.get('StopSignal') or ''}"
    if keyword == "SHELL":
        return f"SHELL [{' '.join(config.get('Shell') or [])}]"
    if keyword == "MAINTAINER":
        return f"MAINTAINER {' '.join(ins.args)}"
    return ins.original


def export(
    engine: ContainerBackend, trace: Trace, image_id: str, refs: list[Any], names: list[str]
) -> None:
    vertex = trace.start("exporting to image")
    trace.status(vertex, "exporting layers")
    trace.status(vertex, f"writing image {image_id}")
    now = rfc3339(engine.clock.now())
    for ref in refs:
        engine.image_store.set_ref(ref, image_id, now)
    for name in names:
        trace.status(vertex, f"naming to {name}")
    trace.complete(vertex)
    trace.image(image_id)


def write_image(
    engine: ContainerBackend, state: StageState, diff_ids: list[str], history: list[Json]
) -> str:
    """The image a solve ends with: the stage's config, its layers and its dated history, with
    no parent (BuildKit keeps no intermediate images). Returns its ID."""
    config = {k: v for k, v in state.run_config.items() if v not in (None, "", [], {}, False)}
    config.pop("Image", None)
    if state.cmd_set:
        config["ArgsEscaped"] = True
    rows = dated(history)
    doc: Json = {
        "architecture": "amd64",
        "config": config,
        "created": rows[-1]["created"] if rows else rfc3339(engine.clock.now()),
        "history": rows,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return engine.image_store.put(go_json(doc).encode(), "", engine.clock.now())
