"""A `python:3.12` image for the real engine, holding the interpreter the simulator runs.

Nothing can be pulled here, so the real engine's python image is built from this machine: on top
of the baseline busybox image, the interpreter LayerLab runs on, laid out exactly as the
simulator binds it into a container (``runtimes.interpreter``: the binary at
``/usr/local/bin/python3.X``, its standard library at ``/usr/local/lib/python3.X``, libpython and
the system libraries it loads), with pip installed from the same wheel (``hub.trees_apps``) and
the same image config (Env, Cmd) as the simulated Hub's image. Both engines then run the same
CPython on the same paths, so a differential scenario compares what Docker does around a
program: files, users, environment, exit codes, layers.

Built and cached by :mod:`.local_image` through :mod:`.reference_images`.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from layerlab.engine.sim.registry.hub.trees_apps import python_tree
from layerlab.engine.sim.runtimes.interpreter import (
    EXTERNALLY_MANAGED,
    host_interpreter,
    host_version,
    pip_wheel,
    site_dir,
)

from .local_image import add_bytes, add_file, add_symlink

REFERENCE = "python:3.12"
HUB_IMAGE = ("library/python", "3.12")  # whose config (Env, Entrypoint, Cmd) it copies
# Left out of the image: the test suite and the host's own installed packages.
SKIPPED = ("test", "site-packages", "idlelib", "tkinter", "turtledemo", "lib2to3/tests")


def cache_key() -> str:
    interpreter = host_interpreter()
    stat = os.stat(interpreter.binary)
    text = f"{interpreter.binary}:{stat.st_mtime_ns}:{host_version()}:{pip_wheel()}:{site_dir()}:v2"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_rootfs(path: Path) -> None:
    """The interpreter, pip and the libraries, at the image's paths, as a tar."""
    interpreter = host_interpreter()
    short = interpreter.short
    stdlib_target = f"/usr/local/lib/python{short}"
    with tarfile.open(path, "w") as archive:
        add_file(archive, interpreter.binary, f"/usr/local/bin/python{short}", 0o755)
        add_symlink(archive, "/usr/local/bin/python3", f"python{short}")
        add_symlink(archive, "/usr/local/bin/python", "python3")
        if interpreter.libpython is not None:
            add_file(archive, interpreter.libpython, f"/usr/local/lib/{interpreter.libpython_name}")
        for library in interpreter.libraries:
            add_file(archive, library, library)
        for directory, names, files in os.walk(interpreter.stdlib):
            relative = os.path.relpath(directory, interpreter.stdlib)
            names[:] = sorted(
                n for n in names if os.path.normpath(os.path.join(relative, n)) not in SKIPPED
            )
            for name in sorted(files):
                source = os.path.join(directory, name)
                marker = relative == "." and name == EXTERNALLY_MANAGED
                if os.path.isfile(source) and not marker:
                    add_file(archive, source, os.path.join(stdlib_target, relative, name))
        # pip, exactly as the simulated image has it (same files, same console scripts).
        for item_path, entry in sorted(
            python_tree(host_version(), pip_wheel(), site_dir()).items()
        ):
            if entry.kind == "file" and not item_path.startswith(f"/usr/local/bin/python{short}"):
                add_bytes(archive, item_path, entry.data, entry.mode)
