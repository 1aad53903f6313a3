"""Published ports (``docker run -p``): the host's ports a running container holds.

As Docker's daemon does, a container's published ports are bound when it starts, before its
program runs: a port another container holds fails the start with "port is already allocated",
one that another program on this machine holds with the userland proxy's "address already in
use", and the container stays created. The bound sockets go to the container's proxy
(:mod:`layerlab.engine.sim.runtimes.proxy`), which answers on them for as long as the container
runs; it is ended when the container stops or is removed.

For safety a port is bound on this machine's loopback only (127.0.0.1), whatever address the
binding names: a learner's server is never reachable from other machines. The daemon's records
(``docker ps``, ``docker port``, ``inspect``) show the binding as Docker shows it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from layerlab.engine.errors import EngineError
from layerlab.i18n import tr

Json = dict[str, Any]

LOOPBACK = "127.0.0.1"
_PROXY = Path(__file__).resolve().parent.parent / "runtimes" / "proxy.py"


@dataclass
class Binding:
    key: str  # the container's port: "80/tcp"
    host_ip: str  # as the binding names it ("" for every address)
    host_port: int  # as bound (the kernel's pick for "-p 80")
    listener: socket.socket | None = None

    def record(self) -> Json:
        return {"HostIp": self.host_ip or "0.0.0.0", "HostPort": str(self.host_port)}


@dataclass
class Publication:
    """A starting container's bound ports, before its proxy takes them."""

    bindings: list[Binding] = field(default_factory=list)

    def close(self) -> None:
        for binding in self.bindings:
            if binding.listener is not None:
                binding.listener.close()

    def ports(self) -> Json:
        """NetworkSettings.Ports' published part: container port -> host bindings."""
        out: Json = {}
        for binding in self.bindings:
            out.setdefault(binding.key, []).append(binding.record())
        return out


def wanted(doc: Json) -> list[tuple[str, str, str]]:
    """(container port, host IP, host port) for each binding the container asks for; none on a
    network without ports (``--network none`` or ``host``)."""
    host_config = doc.get("HostConfig") or {}
    if (host_config.get("NetworkMode") or "default") not in ("default", "bridge"):
        return []
    return [
        (key, str(b.get("HostIp") or ""), str(b.get("HostPort") or ""))
        for key, bindings in sorted((host_config.get("PortBindings") or {}).items())
        for b in bindings or []
    ]


def bind(doc: Json, held: dict[int, str], endpoint: str) -> Publication:
    """Bind the ports ``doc`` (a container's record) publishes. ``held``: host port -> the IP
    another running container published it on; ``endpoint``: the network endpoint's ID, which
    the daemon's errors name. Raises the daemon's error when a port is taken."""
    name = str(doc.get("Name", "")).removeprefix("/")
    publication = Publication()
    try:
        for key, host_ip, host_port in wanted(doc):
            protocol = key.partition("/")[2]
            if protocol not in ("", "tcp"):
                raise EngineError(
                    tr(
                        "LayerLab: cannot publish {port}: the simulated engine forwards TCP "
                        "ports only",
                        port=key,
                    )
                )
            shown = host_ip or "0.0.0.0"
            listener = _listen(name, endpoint, shown, _candidates(host_port), held)
            listener.listen(128)
            bound = Binding(key, host_ip, listener.getsockname()[1], listener)
            publication.bindings.append(bound)
            held[bound.host_port] = shown
    except BaseException:
        publication.close()
        raise
    return publication


def _candidates(host_port: str) -> list[int]:
    """The host ports a binding may take: one, any (0: the kernel's pick), or a range the
    daemon allocates one port in (``-p 8000-8010:80``)."""
    first, _, last = host_port.partition("-")
    try:
        low = int(first) if first else 0
        high = int(last) if last else low
    except ValueError:
        low = high = -1
    if not 0 <= low <= high <= 0xFFFF:
        raise EngineError(f"invalid port specification: {json.dumps(host_port)}")
    return list(range(low, high + 1))


def _listen(
    name: str, endpoint: str, shown: str, ports: list[int], held: dict[int, str]
) -> socket.socket:
    """A listening socket on the port the daemon's allocator picks: the one asked for, or in a
    range the first that no container holds. As in Docker, a port another program holds fails
    the start even when the range has others (the daemon does not retry a chosen port)."""
    failure = "all ports are allocated"
    for port in ports:
        if port and port in held:
            if len(ports) == 1:
                failure = f"Bind for {shown}:{port} failed: port is already allocated"
            continue
        try:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as error:
            # Out of file descriptors (a range of thousands of ports): nothing Docker says.
            raise EngineError(
                tr(
                    "LayerLab: cannot publish port {port}: {reason}",
                    port=port,
                    reason=error.strerror or str(error),
                )
            ) from None
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((LOOPBACK, port))
        except OSError as error:
            listener.close()
            reason = _BIND_ERRORS.get(error.errno or 0, error.strerror or str(error))
            failure = f"Error starting userland proxy: listen tcp4 {shown}:{port}: bind: {reason}"
            break
        return listener
    raise EngineError(
        f"driver failed programming external connectivity on endpoint {name} ({endpoint}): "
        f"{failure}"
    )


_BIND_ERRORS = {
    errno.EADDRINUSE: "address already in use",
    errno.EACCES: "permission denied",
}


def start_proxy(publication: Publication, lease: Path, live: str) -> Json:
    """Hand the bound ports to a proxy of their own (``live``: the records of the container's
    really running program, or "" for a simulated one); the record kept while the container
    runs."""
    listeners = [b.listener for b in publication.bindings if b.listener is not None]
    lease.parent.mkdir(parents=True, exist_ok=True)
    spec = {
        "listeners": [
            {"fd": b.listener.fileno(), "port": int(b.key.partition("/")[0])}
            for b in publication.bindings
            if b.listener is not None
        ],
        "live": live,
    }
    lease.write_text(json.dumps(spec))
    try:
        with open(lease.with_suffix(".log"), "wb") as errors:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_PROXY), str(lease)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # outlives the command and the kernel, as the monitor
                close_fds=True,
                pass_fds=tuple(listener.fileno() for listener in listeners),
            )
    finally:
        publication.close()  # the proxy holds them now
    return {"proxy": process.pid, "lease": str(lease), "bound": publication.ports()}


def release(record: Json | None) -> None:
    """End a container's proxy and wait until its ports are free again."""
    if not record:
        return
    lease = Path(record["lease"])
    with contextlib.suppress(OSError):
        lease.unlink()
    pid = int(record.get("proxy") or 0)
    if pid and _is_proxy(pid, lease):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 2
        while _is_proxy(pid, lease) and time.monotonic() < deadline:
            time.sleep(0.01)
    with contextlib.suppress(OSError):
        lease.with_suffix(".log").unlink()


def _is_proxy(pid: int, lease: Path) -> bool:
    """Whether ``pid`` is still this container's proxy (and not a zombie, nor a process that
    took its number later)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
    except OSError:
        return False
    return str(lease).encode() in cmdline.split(b"\0")
