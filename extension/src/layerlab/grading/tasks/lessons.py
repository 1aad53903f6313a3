"""The checks at the end of lessons 01-05: a learner predicts, does, and checks with
``%docker_check``. They are not graded (the exercises are): each task says what to predict
first, its checks look at what the learner left, and its hints teach in steps.

Each task works on what its lesson made (``hello-app`` in 01, the quote image in 05) and names
what it asks for, so that it never collides with the lesson's own containers and images.
"""

from __future__ import annotations

from layerlab.grading.checks import (
    diff_paths,
    expect,
    history,
    layers,
    logs,
    registry_digest,
    require_container,
    require_image,
    shared_prefix,
)
from layerlab.grading.model import Check, Context, Task
from layerlab.i18n import N_, tr

BUSYBOX = "busybox:latest"


def _from_image(ctx: Context, name: str, image: str) -> dict[str, object]:
    container = require_container(ctx, name)
    expect(
        container["Image"] == require_image(ctx, image)["Id"],
        tr("{name} was created from {image}", name=name, image=container["Config"].get("Image")),
    )
    return container


# -- 01: images and containers ------------------------------------------------------------------


def _scratchpad_wrote(ctx: Context) -> None:
    _from_image(ctx, "scratchpad", BUSYBOX)
    changes = diff_paths(ctx, "scratchpad")
    expect(
        "/tmp/todo.txt" in changes,
        tr("`docker diff scratchpad` shows {changes}", changes=sorted(changes) or tr("no changes")),
    )


def _busybox_unchanged(ctx: Context) -> None:
    _from_image(ctx, "scratchpad", BUSYBOX)
    for row in history(ctx, BUSYBOX):
        expect("todo.txt" not in str(row.get("CreatedBy")), tr("busybox has a step of yours"))


def _two_more_hellos(ctx: Context) -> None:
    for name in ("hello-4", "hello-5"):
        _from_image(ctx, name, "hello-app")
        expect("Hello from" in logs(ctx, name), tr("{name} printed no greeting", name=name))


def _hostnames_differ(ctx: Context) -> None:
    _two_more_hellos(ctx)
    expect(logs(ctx, "hello-4") != logs(ctx, "hello-5"), tr("both printed the same hostname"))


# -- 02: layers ---------------------------------------------------------------------------------


def _counted_layers(ctx: Context) -> None:
    base, image = layers(require_image(ctx, BUSYBOX)), layers(require_image(ctx, "counted"))
    expect(
        shared_prefix(base, image) == len(base),
        tr("counted does not start from busybox's layers"),
    )
    expect(
        len(image) - len(base) == 2,
        tr("counted has {count} layer(s) over busybox's", count=len(image) - len(base)),
    )


def _counted_has_env(ctx: Context) -> None:
    rows = history(ctx, "counted")
    expect(
        any("ENV " in str(row.get("CreatedBy")) for row in rows),
        tr("`docker history counted` shows no ENV step"),
    )


def _counted_too_shares(ctx: Context) -> None:
    first = layers(require_image(ctx, "counted"))
    second = layers(require_image(ctx, "counted-too"))
    shared = shared_prefix(first, second)
    expect(
        shared == len(first) and len(second) == len(first) + 1,
        tr(
            "counted-too shares {shared} of counted's {total} layers and has {count} in all",
            shared=shared,
            total=len(first),
            count=len(second),
        ),
    )


# -- 03: managing images ------------------------------------------------------------------------


def _mybox_is_busybox(ctx: Context) -> None:
    expect(
        require_image(ctx, "mybox:1.0")["Id"] == require_image(ctx, BUSYBOX)["Id"],
        tr("mybox:1.0 is another image"),
    )


def _default_command_ran(ctx: Context) -> None:
    container = _from_image(ctx, "plain", BUSYBOX)
    expected = require_image(ctx, BUSYBOX)["Config"].get("Cmd")
    expect(
        container["Config"].get("Cmd") == expected,
        tr("plain ran {command}", command=" ".join(container["Config"].get("Cmd") or [])),
    )


# -- 04: managing containers --------------------------------------------------------------------


def _waiting_created(ctx: Context) -> None:
    container = _from_image(ctx, "waiting", BUSYBOX)
    status = container["State"]["Status"]
    expect(status == "created", tr("waiting is {status}", status=status))


def _made_from_maker(ctx: Context) -> None:
    _from_image(ctx, "maker", BUSYBOX)
    base, image = layers(require_image(ctx, BUSYBOX)), layers(require_image(ctx, "made:1"))
    expect(
        shared_prefix(base, image) == len(base) and len(image) == len(base) + 1,
        tr("made:1 is not busybox with one layer more"),
    )


