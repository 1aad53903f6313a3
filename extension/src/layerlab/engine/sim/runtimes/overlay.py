"""A container's files for a real program as Docker's overlay2 driver shows them: the image's
files below, read-only and shared, the container's own changes on top.

Writing a python image's ~650 files to tmpfs for every run, walking them before and after and
removing them cost about 45 ms a run, three times what CPython takes. Here the image's files are
written once per image (by chain ID, which names its content) into a *lower* folder kept on
tmpfs and shared by every run and every process, with the mount points the interpreter's files
need already made. A run then writes only what its container changed since the image (the
init files, earlier writes, whiteouts for what it removed) into a fresh *upper* folder, and
bubblewrap mounts overlayfs over the two as ``/``. What the program writes lands in the upper
folder only, so reading it back means walking a few entries, not the whole tree.

The interpreter's ~45 system libraries are copied once into a folder of their own, shared by
every image and laid below the image's files (a file the image has wins, as it would in a
real image): binding each library on its own cost about 8 ms a run in mounts. The container's
``site-packages`` gets an overlay of its own, since the host's standard library is bound over
its parent.

A lower folder is never changed while one is mounted: each run holds a shared lock on it, and
only folders nobody holds are removed when more than :data:`KEPT_LOWERS` exist. A container
whose changes remove image files needs whiteouts, which only root can make; without root such a
run, like every run where overlayfs cannot be mounted, takes the whole copy of :mod:`.rootfs`.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import posixpath
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from layerlab.engine.sim.runtimes import confinement, tools
from layerlab.engine.sim.runtimes.rootfs import (
    Access,
    entry_from_host,
    materialise,
    mode_of,
    new_scratch_dir,
    prepare_mount_point,
    remove_tree,
    resolve_inside,
    scratch_base,
    skipped,
    walk,
    write_entries,
)
from layerlab.engine.sim.store.fs import Entry, Tree, is_below, parent_of

# Lower folders kept for later runs: a python image's is about 10 MB of tmpfs.
KEPT_LOWERS = 8

# A run's own folder is named after the process that made it (see ``_sweep_runs``).
_RUN_PREFIX = "layerlab-run-"

# overlayfs marks a directory that hides the lower one's contents with this attribute ("y").
_OPAQUE = ("trusted.overlay.opaque", "user.overlay.opaque")


class NotSuitable(Exception):
    """This run cannot use an overlay here; the whole copy of :mod:`.rootfs` is used instead."""


@dataclass(frozen=True)
class MountPoint:
    target: str  # a container path, as the runtime asks for it
    is_dir: bool


@dataclass
class Plane:
    """One overlay of the run: ``upper`` holds what changed below the container path ``at``."""

    at: str
    mount: confinement.Overlay


@dataclass
class Staged:
    """A run's files as overlays, with what :func:`collect` needs afterwards."""

    planes: list[Plane]
    targets: dict[str, str]  # mount point asked for -> where it is in the container
    tree_before: Tree
    seen: dict[str, int]  # container path written to an upper folder -> its inode change time
    owners: bool
    access: Access | None  # a non-root user's rights, where owners cannot be real
    scratch: str  # this run's folder (uppers and work folders)
    locks: list[int]  # the shared locks held on the lower folders while the run lasts

    @property
    def root(self) -> confinement.Overlay:
        return self.planes[0].mount

    def remove(self) -> None:
        remove_tree(self.scratch)
        for lock in self.locks:
            with contextlib.suppress(OSError):
                os.close(lock)


def _lowers_dir() -> str:
    base = os.path.join(scratch_base() or "/tmp", f"layerlab-lowers-{os.geteuid()}")
    os.makedirs(base, mode=0o700, exist_ok=True)
    return base


