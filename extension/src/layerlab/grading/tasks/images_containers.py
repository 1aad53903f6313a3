"""Exercise 01: images and containers: a container is an image plus its own writable layer."""

from __future__ import annotations

from layerlab.grading.checks import diff_paths, expect, logs, require_container, require_image
from layerlab.grading.model import Check, Context, Exercise, Resources, Task

BASE = "busybox:latest"


def _from_busybox(ctx: Context, name: str) -> None:
    container = require_container(ctx, name)
    expect(
        container["Image"] == require_image(ctx, BASE)["Id"],
        f"{name} was created from {container['Config'].get('Image')}",
    )


def _hello_exists(ctx: Context) -> None:
    _from_busybox(ctx, "hello")


def _hello_printed(ctx: Context) -> None:
    container = require_container(ctx, "hello")
    output = logs(ctx, "hello").strip()
    expect("hello, layers" in output, f"it printed {output[:60]!r}")
    expect(container["State"]["ExitCode"] == 0, "it did not exit with code 0")


def _boxes_exist(ctx: Context) -> None:
    _from_busybox(ctx, "box-a")
    _from_busybox(ctx, "box-b")


def _wrote(ctx: Context, name: str, path: str) -> None:
    require_container(ctx, name)
    changes = diff_paths(ctx, name)
    expect(path in changes, f"`docker diff {name}` shows {sorted(changes) or 'no changes'}")


def _layers_separate(ctx: Context) -> None:
    _wrote(ctx, "box-a", "/data/a.txt")
    _wrote(ctx, "box-b", "/data/b.txt")
    expect("/data/b.txt" not in diff_paths(ctx, "box-a"), "box-a also has /data/b.txt")
    expect("/data/a.txt" not in diff_paths(ctx, "box-b"), "box-b also has /data/a.txt")


def _box_c_clean(ctx: Context) -> None:
    container = require_container(ctx, "box-c")
    expect(container["State"]["ExitCode"] != 0, "box-c found /data in the image")
    expect(not diff_paths(ctx, "box-c"), "box-c changed files of its own")


EXERCISE = Exercise(
    id="01-images-and-containers",
    state="exercise-01",
    resources=Resources(containers=("hello", "box-a", "box-b", "box-c")),
    tasks=(
        Task(
            "01-hello",
            "Run a container named hello from busybox that prints 'hello, layers'",
            (
                Check(
                    "container hello from busybox",
                    2,
                    _hello_exists,
                    "Container hello was created from busybox.",
                    "run it with `docker run --name hello busybox ...`",
                ),
                Check(
                    "hello printed the greeting",
                    1,
                    _hello_printed,
                    "hello printed 'hello, layers' and exited with code 0.",
                    "the command after the image name is what the container runs",
                    "hidden",
                ),
            ),
        ),
        Task(
            "01-writable-layers",
            "Two containers from one image, each with its own writable layer",
            (
                Check(
                    "box-a and box-b from busybox",
                    1,
                    _boxes_exist,
                    "box-a and box-b were both created from busybox.",
                    "create both with `docker run --name NAME busybox sh -c '...'`",
                ),
                Check(
                    "box-a wrote /data/a.txt",
                    1,
                    lambda ctx: _wrote(ctx, "box-a", "/data/a.txt"),
                    "box-a's writable layer holds /data/a.txt.",
                    "`sh -c 'mkdir -p /data && echo a > /data/a.txt'` writes the file",
                ),
                Check(
                    "box-b wrote /data/b.txt",
                    1,
                    lambda ctx: _wrote(ctx, "box-b", "/data/b.txt"),
                    "box-b's writable layer holds /data/b.txt.",
                    "the second container writes /data/b.txt the same way",
                ),
                Check(
                    "the writable layers are separate",
                    1,
                    _layers_separate,
                    "Each container sees only its own file.",
                    "each container must write only its own file",
                    "hidden",
                ),
            ),
        ),
        Task(
            "01-image-unchanged",
            "Show that the image did not change: box-c finds no /data",
            (
                Check(
                    "container box-c from busybox",
                    1,
                    lambda ctx: _from_busybox(ctx, "box-c"),
                    "box-c was created from busybox.",
                    "run `docker run --name box-c busybox ls /data`",
                ),
                Check(
                    "box-c found no /data",
                    1,
                    _box_c_clean,
                    "box-c failed to list /data: the image never got it.",
                    "box-c should only look (`ls /data`), not write",
                    "hidden",
                ),
            ),
        ),
    ),
)
