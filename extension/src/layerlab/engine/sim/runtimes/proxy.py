"""The userland proxy: what listens on a running container's published ports.

Docker publishes ``-p HOST_PORT:CONTAINER_PORT`` with ``docker-proxy``: it listens on the host's
port and, for each connection, connects to the container's address at the container's port and
relays both ways; when nothing in the container listens there, it closes the connection. This is
that process for the simulator, one per running container with published ports, started by
:mod:`layerlab.engine.sim.containers.ports` with its listening sockets already bound (so a port
that is taken fails ``docker run`` itself, as with Docker).

A program that really runs (Python, Node.js) has a network namespace of its own
(:mod:`.confinement`). The proxy joins it (and, without root, the user namespace that owns it),
gives it the address a container on Docker's default bridge has, and connects there: loopback
alone would let a server bound to 127.0.0.1 answer, which under Docker it does not. A simulated
program listens on nothing, so each connection is closed at once, as ``docker-proxy`` closes it
when the container refuses.

Run as ``python -I -S proxy.py LEASE`` (the standard library only, so it starts in a few
milliseconds). ``LEASE`` is a JSON file: the inherited listening sockets and the ports they lead
to, and the live program's records (see :mod:`.live`), if one runs. The proxy ends when the lease
is removed (the container stopped or was removed), when the program's process ends, or on
SIGTERM.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import selectors
import socket
import struct
import sys
import threading
import time
from pathlib import Path

# Docker's default bridge gives its first container this address, and the proxy's connections
# come from the bridge's gateway (what a server's log shows); the container's own loopback keeps
# 127.0.0.1.
CONTAINER_ADDRESS = "172.17.0.2"
GATEWAY_ADDRESS = "172.17.0.1"
_NETMASK = "255.255.0.0"
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_NS_GET_USERNS = 0xB701  # ioctl: the user namespace that owns a namespace
_SIOCSIFADDR = 0x8916
_SIOCSIFNETMASK = 0x891C
_POLL_SECONDS = 0.5  # how often the lease and the program are looked at
_CONNECT_SECONDS = 5.0


def _setns(fd: int, kind: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, kind) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def enter_network(pid: int) -> None:
    """Join the network namespace of process ``pid`` (first the user namespace owning it, when
    that is not ours: without root, bwrap's namespaces belong to one it made)."""
    net = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        owner = fcntl.ioctl(net, _NS_GET_USERNS)
        try:
            if os.readlink(f"/proc/self/fd/{owner}") != os.readlink("/proc/self/ns/user"):
                _setns(owner, _CLONE_NEWUSER)
        finally:
            os.close(owner)
        _setns(net, _CLONE_NEWNET)
    finally:
        os.close(net)


def add_bridge_addresses() -> None:
    """Give the namespace's loopback interface the container's and the gateway's addresses."""

    def address(ip: str) -> bytes:
        return struct.pack("HH4s8s", socket.AF_INET, 0, socket.inet_aton(ip), bytes(8))

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        for label, ip in ((b"lo:1", CONTAINER_ADDRESS), (b"lo:2", GATEWAY_ADDRESS)):
            for request, value in ((_SIOCSIFADDR, ip), (_SIOCSIFNETMASK, _NETMASK)):
                fcntl.ioctl(control, request, struct.pack("16s16s", label, address(value)))


def _program_pid(live: Path, lease: Path) -> int | None:
    """The live program's host PID, once its monitor has written it down."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and lease.exists() and not (live / "exit.json").exists():
        with contextlib.suppress(OSError, ValueError):
            pid = json.loads((live / "child.json").read_text()).get("pid")
            if pid:
                return int(pid)
        time.sleep(0.02)
    return None


def _pump(source: socket.socket, target: socket.socket, done: threading.Semaphore) -> None:
    """Copy one direction until its end, then pass the end on."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)
    done.release()


def _relay(client: socket.socket, port: int | None) -> None:
    """One connection: to the container's port, both ways, until both sides have ended."""
    with client:
        if port is None:
            return  # nothing in the container listens
        try:
            upstream = socket.create_connection(
                (CONTAINER_ADDRESS, port), _CONNECT_SECONDS, (GATEWAY_ADDRESS, 0)
            )
        except OSError:
            return
        upstream.settimeout(None)
        with upstream:
            done = threading.Semaphore(0)
            threading.Thread(target=_pump, args=(upstream, client, done), daemon=True).start()
            _pump(client, upstream, done)
            done.acquire()
            done.acquire()


def serve(listeners: list[tuple[socket.socket, int]], lease: Path, program: int | None) -> None:
    """Accept on every listener until the lease goes or the program (a pidfd) ends."""
    selector = selectors.DefaultSelector()
    for listener, port in listeners:
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ, port)
    if program is not None:
        selector.register(program, selectors.EVENT_READ, None)
    while lease.exists():
        for key, _ in selector.select(_POLL_SECONDS):
            if key.data is None:
                return  # the program ended: its container stops
            with contextlib.suppress(BlockingIOError, InterruptedError):
                client, _ = key.fileobj.accept()  # type: ignore[union-attr]
                client.setblocking(True)
                target = key.data if program is not None else None
                threading.Thread(target=_relay, args=(client, target), daemon=True).start()


def main() -> int:
    lease = Path(sys.argv[1])
    spec = json.loads(lease.read_text())
    listeners = [
        (socket.socket(fileno=int(item["fd"])), int(item["port"])) for item in spec["listeners"]
    ]
    program = None
    if spec.get("live"):
        pid = _program_pid(Path(spec["live"]), lease)
        if pid is None:
            return 0
        try:
            program = os.pidfd_open(pid)
            enter_network(pid)
            add_bridge_addresses()
        except OSError as error:  # the program ended meanwhile, or namespaces are refused
            print(f"proxy: cannot reach the container's network: {error}", file=sys.stderr)
            return 1
    serve(listeners, lease, program)
    return 0


if __name__ == "__main__":
    sys.exit(main())