@functools.cache
def overlays_work() -> bool:
    """Whether bubblewrap can mount overlayfs here (inside a user namespace: Linux 5.11+)."""
    bwrap = confinement.probe()[0]
    if bwrap is None:
        return False
    scratch = new_scratch_dir("layerlab-overlay-check-")
    try:
        lower, upper, work = (os.path.join(scratch, name) for name in ("lower", "upper", "work"))
        for folder in (lower, upper, work):
            os.mkdir(folder)
        check = confinement.Overlay((lower,), upper, work, "/overlay-check").arguments()
        trial = subprocess.run(
            confinement.trial_command(bwrap, check), capture_output=True, timeout=30
        )
        return trial.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def stage(
    base: tuple[str, Tree],
    tree: Tree,
    owners: bool,
    mount_points: list[MountPoint],
    separate: list[str],
    libraries: list[confinement.Bind],
    access: Access | None = None,
) -> Staged:
    """The run's files: the image's (``base``) in a shared lower folder with ``mount_points``
    made, the host ``libraries`` in a shared folder below it, and what ``tree`` changed since
    the image in this run's upper folder. Each path of ``separate`` (a mount point) gets an
    overlay of its own, for a mount that hides it there. Without ``owners``, ``access`` gives
    a non-root container user's rights (:class:`.rootfs.Access`). Raises :class:`NotSuitable` where
    overlays cannot serve."""
    if not overlays_work():
        raise NotSuitable("overlayfs cannot be mounted here")
    chain_id, image_tree = base
    changed, removed = _changes(image_tree, tree)
    if removed and not owners:
        raise NotSuitable("whiteouts need root")
    wanted = [library.target for library in libraries]
    lower, targets, lock = _image_lower(chain_id, image_tree, owners, access, mount_points, wanted)
    locks = [lock]
    scratch = ""
    try:
        # Below the image, as an image's own libraries are: a file the image has wins.
        files = {targets[library.target]: library.source for library in libraries}
        runtime, lock = _runtime_lower(files)
        locks.append(lock)
        _sweep_runs()
        scratch = new_scratch_dir(f"{_RUN_PREFIX}{os.getpid()}-")
        places = ["/", *(targets[path] for path in separate)]
        planes = []
        for index, at in enumerate(places):
            upper, work = (os.path.join(scratch, f"{name}{index}") for name in ("upper", "work"))
            os.mkdir(upper)
            os.mkdir(work)
            sources = (runtime, lower) if at == "/" else (lower + at,)
            planes.append(Plane(at, confinement.Overlay(sources, upper, work, at)))
        for plane in planes:
            _write_plane(plane, planes, tree, changed, removed, owners, access)
        seen = {path: st.st_ctime_ns for plane in planes for path, st in _walk_plane(plane, planes)}
        return Staged(planes, targets, dict(tree), seen, owners, access, scratch, locks)
    except BaseException:
        for held in locks:
            os.close(held)
        if scratch:
            remove_tree(scratch)
        raise


def _sweep_runs() -> None:
    """Remove the folders of runs whose process is gone: a process killed during a run (a
    kernel restarted mid-program) never removed its own."""
    base = scratch_base() or tempfile.gettempdir()
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            if not name.startswith(_RUN_PREFIX):
                continue
            pid = name[len(_RUN_PREFIX) :].partition("-")[0]
            if pid.isdigit() and not confinement.process_alive(int(pid)):
                remove_tree(os.path.join(base, name))


def _changes(image: Tree, tree: Tree) -> tuple[dict[str, Entry], set[str]]:
    """(entries ``tree`` adds or changes over ``image``, the topmost paths it removed)."""
    changed = {
        path: entry
        for path, entry in tree.items()
        if not skipped(path) and image.get(path) is not entry and image.get(path) != entry
    }
    gone = {path for path in image if path not in tree and not skipped(path)}
    removed = {path for path in gone if parent_of(path) not in gone}
    return changed, removed


def _plane_of(path: str, planes: list[Plane]) -> Plane:
    """The deepest plane that holds ``path``."""
    best = planes[0]
    for plane in planes[1:]:
        if (path == plane.at or is_below(path, plane.at)) and len(plane.at) > len(best.at):
            best = plane
    return best


