"""Exercise 05: sharing: push an image to a private registry and pull it back."""

from __future__ import annotations

from layerlab.grading.checks import (
    expect,
    registry_digest,
    repo_digests,
    require_image,
    require_no_image,
)
from layerlab.grading.model import Check, Context, Exercise, Resources, Task
from layerlab.i18n import N_, tr

REGISTRY_PORT = 5000  # the notebook's given cell starts the registry container there
REPOSITORY = f"localhost:{REGISTRY_PORT}/greeter"


def _in_registry(ctx: Context, tag: str) -> str:
    digest = registry_digest(ctx, f"{REPOSITORY}:{tag}")
    expect(
        digest is not None,
        tr("the registry has no {repository}:{tag}", repository=REPOSITORY, tag=tag),
    )
    return digest or ""


def _has_1_0(ctx: Context) -> None:
    _in_registry(ctx, "1.0")


def _has_latest(ctx: Context) -> None:
    _in_registry(ctx, "latest")


def _registry_holds_greeter(ctx: Context) -> None:
    digest = _in_registry(ctx, "1.0")
    local = require_image(ctx, f"{REPOSITORY}:1.0")
    labels = local["Config"].get("Labels") or {}
    expect(
        labels.get("course.image") == "greeter",
        tr("{repository}:1.0 is not the greeter image", repository=REPOSITORY),
    )
    expect(digest in repo_digests(local, REPOSITORY), tr("the registry holds another image"))


def _latest_is_same(ctx: Context) -> None:
    expect(_in_registry(ctx, "latest") == _in_registry(ctx, "1.0"), tr("latest and 1.0 differ"))


def _pulled_back(ctx: Context) -> None:
    require_no_image(ctx, "greeter:1.0")
    require_image(ctx, f"{REPOSITORY}:1.0")


def _pulled_from_registry(ctx: Context) -> None:
    _pulled_back(ctx)
    _registry_holds_greeter(ctx)


EXERCISE = Exercise(
    id="05-sharing",
    state="exercise-05",
    resources=Resources(
        containers=("registry",),
        images=("greeter:1.0", "localhost:5000/greeter:1.0", "localhost:5000/greeter:latest"),
        ports=(REGISTRY_PORT,),
    ),
    tasks=(
        Task(
            "05-push",
            N_("Push greeter:1.0 to the private registry as localhost:5000/greeter:1.0"),
            (
                Check(
                    N_("registry has greeter:1.0"),
                    1,
                    _has_1_0,
                    N_("The registry holds localhost:5000/greeter:1.0."),
                    (
                        N_("an image goes to the registry its name starts with"),
                        N_("give the image a name that starts with `localhost:5000/`"),
                        N_(
                            "tag the image `localhost:5000/greeter:1.0`, then `docker push` that "
                            "name"
                        ),
                    ),
                ),
                Check(
                    N_("it is the greeter image"),
                    2,
                    _registry_holds_greeter,
                    N_("The registry's 1.0 is the greeter image."),
                    N_("tag greeter:1.0 itself as localhost:5000/greeter:1.0 before pushing"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "05-push-latest",
            N_("Push the same image as localhost:5000/greeter:latest"),
            (
                Check(
                    N_("registry has latest"),
                    1,
                    _has_latest,
                    N_("The registry holds localhost:5000/greeter:latest."),
                    N_("a second tag is pushed like the first"),
                ),
                Check(
                    N_("latest is 1.0"),
                    1,
                    _latest_is_same,
                    N_("latest and 1.0 are the same manifest."),
                    N_("tag the very same image as latest"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "05-pull-back",
            N_(
                "Remove greeter:1.0 and localhost:5000/greeter:1.0 locally, then pull "
                "localhost:5000/greeter:1.0 back"
            ),
            (
                Check(
                    N_("pulled back"),
                    1,
                    _pulled_back,
                    N_("greeter:1.0 is gone and localhost:5000/greeter:1.0 is back."),
                    (
                        N_(
                            "to show the registry has the image, it must come back from there, not "
                            "from here"
                        ),
                        N_(
                            "remove every local name of the image first, then pull the registry's "
                            "name"
                        ),
                        N_(
                            "`docker rmi greeter:1.0 localhost:5000/greeter:1.0 "
                            "localhost:5000/greeter:latest`, then "
                            "`docker pull localhost:5000/greeter:1.0`"
                        ),
                    ),
                ),
                Check(
                    N_("it came from the registry"),
                    1,
                    _pulled_from_registry,
                    N_("The local image carries the registry's digest."),
                    N_("pull it from the registry you pushed it to"),
                    "hidden",
                ),
            ),
        ),
    ),
)
