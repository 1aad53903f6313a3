"""System endpoints: version, info and disk usage, describing the simulator honestly."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING, Any

from . import fs
from .config import DOCKER_VERSION

if TYPE_CHECKING:
    from .engine import SimEngine

Json = dict[str, Any]
API_VERSION = "1.41"
PLATFORM_NAME = "LayerLab simulated engine"


def version() -> Json:
    from ... import __version__

    return {
        "Platform": {"Name": PLATFORM_NAME},
        "Components": [
            {
                "Name": "Engine",
                "Version": DOCKER_VERSION,
                "Details": {
                    "ApiVersion": API_VERSION,
                    "Arch": "amd64",
                    "BuildTime": "",
                    "Experimental": "false",
                    "GitCommit": f"layerlab-{__version__}",
                    "GoVersion": "python" + platform.python_version(),
                    "KernelVersion": "",
                    "MinAPIVersion": "1.12",
                    "Os": "linux",
                },
            },
        ],
        "Version": DOCKER_VERSION,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": "1.12",
        "GitCommit": f"layerlab-{__version__}",
        "GoVersion": "python" + platform.python_version(),
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": "",
        "BuildTime": "",
    }


def info(engine: SimEngine) -> Json:
    containers = engine.all_containers()
    running = sum(1 for c in containers if c.running)
    created = sum(1 for c in containers if c.state["Status"] == "created")
    return {
        "ID": engine.store.get_meta("engine-id") or "layerlab",
        "Containers": len(containers),
        "ContainersRunning": running,
        "ContainersPaused": 0,
        "ContainersStopped": len(containers) - running,
        "ContainersCreated": created,
        "Images": len(engine.image_store.all()),
        "Driver": "overlay2",
        "DriverStatus": [["Backing Filesystem", "sqlite"]],
        "OperatingSystem": PLATFORM_NAME,
        "OSType": "linux",
        "Architecture": "x86_64",
        "NCPU": 2,
        "MemTotal": 2 * 1024**3,
        "DockerRootDir": str(engine.home),
        "Name": "layerlab",
        "ServerVersion": DOCKER_VERSION,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": ["127.0.0.0/8"]},
        "Labels": [],
        "LoggingDriver": "json-file",
        "CgroupDriver": "none",
        "DefaultRuntime": "runc",
    }


def disk_usage(engine: SimEngine) -> Json:
    layers_size = sum(row[0] for row in engine.store.query("SELECT size FROM layers"))
    in_use = {c.image_id for c in engine.all_containers()}
    images = []
    for image in engine.image_store.all():
        size = engine.image_store.size(image)
        images.append(
            {
                "Containers": sum(1 for c in engine.all_containers() if c.image_id == image.id),
                "Created": int(image.created),
                "Id": image.id,
                "Labels": (image.config.get("config") or {}).get("Labels"),
                "ParentId": image.parent,
                "RepoDigests": engine.image_store.refs(image.id, "digest"),
                "RepoTags": engine.image_store.refs(image.id, "tag"),
                "SharedSize": 0 if image.id not in in_use else -1,
                "Size": size,
                "VirtualSize": size,
            }
        )
    containers = []
    for c in engine.all_containers():
        upper = fs.layer_size(fs.tar_to_changes(c.upper)) if c.upper else 0
        containers.append(
            {
                "Id": c.id,
                "Names": ["/" + c.name],
                "Image": c.doc["Config"]["Image"],
                "ImageID": c.image_id,
                "Command": c.doc["Path"],
                "Created": int(c.run.get("created", 0)),
                "State": c.state["Status"],
                "Status": c.state["Status"],
                "SizeRw": upper,
                "SizeRootFs": upper
                + engine.image_store.size(engine.image_store.require(c.image_id)),
                "Labels": c.doc["Config"].get("Labels") or {},
                "Mounts": [],
            }
        )
    return {
        "LayersSize": layers_size,
        "Images": images,
        "Containers": containers,
        "Volumes": [],
        "BuildCache": [],
    }
