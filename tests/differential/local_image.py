"""Images for the real engine built on this machine, since nothing can be pulled here.

A reference image (``python:3.12``, ``node:14``) is a rootfs tar added on top of the baseline
busybox image, with the simulated Hub image's config. Building takes a few seconds; the image is
saved to a tar once per cache key and loaded from it afterwards.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from layerlab.engine.sim.registry.hub import images as hub

CACHE = Path(tempfile.gettempdir()) / "layerlab-reference-images"


def add_file(archive: tarfile.TarFile, source: str, target: str, mode: int | None = None) -> None:
    """The host file ``source`` (links followed) at ``target``, owned by root."""
    info = archive.gettarinfo(os.path.realpath(source), arcname=target.lstrip("/"))
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if mode is not None:
        info.mode = mode
    with open(os.path.realpath(source), "rb") as data:
        archive.addfile(info, data)


def add_bytes(archive: tarfile.TarFile, target: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(target.lstrip("/"))
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def add_symlink(archive: tarfile.TarFile, target: str, points_to: str) -> None:
    info = tarfile.TarInfo(target.lstrip("/"))
    info.type, info.linkname, info.mode = tarfile.SYMTYPE, points_to, 0o777
    archive.addfile(info)


def dockerfile_like_hub(repository: str, tag: str) -> str:
    """FROM busybox, the rootfs tar, and the Hub image's Env, Entrypoint and Cmd."""
    image = hub.image(repository, tag)
    assert image is not None
    config = json.loads(image.config)["config"]
    lines = ["FROM busybox:latest", "ADD rootfs.tar /"]
    lines += [f"ENV {json.dumps(item.split('=', 1)[0])}={json.dumps(item.split('=', 1)[1])}"
              for item in config["Env"]]  # fmt: skip
    if config.get("Entrypoint"):
        lines.append(f"ENTRYPOINT {json.dumps(config['Entrypoint'])}")
    lines.append(f"CMD {json.dumps(config['Cmd'])}")
    return "\n".join(lines) + "\n"


def provide_built(
    reference: str,
    key: str,
    write_rootfs: Callable[[Path], None],
    dockerfile: str,
    env: dict[str, str],
) -> None:
    """Load ``reference`` into the real engine at ``env``'s DOCKER_HOST: from the tar saved for
    ``key``, else built now from ``write_rootfs`` and ``dockerfile`` and saved."""
    name = reference.replace(":", "-").replace("/", "-")
    saved = CACHE / f"{name}-{key}.tar"
    if not saved.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{name}-image-") as work:
            context = Path(work)
            write_rootfs(context / "rootfs.tar")
            (context / "Dockerfile").write_text(dockerfile)
            build_env = {**env, "DOCKER_BUILDKIT": "0"}
            subprocess.run(["docker", "build", "-q", "-t", reference, str(context)],
                           env=build_env, check=True, capture_output=True, timeout=600)  # fmt: skip
            partial = saved.with_suffix(".partial")
            subprocess.run(["docker", "save", "-o", str(partial), reference], env=env,
                           check=True, capture_output=True, timeout=600)  # fmt: skip
            os.replace(partial, saved)
        subprocess.run(["docker", "rmi", reference], env=env, capture_output=True, timeout=120)
    subprocess.run(["docker", "load", "-q", "-i", str(saved)], env=env, check=True,
                   capture_output=True, timeout=600)  # fmt: skip
