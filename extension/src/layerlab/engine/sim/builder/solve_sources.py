"""A BuildKit solve's images: a stage's base or an image ``COPY --from`` reads, found locally or
in its registry (its manifest and config read; its missing layers fetched within the FROM
step, as BuildKit's docker driver does, without making a local image of it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from layerlab.engine.reference import InvalidReference, parse_normalized
from layerlab.engine.sim.builder import cache_records
from layerlab.engine.sim.builder.dockerfile import Instruction
from layerlab.engine.sim.builder.solve_cache import SolveCache, cache_key
from layerlab.engine.sim.builder.solve_status import Failed, Trace, Vertex
from layerlab.engine.sim.images.store import Image
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.registry.store import RemoteImage

_DENIED = (
    "pull access denied, repository does not exist or may require authorization: server "
    "message: insufficient_scope: authorization failed"
)


def resolve_image(
    engine: ContainerBackend, trace: Trace, ins: Instruction, name: str
) -> tuple[Image, RemoteImage | None]:
    """The image ``name``: a local one, else its registry's (and that registry's record); its
    ``[internal] load metadata`` vertex, or the failure BuildKit reports for it."""
    try:
        ref = parse_normalized(name).with_default_tag()
    except InvalidReference as err:
        raise Failed(f"failed to solve: {err}") from None
    image = engine.image_store.find(name)
    remote = None
    if image is None:
        from layerlab.engine.sim.registry.served import Unreachable
        from layerlab.engine.sim.registry.store import Registries

        try:
            remote = Registries(engine).find(ref.domain, ref.path, ref.tag, ref.digest)
            reason = f"{ref}: not found" if ref.domain != "docker.io" else _DENIED
        except Unreachable as unreachable:
            if not unreachable.failure:
                raise
            # BuildKit's resolver asks for the manifest first, over HTTPS first (measured on
            # Engine 26.1 with nothing listening at the address).
            remote = None
            manifest = f"https://{ref.domain}/v2/{ref.path}/manifests/{ref.tag or ref.digest}"
            reason = f'failed to do request: Head "{manifest}": {unreachable.failure}'
        if remote is None:
            vertex = trace.start(f"[internal] load metadata for {ref}")
            trace.complete(vertex, error=reason)
            message = f"{name}: failed to resolve source metadata for {ref}: {reason}"
            raise Failed(f"failed to solve: {message}", (ins.line, ins.end_line))
        image = Image(remote.image_id, remote.config, "", 0.0, "", 0)
    vertex = trace.start(f"[internal] load metadata for {ref}")
    trace.complete(vertex)
    return image, remote


def fetch_layers(
    engine: ContainerBackend, trace: Trace, vertex: Vertex, ref: object, remote: RemoteImage
) -> None:
    """The image's layers that are not here yet, as BuildKit's docker driver fetches them:
    the manifest, the config and each missing layer, then the layers are unpacked."""
    from layerlab.engine.sim.registry.formats import compressed_blob

    trace.status(vertex, f"resolve {ref}@{remote.digest}")
    chain = fs.chain_ids(layer.diff_id for layer in remote.layers)
    missing = [i for i, chain_id in enumerate(chain) if engine.layers.get(chain_id) is None]
    if not missing:
        return
    sizes = {}
    for i in missing:
        layer = remote.layers[i]
        tar = layer.contents(engine.layers.tar)
        sizes[i] = compressed_blob(tar)[1]
        engine.layers.add(chain[i - 1] if i else "", tar, size=layer.counted_size(tar))
        trace.status(vertex, f"extracting {layer.digest}")
    for digest, size in [(remote.digest, len(remote.manifest)),
                         ("sha256:" + remote.image_id.removeprefix("sha256:"),
                          len(remote.config))]:  # fmt: skip
        trace.status(vertex, digest, size, total=size)
    for i in missing:
        trace.status(vertex, remote.layers[i].digest, sizes[i], total=sizes[i])


def stand_in_notice(ref: Any) -> str | None:
    """LayerLab's notice for a Hub tag of python or node whose runtime is the host's."""
    if ref.domain != "docker.io" or not ref.tag:
        return None
    from layerlab.engine.sim.registry.hub.official import stand_in_notice as hub_notice

    return hub_notice(ref.path, ref.tag)


class ImageVertices:
    """The ``FROM`` vertices of one solve: one per name and image, so stages FROM the same
    image share it while another name of the same image is a vertex of its own (with the same
    cache). ``made`` collects the build-cache records of base layers first noted here."""

    def __init__(
        self, engine: ContainerBackend, trace: Trace, cache: SolveCache, made: set[str]
    ) -> None:
        self.engine, self.trace, self.cache, self.made = engine, trace, cache, made
        self.shown: set[str] = set()

    def show(
        self,
        name: str,
        image: Image,
        remote: RemoteImage | None,
        naming: Callable[[str], str] | None = None,
    ) -> str:
        """The image's vertex, shown once: its layers snapshotted, or fetched from its
        registry, on first use. ``naming`` makes a base's vertex a step of its stage
        (``[2/3] FROM …``; asked every time, as it counts the stage's steps); an image
        COPY --from reads, or a base it also is, is named by none. Returns its key."""
        ref = parse_normalized(name).with_default_tag()
        # An image read from its registry is resolved by its name the first time it is used.
        key = cache_key("from", image.id, str(ref) if remote else "")
        shown = f"FROM {ref}@{remote.digest}" if remote else f"FROM {ref}"
        vertex_name = naming(shown) if naming else shown
        if f"{ref} {key}" in self.shown:
            return key
        self.shown.add(f"{ref} {key}")
        for chain_id in fs.chain_ids(image.diff_ids):  # BuildKit's records of its layers
            if cache_records.note_base_layer(self.engine, chain_id):
                self.made.add(chain_id)
        vertex = self.trace.start(vertex_name, key)
        cached = self.cache.find(key) is not None
        if not cached:  # the first build that uses it: BuildKit snapshots the image
            if remote is not None:
                fetch_layers(self.engine, self.trace, vertex, ref, remote)
            self.cache.remember(key, image.chain_id, f"FROM {ref}")
        if remote is not None and (notice := stand_in_notice(ref)):
            self.trace.warn(vertex, notice)
        self.trace.complete(vertex, cached=cached)
        return key
