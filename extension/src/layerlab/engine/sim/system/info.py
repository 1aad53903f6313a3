"""System endpoints: version, info and disk usage, describing the simulator honestly."""

from __future__ import annotations

import platform
from collections import Counter
from typing import TYPE_CHECKING, Any

from layerlab.engine.profiles import daemon
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend

Json = dict[str, Any]
PLATFORM_NAME = "LayerLab simulated engine"


def version(profile: str) -> Json:
    """What the daemon of ``profile`` reports of itself (its version and API version), with
    LayerLab's own build in the fields that would describe a Go binary."""
    from layerlab.version import __version__

    this = daemon(profile)
    return {
        "Platform": {"Name": PLATFORM_NAME},
        "Components": [
            {
                "Name": "Engine",
                "Version": this.version,
                "Details": {
                    "ApiVersion": this.api_version,
                    "Arch": "amd64",
                    "BuildTime": "",
                    "Experimental": "false",
                    "GitCommit": f"layerlab-{__version__}",
                    "GoVersion": "python" + platform.python_version(),
                    "KernelVersion": "",
                    "MinAPIVersion": this.min_api_version,
                    "Os": "linux",
                },
            },
        ],
        "Version": this.version,
        "ApiVersion": this.api_version,
        "MinAPIVersion": this.min_api_version,
        "GitCommit": f"layerlab-{__version__}",
        "GoVersion": "python" + platform.python_version(),
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": "",
        "BuildTime": "",
    }


def info(engine: ContainerBackend) -> Json:
    from layerlab.engine.sim.runtimes import confinement  # only when asked: start-up stays fast

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
        "ServerVersion": daemon(engine.profile).version,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": ["127.0.0.0/8"]},
        "Labels": [],
        "LoggingDriver": "json-file",
        "CgroupDriver": "none",
        "DefaultRuntime": "runc",
        # Read by `docker info`; the simulator has no kernel or cgroups of its own to report.
        "CgroupVersion": "",
        "KernelVersion": "",
        "Debug": False,
        "ExperimentalBuild": False,
        "LiveRestoreEnabled": False,
        # LayerLab's own: how real programs (python) are confined to their container's files.
        "ProgramConfinement": confinement.describe(),
    }


def disk_usage(engine: ContainerBackend) -> Json:
    """``GET /system/df`` as Engine 20.10 answers it: the listed images (as ``docker images``
    lists them) with their container counts and shared sizes, every container with its sizes,
    no volumes, and BuildKit's cache records (the classic builder keeps none)."""
    from layerlab.engine.sim.builder.cache_records import usage
    from layerlab.engine.sim.containers.listing import list_containers
    from layerlab.engine.sim.images.service import list_images

    layers_size = sum(row[0] for row in engine.store.query("SELECT size FROM layers"))
    images = list_images(engine, None, False, None)
    containers = list_containers(engine, True, None, size=True)
    layer_sizes = engine.layers.sizes()
    chains = {
        image["Id"]: fs.chain_ids(engine.image_store.require(image["Id"]).diff_ids)
        for image in images
    }
    # A layer is shared when more than one listed image stands on it.
    references = Counter(chain for ids in chains.values() for chain in ids)
    for image in images:
        image["Containers"] = sum(1 for c in containers if c["ImageID"] == image["Id"])
        image["SharedSize"] = sum(
            layer_sizes.get(chain, 0) for chain in chains[image["Id"]] if references[chain] > 1
        )
    build_cache = usage(engine)
    return {
        "LayersSize": layers_size,
        "Images": images,
        "Containers": containers,
        "Volumes": [],
        "BuildCache": build_cache or None,
        "BuilderSize": 0,
    }
