"""Reading what the learner built, through the Engine API, for the task checks.

Every helper works on both engines: it asks the engine what a ``docker`` command would ask it
(inspect, history, diff, logs, image lists). Helpers named ``require_*`` raise ``CheckFailed``
with a short description of what is missing, so a task's check reads like its sentence.
"""

from __future__ import annotations

from typing import Any

from layerlab.engine.errors import EngineError, NotFound
from layerlab.grading.model import CheckFailed, Context
from layerlab.i18n import tr

Json = dict[str, Any]


def find_image(ctx: Context, reference: str) -> Json | None:
    try:
        return ctx.engine.inspect_image(reference)
    except NotFound:
        return None


def require_image(ctx: Context, reference: str) -> Json:
    image = find_image(ctx, reference)
    if image is None:
        raise CheckFailed(tr("there is no image {reference}", reference=reference))
    return image


def find_container(ctx: Context, name: str) -> Json | None:
    try:
        return ctx.engine.inspect_container(name)
    except NotFound:
        return None


def require_container(ctx: Context, name: str) -> Json:
    container = find_container(ctx, name)
    # A prefix of another container's ID also resolves: insist on the name itself.
    if container is None or container.get("Name", "").lstrip("/") != name:
        raise CheckFailed(tr("there is no container named {name}", name=name))
    return container


def require_no_container(ctx: Context, name: str) -> None:
    container = find_container(ctx, name)
    if container is not None and container.get("Name", "").lstrip("/") == name:
        raise CheckFailed(tr("container {name} still exists", name=name))


def require_no_image(ctx: Context, reference: str) -> None:
    image = find_image(ctx, reference)
    if image is not None and _has_reference(image, reference):
        raise CheckFailed(tr("image {reference} still exists", reference=reference))


def _has_reference(image: Json, reference: str) -> bool:
    wanted = reference if ":" in reference.rsplit("/", 1)[-1] else f"{reference}:latest"
    return wanted in (image.get("RepoTags") or [])


def layers(image: Json) -> list[str]:
    """The image's layer DiffIDs, bottom first."""
    return list((image.get("RootFS") or {}).get("Layers") or [])


def shared_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        count += 1
    return count


def history(ctx: Context, reference: str) -> list[Json]:
    """``docker history``: newest step first."""
    return ctx.engine.history(reference)


def diff_paths(ctx: Context, name: str) -> dict[str, int]:
    """The container's writable-layer changes: path → kind (0 changed, 1 added, 2 deleted)."""
    return {change["Path"]: int(change["Kind"]) for change in ctx.engine.diff(name) or []}


def logs(ctx: Context, name: str) -> str:
    return ctx.engine.logs(name).decode("utf-8", "replace")


def dangling_images(ctx: Context) -> list[Json]:
    """Untagged top-level images the submission left, ignoring those that were there before."""
    found = ctx.engine.images(filters={"dangling": ["true"]})
    return [image for image in found if image["Id"] not in ctx.preexisting_images]


def registry_digest(ctx: Context, reference: str) -> str | None:
    """The manifest digest a registry holds for ``reference`` (``HOST/PATH:TAG``), or None.

    Read-only on purpose: a pull would re-create the very local tags other checks look at.
    The real daemon answers ``GET /distribution/{name}/json`` from the registry; the simulator
    reads its registries the same way (a registry container's over HTTP)."""
    engine: Any = ctx.engine
    if engine.name == "real":
        try:
            answer = engine.api.inspect_distribution(reference)
        except Exception:  # an unknown repository or tag: the daemon answers 401/404/500
            return None
        return str(answer.get("Descriptor", {}).get("digest") or "") or None
    from layerlab.engine.reference import parse_normalized
    from layerlab.engine.sim.registry.distribution import Registries

    try:
        ref = parse_normalized(reference)
    except EngineError:
        return None
    try:
        with engine.store.transaction():
            found = Registries(engine).find(ref.domain, ref.path, ref.tag or "latest", None)
    except EngineError:  # a registry container that is not running answers nothing
        return None
    return found.digest if found is not None else None


def repo_digests(image: Json, repository: str) -> set[str]:
    """The manifest digests the image is known by in ``repository`` (after a push or a pull)."""
    prefix = f"{repository}@"
    return {d[len(prefix) :] for d in image.get("RepoDigests") or [] if d.startswith(prefix)}


def expect(condition: bool, found: str) -> None:
    if not condition:
        raise CheckFailed(found)
