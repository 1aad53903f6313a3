"""``python`` in a simulated container: the host's real CPython, confined to the container.

Everything the interpreter does is its own: ``-c``, scripts, ``-m``, stdin, ``input()``,
tracebacks, exit codes and signals, ``sys.argv``. LayerLab only prepares the stage: the
container's files as ``/`` (:mod:`.rootfs`, :mod:`.overlay`), the interpreter's files at the
image's paths (:mod:`.interpreter`), and :mod:`.launch` runs it there with the container's
environment, working directory, user and hostname and takes back what the program wrote.
"""

from __future__ import annotations

import posixpath

from layerlab.engine.sim.programs.applets.base import Io
from layerlab.engine.sim.programs.executable import ExecError, resolve_executable
from layerlab.engine.sim.programs.image_tools import refuse
from layerlab.engine.sim.runtimes import overlay
from layerlab.engine.sim.runtimes.interpreter import InterpreterUnavailable, host_interpreter
from layerlab.engine.sim.runtimes.launch import RuntimeFiles, run_program


def python(argv: list[str], io: Io) -> int:
    name = posixpath.basename(argv[0]) if argv else "python"
    try:
        executable, _ = resolve_executable(io, argv[0] if argv else "python3")
    except ExecError:
        executable = "/usr/local/bin/python3"
    try:
        interpreter = host_interpreter()
    except InterpreterUnavailable as error:
        return refuse(io, name, str(error))
    prefix = posixpath.dirname(posixpath.dirname(executable)) or "/"
    binds = interpreter.binds(executable)
    # A site-packages inside the standard library's folder is hidden by the host's bound over
    # it: it needs a mount of its own (Debian's interpreter keeps its packages elsewhere).
    site = interpreter.site_packages_at(prefix)
    separate = [site] if interpreter.site_inside_stdlib(prefix) else []
    files = RuntimeFiles(
        binds=binds,
        mount_points=[
            *(overlay.MountPoint(b.target, b.source == interpreter.stdlib) for b in binds),
            *(overlay.MountPoint(path, True) for path in separate),
        ],
        libraries=interpreter.library_binds(),
        separate=separate,
        runs_launcher=True,
    )
    return run_program(name, executable, argv, io, files)