def _write_plane(
    plane: Plane,
    planes: list[Plane],
    tree: Tree,
    changed: dict[str, Entry],
    removed: set[str],
    owners: bool,
    access: Access | None,
) -> None:
    mine = {p: e for p, e in changed.items() if p != plane.at and _plane_of(p, planes) is plane}
    gone = [p for p in removed if p != plane.at and _plane_of(p, planes) is plane]
    entries: dict[str, Entry] = {}
    for path in [*mine, *gone]:  # their folders, as the tree has them, so that they can exist
        parent = parent_of(path)
        while parent != plane.at and parent != "/" and parent not in entries:
            if parent in tree:
                entries[parent] = tree[parent]
            parent = parent_of(parent)
    entries.update(mine)
    upper = plane.mount.upper
    write_entries(upper, {_inside(plane, p): e for p, e in entries.items()}, owners, access)
    for path in gone:
        os.mknod(upper + _inside(plane, path), stat.S_IFCHR, os.makedev(0, 0))
    folder = tree.get(plane.at)
    if plane.at != "/" and folder is not None and folder.kind == "dir":
        if owners:
            os.chown(upper, folder.uid, folder.gid)
        os.chmod(upper, mode_of(folder, access))
        os.utime(upper, (folder.mtime, folder.mtime))


def _inside(plane: Plane, path: str) -> str:
    """A container path as a path inside the plane's folders."""
    return "/" + path[len(plane.at) :].lstrip("/") if plane.at != "/" else path


def _outside(plane: Plane, inner: str) -> str:
    return posixpath.join(plane.at, inner.lstrip("/")) if plane.at != "/" else inner


def _walk_plane(plane: Plane, planes: list[Plane]) -> Iterator[tuple[str, os.stat_result]]:
    """The container paths the plane's upper folder holds, with their lstat; a path another
    plane serves is that plane's (the mount over it hides it here). A plane's own folder is
    its upper folder itself (it shows that folder's owner, mode and times)."""
    if plane.at != "/":
        yield plane.at, os.lstat(plane.mount.upper)
    for inner, st in walk(plane.mount.upper):
        path = _outside(plane, inner)
        if _plane_of(path, planes) is plane:
            yield path, st


def _hold(key: str) -> tuple[str, int]:
    """The kept folder for ``key`` (it may not exist yet) and a shared lock on it."""
    folder = os.path.join(_lowers_dir(), key)
    lock = os.open(folder + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_SH)
    return folder, lock


def _publish(made: str, folder: str) -> None:
    """Keep the folder ``made`` as ``folder`` (unless another process was first)."""
    try:
        os.rename(made, folder)
    except OSError:
        remove_tree(made)
    _evict(os.path.dirname(folder), keep=folder)


def _image_lower(
    chain_id: str,
    image: Tree,
    owners: bool,
    access: Access | None,
    mount_points: list[MountPoint],
    resolve: list[str],
) -> tuple[str, dict[str, str], int]:
    """The image's lower folder (made now if it is not kept yet), where each mount point and
    each path of ``resolve`` is in it (the image's symlinks followed), and a shared lock on it."""
    wanted = [(m.target, m.is_dir) for m in mount_points]
    # The host's BusyBox is written into the folder in place of the simulated tools: a folder
    # made with another one (or none) is not this one.
    busybox = tools.host_busybox()
    stand_in = [busybox, os.stat(busybox).st_mtime_ns] if busybox else None
    rights = access.describe() if access is not None else None
    key = json.dumps([chain_id, owners, rights, sorted(wanted), sorted(resolve), stand_in])
    folder, lock = _hold("image-" + hashlib.sha256(key.encode()).hexdigest()[:32])
    try:
        targets_file = folder + ".json"
        if not os.path.isdir(folder):
            made = materialise(image, owners, access)
            targets = {t: prepare_mount_point(made, t, is_dir) for t, is_dir in wanted}
            targets.update({path: resolve_inside(made.root, path) for path in resolve})
            with open(f"{targets_file}.{os.getpid()}", "w") as out:
                json.dump(targets, out)
            os.replace(f"{targets_file}.{os.getpid()}", targets_file)
            _publish(made.root, folder)
        else:
            os.utime(folder)  # recently used: kept longest
        with open(targets_file) as source:
            return folder, dict(json.load(source)), lock
    except BaseException:
        os.close(lock)
        raise


