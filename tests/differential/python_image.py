"""A `python:3.12` image for the real engine, holding the interpreter the simulator runs.

Nothing can be pulled here, so the real engine's python image is built from this machine: on top
of the baseline busybox image, the interpreter LayerLab runs on, laid out exactly as the
simulator binds it into a container (``runtimes.interpreter``: the binary at
``/usr/local/bin/python3.X``, its standard library at ``/usr/local/lib/python3.X``, libpython and
the system libraries it loads), with pip installed from the same wheel (``hub.trees_apps``) and
the same image config (Env, Cmd) as the simulated Hub's image. Both engines then run the same
CPython on the same paths, so a differential scenario compares what Docker does around a
program: files, users, environment, exit codes, layers.

Building takes a few seconds; the image is saved to a tar once and loaded from it afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.registry.hub.trees_apps import python_tree
from layerlab.engine.sim.runtimes.interpreter import (
    EXTERNALLY_MANAGED,
    host_interpreter,
    host_version,
    pip_wheel,
    site_dir,
)

REFERENCE = "python:3.12"
CACHE = Path(tempfile.gettempdir()) / "layerlab-python-image"
# Left out of the image: the test suite and the host's own installed packages.
SKIPPED = ("test", "site-packages", "idlelib", "tkinter", "turtledemo", "lib2to3/tests")


def _cache_key() -> str:
    interpreter = host_interpreter()
    stat = os.stat(interpreter.binary)
    text = f"{interpreter.binary}:{stat.st_mtime_ns}:{host_version()}:{pip_wheel()}:{site_dir()}:v2"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _add_file(archive: tarfile.TarFile, source: str, target: str, mode: int | None = None) -> None:
    info = archive.gettarinfo(os.path.realpath(source), arcname=target.lstrip("/"))
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if mode is not None:
        info.mode = mode
    with open(os.path.realpath(source), "rb") as data:
        archive.addfile(info, data)


def _add_bytes(archive: tarfile.TarFile, target: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(target.lstrip("/"))
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def _add_symlink(archive: tarfile.TarFile, target: str, points_to: str) -> None:
    info = tarfile.TarInfo(target.lstrip("/"))
    info.type, info.linkname, info.mode = tarfile.SYMTYPE, points_to, 0o777
    archive.addfile(info)


def write_rootfs(path: Path) -> None:
    """The interpreter, pip and the libraries, at the image's paths, as a tar."""
    interpreter = host_interpreter()
    short = interpreter.short
    stdlib_target = f"/usr/local/lib/python{short}"
    with tarfile.open(path, "w") as archive:
        _add_file(archive, interpreter.binary, f"/usr/local/bin/python{short}", 0o755)
        _add_symlink(archive, "/usr/local/bin/python3", f"python{short}")
        _add_symlink(archive, "/usr/local/bin/python", "python3")
        if interpreter.libpython is not None:
            _add_file(
                archive, interpreter.libpython, f"/usr/local/lib/{interpreter.libpython_name}"
            )
        for library in interpreter.libraries:
            _add_file(archive, library, library)
        for directory, names, files in os.walk(interpreter.stdlib):
            relative = os.path.relpath(directory, interpreter.stdlib)
            names[:] = sorted(
                n for n in names if os.path.normpath(os.path.join(relative, n)) not in SKIPPED
            )
            for name in sorted(files):
                source = os.path.join(directory, name)
                marker = relative == "." and name == EXTERNALLY_MANAGED
                if os.path.isfile(source) and not marker:
                    _add_file(archive, source, os.path.join(stdlib_target, relative, name))
        # pip, exactly as the simulated image has it (same files, same console scripts).
        for item_path, entry in sorted(
            python_tree(host_version(), pip_wheel(), site_dir()).items()
        ):
            if entry.kind == "file" and not item_path.startswith(f"/usr/local/bin/python{short}"):
                _add_bytes(archive, item_path, entry.data, entry.mode)


def _dockerfile() -> str:
    image = hub.image("library/python", "3.12")
    assert image is not None
    config = json.loads(image.config)["config"]
    lines = ["FROM busybox:latest", "ADD rootfs.tar /"]
    lines += [f"ENV {json.dumps(item.split('=', 1)[0])}={json.dumps(item.split('=', 1)[1])}"
              for item in config["Env"]]  # fmt: skip
    lines.append(f"CMD {json.dumps(config['Cmd'])}")
    return "\n".join(lines) + "\n"


def provide(reference: str, docker: list[str], env: dict[str, str]) -> None:
    """Load ``reference`` (only python:3.12) into the real engine at ``env``'s DOCKER_HOST."""
    if reference != REFERENCE:
        raise RuntimeError(f"no recipe for {reference} on the real engine")
    saved = CACHE / f"{_cache_key()}.tar"
    if not saved.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="python-image-") as work:
            context = Path(work)
            write_rootfs(context / "rootfs.tar")
            (context / "Dockerfile").write_text(_dockerfile())
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


if __name__ == "__main__":  # build and load by hand: python tests/differential/python_image.py
    provide(REFERENCE, ["docker"], dict(os.environ))
    print(f"{REFERENCE} loaded", file=sys.stderr)
