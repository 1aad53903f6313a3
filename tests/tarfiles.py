"""A tar of named files, for the tests that hand archives to an engine."""

from __future__ import annotations

import io
import tarfile


def tar_of(files: dict[str, bytes], owner: int = 0) -> bytes:
    """An uncompressed tar holding ``files`` (name -> content), owned by ``owner``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.uid = info.gid = owner
            archive.addfile(info, io.BytesIO(content))
    return out.getvalue()
