"""Data helpers under the explorer widgets, and the widgets themselves (no front end needed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from layerlab.session import Session
from layerlab.viz import ContainerExplorer, ImageExplorer, collect_state
from layerlab.viz.explore import image_choices, image_rows
from layerlab.viz.layerfiles import image_files, preview
from layerlab.viz.writable import perform, writable_layer

Build = Callable[..., str]
APP = (
    "FROM busybox\nRUN echo hi > /a.txt && echo root > /etc/motd\nCOPY f.txt /f.txt\n"
    "ENV X=1\nRUN rm /a.txt && echo changed > /etc/motd\n"
)


@pytest.fixture
def app(session: Session, build: Build) -> Session:
    build("app:v1", APP, **{"f.txt": "data\n"})
    build("app:v2", APP, **{"f.txt": "other\n"})
    return session


def test_rows_are_steps_with_layers_and_sharing(app: Session) -> None:
    state = collect_state(app.engine())
    rows = image_rows(state, "app:v1")
    assert [r.instruction.split()[0] for r in rows] == ["ADD", "CMD", "RUN", "COPY", "ENV", "RUN"]
    assert [r.layer_index for r in rows] == [0, None, 1, 2, None, 3]
    assert rows[0].shared_with == ("app:v2", "busybox:latest")  # every tag of an image
    assert rows[2].shared_with == ("app:v2",) and rows[3].shared_with == ()
    assert "metadata step, no layer" in rows[4].label()
    labels = [label for label, _ in image_choices(state)]
    assert labels[0].startswith("app:v2") and len(labels) == 3
    with pytest.raises(KeyError):
        image_rows(state, "nosuch:tag")


def test_layer_files_added_changed_deleted_and_contents(app: Session) -> None:
    files = image_files(app.engine(), "app:v1")
    assert len(files.layers) == 4
    run1 = {c.path: c.kind for c in files.layers[1].changes}
    assert run1 == {"/a.txt": "added", "/etc/motd": "added"}
    run2 = {c.path: c.kind for c in files.layers[3].changes}
    assert run2 == {"/a.txt": "deleted", "/etc/motd": "changed"}
    assert files.read(2, "/f.txt") == b"data\n"
    assert files.read(3, "/etc/motd") == b"changed\n"
    assert files.read(3, "/a.txt") is None
    assert preview(b"\0ELF") == "(binary file, 4 bytes)"
    assert preview(b"x" * 10, limit=4) == "xxxx\n… (6 more bytes)"


def test_image_explorer_follows_clicks(app: Session) -> None:
    explorer = ImageExplorer(app.engine(), "app:v1")
    assert explorer.layers.value == 6  # the top layer is selected first
    explorer.layers.value = 3
    assert "shared with: app:v2" in explorer.info.value
    assert [label for label, _ in explorer.files.options] == ["A /a.txt  3B", "A /etc/motd  5B"]
    explorer.files.value = 0
    # The list's step number and the layer's place in RootFS.Layers, both named.
    assert "step 3, layer 2 of 4" in explorer.info.value
    content = explorer.content.value
    assert "hi" in content and "/a.txt (added in step 3, layer 2)" in content
    explorer.layers.value = 5
    assert explorer.files.options == () and "metadata step: no layer" in explorer.info.value
    explorer.picker.value = explorer.state.resolve("busybox").id  # type: ignore[union-attr]
    assert len(explorer.layers.options) == 2
    assert explorer._repr_mimebundle_()["text/plain"].startswith("image busybox:latest")


def test_a_link_shows_where_it_points(session: Session, build: Build) -> None:
    build("linked", "FROM busybox\nRUN ln -s /etc/motd /motd-link\n")
    explorer = ImageExplorer(session.engine(), "linked")
    explorer.layers.value = 3
    files = [label for label, _ in explorer.files.options]
    explorer.files.value = files.index(next(f for f in files if "/motd-link" in f))
    assert "a link to /etc/motd" in explorer.content.value


def test_writable_layer_through_stop_start_rm(
    session: Session, docker: Callable[[str], str]
) -> None:
    docker("run -d --name web busybox sh -c 'echo x > /x; sleep 3600'")
    engine = session.engine()
    layer = writable_layer(engine, "web")
    assert layer.state == "running" and layer.changes == (("A", "/x"),)
    stopped = perform(engine, "web", "stop")
    assert stopped.after is not None and stopped.after.state == "exited"
    assert stopped.command == "docker stop web"
    assert "kept (1 of 1 changes)" in stopped.message
    failed = perform(engine, "web", "stop")
    assert failed.error == "" and "kept" in failed.message  # stopping a stopped one: no-op
    removed = perform(engine, "web", "rm")
    assert removed.after is None and "gone for good" in removed.message
    assert "untouched" in removed.message


def test_container_explorer_buttons(session: Session, docker: Callable[[str], str]) -> None:
    docker("run --name web busybox sh -c 'echo x > /x; rm /etc/group'")
    explorer = ContainerExplorer(session.engine(), "web")
    assert explorer.changes.options == ("A /x", "C /etc", "D /etc/group")
    explorer.buttons["start"].click()
    assert "$ docker start web" in explorer.messages.value
    explorer.buttons["rm"].click()
    assert "gone for good" in explorer.messages.value
    assert explorer.picker.options == () and explorer.text() == "no containers"


def test_explorers_follow_the_session(
    session: Session, build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    import layerlab.session

    monkeypatch.setattr(layerlab.session, "_session", session)
    monkeypatch.setattr("layerlab.viz.widgets._followers", {})
    images, containers = ImageExplorer(), ContainerExplorer()
    assert containers.picker.value is None
    build("late:1", "FROM busybox\nRUN echo hi > /hi\n")
    assert next(label.split()[0] for label, _ in images.picker.options) == "late:1"
    assert images.picker.label.startswith("busybox")  # the chosen image stays chosen
    session.run("run --name jot busybox touch /jot")
    assert containers.text().splitlines()[1:] == ["  A /jot"]
    # A newer explorer of a kind takes over following; the older one keeps what it showed.
    newer = ContainerExplorer()
    session.run("rm jot")
    assert newer.picker.value is None and containers.picker.value is not None
    assert len(session.listeners) == 2
