"""A container's files as a real directory for a real program, and what it changed, back.

:func:`materialise` writes a container's tree (its image's layers plus its writable layer, as
the simulator keeps them) into a fresh directory, on tmpfs where there is one: a tree of a few
hundred files costs a few milliseconds there and about 50 ms on disk. After the program ends,
:func:`collect` compares the directory with what was written and applies the difference to the
tree, so `docker diff`, `docker commit` and a build step's layer see what the program did.

The runtime's own mounts (``/dev``, ``/proc``, ``/sys``) are never written or read back, and the
mount points made for the interpreter's files (:class:`Scaffold`) leave no trace unless the
program put something inside them.

Without root, every file of the copy belongs to whoever runs LayerLab, and a user namespace shows
them all as the container user's (see :mod:`.confinement`). For a non-root container user the
files then carry that user's rights in their owner bits (:class:`Access`), so that the kernel
refuses what Docker would refuse.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from layerlab.engine.sim.runtimes import tools
from layerlab.engine.sim.store.fs import Entry, Tree, directory, is_below, regular, symlink

# Mounted by the runtime, never part of a container's layer.
RUNTIME_MOUNTS = ("/dev", "/proc", "/sys")


def scratch_base() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


@dataclass(frozen=True)
class Access:
    """A non-root container user's rights, shown through modes where the files cannot carry
    their real owners (LayerLab without root): a user namespace maps one uid, the caller's, to
    the container user, so the user owns every file and only a file's owner bits count. Each
    file's owner bits are set to the bits Docker would apply, the owner's, the group's or the
    others' by the file's recorded owner and group, so that the user may read, write and enter
    exactly what Docker lets it; the group and other bits stay as recorded.

    What this cannot show, and Docker does: a file's real owner (``stat`` shows the user), and
    the limits of not owning a file (the user may ``chmod`` it, or remove it from a sticky
    folder such as ``/tmp``)."""

    uid: int
    gid: int
    groups: tuple[int, ...]

    def shown(self, entry: Entry) -> int:
        """The mode written for ``entry``."""
        mode = stat.S_IMODE(entry.mode)
        if entry.uid == self.uid:
            return mode
        in_group = entry.gid == self.gid or entry.gid in self.groups
        bits = (mode >> 3) & 0o7 if in_group else mode & 0o7
        return (mode & ~0o700) | (bits << 6)

    def taken(self, old: Entry | None, host_mode: int) -> int:
        """The mode to record for a file found with ``host_mode``: the recorded one while the
        program left it as shown."""
        mode = stat.S_IMODE(host_mode)
        if old is not None and old.kind != "symlink" and mode == self.shown(old):
            return stat.S_IMODE(old.mode)
        return mode

    def describe(self) -> list[int]:
        return [self.uid, self.gid, *self.groups]

    @classmethod
    def restore(cls, description: list[int] | None) -> Access | None:
        if not description:
            return None
        return cls(int(description[0]), int(description[1]), tuple(map(int, description[2:])))


def mode_of(entry: Entry, access: Access | None) -> int:
    """The mode a file of ``entry`` gets on the host."""
    return access.shown(entry) if access is not None else stat.S_IMODE(entry.mode)


@dataclass
class Scaffold:
    """Mount points made for binds that the container's tree did not have."""

    dirs: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


@dataclass
class Materialised:
    """A tree written to ``root``; ``seen`` maps each written path to its inode change time."""

    root: str
    tree_before: Tree
    seen: dict[str, int]
    owners: bool = False  # the files carry the container's owners (see ``materialise``)
    scaffold: Scaffold = field(default_factory=Scaffold)
    access: Access | None = None  # a non-root user's rights, where owners cannot be real

    def host_path(self, path: str) -> str:
        return self.root + path

    def describe(self) -> dict[str, object]:
        """What :meth:`restore` needs later (another process may collect a live program's files;
        the tree before it ran is the container's, as recorded)."""
        return {
            "root": self.root,
            "seen": self.seen,
            "owners": self.owners,
            "access": self.access.describe() if self.access is not None else None,
            "scaffold_dirs": sorted(self.scaffold.dirs),
            "scaffold_files": sorted(self.scaffold.files),
        }

    @classmethod
    def restore(cls, description: dict[str, Any], tree_before: Tree) -> Materialised:
        return cls(
            root=str(description["root"]),
            tree_before=dict(tree_before),
            seen={str(k): int(v) for k, v in dict(description.get("seen") or {}).items()},
            owners=bool(description.get("owners")),
            scaffold=Scaffold(
                dirs=set(description.get("scaffold_dirs") or ()),
                files=set(description.get("scaffold_files") or ()),
            ),
            access=Access.restore(description.get("access")),
        )

    def remove(self) -> None:
        remove_tree(self.root)


