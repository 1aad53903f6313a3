"""The build explainer: cached steps and the reason the cache broke."""

from __future__ import annotations

from collections.abc import Callable

from layerlab.session import Session
from layerlab.viz import explain_build

Build = Callable[..., str]
APP = "FROM busybox\nRUN echo hi > /a.txt\nCOPY f.txt /f.txt\nENV X=1\n"


def _outcomes(session: Session) -> list[str]:
    return [s.outcome for s in explain_build(session.engine()).steps]


def test_everything_cached(session: Session, build: Build) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    assert _outcomes(session) == ["base", "built", "built", "built"]
    first = explain_build(session.engine()).steps[1]
    assert "nothing was built on image" in first.reason
    build("app", APP)
    explanation = explain_build(session.engine())
    assert [s.outcome for s in explanation.steps] == ["base", "cached", "cached", "cached"]
    assert explanation.breaker is None and "every step came from the cache" in explanation.note


def test_a_changed_file_is_named(session: Session, build: Build) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    build("app", APP, **{"f.txt": "two\n"})
    explanation = explain_build(session.engine())
    assert [s.outcome for s in explanation.steps] == ["base", "cached", "built", "built"]
    assert explanation.steps[2].reason == (
        "a file it copies changed since the cached build (changed: /f.txt)"
    )
    assert "its parent image is new" in explanation.steps[3].reason
    assert "cache ✓" in explanation.text() and "<table>" in explanation._repr_html_()


def test_a_changed_instruction_is_quoted(session: Session, build: Build) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    build("app", APP.replace("X=1", "X=2"))
    step = explain_build(session.engine()).steps[3]
    assert step.reason == "the instruction changed: the cached step was `ENV X=1`, now `ENV X=2`"


def test_no_cache_is_named(session: Session, build: Build) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    build("app", APP, "--no-cache")
    explanation = explain_build(session.engine())
    assert explanation.steps[1].reason == "--no-cache: the builder did not look for cached steps"


def test_a_changed_parent_is_named(
    session: Session, build: Build, docker: Callable[[str], str]
) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    build("base:new", "FROM busybox\nRUN echo base > /base.txt\n")
    docker("tag base:new busybox:latest")  # FROM busybox now means another image
    build("app", APP)
    reason = explain_build(session.engine()).steps[1].reason
    assert reason.startswith("its parent changed: this same step was cached on top of image")


def test_quiet_builds_are_read_from_history(session: Session, build: Build) -> None:
    build("app", APP, **{"f.txt": "one\n"})
    build("app", APP.replace("X=1", "X=2"), "-q")
    explanation = explain_build(session.engine())
    assert [s.outcome for s in explanation.steps] == ["base", "cached", "cached", "built"]
    assert "quiet build" in explanation.note


def test_no_build_yet(session: Session) -> None:
    from layerlab.cli.commands import build as build_command

    build_command.last_build = None
    assert explain_build(session.engine()).note == "no build has run in this session yet"


def test_a_buildkit_build_is_explained_from_its_solve_status(
    session: Session, build: Build
) -> None:
    """Engine 26.1 with buildx: no intermediate images, the steps come from the progress."""
    session.engine().profile = "26.1"  # type: ignore[attr-defined]
    build("app", APP, **{"f.txt": "one\n"})
    build("app", APP, "-q", **{"f.txt": "two\n"})
    explanation = explain_build(session.engine())
    assert [(s.number, s.instruction, s.outcome) for s in explanation.steps] == [
        (1, "FROM docker.io/library/busybox:latest", "base"),
        (2, "RUN echo hi > /a.txt", "cached"),
        (3, "COPY f.txt /f.txt", "built"),
    ]
    assert explanation.steps[2].reason.startswith("BuildKit had no cached result with these")
    build("app", APP, **{"f.txt": "two\n"})
    assert "every step came from the cache" in explain_build(session.engine()).note
