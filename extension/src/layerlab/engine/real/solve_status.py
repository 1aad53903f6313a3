"""BuildKit's solve status as a real daemon streams it over ``POST /build?version=2``.

Each ``{"id": "moby.buildkit.trace", "aux": …}`` message carries, base64-encoded, one protobuf
``moby.buildkit.v1.StatusResponse`` (BuildKit's ``api/services/control/control.proto``). This
decodes it into the JSON form the simulator streams
(:mod:`layerlab.engine.sim.builder.solve_status`), so that the CLI's printers render both engines
from one shape: times as float seconds since the epoch, logs and warnings as text.

The messages use only protobuf's wire format (varints and length-delimited fields, a
``google.protobuf.Timestamp`` being two varints), so a few functions read them here instead of
code generated from BuildKit's ``.proto`` files and a protobuf runtime to run it.
"""

from __future__ import annotations

import base64
import binascii
import codecs
from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]


# Wire types (https://protobuf.dev/programming-guides/encoding/).
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class BadStatus(ValueError):
    """The bytes are not a StatusResponse this module can read."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise BadStatus("truncated varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise BadStatus("varint too long")


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one message: an int for a varint, bytes for a
    length-delimited field; fixed-width fields, which these messages do not use, are skipped."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        if kind == _VARINT:
            value, at = _varint(data, at)
            yield number, value
        elif kind == _LENGTH:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise BadStatus("truncated field")
            yield number, data[at : at + size]
            at += size
        elif kind in (_FIXED64, _FIXED32):
            at += 8 if kind == _FIXED64 else 4
        else:
            raise BadStatus(f"unknown wire type {kind}")


def _signed(value: int) -> int:
    """An int64 sent as a varint: negative numbers come as their 64-bit two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value: int | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _timestamp(value: int | bytes) -> float:
    seconds = nanos = 0
    for number, part in _fields(value if isinstance(value, bytes) else b""):
        if number == 1 and isinstance(part, int):
            seconds = _signed(part)
        elif number == 2 and isinstance(part, int):
            nanos = part
    return seconds + nanos / 1e9


def _vertex(data: bytes) -> Json:
    vertex: Json = {"digest": "", "name": "", "started": None, "completed": None,
                    "cached": False, "error": ""}  # fmt: skip
    names = {1: "digest", 3: "name", 7: "error"}
    for number, value in _fields(data):
        if number in names:
            vertex[names[number]] = _text(value)
        elif number == 4:
            vertex["cached"] = bool(value)
        elif number == 5:
            vertex["started"] = _timestamp(value)
        elif number == 6:
            vertex["completed"] = _timestamp(value)
    return vertex


def _vertex_status(data: bytes) -> Json:
    # VertexStatus.ID is what buildx shows ("transferring context:"); its `name` goes unused.
    status: Json = {"id": "", "vertex": "", "current": 0, "total": 0, "started": None,
                    "completed": None, "timestamp": 0.0}  # fmt: skip
    for number, value in _fields(data):
        if number == 1:
            status["id"] = _text(value)
        elif number == 2:
            status["vertex"] = _text(value)
        elif number in (4, 5) and isinstance(value, int):
            status["current" if number == 4 else "total"] = _signed(value)
        elif number in (6, 7, 8):
            status[{6: "timestamp", 7: "started", 8: "completed"}[number]] = _timestamp(value)
    return status


def _vertex_log(data: bytes) -> Json:
    log: Json = {"vertex": "", "stream": 0, "data": "", "timestamp": 0.0}
    for number, value in _fields(data):
        if number == 1:
            log["vertex"] = _text(value)
        elif number == 2:
            log["timestamp"] = _timestamp(value)
        elif number == 3 and isinstance(value, int):
            log["stream"] = _signed(value)
        elif number == 4 and isinstance(value, bytes):
            log["data"] = value  # text once the vertex's decoder has it (StatusDecoder)
    return log


def _vertex_warning(data: bytes) -> Json:
    warning: Json = {"vertex": "", "short": ""}
    for number, value in _fields(data):
        if number == 1:
            warning["vertex"] = _text(value)
        elif number == 3:
            warning["short"] = _text(value)
    return warning


class StatusDecoder:
    """Decodes one build's trace messages in order. A program's output reaches BuildKit in
    chunks that may cut a UTF-8 character in two; each vertex's log bytes go through their own
    incremental decoder, so that the character comes out whole with the next chunk."""

    def __init__(self) -> None:
        self._logs: dict[tuple[str, int], codecs.IncrementalDecoder] = {}

    def decode(self, aux: str) -> Json:
        """One trace message's ``aux`` (base64 protobuf) as the simulator's JSON form."""
        try:
            data = base64.b64decode(aux, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadStatus(f"not base64: {exc}") from None
        status: Json = {"vertexes": [], "statuses": [], "logs": [], "warnings": []}
        readers = {1: ("vertexes", _vertex), 2: ("statuses", _vertex_status),
                   3: ("logs", _vertex_log), 4: ("warnings", _vertex_warning)}  # fmt: skip
        for number, value in _fields(data):
            if number in readers and isinstance(value, bytes):
                key, read = readers[number]
                status[key].append(read(value))
        for log in status["logs"]:
            stream = (log["vertex"], log["stream"])
            decoder = self._logs.get(stream)
            if decoder is None:
                decoder = self._logs[stream] = codecs.getincrementaldecoder("utf-8")("replace")
            log["data"] = decoder.decode(log["data"] or b"")
        return status
