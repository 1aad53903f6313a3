"""``registry`` in a simulated container (the ``registry:2`` image's ``/bin/registry``): a real
registry, :mod:`.registry_server`, run by the host's CPython confined to the container's files.

The interpreter is bound where the image has its ``registry`` binary, its standard library in a
``lib/python3.X`` folder beside it (CPython looks for it by walking up from its binary's folder,
and never looks in ``/`` itself: ``/bin/lib/python3.X`` for ``/bin/registry``), a shared
libpython where the binary's RUNPATH finds it (``../lib``), and the server's code is handed over
with ``-c``: the container holds nothing else of LayerLab, and what the registry
stores lands in the container's own files. With ``docker run -d -p 5000:5000`` it runs on under
its monitor, and the published port reaches it (:mod:`layerlab.engine.sim.containers.ports`).
"""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path

from layerlab.engine.sim.programs.applets.base import Io
from layerlab.engine.sim.programs.executable import ExecError, resolve_executable
from layerlab.engine.sim.programs.image_tools import refuse
from layerlab.engine.sim.runtimes import overlay
from layerlab.engine.sim.runtimes.confinement import Bind
from layerlab.engine.sim.runtimes.interpreter import InterpreterUnavailable, host_interpreter
from layerlab.engine.sim.runtimes.launch import RuntimeFiles, run_program


@functools.cache
def server_source() -> str:
    return (Path(__file__).with_name("registry_server.py")).read_text(encoding="utf-8")


def registry(argv: list[str], io: Io) -> int:
    try:
        executable, _ = resolve_executable(io, argv[0] if argv else "registry")
    except ExecError:
        executable = "/bin/registry"
    try:
        interpreter = host_interpreter()
    except InterpreterUnavailable as error:
        return refuse(io, "registry", str(error))
    folder = posixpath.dirname(executable)
    binds = [
        Bind(interpreter.binary, executable),
        Bind(interpreter.stdlib, posixpath.join(folder, "lib", f"python{interpreter.short}")),
    ]
    if interpreter.libpython is not None:
        libraries = posixpath.join(posixpath.dirname(folder), "lib")
        binds.append(
            Bind(interpreter.libpython, posixpath.join(libraries, interpreter.libpython_name))
        )
    files = RuntimeFiles(
        binds=binds,
        mount_points=[overlay.MountPoint(b.target, b.source == interpreter.stdlib) for b in binds],
        libraries=interpreter.library_binds(),
        runs_launcher=True,
    )
    program = [argv[0] if argv else "registry", "-I", "-S", "-c", server_source(), *argv[1:]]
    return run_program("registry", executable, program, io, files)