def _made_has_the_file(ctx: Context) -> None:
    _made_from_maker(ctx)
    expect("/made.txt" in diff_paths(ctx, "maker"), tr("maker did not write /made.txt"))


# -- 05: sharing --------------------------------------------------------------------------------

QUOTE = "localhost:5000/team/quote-app"


def _quote_again_ran(ctx: Context) -> None:
    _from_image(ctx, "quote-again", f"{QUOTE}:1.0")
    expect(bool(logs(ctx, "quote-again").strip()), tr("quote-again printed nothing"))


def _v2_pushed(ctx: Context) -> None:
    same = require_image(ctx, f"{QUOTE}:2.0")["Id"] == require_image(ctx, f"{QUOTE}:1.0")["Id"]
    expect(same, tr("2.0 is another image than 1.0"))
    pushed = registry_digest(ctx, f"{QUOTE}:2.0") is not None
    expect(pushed, tr("the registry has no {reference}", reference=f"{QUOTE}:2.0"))


LESSON_TASKS: dict[str, tuple[Task, ...]] = {
    "01-images-and-containers": (
        Task(
            "lesson-01-own-layer",
            N_(
                "Predict which lines `docker diff` prints, then run a container named scratchpad "
                "from busybox that writes /tmp/todo.txt"
            ),
            (
                Check(
                    N_("scratchpad wrote /tmp/todo.txt"),
                    1,
                    _scratchpad_wrote,
                    N_("scratchpad's writable layer holds /tmp/todo.txt."),
                    (
                        N_("what a container writes goes into its own writable layer"),
                        N_("`docker diff NAME` lists what a container added (A) or changed (C)"),
                        N_(
                            "`docker run --name scratchpad busybox sh -c "
                            "'echo milk > /tmp/todo.txt'`"
                        ),
                    ),
                ),
                Check(
                    N_("busybox did not change"),
                    1,
                    _busybox_unchanged,
                    N_("busybox is as it was: the file is in the container only."),
                    N_("`docker history busybox` shows the image's steps: yours are not there"),
                ),
            ),
            graded=False,
        ),
        Task(
            "lesson-01-many",
            N_(
                "Predict whether two new containers of hello-app print the same hostname, then "
                "run them as hello-4 and hello-5"
            ),
            (
                Check(
                    N_("hello-4 and hello-5 from hello-app"),
                    1,
                    _two_more_hellos,
                    N_("hello-4 and hello-5 both ran hello-app."),
                    (
                        N_("one image can start any number of containers, each with its own name"),
                        N_("`docker ps -a` lists the containers and the image each came from"),
                        N_("`docker run --name hello-4 hello-app`, then the same for hello-5"),
                    ),
                ),
                Check(
                    N_("each has a hostname of its own"),
                    1,
                    _hostnames_differ,
                    N_("Each container printed its own hostname: its ID."),
                    N_("`docker logs hello-4` shows what the container printed"),
                ),
            ),
            graded=False,
        ),
    ),
    "02-layers": (
        Task(
            "lesson-02-count",
            N_(
                "Build an image counted (FROM busybox, then ENV, RUN and COPY): predict how many "
                "layers it adds to busybox's, then check"
            ),
            (
                Check(
                    N_("counted adds two layers to busybox's"),
                    1,
                    _counted_layers,
                    N_("counted is busybox's layers and two more: RUN's and COPY's."),
                    (
                        N_(
                            "only instructions that change files (RUN, COPY, ADD) add a layer; "
                            "ENV only changes settings"
                        ),
                        N_(
                            "`docker image inspect --format '{{json .RootFS.Layers}}' counted` "
                            "lists the layers"
                        ),
                        N_(
                            "write a Dockerfile with FROM busybox, ENV, RUN and COPY lines, then "
                            "`docker build -t counted FOLDER`"
                        ),
                    ),
                ),
                Check(
                    N_("counted has an ENV step"),
                    1,
                    _counted_has_env,
                    N_("ENV left a history row and no layer."),
                    N_("`docker history counted` shows a row for every instruction"),
                ),
            ),
            graded=False,
        ),
        Task(
            "lesson-02-share",
            N_(
                "Build counted-too from the same Dockerfile with one more RUN at the end: predict "
                "how many layers it shares with counted, then check"
            ),
            (
                Check(
                    N_("counted-too is counted with one layer more"),
                    1,
                    _counted_too_shares,
                    N_("counted-too shares every layer of counted and adds one."),
                    (
                        N_("a build reuses the cached steps of an earlier one: the same layers"),
                        N_("compare the RootFS.Layers of counted and counted-too"),
                        N_(
                            "add `RUN echo more > /more.txt` to the end of a copy of the "
                            "Dockerfile, then `docker build -f THAT_FILE -t counted-too FOLDER`"
                        ),
                    ),
                ),
            ),
            graded=False,
        ),
    ),
    "03-managing-images": (
        Task(
            "lesson-03-tag",
            N_(
                "Predict whether a new name makes a new image, then give busybox the name mybox:1.0"
            ),
            (
                Check(
                    N_("mybox:1.0 is busybox"),
                    1,
                    _mybox_is_busybox,
                    N_("mybox:1.0 has busybox's image ID: a tag is a name, not a copy."),
                    (
                        N_("a tag is a second name for an image that is already there"),
                        N_("`docker images` shows the IMAGE ID beside each name"),
                        N_("`docker tag busybox mybox:1.0`"),
                    ),
                ),
            ),
            graded=False,
        ),
        Task(
            "lesson-03-default-command",
            N_(
                "Find busybox's default command with `docker image inspect`, predict what a "
                "container runs without a command, then run one named plain"
            ),
            (
                Check(
                    N_("plain ran busybox's default command"),
                    1,
                    _default_command_ran,
                    N_("plain ran the image's default command."),
                    (
                        N_("an image records the command its containers run when given none"),
                        N_("`docker image inspect --format '{{.Config.Cmd}}' busybox`"),
                        N_("`docker run --name plain busybox`"),
                    ),
                ),
            ),
            graded=False,
        ),
    ),
    "04-managing-containers": (
        Task(
            "lesson-04-created",
            N_(
                "Predict the STATUS `docker ps -a` shows for a container that was created and "
                "never started, then create one named waiting from busybox"
            ),
            (
                Check(
                    N_("waiting was created, not started"),
                    1,
                    _waiting_created,
                    N_("waiting is Created: it exists, and nothing has run in it yet."),
                    (
                        N_("creating a container and starting it are two steps"),
                        N_("`docker ps -a` shows every container's STATUS"),
                        N_("`docker create --name waiting busybox`"),
                    ),
                ),
            ),
            graded=False,
        ),
        Task(
            "lesson-04-commit",
            N_(
                "Predict whether a new container sees a file another container wrote, once that "
                "container is kept as an image: make maker write /made.txt and commit it as made:1"
            ),
            (
                Check(
                    N_("made:1 is busybox with maker's layer"),
                    1,
                    _made_from_maker,
                    N_("made:1 is busybox's layers and one more: maker's writable layer."),
                    (
                        N_("`docker commit` keeps a container's writable layer as a new layer"),
                        N_("`docker diff maker` shows what that layer holds"),
                        N_(
                            "`docker run --name maker busybox sh -c 'echo made > /made.txt'`, "
                            "then `docker commit maker made:1`"
                        ),
                    ),
                ),
                Check(
                    N_("maker wrote /made.txt"),
                    1,
                    _made_has_the_file,
                    N_("The file is in made:1: `docker run --rm made:1 cat /made.txt` shows it."),
                    N_("maker must write /made.txt before it is committed"),
                ),
            ),
            graded=False,
        ),
    ),
    "05-sharing": (
        Task(
            "lesson-05-load",
            N_(
                "Predict whether an image saved to a file and loaded back keeps its ID: save "
                "localhost:5000/team/quote-app:1.0, remove it, load it, and run it as quote-again"
            ),
            (
                Check(
                    N_("quote-again ran the loaded image"),
                    1,
                    _quote_again_ran,
                    N_("quote-again ran the image loaded from the file."),
                    (
                        N_("a saved image is its layers and settings in one archive file"),
                        N_("`docker images localhost:5000/team/quote-app` shows the ID"),
                        N_(
                            "`docker save -o quote.tar IMAGE`, `docker rmi IMAGE`, "
                            "`docker load -i quote.tar`, then `docker run --name quote-again "
                            "IMAGE`"
                        ),
                    ),
                ),
            ),
            graded=False,
        ),
        Task(
            "lesson-05-version",
            N_(
                "Predict what `docker push` says of the layers the registry already has, then "
                "push the same image as localhost:5000/team/quote-app:2.0"
            ),
            (
                Check(
                    N_("the registry has quote-app 2.0"),
                    1,
                    _v2_pushed,
                    N_("localhost:5000/team/quote-app:2.0 is in the registry: the same image."),
                    (
                        N_("a new tag names the same image; a push sends only what is missing"),
                        N_("`docker images localhost:5000/team/quote-app` lists its tags"),
                        N_(
                            "`docker tag localhost:5000/team/quote-app:1.0 "
                            "localhost:5000/team/quote-app:2.0`, then `docker push "
                            "localhost:5000/team/quote-app:2.0`"
                        ),
                    ),
                ),
            ),
            graded=False,
        ),
    ),
}
