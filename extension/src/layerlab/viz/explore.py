"""Plain data for the image explorer: an image's steps and layers, who shares each layer, and
the files each layer touches. The widgets only display these."""

from __future__ import annotations

from dataclasses import dataclass

from layerlab.cli.render import human_size
from layerlab.i18n import tr
from layerlab.viz.layerfiles import FileChange, ImageFiles
from layerlab.viz.state import EngineState, Image, chain_ids, short, short_sums


@dataclass(frozen=True)
class LayerRow:
    """One build step of an image, base first. Metadata steps have no layer."""

    number: int
    instruction: str
    created_by: str
    size: int
    created: int
    empty: bool
    layer_index: int | None  # position in RootFS.Layers, None for a metadata step
    chain_id: str | None
    shared_with: tuple[str, ...]  # other images (tagged or dangling) holding the same layer

    def label(self) -> str:
        if self.empty:
            metadata = tr("(metadata step, no layer)")
            return f"{self.number:>2}. {short_sums(self.instruction)}   {metadata}"
        shared = (
            "   " + tr("shared with {images}", images=", ".join(self.shared_with))
            if self.shared_with
            else ""
        )
        text = short_sums(self.instruction)
        return f"{self.number:>2}. {text}   {human_size(self.size)}{shared}"


def image_choices(state: EngineState) -> list[tuple[str, str]]:
    """(label, image ID) for every tagged or dangling image, as `docker images` lists them."""
    choices = []
    for image in sorted(state.images.values(), key=lambda i: (-i.created, i.id)):
        if image.kind == "intermediate":
            continue
        names = ", ".join(image.tags) if image.tags else tr("<none>:<none> (dangling)")
        choices.append((f"{names}  [{image.short_id}]", image.id))
    return choices


def image_rows(state: EngineState, image: Image | str) -> list[LayerRow]:
    if isinstance(image, str):
        found = state.resolve(image) or state.images.get(image)
        if found is None:
            raise KeyError(tr("no such image: {name}", name=image))
        image = found
    rows: list[LayerRow] = []
    layer_index = 0
    for number, step in enumerate(image.steps, start=1):
        chain_id = None
        index = None
        shared: tuple[str, ...] = ()
        if not step.empty and layer_index < len(image.layers):
            index = layer_index
            chain_id = image.layers[layer_index]
            others = [o for o in state.users_of(chain_id) if o.id != image.id]
            shared = tuple(sorted("/".join(o.tags) or o.short_id for o in others))
            layer_index += 1
        rows.append(
            LayerRow(
                number=number,
                instruction=step.instruction,
                created_by=step.created_by,
                size=step.size,
                created=step.created,
                empty=step.empty or index is None,
                layer_index=index,
                chain_id=chain_id,
                shared_with=shared,
            )
        )
    return rows


def file_rows(files: ImageFiles, layer_index: int) -> list[FileChange]:
    return list(files.layers[layer_index].changes)


def file_label(change: FileChange) -> str:
    extra = f" -> {change.target}" if change.target else ""
    size = f"  {human_size(change.size)}" if change.type == "file" else ""
    return f"{change.letter} {change.path}{extra}{size}"


def layer_summary(files: ImageFiles, step: int, layer_index: int) -> str:
    """Step ``step`` of the image's history (as the list numbers it) and its layer, the
    ``layer_index``-th of RootFS.Layers: the two numbers differ where metadata steps come
    between, so both are said."""
    changes = files.layers[layer_index].changes
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("added", "changed", "deleted")}
    diff_id = files.layers[layer_index].diff_id
    chain = chain_ids([layer.diff_id for layer in files.layers[: layer_index + 1]])[-1]
    return tr(
        "step {step}, layer {layer} of {layers} · DiffID {diff_id} · ChainID {chain_id}: "
        "{added} added, {changed} changed, {deleted} deleted",
        step=step, layer=layer_index + 1, layers=len(files.layers), diff_id=short(diff_id),
        chain_id=short(chain), added=counts["added"], changed=counts["changed"],
        deleted=counts["deleted"],
    )  # fmt: skip
