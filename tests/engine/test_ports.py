"""Published ports: what ``docker ps`` shows as published answers on this machine's loopback,
and a port that is taken fails the start as Docker's daemon fails it."""

from __future__ import annotations

import contextlib
import errno
import io
import socket
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.containers import ports
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement

pytestmark = pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here")

SERVER = "python -m http.server {port} {bind}"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    engine = SimEngine(home=tmp_path / "home")
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    yield engine
    engine.reset("empty")  # no program or proxy outlives its test
    # A proxy is killed when its container goes, and leaves by itself within half a second of
    # its lease going (its own poll): give a machine under load that long, twice over.
    deadline = time.monotonic() + 1.0
    while proxies(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proxies(engine)


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proxies(engine: SimEngine) -> list[int]:
    """The proxies still running for this engine's containers."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmdline = (entry / "cmdline").read_bytes()
                if b"proxy.py" in cmdline and str(engine.home).encode() in cmdline:
                    found.append(int(entry.name))
    return found


def get(port: int, deadline: float = 10.0) -> bytes:
    """An HTTP GET of / on the port, retried while the server is still starting."""
    end = time.monotonic() + deadline
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := connection.recv(65536):
                    data += chunk
            if data or time.monotonic() > end:
                return data
        except OSError:
            if time.monotonic() > end:
                raise
        time.sleep(0.1)


def closed_without_answer(port: int) -> bool:
    """Accepted, then closed with nothing said: docker-proxy's way when the container refuses."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        try:
            connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return connection.recv(100) == b""
        except ConnectionResetError:
            return True


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def serve(engine: SimEngine, name: str, publish: str, bind: str = "") -> tuple[str, str, int]:
    return docker(engine, "run", "-d", "--name", name, "-p", publish, "python:3.12",
                  *SERVER.format(port=8000, bind=bind).split())  # fmt: skip


def test_a_real_server_answers_on_its_published_port_until_it_stops(engine: SimEngine) -> None:
    port = free_port()
    assert serve(engine, "web", f"{port}:8000")[2] == 0
    assert get(port).startswith(b"HTTP/1.0 200 OK")
    listed = docker(engine, "ps", "--format", "{{.Ports}}")[0]
    assert listed == f"0.0.0.0:{port}->8000/tcp\n"
    assert docker(engine, "port", "web")[0] == f"8000/tcp -> 0.0.0.0:{port}\n"
    assert docker(engine, "port", "web", "8000")[0] == f"0.0.0.0:{port}\n"
    inspected = docker(engine, "inspect", "--format", "{{json .NetworkSettings.Ports}}", "web")[0]
    assert inspected == f'{{"8000/tcp":[{{"HostIp":"0.0.0.0","HostPort":"{port}"}}]}}\n'
    # The server sees the connection come from the bridge's gateway, as under Docker (its log
    # line reaches the container's log a moment after the answer, through the monitor).
    deadline = time.monotonic() + 10
    while "172.17.0.1 - - [" not in docker(engine, "logs", "web")[1]:
        assert time.monotonic() < deadline, docker(engine, "logs", "web")
        time.sleep(0.1)
    assert docker(engine, "stop", "-t", "0", "web")[2] == 0
    assert refused(port)
    assert docker(engine, "inspect", "--format", "{{json .NetworkSettings.Ports}}", "web")[0] == (
        "{}\n"
    )
    assert docker(engine, "ps", "-a", "--format", "{{.Ports}}")[0] == "\n"
    assert not proxies(engine)


def test_a_server_bound_to_the_containers_loopback_is_not_reachable(engine: SimEngine) -> None:
    # The classic surprise: published, but the server listens on 127.0.0.1 inside only.
    port = free_port()
    assert serve(engine, "local", f"{port}:8000", "--bind 127.0.0.1")[2] == 0
    time.sleep(1)
    assert closed_without_answer(port)
    assert docker(engine, "exec", "local", "python", "-c",
                  "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000').status)",
                  )[0] == "200\n"  # fmt: skip


def test_a_simulated_program_listens_on_nothing(engine: SimEngine) -> None:
    port = free_port()
    assert docker(engine, "run", "-d", "--name", "idle", "-p", f"{port}:80", "busybox",
                  "sleep", "300")[2] == 0  # fmt: skip
    assert closed_without_answer(port)
    assert docker(engine, "rm", "-f", "idle")[2] == 0
    assert refused(port)


def test_a_port_another_container_holds_is_already_allocated(engine: SimEngine) -> None:
    port = free_port()
    assert docker(engine, "run", "-d", "--name", "first", "-p", f"{port}:80", "busybox",
                  "sleep", "300")[2] == 0  # fmt: skip
    out, err, code = docker(engine, "run", "-d", "--name", "second", "-p", f"{port}:80",
                            "busybox", "sleep", "300")  # fmt: skip
    assert code == 125
    assert len(out.strip()) == 64  # created, as the daemon leaves it
    assert err.startswith(
        "docker: Error response from daemon: driver failed programming external connectivity "
        "on endpoint second ("
    )
    assert f"): Bind for 0.0.0.0:{port} failed: port is already allocated" in err
    status = docker(engine, "ps", "-a", "--filter", "name=second", "--format", "{{.Status}}")
    assert status[0] == "Created\n"
    assert docker(engine, "rm", "-f", "first")[2] == 0
    assert docker(engine, "start", "second")[2] == 0
    assert closed_without_answer(port)


def test_a_port_another_program_holds_is_in_use(engine: SimEngine) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        _, err, code = docker(engine, "run", "-d", "-p", f"{port}:80", "busybox", "sleep", "9")
    assert code == 125
    assert err.split("): ", 1)[1].startswith(
        f"Error starting userland proxy: listen tcp4 0.0.0.0:{port}: bind: address already in use"
    )


def test_a_port_without_a_host_port_gets_one(engine: SimEngine) -> None:
    assert serve(engine, "any", "8000")[2] == 0
    shown = docker(engine, "ps", "--format", "{{.Ports}}")[0]
    assert shown.startswith("0.0.0.0:") and shown.endswith("->8000/tcp\n")
    port = int(shown.split(":")[1].split("-")[0])
    assert get(port).startswith(b"HTTP/1.0 200 OK")


def test_only_tcp_is_forwarded(engine: SimEngine) -> None:
    _, err, code = docker(engine, "run", "-d", "-p", "5353:53/udp", "busybox", "sleep", "9")
    assert code == 125
    assert "LayerLab: cannot publish 53/udp: the simulated engine forwards TCP ports only" in err


def test_the_program_in_a_user_namespace_is_reached_too(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without root, bwrap's network namespace belongs to a user namespace it made.
    monkeypatch.setattr(confinement, "as_root", lambda: False)
    port = free_port()
    assert serve(engine, "userns", f"{port}:8000")[2] == 0
    assert get(port).startswith(b"HTTP/1.0 200 OK")


def _free_run(count: int) -> int:
    """The first of ``count`` consecutive ports that are all free now."""
    for _ in range(50):
        first = free_port()
        if first + count <= 0xFFFF:
            with contextlib.ExitStack() as stack:
                try:
                    for port in range(first, first + count):
                        probe = stack.enter_context(socket.socket())
                        probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return first
    pytest.skip(f"no {count} consecutive free ports on this machine")


def test_a_host_range_gives_the_first_free_port_in_it(engine: SimEngine) -> None:
    first = _free_run(3)
    spec = f"{first}-{first + 1}:80"
    for name in ("one", "two"):
        assert docker(engine, "run", "-d", "--name", name, "-p", spec, "busybox", "sleep",
                      "300")[2] == 0  # fmt: skip
    shown = docker(engine, "ps", "--format", "{{.Names}} {{.Ports}}")[0].splitlines()
    assert sorted(shown) == [f"one 0.0.0.0:{first}->80/tcp", f"two 0.0.0.0:{first + 1}->80/tcp"]
    bindings = docker(engine, "inspect", "--format", "{{json .HostConfig.PortBindings}}", "two")
    assert bindings[0] == f'{{"80/tcp":[{{"HostIp":"","HostPort":"{spec.split(":")[0]}"}}]}}\n'
    # The range is full: the daemon's allocator has no port to give, and the container stays
    # created.
    _, err, code = docker(engine, "run", "-d", "--name", "three", "-p", spec, "busybox", "sleep",
                          "300")  # fmt: skip
    assert code == 125
    assert err.split("): ", 1)[1].startswith("all ports are allocated\n")


def test_running_out_of_descriptors_is_said_not_crashed(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A range of thousands of ports needs a socket each; past the process's limit socket()
    # fails (EMFILE), and the run ends with LayerLab's words rather than an internal error.
    made = []

    def socket_until_the_limit(*args: object) -> socket.socket:
        if len(made) == 2:
            raise OSError(errno.EMFILE, "Too many open files")
        made.append(args)
        return socket.socket(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(
        ports, "socket", types.SimpleNamespace(**{**vars(socket), "socket": socket_until_the_limit})
    )
    first = _free_run(3)
    spec = f"{first}-{first + 2}:{first}-{first + 2}"
    _, err, code = docker(engine, "run", "-d", "-p", spec, "busybox", "sleep", "9")
    assert code == 125
    assert f"LayerLab: cannot publish port {first + 2}: Too many open files" in err
    assert "internal error" not in err
    assert not proxies(engine)  # the two bound first were let go
