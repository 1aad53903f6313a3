"""The layer graph: an engine's images, layers, tags and containers as one graphviz graph.

Built in two pure steps so each can be tested without a renderer: :func:`graph_spec` turns an
:class:`EngineState` into nodes and edges keyed by what they stand for (a layer by its
ChainID, so a shared layer is one node), and :func:`to_digraph` draws a spec, optionally
marking what changed since an earlier state. Node and edge order is sorted, so the same state
always gives the same DOT source and therefore the same SVG bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import graphviz

from layerlab.cli.render import human_size
from layerlab.i18n import ntr, tr
from layerlab.viz.state import EngineState, Image, short, short_sums

if TYPE_CHECKING:
    from layerlab.engine.api import Engine

NodeKind = Literal["layer", "image", "tag", "container"]
MAX_LABEL = 48
MAX_FOLDED = 3

_STYLE: dict[str, dict[str, str]] = {
    "layer": {"shape": "box", "style": "filled", "fillcolor": "#dbe9f6", "color": "#4a78a8"},
    "shared": {"fillcolor": "#a9cbeb", "penwidth": "2"},
    "image": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fdf1d6"},
    "dangling": {"style": "rounded,dashed,filled", "fillcolor": "#eeeeee", "fontcolor": "#555"},
    "tag": {"shape": "cds", "style": "filled", "fillcolor": "#f6d36b", "fontsize": "11"},
    "container": {"shape": "box", "style": "filled,dashed", "fillcolor": "#e3f3e0"},
    "running": {"fillcolor": "#b8e2b0", "style": "filled,bold"},
    "added": {"color": "#1b8a2f", "penwidth": "3"},
    "removed": {"color": "#c62828", "fontcolor": "#c62828", "style": "dashed", "fillcolor": "none"},
    "changed": {"color": "#e08a00", "penwidth": "3"},
}


@dataclass(frozen=True)
class Node:
    key: str  # "layer:<chain id>", "image:<id>", "tag:<name>", "container:<id>"
    kind: NodeKind
    label: str
    classes: tuple[str, ...] = ()  # "shared", "dangling", "running", ...


@dataclass
class GraphSpec:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)  # (below, above)

    def of_kind(self, kind: NodeKind) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]


@dataclass(frozen=True)
class Change:
    """What differs between an earlier spec and the current one."""

    added: frozenset[str]
    removed: frozenset[str]
    changed: frozenset[str]
    added_edges: frozenset[tuple[str, str]]
    removed_edges: frozenset[tuple[str, str]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.removed_edges)


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def selected_images(state: EngineState, focus: Iterable[str] | None) -> list[Image]:
    """The images to draw: tagged and dangling ones (intermediate build images are folded into
    their descendants' layers), or only those named in ``focus``."""
    if focus:
        chosen: dict[str, Image] = {}
        for name in focus:
            image = state.resolve(name)
            if image is None:
                raise KeyError(tr("no such image: {name}", name=name))
            chosen[image.id] = image
        images = list(chosen.values())
    else:
        images = [i for i in state.images.values() if i.kind != "intermediate"]
    return sorted(images, key=lambda i: (i.created, i.id))


def graph_spec(
    state: EngineState, focus: Iterable[str] | None = None, containers: bool = True
) -> GraphSpec:
    spec = GraphSpec()
    images = selected_images(state, focus)
    drawn = dict.fromkeys(c for image in images for c in image.layers)  # base first, once
    for chain_id in drawn:
        layer = state.layers[chain_id]
        lines = [
            _clip(short_sums(layer.instruction)),
            tr("{size} · layer {id}", size=human_size(layer.size), id=short(layer.diff_id)),
        ]
        users = len(state.users_of(chain_id))
        shared = users > 1
        if shared:
            # A drawing of some images only says how many of the sharers it shows.
            shown = sum(chain_id in image.layers for image in images)
            lines.append(
                tr("shared by {users} images ({shown} drawn)", users=users, shown=shown)
                if shown < users
                else tr("shared by {users} images", users=users)
            )
        key = f"layer:{chain_id}"
        spec.nodes[key] = Node(key, "layer", "\n".join(lines), ("shared",) if shared else ())
        if layer.parent is not None:
            spec.edges.add((f"layer:{layer.parent}", key))
    for image in images:
        key = f"image:{image.id}"
        dangling = image.kind == "dangling"
        lines = [
            tr("image {id}", id=image.short_id)
            + (tr("  <none>:<none> (dangling)") if dangling else "")
        ]
        count = len(image.layers)
        lines.append(
            ntr(
                "{count} layer · {size}",
                "{count} layers · {size}",
                count,
                size=human_size(image.size),
            )
        )
        lines.extend(_folded_metadata(image))
        spec.nodes[key] = Node(key, "image", "\n".join(lines), ("dangling",) if dangling else ())
        if image.layers:
            spec.edges.add((f"layer:{image.layers[-1]}", key))
        for tag in image.tags:
            tag_key = f"tag:{tag}"
            spec.nodes[tag_key] = Node(tag_key, "tag", tag)
            spec.edges.add((key, tag_key))
    if containers:
        shown = {i.id for i in images}
        for c in state.containers.values():
            if c.image_id not in shown:
                continue
            key = f"container:{c.id}"
            changed = "?" if c.changes is None else str(c.changes)
            label = (
                tr("container {name}", name=c.name)
                + "\n"
                + tr(
                    "{state} · writable layer: {changes} changes",
                    state=_state_name(c.state),
                    changes=changed,
                )
            )
            classes = ("running",) if c.state == "running" else ()
            spec.nodes[key] = Node(key, "container", label, classes)
            spec.edges.add((f"image:{c.image_id}", key))
    return spec


def _state_name(state: str) -> str:
    """A container's state (Docker's word for it) in the learner's language."""
    names = {
        "created": tr("created"), "running": tr("running"), "paused": tr("paused"),
        "restarting": tr("restarting"), "exited": tr("exited"), "dead": tr("dead"),
    }  # fmt: skip
    return names.get(state, state)


def _folded_metadata(image: Image) -> list[str]:
    """Metadata-only steps make no layer; they are listed on the image they configure."""
    meta = [s.instruction for s in image.steps if s.empty]
    if not meta:
        return []
    lines = [
        ntr(
            "+ {count} metadata step (no layer):", "+ {count} metadata steps (no layer):", len(meta)
        )
    ]
    lines.extend(f"  {_clip(short_sums(text), 40)}" for text in meta[-MAX_FOLDED:])
    if len(meta) > MAX_FOLDED:
        lines.insert(1, "  " + tr("… {count} earlier", count=len(meta) - MAX_FOLDED))
    return lines


def compare(before: GraphSpec, after: GraphSpec) -> Change:
    common = before.nodes.keys() & after.nodes.keys()
    return Change(
        added=frozenset(after.nodes.keys() - before.nodes.keys()),
        removed=frozenset(before.nodes.keys() - after.nodes.keys()),
        changed=frozenset(k for k in common if before.nodes[k].label != after.nodes[k].label),
        added_edges=frozenset(after.edges - before.edges),
        removed_edges=frozenset(before.edges - after.edges),
    )


def _node_id(key: str) -> str:
    """A short, stable graphviz name: kind letter + 12 hex digits; a tag's name made safe for
    DOT (":" would mean a port) plus a hash of the original so no two tags collide."""
    kind, _, ident = key.partition(":")
    if kind == "tag":
        digest = hashlib.sha256(ident.encode()).hexdigest()[:8]
        return "T_" + re.sub(r"[^A-Za-z0-9]", "_", ident) + "_" + digest
    return f"{kind[0].upper()}{short(ident)}"


def _attrs(node: Node, mark: str | None) -> dict[str, str]:
    """The node's style where it differs from a plain layer's (the graph's node default), so
    big graphs stay small; ``class`` lands in the SVG for styling and tests."""
    attrs = dict(_STYLE[node.kind])
    for cls in node.classes:
        attrs.update(_STYLE[cls])
    if mark:
        attrs.update(_STYLE[mark])
    delta = {k: v for k, v in attrs.items() if _STYLE["layer"].get(k) != v}
    delta["class"] = " ".join((node.kind, *node.classes, *([mark] if mark else [])))
    return delta


@dataclass
class Highlighted:
    """A spec with what changed merged in: removed nodes and edges back as ghosts, and a mark
    ("added", "changed", "removed") for each node and edge that differs."""

    spec: GraphSpec
    marks: dict[str, str] = field(default_factory=dict)
    edge_marks: dict[tuple[str, str], str] = field(default_factory=dict)


def highlight_changes(spec: GraphSpec, before: GraphSpec) -> Highlighted:
    change = compare(before, spec)
    merged = GraphSpec(dict(spec.nodes), set(spec.edges))
    result = Highlighted(merged)
    result.marks.update({k: "added" for k in change.added})
    result.marks.update({k: "changed" for k in change.changed})
    for key in change.removed:
        ghost = before.nodes[key]
        merged.nodes[key] = Node(
            key, ghost.kind, tr("removed: {label}", label=ghost.label), ghost.classes
        )
        result.marks[key] = "removed"
    merged.edges |= change.removed_edges
    result.edge_marks.update({e: "added" for e in change.added_edges})
    result.edge_marks.update({e: "removed" for e in change.removed_edges})
    return result


def to_digraph(view: GraphSpec | Highlighted, caption: str = "") -> graphviz.Digraph:
    """Draw a spec bottom-up (base layers at the bottom). In a highlighted view, new nodes are
    green, changed ones orange and removed ones dashed red ghosts."""
    if isinstance(view, GraphSpec):
        view = Highlighted(view)
    graph = graphviz.Digraph("layers", graph_attr={"rankdir": "BT", "nodesep": "0.3"})
    if caption:
        graph.attr(label=caption, labelloc="t", fontname="Helvetica", fontsize="12")
    graph.attr("node", fontname="Helvetica", fontsize="10", **_STYLE["layer"])
    graph.attr("edge", color="#666666", arrowsize="0.7")
    order = {"layer": 0, "image": 1, "tag": 2, "container": 3}
    for node in sorted(view.spec.nodes.values(), key=lambda n: (order[n.kind], n.key)):
        graph.node(_node_id(node.key), node.label, **_attrs(node, view.marks.get(node.key)))
    for below, above in sorted(view.spec.edges):
        if below not in view.spec.nodes or above not in view.spec.nodes:
            continue
        attrs: dict[str, str] = {}
        if above.startswith("tag:"):
            attrs.update(dir="back", style="dotted")  # a tag points at its image
        mark = view.edge_marks.get((below, above))
        if mark == "removed":
            attrs.update(color="#c62828", style="dashed")
        elif mark == "added":
            attrs.update(color="#1b8a2f", penwidth="2")
        graph.edge(_node_id(below), _node_id(above), **attrs)
    return graph


def layer_view(
    engine: Engine | EngineState,
    focus: Iterable[str] | None = None,
    highlight: EngineState | None = None,
    containers: bool = True,
) -> GraphSpec | Highlighted:
    from layerlab.viz.state import collect_state

    state = engine if isinstance(engine, EngineState) else collect_state(engine)
    focus = list(focus or [])
    if highlight is None:
        return graph_spec(state, focus, containers)
    # An image the last command removed (or created) is in only one of the two states.
    spec = _focused_spec(state, focus, containers)
    return highlight_changes(spec, _focused_spec(highlight, focus, containers))


def _focused_spec(state: EngineState, focus: list[str], containers: bool) -> GraphSpec:
    if not focus:
        return graph_spec(state, None, containers)
    known = [name for name in focus if state.resolve(name) is not None]
    return graph_spec(state, known, containers) if known else GraphSpec()


def layer_graph(
    engine: Engine | EngineState,
    focus: Iterable[str] | None = None,
    highlight: EngineState | None = None,
    containers: bool = True,
) -> graphviz.Digraph:
    """The engine's whole state as a graph; ``focus`` keeps only the named images (tags or ID
    prefixes); ``highlight`` is an earlier state whose differences are marked."""
    return to_digraph(layer_view(engine, focus, highlight, containers))
