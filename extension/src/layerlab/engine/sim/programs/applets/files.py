"""File applets that change the tree: mkdir, touch, rm, rmdir, cp, mv, ln, chmod, chown."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from layerlab.engine.sim.programs.applets.base import (
    EEXIST,
    EISDIR,
    ENOENT,
    ENOTEMPTY,
    FsError,
    Io,
    WriteFailed,
)
from layerlab.engine.sim.programs.applets.cmdline import split_options
from layerlab.engine.sim.programs.applets.fileio import (
    make_dir,
    read_file,
    remove_path,
    touch_parent,
    write_file,
)
from layerlab.engine.sim.programs.applets.paths import lookup, may_access, resolve
from layerlab.engine.sim.programs.applets.users import group_id, user_id
from layerlab.engine.sim.store.fs import descendants, directory, parent_of


def mkdir(argv: list[str], io: Io) -> int:
    options, paths, _ = split_options(argv[1:], "m")
    mode = (
        int(options["m"], 8) if "m" in options and re.fullmatch(r"[0-7]+", options["m"]) else 0o755
    )
    if not paths:
        io.err("Usage: mkdir [-m MODE] [-p] DIRECTORY...\n")
        return 1
    status = 0
    for path in paths:
        try:
            if "p" in options:
                _make_parents(io, path, mode)
            else:
                make_dir(io, path, mode)
        except FsError as error:
            io.err(f"mkdir: can't create directory '{path}': {error.reason}\n")
            status = 1
    return status


def _make_parents(io: Io, path: str, mode: int) -> None:
    parts = [p for p in io.abspath(path).split("/") if p]
    current = "/"
    for part in parts:
        current = posixpath.join(current, part)
        try:
            _, entry = lookup(io.tree, current)
        except FsError:
            make_dir(io, current, mode)
            continue
        if not entry.is_dir:
            raise FsError(EEXIST, current)


def touch(argv: list[str], io: Io) -> int:
    options, paths, _ = split_options(argv[1:], "dtr")
    status = 0
    for path in paths:
        try:
            real = resolve(io.tree, path, io.cwd)
            entry = io.tree.get(real)
            if entry is None:
                if "c" in options:
                    continue
                write_file(io, real, b"")
            else:
                io.tree[real] = replace(entry, mtime=int(io.now()))
        except FsError as error:
            io.err(f"touch: {path}: {error.reason}\n")
            status = 1
    return status


def rm(argv: list[str], io: Io) -> int:
    options, paths, _ = split_options(argv[1:])
    recursive = "r" in options or "R" in options
    force = "f" in options
    if not paths and not force:
        io.err("Usage: rm [-irf] FILE...\n")
        return 1
    status = 0
    for path in paths:
        try:
            real, entry = lookup(io.tree, path, io.cwd, follow_last=False)
        except FsError as error:
            if not force:
                io.err(f"rm: can't remove '{path}': {error.reason}\n")
                status = 1
            continue
        if entry.is_dir and not recursive:
            io.err(f"rm: '{path}' is a directory\n")
            status = 1
            continue
        if real == "/":
            io.err("rm: can't remove '/'\n")
            status = 1
            continue
        try:
            remove_path(io, real)
        except FsError as error:
            io.err(f"rm: can't remove '{path}': {error.reason}\n")
            status = 1
    return status


def rmdir(argv: list[str], io: Io) -> int:
    _, paths, _ = split_options(argv[1:])
    status = 0
    for path in paths:
        try:
            real, entry = lookup(io.tree, path, io.cwd, follow_last=False)
            if not entry.is_dir:
                raise FsError("Not a directory", real)
            if descendants(io.tree, real):
                raise FsError(ENOTEMPTY, real)
            remove_path(io, real)
        except FsError as error:
            io.err(f"rmdir: '{path}': {error.reason}\n")
            status = 1
    return status


def _copy_tree(io: Io, source: str, target: str, keep: bool) -> None:
    """Copy ``source`` (real path) to ``target`` (real path), directories recursively."""
    entry = io.tree[source]
    now = int(io.now())
    owner = {} if keep else {"uid": io.uid, "gid": io.gid, "mtime": now}
    if target in io.tree and io.tree[target].is_dir and entry.is_dir:
        pass
    else:
        io.tree[target] = (
            replace(entry, **owner)
            if entry.kind != "dir"
            else (replace(entry, **owner) if keep else directory(entry.mode, now, io.uid, io.gid))
        )
    if entry.is_dir:
        for below in sorted(descendants(io.tree, source)):
            relative = below[len(source) :]
            io.tree[target + relative] = replace(io.tree[below], **owner)
    touch_parent(io, target)


def _destination(io: Io, source_path: str, target_path: str, many: bool) -> str:
    """Where a copied/moved ``source`` lands: inside ``target`` when it is a directory."""
    try:
        real, entry = lookup(io.tree, target_path, io.cwd)
        if entry.is_dir:
            return posixpath.join(real, posixpath.basename(source_path.rstrip("/")) or "/")
        if many:
            raise FsError("Not a directory", real)
        return real
    except FsError as error:
        if error.reason != ENOENT or many:
            raise
        real = resolve(io.tree, target_path, io.cwd)
        parent = io.tree.get(parent_of(real))
        if parent_of(real) != "/" and (parent is None or not parent.is_dir):
            raise
        return real


def cp(argv: list[str], io: Io) -> int:
    options, paths, _ = split_options(argv[1:])
    recursive = any(k in options for k in "rRa")
    keep = "a" in options or "p" in options
    if len(paths) < 2:
        io.err("Usage: cp [-arPLHpfinlsTu] SOURCE DEST\n")
        return 1
    *sources, target = paths
    status = 0
    for source in sources:
        try:
            real, entry = lookup(
                io.tree, source, io.cwd, follow_last=("a" in options and False) or True
            )
        except FsError as error:
            io.err(f"cp: can't stat '{source}': {error.reason}\n")
            status = 1
            continue
        if entry.is_dir and not recursive:
            io.err(f"cp: omitting directory '{source}'\n")
            status = 1
            continue
        try:
            dest = _destination(io, source, target, len(sources) > 1)
            if dest == real or dest.startswith(real + "/"):
                io.err(f"cp: '{source}' and '{target}' are the same file\n")
                status = 1
                continue
            if entry.kind == "chardev" and not recursive:
                # Without -R/-a cp copies what the device reads, not the device node.
                _check_writable_parent(io, dest)
                write_file(io, dest, read_file(io, real))
            elif entry.is_dir or dest not in io.tree:
                _check_writable_parent(io, dest)
                _copy_tree(io, real, dest, keep)
            else:
                write_file(io, dest, entry.data)
        except WriteFailed as error:
            io.err(f"cp: write error: {error.reason}\n")
            status = 1
        except FsError as error:
            io.err(f"cp: can't create '{target}': {error.reason}\n")
            status = 1
    return status


def _check_writable_parent(io: Io, real: str) -> None:
    parent = parent_of(real)
    entry = io.tree.get(parent) if parent != "/" else directory()
    if entry is None:
        raise FsError(ENOENT, real)
    if not entry.is_dir:
        raise FsError("Not a directory", real)
    if (parent != "/" and not may_access(io, entry, 2)) or (parent == "/" and io.uid != 0):
        raise FsError("Permission denied", real)


def mv(argv: list[str], io: Io) -> int:
    _, paths, _ = split_options(argv[1:])
    if len(paths) < 2:
        io.err("Usage: mv [-fin] SOURCE DEST\n")
        return 1
    *sources, target = paths
    status = 0
    for source in sources:
        try:
            real, entry = lookup(io.tree, source, io.cwd, follow_last=False)
        except FsError as error:
            io.err(f"mv: can't rename '{source}': {error.reason}\n")
            status = 1
            continue
        try:
            dest = _destination(io, source, target, len(sources) > 1)
            if dest == real:
                continue
            if dest.startswith(real + "/"):
                raise FsError("Invalid argument", dest)
            existing = io.tree.get(dest)
            if existing is not None and existing.is_dir and not entry.is_dir:
                raise FsError(EISDIR, dest)
            if existing is not None and existing.is_dir and descendants(io.tree, dest):
                raise FsError(ENOTEMPTY, dest)
            _check_writable_parent(io, dest)
            moved = {p: io.tree[p] for p in [real, *descendants(io.tree, real)]}
            if existing is not None:
                remove_path(io, dest)
            remove_path(io, real)
            for path, item in moved.items():
                io.tree[dest + path[len(real) :]] = item
            touch_parent(io, dest)
        except FsError as error:
            io.err(f"mv: can't rename '{source}': {error.reason}\n")
            status = 1
    return status


def _link_destination(io: Io, target: str, link: str, many: bool) -> str:
    """A link is made inside ``link`` when that is a directory, otherwise at ``link`` itself
    (an existing symlink there is not followed)."""
    try:
        real, entry = lookup(io.tree, link, io.cwd)
        if entry.is_dir:
            return posixpath.join(real, posixpath.basename(target.rstrip("/")))
    except FsError:
        pass
    if many:
        raise FsError("Not a directory", link)
    return resolve(io.tree, link, io.cwd, follow_last=False)


def ln(argv: list[str], io: Io) -> int:
    options, paths, _ = split_options(argv[1:])
    if not paths:
        io.err("Usage: ln [-sfnbtv] [-S SUF] TARGET... LINK|DIR\n")
        return 1
    if len(paths) == 1:
        paths.append(".")
    *targets, link = paths
    status = 0
    for target in targets:
        try:
            dest = _link_destination(io, target, link, len(targets) > 1)
        except FsError as error:
            io.err(f"ln: {link}: {error.reason}\n")
            status = 1
            continue
        shown = link if dest == io.abspath(link) else dest
        if dest in io.tree:
            if "f" not in options:
                io.err(f"ln: {shown}: {EEXIST}\n")
                status = 1
                continue
            remove_path(io, dest)
        try:
            _check_writable_parent(io, dest)
            if "s" in options:
                from layerlab.engine.sim.store.fs import symlink

                io.tree[dest] = replace(symlink(target, int(io.now())), uid=io.uid, gid=io.gid)
            else:
                real, entry = lookup(io.tree, target, io.cwd)
                if entry.is_dir:
                    raise FsError("Operation not permitted", real)
                io.tree[dest] = entry  # a hard link shares the inode: same entry
            touch_parent(io, dest)
        except FsError as error:
            io.err(f"ln: {target}: {error.reason}\n")
            status = 1
    return status


def _apply_mode(spec: str, mode: int, is_dir: bool) -> int | None:
    if re.fullmatch(r"[0-7]{1,4}", spec):
        return int(spec, 8)
    for clause in spec.split(","):
        match = re.fullmatch(r"([ugoa]*)([-+=])([rwxXst]*)", clause)
        if not match:
            return None
        who, op, perms = match.groups()
        who = who or "a"
        bits = 0
        for perm in perms:
            for person in "ugo" if "a" in who else who:
                shift = {"u": 6, "g": 3, "o": 0}[person]
                if perm in "rwx" or (perm == "X" and (is_dir or mode & 0o111)):
                    bits |= {"r": 4, "w": 2, "x": 1, "X": 1}[perm] << shift
                elif perm == "s":
                    bits |= {"u": 0o4000, "g": 0o2000, "o": 0}[person]
                elif perm == "t":
                    bits |= 0o1000
        if op == "+":
            mode |= bits
        elif op == "-":
            mode &= ~bits
        else:
            mask = sum(0o7 << {"u": 6, "g": 3, "o": 0}[p] for p in ("ugo" if "a" in who else who))
            mode = (mode & ~mask) | bits
    return mode


def chmod(argv: list[str], io: Io) -> int:
    args = [a for a in argv[1:] if a not in ("-R", "-f", "-v", "-c")]
    recursive = "-R" in argv[1:]
    if len(args) < 2:
        io.err("Usage: chmod [-Rcvf] MODE[,MODE]... FILE...\n")
        return 1
    spec, paths = args[0], args[1:]
    status = 0
    for path in paths:
        try:
            real, _ = lookup(io.tree, path, io.cwd)
        except FsError as error:
            io.err(f"chmod: {path}: {error.reason}\n")
            status = 1
            continue
        for target in [real, *(descendants(io.tree, real) if recursive else [])]:
            item = io.tree.get(target)
            if item is None or item.kind == "symlink":
                continue
            new_mode = _apply_mode(spec, item.mode, item.is_dir)
            if new_mode is None:
                io.err(f"chmod: invalid mode '{spec}'\n")
                return 1
            if io.uid not in (0, item.uid):
                io.err(f"chmod: {path}: Operation not permitted\n")
                status = 1
                break
            io.tree[target] = replace(item, mode=new_mode)
    return status


def chown(argv: list[str], io: Io) -> int:
    args = [a for a in argv[1:] if a not in ("-R", "-h", "-f", "-v", "-c")]
    recursive = "-R" in argv[1:]
    name = posixpath.basename(argv[0])
    if len(args) < 2:
        io.err(f"Usage: {name} [-Rhv] USER[:[GRP]] FILE...\n")
        return 1
    spec, paths = args[0], args[1:]
    if name == "chgrp":
        user, group = "", spec
    else:
        user, _, group = spec.replace(".", ":", 1).partition(":")
    uid = user_id(io.tree, user) if user else None
    gid = group_id(io.tree, group) if group else None
    if user and uid is None:
        io.err(f"{name}: unknown user {user}\n")
        return 1
    if group and gid is None:
        io.err(f"{name}: unknown group {group}\n")
        return 1
    status = 0
    for path in paths:
        try:
            real, _entry = lookup(io.tree, path, io.cwd)
        except FsError as error:
            io.err(f"{name}: {path}: {error.reason}\n")
            status = 1
            continue
        if io.uid != 0:
            io.err(f"{name}: {path}: Operation not permitted\n")
            status = 1
            continue
        for target in [real, *(descendants(io.tree, real) if recursive else [])]:
            item = io.tree[target]
            io.tree[target] = replace(
                item, uid=item.uid if uid is None else uid, gid=item.gid if gid is None else gid
            )
    return status


APPLETS = {
    "mkdir": mkdir, "touch": touch, "rm": rm, "rmdir": rmdir, "cp": cp, "mv": mv, "ln": ln,
    "chmod": chmod, "chown": chown, "chgrp": chown,
}  # fmt: skip