def remove_tree(folder: str) -> None:
    """Remove ``folder`` whatever its modes: a program (or :class:`Access`) may have left
    directories that their owner cannot enter or write without root; they are made ours first."""

    def unlock(_func: object, path: str, _exc: object) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=unlock)
            else:
                os.unlink(path)

    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder, onerror=unlock)


_MOUNTS_BELOW = tuple(m + "/" for m in RUNTIME_MOUNTS)


def skipped(path: str) -> bool:
    return path in RUNTIME_MOUNTS or path.startswith(_MOUNTS_BELOW)


def materialise(tree: Tree, owners: bool, access: Access | None = None) -> Materialised:
    """Write ``tree`` to a new directory; with ``owners`` (LayerLab runs as root) every file
    gets its owner and group from the tree, otherwise all belong to whoever runs LayerLab (and
    show ``access``'s rights, for a non-root container user)."""
    root = new_scratch_dir("layerlab-root-")
    write_entries(root, tree, owners, access)
    for path in RUNTIME_MOUNTS:  # where the runtime mounts its own
        if not os.path.lexists(root + path):
            os.mkdir(root + path, 0o755)
    seen = _ctimes(root)
    return Materialised(root=root, tree_before=dict(tree), seen=seen, owners=owners, access=access)


def new_scratch_dir(prefix: str) -> str:
    """A new directory of our own, on tmpfs where there is one."""
    root = tempfile.mkdtemp(prefix=prefix, dir=scratch_base())
    os.chmod(root, 0o755)
    return root


def write_entries(
    root: str, entries: Mapping[str, Entry], owners: bool, access: Access | None = None
) -> None:
    """Write ``entries`` below the existing directory ``root``; a directory that exists already
    is left as it is. Each entry's parent must exist or be among the entries. A simulated shell
    or tool is written as the real one that a real program's children run (:mod:`.tools`).
    Modes are the entries' own, or as ``access`` shows them."""
    dirs: list[tuple[str, Entry]] = []
    stand_ins: dict[str, str] = {}  # host file -> where it was first written below root
    opened = _OpenedFolders()
    for path in sorted(entries):
        entry = entries[path]
        if skipped(path) or path == "/":
            continue
        host = root + path
        opened.open(os.path.dirname(host))
        if entry.kind == "dir":
            if not os.path.lexists(host):
                os.mkdir(host, 0o700)
                dirs.append((host, entry))
                opened.made.add(host)
        elif entry.kind == "file":
            stand_in = tools.stand_in_for(entry.data)
            if stand_in is not None and stand_in in stand_ins:
                os.link(stand_ins[stand_in], host)  # one copy per folder: BusyBox is 2 MB
            elif stand_in is not None:
                shutil.copyfile(stand_in, host)
                stand_ins[stand_in] = host
            else:
                fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(entry.data)
            if owners:
                os.chown(host, entry.uid, entry.gid)
            # After chown, which clears the set-id bits.
            os.chmod(host, mode_of(entry, access))
            os.utime(host, (entry.mtime, entry.mtime))
        elif entry.kind == "symlink":
            os.symlink(entry.target, host)
            if owners:
                os.lchown(host, entry.uid, entry.gid)
            os.utime(host, (entry.mtime, entry.mtime), follow_symlinks=False)
    # Directories last and deepest first: writing their contents changed their times, and a
    # read-only directory could not have been filled.
    for host, entry in reversed(dirs):
        if owners:
            os.chown(host, entry.uid, entry.gid)
        os.chmod(host, mode_of(entry, access))
        os.utime(host, (entry.mtime, entry.mtime))
    opened.close()


class _OpenedFolders:
    """Existing folders made writable for a moment, so that LayerLab can add to them: without
    root it is their owner, but their modes may show a user's rights that exclude writing
    (:class:`Access`). :meth:`close` gives them back their modes."""

    def __init__(self) -> None:
        self.made: set[str] = set()  # folders made meanwhile, still open until they are done
        self.modes: dict[str, os.stat_result] = {}

    def open(self, folder: str) -> None:
        if folder in self.made or folder in self.modes:
            return
        if not os.access(folder, os.W_OK | os.X_OK):
            st = os.lstat(folder)
            os.chmod(folder, stat.S_IMODE(st.st_mode) | 0o300)
            self.modes[folder] = st

    def close(self) -> None:
        for folder, st in self.modes.items():
            os.chmod(folder, stat.S_IMODE(st.st_mode))
        self.modes.clear()