def _runtime_lower(files: dict[str, str]) -> tuple[str, int]:
    """A folder holding host ``files`` (container path -> host path) at their container paths,
    kept and shared by every image that needs the same, and a shared lock on it."""
    identity = sorted((path, source, os.stat(source).st_mtime_ns) for path, source in files.items())
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]
    folder, lock = _hold("runtime-" + key)
    try:
        if not os.path.isdir(folder):
            made = new_scratch_dir("layerlab-runtime-")
            for path, source in files.items():
                os.makedirs(os.path.dirname(made + path), mode=0o755, exist_ok=True)
                shutil.copy2(source, made + path)
            _publish(made, folder)
        else:
            os.utime(folder)
        return folder, lock
    except BaseException:
        os.close(lock)
        raise


def _evict(base: str, keep: str) -> None:
    """Remove the least recently used lower folders beyond :data:`KEPT_LOWERS` that no run
    holds."""
    used: list[tuple[int, str]] = []
    for name in os.listdir(base):
        folder = os.path.join(base, name)
        with contextlib.suppress(OSError):  # another process may be removing it right now
            if folder != keep and os.path.isdir(folder):
                used.append((os.stat(folder).st_mtime_ns, folder))
    used.sort(reverse=True)
    for _, folder in used[KEPT_LOWERS - 1 :]:
        lock = os.open(folder + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            continue  # a run uses it
        try:
            doomed = f"{folder}.removing.{os.getpid()}"
            os.rename(folder, doomed)
            remove_tree(doomed)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder + ".json")
        except OSError:
            continue  # another process removed it first
        finally:
            os.close(lock)


def collect(staged: Staged, tree: Tree, now: int, uid: int, gid: int) -> None:
    """Apply to ``tree`` what the program changed: the upper folders' new and changed entries,
    their whiteouts and opaque folders. As :func:`.rootfs.collect`, everything touched gets the
    time ``now``, and owners are the files' own where they are real."""
    before = staged.tree_before
    present: set[str] = set()
    deleted: set[str] = set()
    opaque: list[str] = []
    for plane in staged.planes:
        for path, st in _walk_plane(plane, staged.planes):
            host = plane.mount.upper + _inside(plane, path)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0):
                deleted.add(path)  # a whiteout
                continue
            present.add(path)
            if staged.seen.get(path) == st.st_ctime_ns:
                continue  # written before the run and untouched since
            old = before.get(path)
            if stat.S_ISDIR(st.st_mode):
                if _is_opaque(host):
                    opaque.append(path)
                elif old is not None and old.kind == "dir" and _same_dir(old, st, staged):
                    continue  # copied up on the way to a changed file, itself unchanged
            if staged.owners:
                owner = (st.st_uid, st.st_gid)
            else:
                owner = (old.uid, old.gid) if old is not None else (uid, gid)
            new = entry_from_host(host, st, old, now, owner, staged.access)
            if new is not None and new != old:
                tree[path] = new
    # Gone: what the upper folders held before the run and no longer hold (removing an entry
    # only an upper folder has leaves no whiteout), what a whiteout hides, and what an opaque
    # folder replaced.
    gone = {path for path in staged.seen if path not in present and path in before}
    if deleted or opaque:
        hidden = [*deleted, *opaque]
        gone.update(
            path
            for path in before
            if path not in present
            and (path in deleted or any(is_below(path, folder) for folder in hidden))
        )
    for path in gone:
        tree.pop(path, None)


def _same_dir(old: Entry, st: os.stat_result, staged: Staged) -> bool:
    same = old.mtime == int(st.st_mtime) and mode_of(old, staged.access) == stat.S_IMODE(st.st_mode)
    return same and (not staged.owners or (old.uid, old.gid) == (st.st_uid, st.st_gid))


def _is_opaque(host: str) -> bool:
    for name in _OPAQUE:
        with contextlib.suppress(OSError):
            if os.getxattr(host, name, follow_symlinks=False) == b"y":
                return True
    return False
