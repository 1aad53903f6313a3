"""How fast LayerLab draws layers: ``python benchmarks/viz.py``.

Goals: the layer graph of 200 images holding 1,000 distinct layers renders (engine reads,
graph, SVG) in at most 1 s; the image explorer opens an image of 50 layers in at most 200 ms.

The states are made on the simulated engine with ``docker load`` (the Engine API's
``load_image``) of generated archives: 20 families of images share 10 layers each, and every
image adds 4 of its own (20 x 10 + 200 x 4 = 1,000 layers), like images pulled from a registry.
Each number is the median of several runs after a warm-up.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import tempfile
from pathlib import Path

from layerlab.engine.sim.engine import SimEngine
from layerlab.viz import ImageExplorer, LayerGraph, collect_state, layer_view
from layerlab.viz.render import RendererUnavailable, available_renderer, render_svg
from timing import median_seconds

GRAPH_GOAL_S = 1.0
EXPLORER_GOAL_S = 0.2


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def archive(images: dict[str, list[str]]) -> bytes:
    """A docker-archive of images given as tag -> layer names (base first); a layer's name
    decides its content, so equal names are one shared layer."""
    members: dict[str, bytes] = {}
    manifest = []
    for tag, layer_names in images.items():
        diff_ids, paths = [], []
        for name in layer_names:
            layer = _tar({f"layers/{name}.txt": f"content of {name}\n".encode()})
            digest = hashlib.sha256(layer).hexdigest()
            diff_ids.append(f"sha256:{digest}")
            paths.append(f"{digest}/layer.tar")
            members[f"{digest}/layer.tar"] = layer
        history = [
            {"created": "2026-01-01T00:00:00Z", "created_by": f"/bin/sh -c #(nop) COPY {n} /"}
            for n in layer_names
        ]
        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }
        raw = json.dumps(config).encode()
        config_name = hashlib.sha256(raw).hexdigest() + ".json"
        members[config_name] = raw
        manifest.append({"Config": config_name, "RepoTags": [tag], "Layers": paths})
    members["manifest.json"] = json.dumps(manifest).encode()
    return _tar(members)


def engine_with(home: Path, images: dict[str, list[str]]) -> SimEngine:
    engine = SimEngine(home=home)
    engine.reset("empty", deterministic=True)
    for message in engine.load_image(archive(images)):
        if "error" in message:
            raise RuntimeError(message["error"])
    return engine


def main() -> int:
    renderer = available_renderer()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        families = {
            f"app{i:03d}:latest": [f"f{i // 10}-{k}" for k in range(10)]
            + [f"i{i}-{k}" for k in range(4)]
            for i in range(200)
        }
        engine = engine_with(Path(tmp) / "graph", families)
        state = collect_state(engine)
        kept = [i for i in state.images.values() if i.kind != "intermediate"]
        print(f"graph state: {len(kept)} images, {len(state.layers)} layers")

        def graph_svg() -> None:
            LayerGraph(layer_view(engine)).svg()

        read = median_seconds(lambda: collect_state(engine))
        spec = median_seconds(lambda: LayerGraph(layer_view(state)).source)
        print(f"  read engine state    {read * 1000:7.1f} ms")
        print(f"  graph + DOT source   {spec * 1000:7.1f} ms")
        if renderer is None:
            print("  no Graphviz renderer here: SVG not measured")
            failures += 1
        else:
            total = median_seconds(graph_svg, runs=3)
            verdict = "ok" if total <= GRAPH_GOAL_S else "TOO SLOW"
            line = f"  read + graph + SVG   {total * 1000:7.1f} ms  ({renderer}, goal ≤ 1000)"
            print(f"{line}  {verdict}")
            failures += total > GRAPH_GOAL_S
        graph = LayerGraph(layer_view(state)).graph
        try:
            wasm = median_seconds(lambda: render_svg(graph, "wasm"), runs=3)
            print(f"  SVG by WebAssembly   {wasm * 1000:7.1f} ms  (the fallback without `dot`)")
        except RendererUnavailable as err:
            print(f"  WebAssembly renderer not measured: {err}")
        engine.close()

        deep = {"deep:latest": [f"d{k}" for k in range(50)], "other:latest": ["d0", "d1", "o"]}
        engine = engine_with(Path(tmp) / "explorer", deep)
        opened = median_seconds(lambda: ImageExplorer(engine, "deep:latest"))
        verdict = "ok" if opened <= EXPLORER_GOAL_S else "TOO SLOW"
        print(f"explorer: open a 50-layer image {opened * 1000:6.1f} ms  (goal ≤ 200)  {verdict}")
        failures += opened > EXPLORER_GOAL_S
        engine.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
