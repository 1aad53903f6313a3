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

REPOSITORY = "localhost:5000/greeter"


def _in_registry(ctx: Context, tag: str) -> str:
    digest = registry_digest(ctx, f"{REPOSITORY}:{tag}")
    expect(digest is not None, f"the registry has no {REPOSITORY}:{tag}")
    return digest or ""


def _has_1_0(ctx: Context) -> None:
    _in_registry(ctx, "1.0")


def _has_latest(ctx: Context) -> None:
    _in_registry(ctx, "latest")


def _registry_holds_greeter(ctx: Context) -> None:
    digest = _in_registry(ctx, "1.0")
    local = require_image(ctx, f"{REPOSITORY}:1.0")
    labels = local["Config"].get("Labels") or {}
    expect(labels.get("course.image") == "greeter", f"{REPOSITORY}:1.0 is not the greeter image")
    expect(digest in repo_digests(local, REPOSITORY), "the registry holds another image")


def _latest_is_same(ctx: Context) -> None:
    expect(_in_registry(ctx, "latest") == _in_registry(ctx, "1.0"), "latest and 1.0 differ")


def _pulled_back(ctx: Context) -> None:
    require_no_image(ctx, "greeter:1.0")
    require_image(ctx, f"{REPOSITORY}:1.0")


def _pulled_from_registry(ctx: Context) -> None:
    _pulled_back(ctx)
    _registry_holds_greeter(ctx)


EXERCISE = Exercise(
    id="05-sharing",
    state="exercise-05",
    resources=Resources(images=("greeter:1.0", f"{REPOSITORY}:1.0", f"{REPOSITORY}:latest")),
    tasks=(
        Task(
            "05-push",
            f"Push greeter:1.0 to the private registry as {REPOSITORY}:1.0",
            (
                Check(
                    "registry has greeter:1.0",
                    1,
                    _has_1_0,
                    f"The registry holds {REPOSITORY}:1.0.",
                    f"tag the image `{REPOSITORY}:1.0`, then `docker push` that name",
                ),
                Check(
                    "it is the greeter image",
                    2,
                    _registry_holds_greeter,
                    "The registry's 1.0 is the greeter image.",
                    f"tag greeter:1.0 itself as {REPOSITORY}:1.0 before pushing",
                    "hidden",
                ),
            ),
        ),
        Task(
            "05-push-latest",
            f"Push the same image as {REPOSITORY}:latest",
            (
                Check(
                    "registry has latest",
                    1,
                    _has_latest,
                    f"The registry holds {REPOSITORY}:latest.",
                    "a second tag is pushed like the first",
                ),
                Check(
                    "latest is 1.0",
                    1,
                    _latest_is_same,
                    "latest and 1.0 are the same manifest.",
                    "tag the very same image as latest",
                    "hidden",
                ),
            ),
        ),
        Task(
            "05-pull-back",
            f"Remove greeter:1.0 and {REPOSITORY}:1.0 locally, then pull {REPOSITORY}:1.0 back",
            (
                Check(
                    "pulled back",
                    1,
                    _pulled_back,
                    f"greeter:1.0 is gone and {REPOSITORY}:1.0 is back.",
                    f"`docker rmi greeter:1.0 {REPOSITORY}:1.0 {REPOSITORY}:latest`, then "
                    f"`docker pull {REPOSITORY}:1.0`",
                ),
                Check(
                    "it came from the registry",
                    1,
                    _pulled_from_registry,
                    "The local image carries the registry's digest.",
                    "pull it from the registry you pushed it to",
                    "hidden",
                ),
            ),
        ),
    ),
)
