"""Named starting points for the simulated engine.

``baseline`` is what the real engine in the test suite starts from: only ``busybox:latest``,
built from the busybox root filesystem the way the official image is built (``FROM scratch``,
``ADD rootfs.tar /``, ``CMD ["sh"]``), with no local parent. ``empty`` has nothing at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import fs
from .config import DEFAULT_PATH, container_config, go_json, image_config, rfc3339
from .reference import parse_normalized
from .rootfs import busybox_rootfs

if TYPE_CHECKING:
    from .engine import SimEngine

STATES = ("baseline", "empty")
BASELINE_AGE = 16 * 86400.0  # the image looks two weeks old, as a freshly pulled one would


def install_state(engine: SimEngine, state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; choose one of: {', '.join(STATES)}")
    if state == "baseline":
        install_baseline(engine)


def install_baseline(engine: SimEngine) -> None:
    created = engine.clock.now() - BASELINE_AGE
    image_id = build_scratch_image(engine, busybox_rootfs(int(created)), ["sh"], created)
    engine.images.set_ref(parse_normalized("busybox:latest"), image_id, rfc3339(created + 1))


def build_scratch_image(engine: SimEngine, tree: fs.Tree, cmd: list[str], created: float) -> str:
    """Store ``FROM scratch`` + ``ADD rootfs.tar /`` + ``CMD`` as one image without local parents."""
    layer = engine.layers.add_changes("", dict(tree))
    file_hash = fs.digest(engine.layers.tar(layer.diff_id)).removeprefix("sha256:")
    env = [DEFAULT_PATH]
    add_config = container_config(env=env, cmd=None)
    add_id = fs.digest(go_json({"add": file_hash, "config": add_config}).encode())
    container = engine.ids.hex64()
    cmd_text = go_json(cmd)
    raw = image_config(
        config=container_config(env=env, cmd=cmd, image=add_id),
        container=container,
        container_config_doc=container_config(
            hostname=container[:12],
            env=env,
            cmd=["/bin/sh", "-c", "#(nop) ", f"CMD {cmd_text}"],
            image=add_id,
            labels={},
        ),
        created=rfc3339(created),
        history=[
            {"created": rfc3339(created), "created_by": f"/bin/sh -c #(nop) ADD file:{file_hash} in / "},
            {
                "created": rfc3339(created),
                "created_by": f"/bin/sh -c #(nop)  CMD {cmd_text.replace(',', ' ')}",
                "empty_layer": True,
            },
        ],
        diff_ids=[layer.diff_id],
    )
    return engine.images.put(raw, "", created)
