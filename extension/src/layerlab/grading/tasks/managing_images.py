"""Exercise 03: managing images: tags are names for an image; dangling images and untagging."""

from __future__ import annotations

from typing import Any

from layerlab.grading.checks import dangling_images, expect, require_image, require_no_image
from layerlab.grading.model import Check, Context, Exercise, Resources, Task
from layerlab.i18n import N_, tr


def _same_as_notes(ctx: Context, reference: str) -> None:
    wanted = require_image(ctx, "notes:v1")["Id"]
    expect(
        require_image(ctx, reference)["Id"] == wanted,
        tr("{reference} is another image", reference=reference),
    )


def _no_dangling(ctx: Context) -> None:
    require_image(ctx, "notes:v1")
    left = dangling_images(ctx)
    expect(not left, tr("{left_count} dangling image(s) left", left_count=len(left)))


def _no_orphans(ctx: Context) -> None:
    """Untagged images that no tagged image is built on are what prune should have taken."""
    _no_dangling(ctx)
    engine: Any = ctx.engine
    every = engine.images(all=True)
    ancestors: set[str] = set()
    for image in every:
        if not image.get("RepoTags") or image["RepoTags"] == ["<none>:<none>"]:
            continue
        parent = image.get("ParentId") or ""
        while parent and parent not in ancestors:
            ancestors.add(parent)
            parent = engine.inspect_image(parent).get("Parent") or ""
    orphans = [
        image["Id"]
        for image in every
        if (not image.get("RepoTags") or image["RepoTags"] == ["<none>:<none>"])
        and image["Id"] not in ancestors
        and image["Id"] not in ctx.preexisting_images
    ]
    expect(
        not orphans,
        tr("{orphans_count} untagged image(s) no tagged image uses", orphans_count=len(orphans)),
    )


def _untagged_old(ctx: Context) -> None:
    require_image(ctx, "notes:v1")
    require_no_image(ctx, "notes:old")


EXERCISE = Exercise(
    id="03-managing-images",
    state="exercise-03",
    resources=Resources(
        images=("notes:v1", "notes:old", "course/notes:1.0", "course/notes:latest")
    ),
    tasks=(
        Task(
            "03-tag",
            N_("Give notes:v1 the names course/notes:1.0 and course/notes:latest"),
            (
                Check(
                    N_("course/notes:1.0"),
                    1,
                    lambda ctx: _same_as_notes(ctx, "course/notes:1.0"),
                    N_("course/notes:1.0 names the notes:v1 image."),
                    (
                        N_("a tag is one more name for the same image: nothing is copied"),
                        N_(
                            "the command that adds a name takes the existing name first, then the "
                            "new one"
                        ),
                        N_("`docker tag notes:v1 course/notes:1.0`"),
                    ),
                ),
                Check(
                    N_("course/notes:latest"),
                    1,
                    lambda ctx: _same_as_notes(ctx, "course/notes:latest"),
                    N_("course/notes:latest names the notes:v1 image."),
                    N_("a tag left out means `latest`"),
                ),
            ),
        ),
        Task(
            "03-dangling",
            N_("Remove the dangling images the rebuilds left behind, and nothing else"),
            (
                Check(
                    N_("no dangling images"),
                    1,
                    _no_dangling,
                    N_("No dangling images are left, and notes:v1 stays."),
                    (
                        N_("a dangling image lost its name to a newer build"),
                        N_(
                            "`docker images` can filter them, and `docker image --help` lists the "
                            "command that removes them all"
                        ),
                        N_(
                            "`docker images -f dangling=true` lists, `docker image prune` removes "
                            "them"
                        ),
                    ),
                ),
                Check(
                    N_("no orphaned layers"),
                    1,
                    _no_orphans,
                    N_("Every untagged image left is a parent of a tagged one."),
                    N_(
                        "remove the dangling images themselves (prune, or rmi by ID), not only "
                        "names"
                    ),
                    "hidden",
                ),
            ),
        ),
        Task(
            "03-untag",
            N_("Remove the name notes:old without deleting the image"),
            (
                Check(
                    N_("notes:old removed, notes:v1 kept"),
                    2,
                    _untagged_old,
                    N_("notes:old is gone and the image lives on as notes:v1."),
                    (
                        N_("an image with several names loses one name at a time"),
                        N_(
                            "the command that removes images, given a name, takes that name off "
                            "first"
                        ),
                        N_("`docker rmi notes:old` only removes that name while others remain"),
                    ),
                ),
            ),
        ),
    ),
)
