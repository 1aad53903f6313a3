"""``docker cp``: files between a container and the local filesystem, as the CLI moves them.

The CLI works in tars both ways (``cli/command/container/cp.go`` and ``pkg/archive/copy.go``):
the source becomes a tar whose root entry is the source's base name (its contents only for a
path ending in ``/.``); where the destination does not exist, or is a file, that root entry is
renamed to the destination's base name and the tar lands in the destination's parent. Errors
are the CLI's own words (``no such directory``, ``cannot copy directory``…) or the daemon's.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from layerlab.cli.commands.base import CommandContext
from layerlab.cli.errors import CliError
from layerlab.cli.flags import ParsedArgs
from layerlab.engine.errors import EngineError

_GO_DIR = 1 << 31  # os.ModeDir in the daemon's path stat


@dataclass
class _Side:
    """One end of the copy (pkg/archive's CopyInfo)."""

    path: str
    exists: bool
    is_dir: bool


def cmd_cp(ctx: CommandContext, parsed: ParsedArgs) -> int:
    source, destination = parsed.positionals
    if source == "":
        raise CliError("source can not be empty")
    if destination == "":
        raise CliError("destination can not be empty")
    src_container, src_path = _split(source)
    dst_container, dst_path = _split(destination)
    if src_container and dst_container:
        raise CliError("copying between containers is not supported")
    if src_container:
        _from_container(ctx, src_container, src_path, dst_path, parsed.flag("follow-link"))
    elif dst_container:
        _to_container(ctx, src_path, dst_container, dst_path, parsed.flag("archive"))
    else:
        raise CliError("must specify at least one container source")
    return 0


def _split(argument: str) -> tuple[str, str]:
    """``CONTAINER:PATH`` or a local path (absolute, or starting with ``.``, or without ``:``)."""
    if argument.startswith("/"):
        return "", argument
    container, colon, path = argument.partition(":")
    if not colon or container.startswith("."):
        return "", argument
    return container, path


# -- container to local --------------------------------------------------------------------


def _from_container(
    ctx: CommandContext, container: str, src_path: str, dst_path: str, follow: bool
) -> None:
    if dst_path != "-":
        dst_path = _absolute(ctx, dst_path)
        _validate_output(dst_path)
    rebase = ""
    if follow:
        found = ctx.engine.stat_path(container, src_path)
        if found.get("linkTarget"):  # copy what the link points to, under the link's name
            rebase = posixpath.basename(src_path.rstrip("/"))
            src_path = posixpath.join(posixpath.dirname(src_path), found["linkTarget"])
    data, found = ctx.engine.get_archive(container, src_path)
    if dst_path == "-":
        _write_binary(ctx, data)
        return
    source = _Side(src_path, True, bool(int(found.get("mode", 0)) & _GO_DIR))
    if rebase:
        data = _rebase(data, posixpath.basename(found.get("name", "")), rebase)
        source.path = rebase
    target = _local_side(dst_path)
    directory, data = _prepare(data, source, target)
    _extract_locally(data, Path(directory))


def _absolute(ctx: CommandContext, path: str) -> str:
    """The CLI's resolveLocalPath: absolute, keeping a trailing ``/`` or ``/.``."""
    resolved = os.path.abspath(ctx.cwd / path)
    if path.endswith("/."):
        return resolved + "/."
    return resolved + "/" if path.endswith("/") and resolved != "/" else resolved


def _validate_output(path: str) -> None:
    directory = os.path.dirname(os.path.normpath(path))
    if directory and not os.path.exists(directory):
        raise CliError(f'invalid output path: directory "{directory}" does not exist')
    if os.path.exists(path) and not (os.path.isdir(path) or os.path.isfile(path)):
        raise CliError(f'invalid output path: "{path}" must be a directory or a regular file')


def _local_side(path: str) -> _Side:
    if not os.path.lexists(path.rstrip("/") or "/"):
        return _Side(path, False, False)
    return _Side(path, True, os.path.isdir(path))


def _write_binary(ctx: CommandContext, data: bytes) -> None:
    buffer = getattr(ctx.stdout, "buffer", None)
    if buffer is None:
        raise CliError(
            "layerlab: 'docker cp CONTAINER:PATH -' writes a tar archive, which cannot be shown "
            "here: copy to a file instead"
        )
    ctx.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _extract_locally(data: bytes, directory: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = archive.getmembers()
        for member in members:
            member.uid = member.gid = os.getuid()  # the CLI does not chown (NoLchown)
            _make_room(directory, member)
        # The "tar" filter keeps modes and times but refuses paths that leave the directory.
        try:
            if hasattr(tarfile, "tar_filter"):
                archive.extractall(directory, filter="tar")
            else:  # Python before 3.11.4 (Debian 12 has 3.11.2): the same filter, by hand
                archive.extractall(directory, [_tar_filter(m, directory) for m in members])
        except tarfile.TarError as error:  # a link already there leads out of the directory
            raise CliError(
                f"layerlab: nothing copied past a link that leaves {directory}: {error}"
            ) from None


def _make_room(directory: Path, member: tarfile.TarInfo) -> None:
    """What pkg/archive does before it unpacks an entry: whatever is at its path goes (a link
    is replaced, not followed), unless both are directories, which merge. Nothing is removed
    through a link that leads out of ``directory``."""
    path = os.path.join(directory, member.name.lstrip("/"))
    if os.path.normpath(path) == os.path.normpath(directory) or not os.path.lexists(path):
        return
    if member.isdir() and os.path.isdir(path) and not os.path.islink(path):
        return
    inside = os.path.realpath(directory)
    if os.path.commonpath([os.path.realpath(os.path.dirname(path)), inside]) != inside:
        return  # the filter refuses the entry itself
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


_HIGH_AND_SHARED_WRITE = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWGRP | stat.S_IWOTH


def _tar_filter(member: tarfile.TarInfo, directory: Path) -> tarfile.TarInfo:
    """What Python's ``tarfile.tar_filter`` does: leading slashes stripped, a path that would
    leave ``directory`` refused, set-id, sticky and group/other write bits cleared."""
    member.name = member.name.lstrip("/")
    destination = os.path.realpath(directory)
    target = os.path.realpath(os.path.join(destination, member.name))
    if os.path.commonpath([target, destination]) != destination:
        raise CliError(f"{member.name!r} would be extracted to {target!r}, outside {destination!r}")
    if member.mode is not None:
        member.mode &= ~_HIGH_AND_SHARED_WRITE
    return member


# -- local to container --------------------------------------------------------------------


def _to_container(
    ctx: CommandContext, src_path: str, container: str, dst_path: str, keep_ids: bool
) -> None:
    try:
        found = ctx.engine.stat_path(container, dst_path)
    except EngineError:
        found = None  # the copy may still work when the parent exists: let the daemon say
    target = _Side(dst_path, found is not None, bool(found and int(found["mode"]) & _GO_DIR))
    if src_path == "-":
        if not target.is_dir:
            raise CliError(f'destination "{container}:{dst_path}" must be a directory')
        directory, data = target.path, ctx.stdin or b""
    else:
        local = _absolute(ctx, src_path)
        try:
            mode = os.lstat(local[:-2] if local.endswith("/.") else local).st_mode
        except OSError as exc:
            raise CliError(f"lstat {local}: {(exc.strerror or str(exc)).lower()}") from None
        source = _Side(local, True, stat.S_ISDIR(mode))
        directory, data = _prepare(_local_tar(local), source, target)
    ctx.engine.put_archive(container, directory, data, copy_uid_gid=keep_ids)


def _local_tar(path: str) -> bytes:
    """The source as a tar rooted at its base name (at ``.`` for a path ending in ``/.``)."""
    contents_only = path.endswith("/.")
    real = path[:-2] if contents_only else path.rstrip("/") or "/"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.add(real, arcname="." if contents_only else os.path.basename(real))
    return buffer.getvalue()


# -- both ways -----------------------------------------------------------------------------


def _prepare(data: bytes, source: _Side, target: _Side) -> tuple[str, bytes]:
    """pkg/archive's PrepareArchiveCopy: where to extract, and the tar renamed as needed."""
    src_base = posixpath.basename(source.path.rstrip("/")) if source.path != "/" else "."
    if source.path.endswith("/."):
        src_base = "."
    if target.exists and target.is_dir:
        return target.path, data
    if target.exists and source.is_dir:
        raise CliError("cannot copy directory")
    if not target.exists and not source.is_dir and target.path.endswith(("/", "/.")):
        raise CliError("no such directory")
    directory, dst_base = posixpath.split(target.path.rstrip("/"))
    return directory or "/", _rebase(data, src_base, dst_base)


def _rebase(data: bytes, old: str, new: str) -> bytes:
    """Rename the tar's root entry ``old`` (``.``: every entry) to ``new``, in the names of the
    entries and in the targets of hard links, which name entries of the same tar."""
    source, out = io.BytesIO(data), io.BytesIO()

    def renamed_path(path: str) -> str:
        name = posixpath.normpath(path)
        first, _, rest = name.partition("/")
        if old == ".":
            return new if name == "." else posixpath.join(new, name)
        if first == old:
            return posixpath.join(new, rest) if rest else new
        return path

    with (
        tarfile.open(fileobj=source) as archive,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as renamed,
    ):
        for member in archive.getmembers():
            member.name = renamed_path(member.name)
            if member.islnk():
                member.linkname = renamed_path(member.linkname)
            handle = archive.extractfile(member) if member.isfile() else None
            renamed.addfile(member, handle)
    return out.getvalue()
