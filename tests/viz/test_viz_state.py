"""Reading engine state into plain data: layers by ChainID, steps, image kinds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from layerlab.session import Session
from layerlab.viz.state import assign_steps, chain_ids, collect_state, instruction_text

Build = Callable[..., str]

APP = 'FROM busybox\nRUN echo hi > /a.txt\nCOPY f.txt /f.txt\nENV X=1\nRUN rm /a.txt\nCMD ["sh"]\n'


def test_chain_ids_follow_the_image_spec() -> None:
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_ids([a, b]) == [a, expected]
    assert chain_ids([]) == []


def test_instruction_text_reads_like_a_dockerfile() -> None:
    assert instruction_text("/bin/sh -c #(nop)  ENV X=1") == "ENV X=1"
    assert instruction_text("/bin/sh -c #(nop) COPY file:ab in /f ") == "COPY file:ab in /f"
    assert instruction_text("/bin/sh -c echo hi > /a") == "RUN echo hi > /a"
    assert instruction_text("|1 V=2 /bin/sh -c make") == "RUN make  (build args: V=2)"
    assert instruction_text("RUN /bin/sh -c make # buildkit") == "RUN /bin/sh -c make"


def test_steps_without_local_images_are_guessed_then_matched_to_the_layer_count() -> None:
    history = [  # top first, as the API gives it; nothing local ("<missing>")
        {"Id": "<missing>", "CreatedBy": "/bin/sh -c rm /x", "Size": 0},
        {"Id": "<missing>", "CreatedBy": '/bin/sh -c #(nop)  CMD ["sh"]', "Size": 0},
        {"Id": "<missing>", "CreatedBy": "/bin/sh -c #(nop) ADD file:1 in / ", "Size": 10},
    ]
    # A layer that only deletes has size 0, but the image says it has 2 layers.
    steps = assign_steps(history, 2, {})
    assert [s.empty for s in steps] == [False, True, False]
    assert [s.empty for s in assign_steps(history, 1, {})] == [False, True, True]


def test_local_images_say_exactly_which_steps_made_layers(session: Session, build: Build) -> None:
    build("app:v1", APP, **{"f.txt": "data\n"})
    state = collect_state(session.engine())
    app = state.resolve("app:v1")
    assert app is not None and app.kind == "tagged"
    assert [(s.instruction.split()[0], s.empty) for s in app.steps] == [
        ("ADD", False),
        ("CMD", True),
        ("RUN", False),
        ("COPY", False),
        ("ENV", True),
        ("RUN", False),  # deletes /a.txt: size 0, still a layer
        ("CMD", True),
    ]
    assert len(app.layers) == 4
    assert state.layers[app.layers[-1]].instruction == "RUN rm /a.txt"
    assert state.layers[app.layers[-1]].parent == app.layers[-2]


def test_kinds_tagged_dangling_intermediate(session: Session, build: Build) -> None:
    build("app:v1", APP, **{"f.txt": "one\n"})
    build("app:v1", APP, **{"f.txt": "two\n"})  # the old app:v1 loses its tag: dangling
    state = collect_state(session.engine())
    kinds = sorted(i.kind for i in state.images.values())
    assert kinds.count("tagged") == 2  # busybox, app:v1
    assert kinds.count("dangling") == 1
    assert kinds.count("intermediate") == 7  # 4 steps on top of RUN, twice, sharing RUN's
    old = next(i for i in state.images.values() if i.kind == "dangling")
    new = state.resolve("app:v1")
    assert new is not None and old.layers[:2] == new.layers[:2] and old.layers[2] != new.layers[2]
    assert [i.name for i in state.users_of(new.layers[1])] != []
    assert state.resolve(old.id[7:19]) == old


def test_containers_carry_their_state_and_change_count(
    session: Session, docker: Callable[[str], str]
) -> None:
    docker("run --name web busybox sh -c 'echo x > /x; rm /etc/group'")
    docker("create --name idle busybox")
    state = collect_state(session.engine())
    by_name = {c.name: c for c in state.containers.values()}
    assert by_name["web"].state == "exited" and by_name["web"].changes == 3  # A /x, C /etc, D
    assert by_name["idle"].state == "created" and by_name["idle"].changes == 0
    uncounted = collect_state(session.engine(), diffs=False)
    assert uncounted.containers[by_name["web"].id].changes is None
