"""Applets that look at the tree: ls, find, du, stat, readlink, realpath, basename, dirname."""

from __future__ import annotations

import posixpath
import time
from collections import Counter
from collections.abc import Iterator

from layerlab.engine.sim.programs.applets.base import FsError, Io
from layerlab.engine.sim.programs.applets.cmdline import split_options
from layerlab.engine.sim.programs.applets.expand import matches
from layerlab.engine.sim.programs.applets.paths import lookup, resolve
from layerlab.engine.sim.programs.applets.users import group_name, user_name
from layerlab.engine.sim.programs.devices import mount_type
from layerlab.engine.sim.store.fs import (
    Entry,
    children,
    descendants,
    directory,
    file_mode_string,
    normpath,
)

SIX_MONTHS = 365 * 24 * 3600 // 2


def display_size(entry: Entry) -> int:
    if entry.kind == "dir":
        return 4096
    if entry.kind == "symlink":
        return len(entry.target)
    return len(entry.data)  # a device has no data: 0


def blocks_kb(entry: Entry) -> int:
    """Disk usage in KiB as `ls -s`/`du` count it: 4 KiB blocks."""
    size = display_size(entry)
    return 0 if entry.kind in ("symlink", "chardev") else -(-size // 4096) * 4


def link_counts(tree: dict[str, Entry]) -> Counter[int]:
    # Hard links share one Entry's data object (see `ln` and rootfs): count by identity.
    return Counter(id(e.data) for e in tree.values() if e.kind == "file" and e.data)


def human(size: int) -> str:
    value = float(size)
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            if unit == "":
                return str(int(value))
            return f"{value:.1f}{unit}"
        value /= 1024
    return str(size)


def ls_date(mtime: int, now: float) -> str:
    stamp = time.gmtime(mtime)
    month = time.strftime("%b", stamp)
    age = now - mtime
    if -15 * 60 < age < SIX_MONTHS:
        return f"{month} {stamp.tm_mday:2d} {stamp.tm_hour:02d}:{stamp.tm_min:02d}"
    return f"{month} {stamp.tm_mday:2d}  {stamp.tm_year}"


def mounted_size(io: Io, path: str, entry: Entry) -> tuple[int, int] | None:
    """(size, KiB blocks) of a directory on a run-time mount (tmpfs: 40 bytes plus 20 per
    entry, no blocks; devpts: nothing), or None when ``path`` is on the image's rootfs."""
    if entry.kind != "dir":
        return None
    kind = mount_type(io.sys.mounts, path)
    if kind is None:
        return None
    return (0, 0) if kind == "devpts" else (40 + 20 * len(children(io.tree, path)), 0)


class Lister:
    def __init__(self, io: Io, options: dict[str, str]) -> None:
        self.io, self.options = io, options
        self.links = link_counts(io.tree) if "l" in options else Counter()

    def size(self, path: str, entry: Entry) -> int:
        mounted = mounted_size(self.io, path, entry)
        return mounted[0] if mounted else display_size(entry)

    def blocks(self, path: str, entry: Entry) -> int:
        mounted = mounted_size(self.io, path, entry)
        return mounted[1] if mounted else blocks_kb(entry)

    def nlink(self, path: str, entry: Entry) -> int:
        if entry.kind == "dir":
            return 2 + sum(
                1 for n in children(self.io.tree, path)
                if self.io.tree[normpath(n, path)].kind == "dir"
            )  # fmt: skip
        if entry.kind == "file" and entry.data:
            return max(1, self.links[id(entry.data)])
        return 1

    def line(self, name: str, path: str, entry: Entry) -> str:
        shown = name + self.indicator(entry)
        if "l" not in self.options and "n" not in self.options:
            return shown
        tree = self.io.tree
        numeric = "n" in self.options
        owner = (None if numeric else user_name(tree, entry.uid)) or str(entry.uid)
        group = (None if numeric else group_name(tree, entry.gid)) or str(entry.gid)
        size = self.size(path, entry)
        size_text = human(size) if "h" in self.options else str(size)
        if entry.kind == "chardev":
            major, minor = entry.rdev  # busybox prints them in the size column
            size_text = f"{major:4d},{minor:4d}"
        if entry.kind == "symlink":
            shown = f"{name} -> {entry.target}"
        return (
            f"{file_mode_string(entry)} {self.nlink(path, entry):4d} {owner:<8} {group:<8} "
            f"{size_text:>9} {ls_date(entry.mtime, self.io.now())} {shown}"
        )

    def indicator(self, entry: Entry) -> str:
        if "F" in self.options:
            if entry.kind == "dir":
                return "/"
            if entry.kind == "symlink":
                return "@"
            return "*" if entry.mode & 0o111 else ""
        if "p" in self.options and entry.kind == "dir":
            return "/"
        return ""

    def ordered(self, items: list[tuple[str, str, Entry]]) -> list[tuple[str, str, Entry]]:
        items = sorted(items, key=lambda item: item[0].encode())
        if "t" in self.options:
            items.sort(key=lambda item: -item[2].mtime)
        elif "S" in self.options:
            items.sort(key=lambda item: -display_size(item[2]))
        if "r" in self.options:
            items.reverse()
        return items

    def directory_items(self, path: str) -> list[tuple[str, str, Entry]]:
        tree = self.io.tree
        names = children(tree, path)
        if "a" not in self.options and "A" not in self.options:
            names = [n for n in names if not n.startswith(".")]
        items = [(n, normpath(n, path), tree[normpath(n, path)]) for n in names]
        if "a" in self.options:
            parent = posixpath.dirname(path) if path != "/" else "/"
            items += [(".", path, tree.get(path, directory())),
                      ("..", parent, tree.get(parent, directory()))]  # fmt: skip
        return self.ordered(items)

    def list_directory(self, shown: str, path: str, header: bool, first: bool) -> None:
        io = self.io
        if header:
            io.out(("" if first else "\n") + f"{shown}:\n")
        items = self.directory_items(path)
        if "l" in self.options or "n" in self.options or "s" in self.options:
            io.out(f"total {sum(self.blocks(p, e) for _, p, e in items)}\n")
        for name, item_path, entry in items:
            io.out(self.line(name, item_path, entry) + "\n")
        if "R" in self.options:
            for name, item_path, entry in items:
                if entry.kind == "dir" and name not in (".", ".."):
                    sub = name if shown == "" else posixpath.join(shown, name)
                    self.list_directory(sub, item_path, True, False)


def ls(argv: list[str], io: Io) -> int:
    options, operands, _ = split_options(argv[1:], "w")
    lister = Lister(io, options)
    status = 0
    files: list[tuple[str, str, Entry]] = []
    dirs: list[tuple[str, str, Entry]] = []
    for operand in operands or ["."]:
        try:
            follow = not ("l" in options or "d" in options or "F" in options)
            real, entry = lookup(io.tree, operand, io.cwd, follow_last=follow)
            if entry.kind == "symlink" and "d" not in options:
                try:
                    target_real, target = lookup(io.tree, operand, io.cwd)
                    if target.is_dir and operand.endswith("/"):
                        real, entry = target_real, target
                except FsError:
                    pass
        except FsError as error:
            io.err(f"ls: {operand}: {error.reason}\n")
            status = 1
            continue
        if entry.is_dir and "d" not in options:
            dirs.append((operand, real, entry))
        else:
            files.append((operand, real, entry))
    for name, path, entry in lister.ordered(files):
        io.out(lister.line(name, path, entry) + "\n")
    header = len(files) + len(dirs) > 1 or "R" in options
    for index, (name, path, _entry) in enumerate(lister.ordered(dirs)):
        lister.list_directory(name, path, header, first=index == 0 and not files)
    return status


# -- find -----------------------------------------------------------------------------------


def _walk(io: Io, shown: str, real: str, depth: int) -> Iterator[tuple[str, str, Entry, int]]:
    entry = io.tree.get(real, directory()) if real == "/" else io.tree[real]
    yield shown, real, entry, depth
    if entry.kind == "dir":
        for name in children(io.tree, real):
            yield from _walk(io, posixpath.join(shown, name), normpath(name, real), depth + 1)


def find(argv: list[str], io: Io) -> int:
    args = argv[1:]
    paths = []
    while args and not args[0].startswith(("-", "!", "(")):
        paths.append(args.pop(0))
    tests: list[tuple[str, str, bool]] = []
    maxdepth, mindepth = 1 << 30, 0
    exec_command: list[str] | None = None
    negate = False
    while args:
        arg = args.pop(0)
        if arg in ("!", "-not"):
            negate = True
            continue
        if arg in ("-print", "-a", "-and"):
            continue
        if arg in ("-maxdepth", "-mindepth") and args:
            value = args.pop(0)
            if not value.isdigit():
                io.err(f"find: invalid number '{value}'\n")
                return 1
            maxdepth, mindepth = (
                (int(value), mindepth) if arg == "-maxdepth" else (maxdepth, int(value))
            )
            continue
        if arg == "-exec":
            exec_command = []
            while args and args[0] not in (";", "+"):
                exec_command.append(args.pop(0))
            if not args:
                io.err("find: -exec CMD must end by ';' or '+'\n")
                return 1
            args.pop(0)
            continue
        if arg in ("-name", "-iname", "-type", "-path") and args:
            tests.append((arg, args.pop(0), negate))
            negate = False
            continue
        io.err(f"find: unrecognized: {arg}\n")
        return 1
    status = 0
    for start in paths or ["."]:
        try:
            real, _ = lookup(io.tree, start, io.cwd)
        except FsError as error:
            io.err(f"find: {start}: {error.reason}\n")
            status = 1
            continue
        for shown, _path, entry, depth in _walk(io, start, real, 0):
            if depth > maxdepth or depth < mindepth:
                continue
            if all(_find_test(test, value, shown, entry) != neg for test, value, neg in tests):
                if exec_command is not None:
                    command = [shown if part == "{}" else part for part in exec_command]
                    try:
                        io.sys.launcher.spawn(command, io.child(stdin=b""), from_shell=True)
                    except Exception:
                        io.err(f"find: {command[0]}: No such file or directory\n")
                        status = 1
                else:
                    io.out(shown + "\n")
    return status


def _find_test(test: str, value: str, shown: str, entry: Entry) -> bool:
    name = posixpath.basename(shown.rstrip("/")) or shown
    if test == "-name":
        return matches(name, [(c, False) for c in value])
    if test == "-iname":
        return matches(name.lower(), [(c, False) for c in value.lower()])
    if test == "-path":
        return matches(shown, [(c, False) for c in value])
    kind = {"f": "file", "d": "dir", "l": "symlink", "c": "chardev"}.get(value)
    return entry.kind == kind


# -- du, stat and path helpers --------------------------------------------------------------


def du(argv: list[str], io: Io) -> int:
    options, operands, _ = split_options(argv[1:], "d")
    status = 0
    for operand in operands or ["."]:
        try:
            real, _ = lookup(io.tree, operand, io.cwd)
        except FsError as error:
            io.err(f"du: {operand}: {error.reason}\n")
            status = 1
            continue
        totals: dict[str, int] = {}
        for path in sorted([real, *descendants(io.tree, real)], key=lambda p: -p.count("/")):
            item = io.tree.get(path, directory())
            own = blocks_kb(item) if item.kind != "dir" else 4
            totals[path] = totals.get(path, 0) + own
            if path != real:
                parent = posixpath.dirname(path)
                totals[parent] = totals.get(parent, 0) + totals[path]
            if path == real or "s" in options:
                continue
            if item.kind == "dir" or "a" in options:
                io.out(
                    f"{_du_size(totals[path], options)}\t"
                    f"{operand.rstrip('/') + path[len(real) :]}\n"
                )
        io.out(f"{_du_size(totals[real], options)}\t{operand}\n")
    return status


def _du_size(kb: int, options: dict[str, str]) -> str:
    if "h" in options:
        return human(kb * 1024)
    if "m" in options:
        return str(-(-kb // 1024))
    return str(kb)


def stat(argv: list[str], io: Io) -> int:
    options, operands, _ = split_options(argv[1:], "c")
    if not operands:
        io.err("Usage: stat [-ltf] [-c FMT] FILE...\n")
        return 1
    status = 0
    for operand in operands:
        try:
            real, entry = lookup(io.tree, operand, io.cwd, follow_last="L" in options)
        except FsError as error:
            io.err(f"stat: can't stat '{operand}': {error.reason}\n")
            status = 1
            continue
        owner = user_name(io.tree, entry.uid) or "UNKNOWN"
        group = group_name(io.tree, entry.gid) or "UNKNOWN"
        kind = {"file": "regular file" if entry.data else "regular empty file",
                "dir": "directory", "symlink": "symbolic link",
                "chardev": "character special file"}[entry.kind]  # fmt: skip
        when = time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000", time.gmtime(entry.mtime))
        fields = {
            "n": operand, "s": str(display_size(entry)), "a": f"{entry.mode & 0o7777:o}",
            "A": file_mode_string(entry), "U": owner, "G": group, "u": str(entry.uid),
            "g": str(entry.gid), "F": kind, "Y": str(entry.mtime), "y": when, "%": "%",
            "b": str(blocks_kb(entry) * 2), "h": "1",
        }  # fmt: skip
        if "c" in options:
            out, i, fmt = [], 0, options["c"]
            while i < len(fmt):
                if fmt[i] == "%" and i + 1 < len(fmt):
                    out.append(fields.get(fmt[i + 1], "?"))
                    i += 2
                else:
                    out.append(fmt[i])
                    i += 1
            io.out("".join(out) + "\n")
            continue
        name = f"'{operand}' -> '{entry.target}'" if entry.kind == "symlink" else operand
        major, minor = entry.rdev
        device = f"     Device type: {major:x},{minor:x}" if entry.kind == "chardev" else ""
        io.out(
            f"  File: {name}\n"
            f"  Size: {fields['s']:<10}\tBlocks: {fields['b']:<10} IO Block: 4096   {kind}\n"
            f"Device: 2bh/43d\tInode: {abs(hash(real)) % 10_000_000:<10} Links: 1{device}\n"
            f"Access: ({entry.mode & 0o7777:04o}/{fields['A']})  Uid: ({entry.uid:5d}/{owner:>8})"
            f"   Gid: ({entry.gid:5d}/{group:>8})\n"
            f"Access: {when}\nModify: {when}\nChange: {when}\n"
        )
    return status


def readlink(argv: list[str], io: Io) -> int:
    options, operands, _ = split_options(argv[1:])
    if not operands:
        return 1
    path = operands[0]
    try:
        if "f" in options:
            io.out(resolve(io.tree, path, io.cwd) + "\n")
            return 0
        _, entry = lookup(io.tree, path, io.cwd, follow_last=False)
    except FsError:
        return 1
    if entry.kind != "symlink":
        return 1
    io.out(entry.target + "\n")
    return 0


def realpath(argv: list[str], io: Io) -> int:
    status = 0
    for path in argv[1:] or ["."]:
        try:
            real, _ = lookup(io.tree, path, io.cwd)
            io.out(real + "\n")
        except FsError as error:
            io.err(f"realpath: {path}: {error.reason}\n")
            status = 1
    return status


def basename(argv: list[str], io: Io) -> int:
    if len(argv) < 2:
        io.err("Usage: basename FILE [SUFFIX]\n")
        return 1
    name = argv[1].rstrip("/")
    name = posixpath.basename(name) if name else "/"
    if len(argv) > 2 and name != argv[2] and name.endswith(argv[2]):
        name = name[: -len(argv[2])]
    io.out(name + "\n")
    return 0


def dirname(argv: list[str], io: Io) -> int:
    if len(argv) < 2:
        io.err("Usage: dirname FILENAME\n")
        return 1
    path = argv[1].rstrip("/") or "/"
    parent = posixpath.dirname(path).rstrip("/") if "/" in path else "."
    io.out((parent or "/") + "\n")
    return 0


APPLETS = {
    "ls": ls, "find": find, "du": du, "stat": stat, "readlink": readlink, "realpath": realpath,
    "basename": basename, "dirname": dirname,
}  # fmt: skip