def _ctimes(root: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for path, st in walk(root):
        seen[path] = st.st_ctime_ns
    return seen


def walk(root: str) -> list[tuple[str, os.stat_result]]:
    """Every path below ``root`` (as a container path) with its lstat, mounts left out."""
    found: list[tuple[str, os.stat_result]] = []
    stack = ["/"]
    while stack:
        current = stack.pop()
        try:
            names = os.listdir(root + current)
        except OSError:
            continue
        for name in names:
            path = posixpath.join(current, name)
            if skipped(path):
                continue
            try:
                st = os.lstat(root + path)
            except OSError:
                continue
            found.append((path, st))
            if stat.S_ISDIR(st.st_mode):
                stack.append(path)
    return found


def prepare_mount_point(made: Materialised, target: str, is_dir: bool) -> str:
    """Make ``target`` (a container path) exist as a mount point and return where it really is
    in the container, following the container's own symlinks (never the host's)."""
    real = resolve_inside(made.root, target)
    host = made.root + real
    parts = real.strip("/").split("/")
    opened = _OpenedFolders()
    for depth in range(1, len(parts)):
        parent = "/" + "/".join(parts[:depth])
        if not os.path.lexists(made.root + parent):
            opened.open(os.path.dirname(made.root + parent))
            os.mkdir(made.root + parent, 0o755)
            made.scaffold.dirs.add(parent)
    if not os.path.lexists(host):
        opened.open(os.path.dirname(host))
        if is_dir:
            os.mkdir(host, 0o755)
            made.scaffold.dirs.add(real)
        else:
            with open(host, "wb"):
                pass
            made.scaffold.files.add(real)
    opened.close()
    made.seen.update({p: os.lstat(made.root + p).st_ctime_ns for p in _ancestors(real)})
    return real


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def resolve_inside(root: str, path: str, depth: int = 0) -> str:
    """``path`` with the container's symlinks in its directories resolved inside ``root``."""
    if depth > 40:
        return path
    parts = [p for p in path.split("/") if p]
    current = "/"
    for index, name in enumerate(parts):
        candidate = posixpath.join(current, name)
        host = root + candidate
        if index < len(parts) - 1 and os.path.islink(host):
            target = os.readlink(host)
            base = target if target.startswith("/") else posixpath.join(current, target)
            rest = "/".join(parts[index + 1 :])
            return resolve_inside(root, posixpath.normpath(posixpath.join(base, rest)), depth + 1)
        current = candidate
    return posixpath.normpath(current) if current != "/" else "/"


def collect(made: Materialised, tree: Tree, now: int, uid: int, gid: int) -> None:
    """Apply to ``tree`` what the program changed in ``made``: new, changed and removed files,
    directories and symlinks, and everything touched gets the time ``now``. Owners are the
    files' own where they are real (``made.owners``); otherwise new entries belong to
    ``uid``:``gid`` and changed ones keep theirs."""
    before = made.tree_before
    present: set[str] = set()
    for path, st in walk(made.root):
        present.add(path)
        if made.seen.get(path) == st.st_ctime_ns and path in before:
            continue  # untouched since it was written
        scaffolding = path in made.scaffold.files or path in made.scaffold.dirs
        if scaffolding and made.seen.get(path) == st.st_ctime_ns:
            continue
        old = before.get(path)
        if made.owners:
            owner = (st.st_uid, st.st_gid)
        else:
            owner = (old.uid, old.gid) if old is not None else (uid, gid)
        new = entry_from_host(made.root + path, st, old, now, owner, made.access)
        if new is None or new == old:
            continue
        current = tree.get(path)
        if current is not None and replace(new, mtime=current.mtime) == current:
            continue  # taken already, by an earlier look at a program still running
        tree[path] = new
    for path in list(tree):
        if path == "/" or skipped(path) or path in present:
            continue
        if path in before:  # the program removed it
            del tree[path]
    # Mount points nobody used disappear with the mounts.
    for path in sorted(made.scaffold.dirs | made.scaffold.files, reverse=True):
        if path in before:
            continue
        entry = tree.get(path)
        if entry is None:
            continue
        if path in made.scaffold.files or not any(is_below(p, path) for p in tree):
            del tree[path]


def entry_from_host(
    host: str,
    st: os.stat_result,
    old: Entry | None,
    now: int,
    ids: tuple[int, int],
    access: Access | None = None,
) -> Entry | None:
    """The entry for what ``host`` holds (``old``: what was there before, in the tree)."""
    owner = {"uid": ids[0], "gid": ids[1]}
    mode = access.taken(old, st.st_mode) if access is not None else stat.S_IMODE(st.st_mode)
    if stat.S_ISDIR(st.st_mode):
        if old is not None and old.kind == "dir":
            return replace(old, mode=mode, mtime=now, **owner)
        return directory(mode=mode, mtime=now, **owner)
    if stat.S_ISLNK(st.st_mode):
        return replace(symlink(os.readlink(host), mtime=now), **owner)
    if stat.S_ISREG(st.st_mode):
        try:
            with open(host, "rb") as source:
                data = source.read()
        except OSError:
            return old
        unchanged = old is not None and old.kind == "file" and old.data == data
        if unchanged and old is not None and (old.mode, old.uid, old.gid) == (mode, *ids):
            return old
        return regular(data, mode=mode, mtime=now, **owner)
    return old  # sockets, FIFOs and devices are not kept in a layer
