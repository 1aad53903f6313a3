"""Reading and writing the character devices of the run-time /dev (see ``..devices``).

``null`` reads empty and swallows writes; ``zero`` and ``full`` read zeros, ``random`` and
``urandom`` pseudo-random bytes seeded by the container and the read's number (so deterministic
mode stays deterministic); ``full`` refuses every write with ENOSPC; ``tty`` has no terminal
behind it (ENXIO), as in a container started without ``-t``.

Endless devices cannot be read whole: a reader that knows how much it wants passes ``limit``
(``head -c``, ``dd count=``). One that reads to the end only ends because its consumer stops
reading (SIGPIPE); the simulator runs a pipeline's stages one after the other, so such a reader
gets :data:`ENDLESS_READ_BYTES` when its output feeds a pipe, and otherwise runs forever.
"""

from __future__ import annotations

import hashlib
import random

from layerlab.engine.sim.programs.applets.base import (
    ENXIO,
    WRITE_LIMIT_BYTES,
    BufferSink,
    FsError,
    FullSink,
    Io,
    NullSink,
    OutOfMemory,
    RunsForever,
    Sink,
)
from layerlab.engine.sim.programs.devices import DEVICE_NAMES
from layerlab.engine.sim.store.fs import Entry

ENDLESS_READ_BYTES = 1 << 20
_ENDLESS = ("zero", "full", "random", "urandom")


def device_kind(entry: Entry) -> str:
    return DEVICE_NAMES.get(entry.rdev, "")


def random_bytes(io: Io, count: int) -> bytes:
    io.sys.random_reads += 1
    seed = hashlib.sha256(f"{io.sys.hostname}:{io.sys.random_reads}".encode()).digest()
    return random.Random(seed).randbytes(count)


def read_device(io: Io, real: str, entry: Entry, limit: int | None) -> bytes:
    kind = device_kind(entry)
    if kind in ("tty", "console"):
        raise FsError(ENXIO, real)
    if kind not in _ENDLESS:
        return b""
    if limit is None:
        if not isinstance(io.fds.get(1), BufferSink):
            raise RunsForever(interruptible=False)
        limit = ENDLESS_READ_BYTES
    if limit > WRITE_LIMIT_BYTES:  # the simulator reads it whole, into memory
        raise OutOfMemory(f"more than {WRITE_LIMIT_BYTES >> 20} MiB of memory")
    if kind in ("random", "urandom"):
        return random_bytes(io, limit)
    return bytes(limit)


def device_sink(io: Io, real: str, entry: Entry) -> Sink:
    """Where writes to the device go."""
    kind = device_kind(entry)
    if kind == "full":
        return FullSink()
    if kind in ("tty", "console"):
        raise FsError(ENXIO, real)
    return NullSink()


def stdin_of_device(io: Io, real: str, entry: Entry) -> bytes:
    """``< /dev/urandom``: the shell cannot tell how much its command will read."""
    kind = device_kind(entry)
    if kind in ("tty", "console"):
        raise FsError(ENXIO, real)
    if kind in ("random", "urandom"):
        return random_bytes(io, ENDLESS_READ_BYTES)
    return bytes(ENDLESS_READ_BYTES) if kind in _ENDLESS else b""
