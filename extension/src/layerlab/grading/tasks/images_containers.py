"""Exercise 01: images and containers: a container is an image plus its own writable layer."""

from __future__ import annotations

from layerlab.grading.checks import diff_paths, expect, logs, require_container, require_image
from layerlab.grading.model import Check, Context, Exercise, Resources, Task
from layerlab.i18n import N_, tr

BASE = "busybox:latest"


def _from_busybox(ctx: Context, name: str) -> None:
    container = require_container(ctx, name)
    expect(
        container["Image"] == require_image(ctx, BASE)["Id"],
        tr("{name} was created from {image}", name=name, image=container["Config"].get("Image")),
    )


def _hello_exists(ctx: Context) -> None:
    _from_busybox(ctx, "hello")


def _hello_printed(ctx: Context) -> None:
    container = require_container(ctx, "hello")
    output = logs(ctx, "hello").strip()
    expect("hello, layers" in output, tr("it printed {output}", output=repr(output[:60])))
    expect(container["State"]["ExitCode"] == 0, tr("it did not exit with code 0"))


def _boxes_exist(ctx: Context) -> None:
    _from_busybox(ctx, "box-a")
    _from_busybox(ctx, "box-b")


def _wrote(ctx: Context, name: str, path: str) -> None:
    require_container(ctx, name)
    changes = diff_paths(ctx, name)
    expect(
        path in changes,
        tr(
            "`docker diff {name}` shows {changes}",
            name=name,
            changes=sorted(changes) or tr("no changes"),
        ),
    )


def _layers_separate(ctx: Context) -> None:
    _wrote(ctx, "box-a", "/data/a.txt")
    _wrote(ctx, "box-b", "/data/b.txt")
    expect("/data/b.txt" not in diff_paths(ctx, "box-a"), tr("box-a also has /data/b.txt"))
    expect("/data/a.txt" not in diff_paths(ctx, "box-b"), tr("box-b also has /data/a.txt"))


def _box_c_clean(ctx: Context) -> None:
    container = require_container(ctx, "box-c")
    expect(container["State"]["ExitCode"] != 0, tr("box-c found /data in the image"))
    expect(not diff_paths(ctx, "box-c"), tr("box-c changed files of its own"))


EXERCISE = Exercise(
    id="01-images-and-containers",
    state="exercise-01",
    resources=Resources(containers=("hello", "box-a", "box-b", "box-c")),
    tasks=(
        Task(
            "01-hello",
            N_("Run a container named hello from busybox that prints 'hello, layers'"),
            (
                Check(
                    N_("container hello from busybox"),
                    2,
                    _hello_exists,
                    N_("Container hello was created from busybox."),
                    (
                        N_(
                            "a container gets its name when it is created, and runs the image you "
                            "give it"
                        ),
                        N_("`docker run --help` lists the option that names a container"),
                        N_("run it with `docker run --name hello busybox ...`"),
                    ),
                ),
                Check(
                    N_("hello printed the greeting"),
                    1,
                    _hello_printed,
                    N_("hello printed 'hello, layers' and exited with code 0."),
                    N_("the command after the image name is what the container runs"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "01-writable-layers",
            N_("Two containers from one image, each with its own writable layer"),
            (
                Check(
                    N_("box-a and box-b from busybox"),
                    1,
                    _boxes_exist,
                    N_("box-a and box-b were both created from busybox."),
                    (
                        N_(
                            "each container is created from the image on its own, with a name of "
                            "its own"
                        ),
                        N_("a shell command runs as `sh -c '...'` after the image name"),
                        N_("create both with `docker run --name NAME busybox sh -c '...'`"),
                    ),
                ),
                Check(
                    N_("box-a wrote /data/a.txt"),
                    1,
                    lambda ctx: _wrote(ctx, "box-a", "/data/a.txt"),
                    N_("box-a's writable layer holds /data/a.txt."),
                    N_("`sh -c 'mkdir -p /data && echo a > /data/a.txt'` writes the file"),
                ),
                Check(
                    N_("box-b wrote /data/b.txt"),
                    1,
                    lambda ctx: _wrote(ctx, "box-b", "/data/b.txt"),
                    N_("box-b's writable layer holds /data/b.txt."),
                    N_("the second container writes /data/b.txt the same way"),
                ),
                Check(
                    N_("the writable layers are separate"),
                    1,
                    _layers_separate,
                    N_("Each container sees only its own file."),
                    N_("each container must write only its own file"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "01-image-unchanged",
            N_("Show that the image did not change: box-c finds no /data"),
            (
                Check(
                    N_("container box-c from busybox"),
                    1,
                    lambda ctx: _from_busybox(ctx, "box-c"),
                    N_("box-c was created from busybox."),
                    (
                        N_(
                            "a new container starts from the image, not from another container's "
                            "files"
                        ),
                        N_("`ls /data` shows whether the folder is there"),
                        N_("run `docker run --name box-c busybox ls /data`"),
                    ),
                ),
                Check(
                    N_("box-c found no /data"),
                    1,
                    _box_c_clean,
                    N_("box-c failed to list /data: the image never got it."),
                    N_("box-c should only look (`ls /data`), not write"),
                    "hidden",
                ),
            ),
        ),
    ),
)
