"""Programs of the simulated Docker Hub images other than busybox, Python and Node.js.

``hello`` (hello-world's ``/hello``) prints the message stored in the image, which is all the
real program does. The others need what the simulator does not have: a package repository to
install from (``apk``, ``apt-get``, ``npm`` where the Node.js that runs came without it), a web
server that really answers (``nginx``), yarn (``yarn``, ``corepack``).
Each says so and exits 126, the shell's "found but cannot run", rather than print what a real
run would print: an install that did not happen, a version of a program that is not there, a
server that serves nothing.
"""

from __future__ import annotations

import posixpath

from layerlab.engine.sim.programs.applets.base import Io, Program
from layerlab.engine.sim.programs.executable import ExecError, resolve_executable
from layerlab.i18n import N_, tr

REFUSED_EXIT_CODE = 126  # the shell's "found but cannot run"
_ON_A_REAL_ENGINE = N_("(%docker_engine real in a notebook, LAYERLAB_ENGINE=real in a terminal)")


def refuse(io: Io, name: str, reason: str) -> int:
    """LayerLab's refusal to run ``name``: why, on stderr, and the exit code of one that
    cannot run."""
    io.err(tr("LayerLab: cannot run {name} in this container: {reason}", name=name, reason=reason))
    io.err("\n")
    return REFUSED_EXIT_CODE


def _refused(reason: str) -> Program:
    def program(argv: list[str], io: Io) -> int:
        name = posixpath.basename(argv[0]) if argv else "it"
        return refuse(io, name, tr(reason, name=name, real=tr(_ON_A_REAL_ENGINE)))

    return program


apk = _refused(
    N_(
        "the simulator has no Alpine package repository, so {name} would install nothing; "
        "try it on a real engine {real}"
    )
)
apt_get = _refused(
    N_(
        "the simulator has no Debian package repository, so {name} would install nothing; "
        "try it on a real engine {real}"
    )
)
nginx = _refused(
    N_("the simulator has no web server that would answer; try it on a real engine {real}")
)
yarn = _refused(
    N_(
        "the simulator has no yarn (npm, in the same image, runs for real); try it on a real "
        "engine {real}"
    )
)
npm = _refused(
    N_(
        "the simulator has no npm registry or package cache, so {name} would install nothing; "
        "try it on a real engine {real}"
    )
)


def hello(argv: list[str], io: Io) -> int:
    """hello-world's /hello: prints the message stored after its executable marker line."""
    try:
        _, entry = resolve_executable(io, argv[0])
    except ExecError:
        return 1
    io.out(entry.data.split(b"\n", 1)[1].rstrip(b"\0") if b"\n" in entry.data else b"")
    return 0


PROGRAMS: dict[str, Program] = {
    "hello": hello,
    "npm": npm,
    "yarn": yarn,
    "corepack": yarn,
    "apk": apk,
    "apt-get": apt_get,
    "apt": apt_get,
    "nginx": nginx,
}
