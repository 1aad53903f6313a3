"""Seeing layers: graphs of images, layers and containers, explorer widgets and a build
explainer. Everything here reads the engine only through the Engine API, so it works the same
on the simulated and on a real engine."""

from __future__ import annotations

from layerlab.viz.explain import BuildExplanation, explain_build
from layerlab.viz.graph import GraphSpec, graph_spec, layer_graph, layer_view
from layerlab.viz.magics import draw
from layerlab.viz.render import LayerGraph, RendererUnavailable, available_renderer, render_svg
from layerlab.viz.state import EngineState, collect_state
from layerlab.viz.widgets import ContainerExplorer, ImageExplorer

__all__ = [
    "BuildExplanation",
    "ContainerExplorer",
    "EngineState",
    "GraphSpec",
    "ImageExplorer",
    "LayerGraph",
    "RendererUnavailable",
    "available_renderer",
    "collect_state",
    "draw",
    "explain_build",
    "graph_spec",
    "layer_graph",
    "layer_view",
    "render_svg",
]
