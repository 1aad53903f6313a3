"""The inspect document a container starts as: its config from the image and the options
of ``docker create``/``run``, merged in the daemon's key order, over the defaults Engine
records for a container (``data/container-defaults.json``)."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.sim.images.config import ZERO_TIME, rfc3339

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend

Json = dict[str, Any]


@cache
def container_defaults() -> Json:
    text = resources.files(__package__).joinpath("data/container-defaults.json")
    return json.loads(text.read_text())  # type: ignore[no-any-return]


def new_container_doc(
    engine: ImageBackend,
    container_id: str,
    name: str,
    image_id: str,
    image_config: Json,
    typed_image: str,
    options: Json,
) -> Json:
    """The inspect document of a freshly created container, in the daemon's key order."""
    entrypoint = options.get("entrypoint")
    cmd = options.get("command")
    if entrypoint is None:
        entrypoint = image_config.get("Entrypoint")
        if cmd is None:
            cmd = image_config.get("Cmd")
    elif cmd is None:
        cmd = None
    argv = [*(entrypoint or []), *(cmd or [])]
    if not argv:
        raise InvalidArgument("No command specified")
    env = _merge_env(image_config.get("Env") or [], options.get("environment") or [])
    host_config = copy.deepcopy(container_defaults()["HostConfig"])
    host_config.update(options.get("host_config") or {})
    exposed = dict(image_config.get("ExposedPorts") or {})
    for port in host_config.get("PortBindings") or {}:
        exposed.setdefault(port, {})
    from layerlab.engine.sim.images.config import container_config

    config = container_config(
        hostname=options.get("hostname") or container_id[:12],
        user=options.get("user")
        if options.get("user") is not None
        else image_config.get("User", ""),
        attach=not options.get("detach", False),
        exposed_ports=exposed or None,
        tty=bool(options.get("tty")),
        open_stdin=bool(options.get("stdin_open")),
        env=env,
        cmd=cmd,
        image=typed_image,
        working_dir=options.get("working_dir") or image_config.get("WorkingDir", ""),
        entrypoint=entrypoint,
        labels={**(image_config.get("Labels") or {}), **(options.get("labels") or {})},
    )
    now = engine.clock.now()
    return {
        "Id": container_id,
        "Created": rfc3339(now),
        "Path": argv[0],
        "Args": argv[1:],
        "State": {
            "Status": "created",
            "Running": False,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "Dead": False,
            "Pid": 0,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": ZERO_TIME,
            "FinishedAt": ZERO_TIME,
        },
        "Image": image_id,
        "Name": "/" + name,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": host_config,
        "Mounts": [],
        "Config": config,
        "LayerLab": {"created": now},
    }


def _merge_env(base: list[str], extra: list[str]) -> list[str]:
    merged: dict[str, str] = {}
    for item in [*extra, *base]:
        key = item.partition("=")[0]
        merged.setdefault(key, item)
    return list(merged.values())
