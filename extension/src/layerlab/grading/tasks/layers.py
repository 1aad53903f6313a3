"""Exercise 02: layers: which instructions add a layer, and how the build cache reuses them."""

from __future__ import annotations

from layerlab.grading.checks import expect, history, layers, require_image, shared_prefix
from layerlab.grading.model import Check, CheckFailed, Context, Exercise, Resources, Task
from layerlab.i18n import N_, tr

BASE = "busybox:latest"


def _added_layers(ctx: Context, reference: str) -> int:
    image, base = require_image(ctx, reference), layers(require_image(ctx, BASE))
    own = layers(image)
    expect(own[: len(base)] == base, tr("{reference} is not built on busybox", reference=reference))
    return len(own) - len(base)


def _layers_v1_exists(ctx: Context) -> None:
    require_image(ctx, "layers:v1")


def _three_layers(ctx: Context) -> None:
    added = _added_layers(ctx, "layers:v1")
    expect(added == 3, tr("layers:v1 adds {added} layer(s) to busybox", added=added))


def _labelled(ctx: Context) -> None:
    labels = require_image(ctx, "layers:v1")["Config"].get("Labels") or {}
    expect(labels.get("course") == "layerlab", tr("its labels are {labels}", labels=labels))


def _metadata_adds_no_layer(ctx: Context) -> None:
    _labelled(ctx)
    _three_layers(ctx)
    command = require_image(ctx, "layers:v1")["Config"].get("Cmd")
    expect(command == ["cat", "/layers/three.txt"], tr("its CMD is {command}", command=command))


def _shop_versions(ctx: Context) -> None:
    first, second = require_image(ctx, "shop:v1"), require_image(ctx, "shop:v2")
    expect(first["Id"] != second["Id"], tr("shop:v1 and shop:v2 are the same image"))


def _only_last_layer_differs(ctx: Context) -> None:
    _shop_versions(ctx)
    first = layers(require_image(ctx, "shop:v1"))
    second = layers(require_image(ctx, "shop:v2"))
    base = len(layers(require_image(ctx, BASE)))
    shared = shared_prefix(first, second)
    expect(len(second) >= base + 2, tr("shop:v2 has no layer for the dependencies"))
    expect(
        shared == len(second) - 1 == len(first) - 1,
        tr(
            "shop:v2 reuses {shared} of shop:v1's {first_count} own layers",
            shared=shared - base,
            first_count=len(first) - base,
        ),
    )


def _install_step(ctx: Context, reference: str) -> tuple[str, int]:
    """The install step's history row: its image ID and when it was made."""
    for step in history(ctx, reference):
        if "install-deps.sh" in step.get("CreatedBy", ""):
            return str(step.get("Id", "")), int(step.get("Created") or 0)
    raise CheckFailed(tr("{reference} has no step that runs install-deps.sh", reference=reference))


def _install_from_cache(ctx: Context) -> None:
    """The classic builder names a cached step by the intermediate image it made before;
    BuildKit keeps no intermediate images (``<missing>``), but a step it took from its cache
    keeps the time it was first made."""
    _only_last_layer_differs(ctx)
    (first, made), (second, remade) = _install_step(ctx, "shop:v1"), _install_step(ctx, "shop:v2")
    if first == second == "<missing>":
        expect(made == remade, tr("the install step was built twice"))
    else:
        expect(first == second and first != "<missing>", tr("the install step was built twice"))


EXERCISE = Exercise(
    id="02-layers",
    state="exercise-02",
    resources=Resources(images=("layers:v1", "shop:v1", "shop:v2")),
    tasks=(
        Task(
            "02-three-layers",
            N_("Build layers:v1: busybox plus exactly three layers"),
            (
                Check(
                    N_("image layers:v1"),
                    1,
                    _layers_v1_exists,
                    N_("layers:v1 exists."),
                    (
                        N_("an image is built from a folder that holds a Dockerfile"),
                        N_("`docker build --help` lists the option that names (tags) the image"),
                        N_("build it with `docker build -t layers:v1 layers`"),
                    ),
                ),
                Check(
                    N_("layers:v1 adds three layers"),
                    2,
                    _three_layers,
                    N_("layers:v1 is busybox plus three layers."),
                    N_(
                        "a layer comes from each step that changes files (RUN, COPY, ADD, a "
                        "WORKDIR "
                        "that creates its folder), none from settings (ENV, LABEL, CMD); compare "
                        "`docker history layers:v1` with `RootFS.Layers` in `docker image inspect`"
                    ),
                ),
            ),
        ),
        Task(
            "02-metadata-only",
            N_("Label layers:v1 course=layerlab and give it a CMD, without adding a layer"),
            (
                Check(
                    N_("label course=layerlab"),
                    1,
                    _labelled,
                    N_("layers:v1 carries the label course=layerlab."),
                    N_("add `LABEL course=layerlab` to the Dockerfile and build again"),
                ),
                Check(
                    N_("metadata only"),
                    1,
                    _metadata_adds_no_layer,
                    N_("The LABEL and CMD changed the configuration, not the layers."),
                    N_('LABEL and CMD ["cat", "/layers/three.txt"] add no layer'),
                    "hidden",
                ),
            ),
        ),
        Task(
            "02-cache-order",
            N_(
                "Order the shop Dockerfile so a source change does not rerun the dependency install"
            ),
            (
                Check(
                    N_("shop:v1 and shop:v2"),
                    1,
                    _shop_versions,
                    N_("shop:v1 and shop:v2 are two different builds."),
                    N_("build shop:v1, change src/app.sh, then build shop:v2"),
                ),
                Check(
                    N_("only the source layer differs"),
                    2,
                    _only_last_layer_differs,
                    N_("shop:v2 shares every layer with shop:v1 but the last one."),
                    N_(
                        "copy requirements.txt and install-deps.sh and RUN the install before "
                        "copying src/"
                    ),
                ),
                Check(
                    N_("install came from the cache"),
                    1,
                    _install_from_cache,
                    N_("The dependency install ran once; shop:v2 used the cache."),
                    N_("the RUN install step must come before the step that copies src/"),
                    "hidden",
                ),
            ),
        ),
    ),
)
