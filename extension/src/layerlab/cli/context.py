"""The build context the CLI sends: an uncompressed tar of the context directory, filtered by
``.dockerignore``, laid out like docker's tar walk (lexical order, ``dir/`` entries, uid/gid 0,
whole-second mtimes, no user/group names, no padding after the end-of-archive blocks)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from layerlab.cli.errors import CliError
from layerlab.engine.sim.builder.dockerignore import DockerIgnore

_END_OF_ARCHIVE = 1024  # two zero blocks; Go's tar writer adds no record padding


def _walk(root: Path) -> list[str]:
    """Context-relative paths in filepath.Walk order (directories end with ``/``)."""
    found: list[str] = []

    def visit(directory: Path, prefix: str) -> None:
        for entry in sorted(os.listdir(directory)):
            path = directory / entry
            relative = prefix + entry
            if path.is_dir() and not path.is_symlink():
                found.append(relative + "/")
                visit(path, relative + "/")
            else:
                found.append(relative)

    visit(root, "")
    return found


def _tar_info(path: Path, name: str) -> tarfile.TarInfo:
    stat = path.lstat()
    info = tarfile.TarInfo(name)
    info.mode = stat.st_mode & 0o7777
    info.mtime = int(stat.st_mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path.is_symlink():
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
    elif path.is_dir():
        info.type = tarfile.DIRTYPE
    else:
        info.size = stat.st_size
    return info


def resolve_context(
    cwd: Path, context: str, dockerfile: str | None, buildx: bool = False
) -> tuple[Path, str]:
    """The context directory and the Dockerfile's path inside it, checked like the CLI (or,
    with ``buildx``, like buildx: it sends the Dockerfile's folder on its own, so a missing
    Dockerfile in a folder that exists is the daemon's to report)."""
    root = (cwd / context).resolve()
    if not root.exists() or (buildx and not root.is_dir()):  # buildx wants a folder or nothing
        raise CliError(f'unable to prepare context: path "{context}" not found')
    if not root.is_dir():
        raise CliError(f"unable to prepare context: context must be a directory: {root}")
    given = (cwd / dockerfile).absolute() if dockerfile else root / "Dockerfile"
    if not given.exists() and not dockerfile:
        lower = root / "dockerfile"
        given = lower if lower.exists() else given
    if not given.exists() and buildx:
        folder = Path(dockerfile or "").parent
        for depth in range(1, len(folder.parts) + 1):
            prefix = Path(*folder.parts[:depth])
            if not (cwd / prefix).exists():
                raise CliError(f"resolve : lstat {prefix}: no such file or directory")
        return root, os.path.relpath(given, root)  # in no archive: the build says it is missing
    if not given.exists():
        raise CliError(
            "unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
            f"lstat {given}: no such file or directory"
        )
    try:
        relative = given.resolve().relative_to(root).as_posix()
    except ValueError:
        raise CliError(
            "layerlab: a Dockerfile outside the build context is not supported by LayerLab"
        ) from None
    return root, relative


def stdin_context(data: bytes, dockerfile: str | None, now: float) -> tuple[bytes, str]:
    """``docker build -``: stdin is the context when it is an archive (the Dockerfile named by
    ``-f``, else ``Dockerfile``, inside it), else the Dockerfile alone, in a context of its own."""
    if dockerfile == "-":
        raise CliError("invalid argument: can't use stdin for both build context and dockerfile")
    if is_archive(data):
        return data, dockerfile or "Dockerfile"
    info = tarfile.TarInfo("Dockerfile")
    info.size, info.mode, info.mtime = len(data), 0o644, int(now)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        archive.addfile(info, io.BytesIO(data))
        end = archive.offset
    return buffer.getvalue()[: end + _END_OF_ARCHIVE], "Dockerfile"


_COMPRESSED_MAGIC = (b"\x1f\x8b\x08", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def is_archive(data: bytes) -> bool:
    """The CLI's IsArchive: a compressed stream, or a first block that is a valid tar header."""
    if data.startswith(_COMPRESSED_MAGIC):
        return True
    try:
        tarfile.TarInfo.frombuf(data[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def build_context_tar(root: Path, dockerfile: str = "Dockerfile") -> bytes:
    """The tar the CLI streams to the daemon for ``docker build root``."""
    ignore_file = root / ".dockerignore"
    # Bytes that are not UTF-8 stay as they are (file names read the same way match them).
    text = ignore_file.read_text("utf-8", "surrogateescape") if ignore_file.is_file() else ""
    try:
        sent = DockerIgnore.from_text(text).filter_context(_walk(root), dockerfile)
    except Exception as exc:  # the CLI reports malformed patterns as context errors
        raise CliError(str(exc)) from None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sent:
            path = root / name.rstrip("/")
            info = _tar_info(path, name)
            if info.isreg():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
        end = archive.offset
    return buffer.getvalue()[: end + _END_OF_ARCHIVE]
