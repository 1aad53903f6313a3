"""The layer graph as indented text, for where SVG cannot be shown (terminals, text exports).

Each image is listed with its layers from the base up; a layer several images share says so,
so the sharing the graph draws as one node is still visible.
"""

from __future__ import annotations

from layerlab.i18n import tr
from layerlab.viz.graph import GraphSpec, Highlighted, Node


def _mark_text(mark: str) -> str:
    return {"added": tr("[new] "), "changed": tr("[changed] ")}.get(mark, "")


def _flat(node: Node) -> str:
    return " · ".join(line.strip() for line in node.label.splitlines() if line.strip())


def _chain(spec: GraphSpec, top: str | None) -> list[str]:
    """Layer keys from the base up to ``top``, following the parent edges."""
    parents = {above: below for below, above in spec.edges if below.startswith("layer:")}
    chain: list[str] = []
    key = top
    while key is not None and key.startswith("layer:"):
        chain.append(key)
        key = parents.get(key)
    return list(reversed(chain))


def view_text(view: GraphSpec | Highlighted) -> str:
    if isinstance(view, GraphSpec):
        view = Highlighted(view)
    spec, marks = view.spec, view.marks

    def mark(key: str) -> str:
        return _mark_text(marks.get(key, ""))

    below_of = {above: below for below, above in spec.edges}
    images = sorted(spec.of_kind("image"), key=lambda n: n.key)
    layers = spec.of_kind("layer")
    containers = spec.of_kind("container")
    lines = [
        tr(
            "{images} images, {layers} layers, {containers} containers",
            images=len(images), layers=len(layers), containers=len(containers),
        )
    ]  # fmt: skip
    for image in images:
        tags = sorted(mark(a) + a[4:] for b, a in spec.edges if b == image.key and a[:4] == "tag:")
        head = image.label.splitlines()
        lines.append("")
        lines.append(f"{mark(image.key)}{head[0]}  {' '.join(tags) or tr('(no tag)')}")
        for extra in head[1:]:
            lines.append(f"    {extra.strip()}")
        for number, key in enumerate(_chain(spec, below_of.get(image.key)), start=1):
            lines.append(f"  {number:>2}. {mark(key)}{_flat(spec.nodes[key])}")
        for container in sorted(containers, key=lambda n: n.key):
            if below_of.get(container.key) == image.key:
                lines.append(f"  ↳ {mark(container.key)}{_flat(container)}")
    return "\n".join(lines)
