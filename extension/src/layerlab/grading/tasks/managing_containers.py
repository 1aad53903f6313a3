"""Exercise 04: managing containers: background containers, exec, stop, environment, removal."""

from __future__ import annotations

from layerlab.grading.checks import (
    diff_paths,
    expect,
    logs,
    require_container,
    require_no_container,
)
from layerlab.grading.model import Check, Context, Exercise, Resources, Task
from layerlab.i18n import N_, tr


def _running(ctx: Context, name: str) -> dict:
    container = require_container(ctx, name)
    expect(
        container["State"].get("Running") is True,
        tr("{name} is {status}", name=name, status=container["State"]["Status"]),
    )
    return container


def _ticker_running(ctx: Context) -> None:
    _running(ctx, "ticker")


def _ticker_sleeps(ctx: Context) -> None:
    command = _running(ctx, "ticker")["Config"].get("Cmd") or []
    expect(command[:1] == ["sleep"], tr("ticker runs {command}", command=command))


def _note_written(ctx: Context) -> None:
    require_container(ctx, "ticker")
    changes = diff_paths(ctx, "ticker")
    expect(
        "/tmp/note.txt" in changes,
        tr("`docker diff ticker` shows {changes}", changes=sorted(changes) or tr("nothing")),
    )


def _note_while_running(ctx: Context) -> None:
    _note_written(ctx)
    _running(ctx, "ticker")


def _worker_exited(ctx: Context) -> None:
    container = require_container(ctx, "worker")
    expect(
        container["State"]["Status"] == "exited",
        tr("worker is {status}", status=container["State"]["Status"]),
    )


def _worker_stopped(ctx: Context) -> None:
    _worker_exited(ctx)
    container = require_container(ctx, "worker")
    code = container["State"]["ExitCode"]
    expect(code in (137, 143), tr("worker exited by itself with code {code}", code=code))
    expect((container["Config"].get("Cmd") or [])[:1] == ["sleep"], tr("worker does not run sleep"))


def _environment(ctx: Context) -> None:
    variables = require_container(ctx, "configured")["Config"].get("Env") or []
    expect("GREETING=hello" in variables, tr("GREETING=hello is not in its environment"))


def _printed_greeting(ctx: Context) -> None:
    _environment(ctx)
    output = logs(ctx, "configured")
    expect(output.strip() == "hello", tr("it printed {output}", output=repr(output.strip()[:60])))


def _temporaries_removed(ctx: Context) -> None:
    require_no_container(ctx, "tmp-1")
    require_no_container(ctx, "tmp-2")
    _running(ctx, "ticker")


def _others_kept(ctx: Context) -> None:
    _temporaries_removed(ctx)
    for name in ("worker", "configured"):
        require_container(ctx, name)


EXERCISE = Exercise(
    id="04-managing-containers",
    state="exercise-04",
    resources=Resources(containers=("ticker", "worker", "configured", "tmp-1", "tmp-2")),
    tasks=(
        Task(
            "04-background",
            N_("Start ticker in the background, running `sleep 3600`"),
            (
                Check(
                    N_("ticker is running"),
                    1,
                    _ticker_running,
                    N_("ticker runs in the background."),
                    (
                        N_(
                            "a container started detached runs in the background as long as its "
                            "command runs"
                        ),
                        N_(
                            "`docker run --help` lists the option that detaches; `sleep 3600` runs "
                            "for an hour"
                        ),
                        N_("`docker run -d --name ticker busybox sleep 3600`"),
                    ),
                ),
                Check(
                    N_("ticker sleeps"),
                    1,
                    _ticker_sleeps,
                    N_("ticker runs sleep."),
                    N_("the container's command is `sleep 3600`"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "04-exec",
            N_("Write /tmp/note.txt inside the running ticker"),
            (
                Check(
                    N_("ticker has /tmp/note.txt"),
                    1,
                    _note_written,
                    N_("ticker's writable layer holds /tmp/note.txt."),
                    (
                        N_("a running container can run one more command beside its own"),
                        N_(
                            "that is `docker exec`; a redirection (`>`) needs a shell: `sh -c "
                            "'...'`"
                        ),
                        N_("`docker exec ticker sh -c 'echo ... > /tmp/note.txt'`"),
                    ),
                ),
                Check(
                    N_("ticker still running"),
                    1,
                    _note_while_running,
                    N_("The note was written and ticker keeps running."),
                    N_("exec runs a second process; the container's own keeps going"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "04-stop",
            N_("Run worker in the background, then stop it"),
            (
                Check(
                    N_("worker exited"),
                    1,
                    _worker_exited,
                    N_("worker has exited."),
                    (
                        N_("a container stops when its command ends, or when you stop it"),
                        N_(
                            "start it in the background first, then find the command that stops a "
                            "container"
                        ),
                        N_(
                            "`docker run -d --name worker busybox sleep 3600`, then `docker stop "
                            "worker`"
                        ),
                    ),
                ),
                Check(
                    N_("worker was stopped"),
                    1,
                    _worker_stopped,
                    N_("worker was stopped by a signal while sleeping."),
                    N_("worker must run `sleep 3600` and be stopped with `docker stop`"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "04-env",
            N_("Run configured with GREETING=hello in its environment, printing it"),
            (
                Check(
                    N_("GREETING=hello"),
                    1,
                    _environment,
                    N_("configured has GREETING=hello in its environment."),
                    (
                        N_("a container's environment is set when it is created"),
                        N_(
                            "`docker run --help` lists the option that sets an environment variable"
                        ),
                        N_("`docker run -e GREETING=hello --name configured busybox ...`"),
                    ),
                ),
                Check(
                    N_("configured printed hello"),
                    1,
                    _printed_greeting,
                    N_("configured printed its greeting."),
                    N_("`sh -c 'echo $GREETING'` prints the variable"),
                    "hidden",
                ),
            ),
        ),
        Task(
            "04-cleanup",
            N_("Remove the stopped containers tmp-1 and tmp-2, and only them"),
            (
                Check(
                    N_("tmp-1 and tmp-2 removed"),
                    1,
                    _temporaries_removed,
                    N_("tmp-1 and tmp-2 are gone; ticker still runs."),
                    (
                        N_(
                            "removing a container throws its writable layer away; a stopped one "
                            "goes without force"
                        ),
                        N_("the command that removes containers takes several names at once"),
                        N_("`docker rm tmp-1 tmp-2`"),
                    ),
                ),
                Check(
                    N_("other containers kept"),
                    1,
                    _others_kept,
                    N_("worker and configured were kept."),
                    N_("`docker container prune` removes every stopped container, not only these"),
                    "hidden",
                ),
            ),
        ),
    ),
)
