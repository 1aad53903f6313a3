"""The real-engine mode negotiates the Engine API version as the docker CLI does: the lower of
the daemon's and its own (1.50), never a fixed old one that a newer daemon refuses.

The daemons here are small HTTP servers on a Unix socket that answer as Docker Engine does for
``/version`` and ``/images/json`` and, like Engine 29, refuse every request below their minimum
API version with the daemon's own message.
"""

from __future__ import annotations

import io
import json
import os
import re
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.api import CLIENT_API_VERSION, negotiated_version
from layerlab.engine.real.engine import RealEngine
from realengine import real_engine  # noqa: F401


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


class _Daemon(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, api: str, minimum: str) -> None:
        self.api, self.minimum, self.requests = api, minimum, []  # type: ignore[var-annotated]
        super().__init__(path, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Daemon

    def address_string(self) -> str:  # a Unix socket has no client address
        return "local"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        wanted = re.match(r"/v(\d+\.\d+)(/.*)", self.path)
        path = wanted.group(2) if wanted else self.path
        if wanted and _version(wanted.group(1)) < _version(self.server.minimum):
            refusal = (
                f"client version {wanted.group(1)} is too old. Minimum supported API version is "
                f"{self.server.minimum}, please upgrade your client to a newer version"
            )
            self._answer(400, {"message": refusal})
        elif path == "/version":
            self._answer(200, {"Version": "26.1.5", "ApiVersion": self.server.api,
                               "MinAPIVersion": self.server.minimum})  # fmt: skip
        elif path.startswith("/images/json"):
            self._answer(200, [])
        else:
            self._answer(404, {"message": f"page not found: {path}"})


@pytest.fixture
def daemon(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Daemon]:
    api, minimum = request.param
    # AF_UNIX paths are short: a folder of its own under /tmp rather than pytest's deep one.
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"layerlab-api-{os.getpid()}-{id(tmp_path)}"
    folder.mkdir()
    server = _Daemon(str(folder / "docker.sock"), api, minimum)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        (folder / "docker.sock").unlink(missing_ok=True)
        folder.rmdir()


def _engine(server: _Daemon) -> RealEngine:
    return RealEngine(f"unix://{server.server_address}", timeout=10)


def docker(engine: RealEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize("daemon", [("1.45", "1.44")], indirect=True)
def test_a_daemon_that_refuses_old_clients_is_spoken_to_in_its_version(daemon: _Daemon) -> None:
    engine = _engine(daemon)
    assert daemon.requests == []  # choosing the engine does not reach for the daemon
    assert docker(engine, "images", "-q") == ("", "", 0)
    assert engine.api_version == "1.45"
    assert daemon.requests[0] == "/version"
    assert all(path.startswith("/v1.45/") for path in daemon.requests[1:])


@pytest.mark.parametrize("daemon", [("1.52", "1.44")], indirect=True)
def test_a_newer_daemon_is_spoken_to_in_this_clients_version(daemon: _Daemon) -> None:
    engine = _engine(daemon)
    assert docker(engine, "images", "-q")[2] == 0
    assert engine.api_version == CLIENT_API_VERSION == "1.50"


@pytest.mark.parametrize("daemon", [("1.53", "1.51")], indirect=True)
def test_a_daemon_too_new_for_this_client_says_so_in_its_own_words(daemon: _Daemon) -> None:
    out, err, code = docker(_engine(daemon), "images")
    assert (out, code) == ("", 1)
    assert err == (
        "Error response from daemon: client version 1.50 is too old. Minimum supported API "
        "version is 1.51, please upgrade your client to a newer version\n"
    )


@pytest.mark.parametrize("daemon", [("1.45", "1.24")], indirect=True)
def test_docker_23_and_later_are_spoken_to_as_buildx_speaks(daemon: _Daemon) -> None:
    """The daemon says it is 26.1.5: the command line is Engine 26.1's CLI, with BuildKit."""
    assert _engine(daemon).profile == "26.1"


def test_an_unreachable_daemon_leaves_the_command_to_say_so(tmp_path: Path) -> None:
    engine = RealEngine(f"unix://{tmp_path}/nothing.sock", timeout=2)
    assert engine.profile == ""
    out, err, code = docker(engine, "images")
    assert (out, code) == ("", 1)
    assert "Cannot connect to the Docker daemon" in err


def test_the_choice_is_the_lower_of_the_two() -> None:
    assert negotiated_version({"ApiVersion": "1.41"}) == "1.41"
    assert negotiated_version({"ApiVersion": "1.9"}) == "1.9"  # numbers, not text, compared
    assert negotiated_version({"ApiVersion": "1.100"}) == "1.50"
    assert negotiated_version({}) == "1.24"


def test_engine_20_10_is_spoken_to_in_1_41(real_engine: RealEngine) -> None:  # noqa: F811
    fresh = RealEngine(real_engine.base_url, timeout=30)
    assert fresh.api_version == real_engine.version()["ApiVersion"] == "1.41"
    assert fresh.profile == ""  # 20.10's CLI and its classic builder


def test_engine_26_1_is_spoken_to_in_1_45() -> None:
    """Against Engine 26.1 (`LAYERLAB_REAL_VERSION=26.1 scripts/real-engine start`, its socket
    in LAYERLAB_REAL_26_HOST): the adapter speaks 1.45 and runs a container."""
    host = os.environ.get("LAYERLAB_REAL_26_HOST")
    if not host:
        if os.environ.get("LAYERLAB_REQUIRE_REAL_26") == "1":
            pytest.fail("LAYERLAB_REQUIRE_REAL_26=1 but LAYERLAB_REAL_26_HOST is unset")
        pytest.skip("no Engine 26.1: LAYERLAB_REAL_26_HOST is unset")
    engine = RealEngine(host, timeout=60)
    assert engine.api_version == engine.version()["ApiVersion"] == "1.45"
    out, err, code = docker(engine, "run", "--rm", "busybox", "echo", "hello from 26.1")
    assert (out, err, code) == ("hello from 26.1\n", "", 0)
    assert "API version:       1.45 (downgraded from 1.50)\n" in docker(engine, "version")[0]
