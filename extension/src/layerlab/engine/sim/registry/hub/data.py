"""The simulated Docker Hub's data: the files its images hold, read from ``files/``.

Files the official images carry verbatim (account files, entrypoint scripts, nginx's
configuration and pages, hello-world's message) live under ``files/<image family>/`` as the
files themselves, so they read as what they are; the trees (:mod:`trees_debian`,
:mod:`trees_alpine`, :mod:`trees_apps`, :mod:`rootfs`) place them. Bytes are read exactly as
stored: an image's layer digests, and so its ID, follow from them.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any


@functools.cache
def file_text(name: str) -> str:
    """The text of ``files/<name>`` (UTF-8), exactly as stored."""
    return resources.files(__package__).joinpath("files", name).read_text(encoding="utf-8")


def file_lines(name: str) -> list[str]:
    """The non-empty lines of ``files/<name>``: a list kept one item per line."""
    return [line for line in file_text(name).splitlines() if line]


def file_names(folder: str) -> list[str]:
    """The names of the files in ``files/<folder>``, sorted (the order the images copy them)."""
    entries = resources.files(__package__).joinpath("files", folder).iterdir()
    return sorted(entry.name for entry in entries if entry.is_file())


def catalog_table() -> dict[str, Any]:
    """``catalog.toml``: the official images (``images``) and each repository's tags (``tags``)."""
    return tomllib.loads(resources.files(__package__).joinpath("catalog.toml").read_text("utf-8"))
