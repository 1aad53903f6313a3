"""Config documents in the daemon's own shapes and key order (Docker 20.10).

Key order matters: ``docker inspect`` prints keys in the order the daemon's Go structs declare
them, and image IDs hash the exact config bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DOCKER_VERSION = "20.10.24+dfsg1"
ZERO_TIME = "0001-01-01T00:00:00Z"

Json = dict[str, Any]


def go_json(value: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def rfc3339(unix: float) -> str:
    """RFC 3339 with nanoseconds and trailing zeros dropped, as Go's time.RFC3339Nano prints."""
    whole = int(unix)
    nanos = round((unix - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    stamp = dt.datetime.fromtimestamp(whole, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


def parse_rfc3339(text: str) -> float:
    if text.startswith("0001-"):
        return 0.0
    main, _, rest = text.rstrip("Z").partition(".")
    whole = dt.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    return whole.timestamp() + (float("0." + rest) if rest else 0.0)


# container.Config in Go's declaration order; the second item says whether it is omitempty.
_CONFIG_FIELDS: list[tuple[str, bool]] = [
    ("Hostname", False), ("Domainname", False), ("User", False), ("AttachStdin", False),
    ("AttachStdout", False), ("AttachStderr", False), ("ExposedPorts", True), ("Tty", False),
    ("OpenStdin", False), ("StdinOnce", False), ("Env", False), ("Cmd", False),
    ("Healthcheck", True), ("ArgsEscaped", True), ("Image", False), ("Volumes", False),
    ("WorkingDir", False), ("Entrypoint", False), ("NetworkDisabled", True),
    ("MacAddress", True), ("OnBuild", False), ("Labels", False), ("StopSignal", True),
    ("StopTimeout", True), ("Shell", True),
]  # fmt: skip
_DEFAULTS: Json = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
    "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
    "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
    "OnBuild": None, "Labels": None,
}  # fmt: skip


def config_doc(config: Json) -> Json:
    """``config`` in Go's field order, omitempty fields dropped when empty."""
    doc: Json = {}
    for name, omitempty in _CONFIG_FIELDS:
        value = config.get(name, _DEFAULTS.get(name))
        if omitempty and not value:
            continue
        doc[name] = value
    return doc


def container_config(
    *,
    hostname: str = "",
    user: str = "",
    attach: bool = False,
    exposed_ports: dict[str, Any] | None = None,
    tty: bool = False,
    open_stdin: bool = False,
    env: list[str] | None = None,
    cmd: list[str] | None = None,
    image: str = "",
    working_dir: str = "",
    entrypoint: list[str] | None = None,
    labels: dict[str, str] | None = None,
    stop_signal: str | None = None,
    args_escaped: bool = False,
) -> dict[str, Any]:
    """The ``Config`` struct: fields in declaration order, empty ``omitempty`` ones left out."""
    doc: dict[str, Any] = {
        "Hostname": hostname,
        "Domainname": "",
        "User": user,
        "AttachStdin": attach and open_stdin,
        "AttachStdout": attach,
        "AttachStderr": attach,
    }
    if exposed_ports:
        doc["ExposedPorts"] = exposed_ports
    doc.update(
        {
            "Tty": tty,
            "OpenStdin": open_stdin,
            "StdinOnce": attach and open_stdin,
            "Env": env,
            "Cmd": cmd,
        }
    )
    if args_escaped:
        doc["ArgsEscaped"] = True
    doc.update(
        {
            "Image": image,
            "Volumes": None,
            "WorkingDir": working_dir,
            "Entrypoint": entrypoint,
            "OnBuild": None,
            "Labels": labels,
        }
    )
    if stop_signal:
        doc["StopSignal"] = stop_signal
    return doc


def image_config(
    *,
    config: dict[str, Any],
    container: str,
    container_config_doc: dict[str, Any],
    created: str,
    history: list[dict[str, Any]],
    diff_ids: list[str],
) -> bytes:
    """An image config file; its sha256 is the image ID."""
    doc = {
        "architecture": "amd64",
        "config": config,
        "container": container,
        "container_config": container_config_doc,
        "created": created,
        "docker_version": DOCKER_VERSION,
        "history": history,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    return go_json(doc).encode()
