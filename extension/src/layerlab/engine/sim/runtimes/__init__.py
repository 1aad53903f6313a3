"""Real language runtimes in simulated containers.

The shell and busybox applets of :mod:`..programs` are simulated; a language runtime cannot be:
a learner's Python or JavaScript program must really run. Each runtime here runs a real
interpreter of the host (CPython, Node.js), confined (:mod:`.confinement`) on the container's
files (:mod:`.launch`): its changes mounted over the image's files, which are prepared once per
image (:mod:`.overlay`), or a whole copy of them (:mod:`.rootfs`); what the program wrote comes
back to the container's writable layer. What such a program starts itself (a shell, ``ls``)
runs as a real static BusyBox standing in for the image's simulated tools (:mod:`.tools`).

This package sits above the programs it plugs into: :data:`PROGRAMS` is handed to each run
(``ProcessContext.programs``), so the simulated programs never import a real runtime.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.applets.base import Io, Program


def python(argv: list[str], io: Io) -> int:
    # Imported when a program first runs: images and the Hub need only ``interpreter``.
    from layerlab.engine.sim.runtimes.cpython import python as run_cpython

    return run_cpython(argv, io)


def node(argv: list[str], io: Io) -> int:
    from layerlab.engine.sim.runtimes.nodejs import node as run_node

    return run_node(argv, io)


def registry(argv: list[str], io: Io) -> int:
    from layerlab.engine.sim.runtimes.registry import registry as run_registry

    return run_registry(argv, io)


# Program names (an executable's marker, see ``programs.executable``) run by a real runtime.
PROGRAMS: dict[str, Program] = {
    "python": python,
    "python3": python,
    "node": node,
    "registry": registry,
}
