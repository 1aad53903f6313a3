"""A registry a container serves on this machine, reached over HTTP as the daemon reaches it.

A name such as ``localhost:5000/team/app`` names a registry on this machine. Where a container
publishes that port (``docker run -d -p 5000:5000 registry:2``), ``push`` and ``pull`` talk to
it with the Docker Registry HTTP API V2, as the daemon does: what is pushed
lands in that container's registry, and what is pulled comes from it; while the container is
stopped, nothing answers there. A connection that fails
is reported in the daemon's words (measured on Docker 20.10: ``Get "http://localhost:5000/v2/":
dial tcp 127.0.0.1:5000: connect: connection refused``, or ``…: EOF`` when the port accepts and
closes, as a published port does while nothing in the container listens yet).
"""

from __future__ import annotations

import gzip
import http.client
import ipaddress
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from layerlab.engine.errors import EngineError
from layerlab.engine.sim.registry.formats import MANIFEST_V2, gzip_stored
from layerlab.engine.sim.store import fs
from layerlab.i18n import tr

_TIMEOUT = 60.0
_STARTING_SECONDS = 10.0


class Unreachable(EngineError):
    """The registry could not be reached, or did not answer as a registry. ``failure``: what
    went wrong on the connection in Go's words ("dial tcp 127.0.0.1:5000: connect: connection
    refused", "EOF"), for a client that names its own request; "" for LayerLab's own messages."""

    def __init__(self, message: str, failure: str = "") -> None:
        super().__init__(message)
        self.failure = failure


class Refused(Unreachable):
    """Nothing listens there (the container publishing the port is not running)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def machine_host(host: str) -> bool:
    """Whether a registry name's host is this machine: ``localhost``, an address of
    127.0.0.0/8, or ``[::1]``."""
    if host in ("localhost", "[::1]"):
        return True
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServedRegistry:
    domain: str  # as the image name has it: "localhost:5000"
    address: str  # where the daemon dials it, as Go names it: "127.0.0.1:5000"
    # Where LayerLab connects instead: a published port answers on every address of this
    # machine, as docker-proxy's does, while LayerLab's proxy listens on 127.0.0.1 only.
    via: str = ""

    @property
    def scheme(self) -> str:
        """The daemon's default insecure registries are 127.0.0.0/8: plain HTTP there, and
        HTTPS at ``[::1]`` (measured on Engine 26.1)."""
        return "https" if self.address.startswith("[") else "http"

    def call(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        if path.startswith(("http://", "https://")):  # distribution's Location is absolute
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        url = f"{self.scheme}://{self.domain}{path}"
        port = self.address.rpartition(":")[2]
        if int(port) > 0xFFFF:
            failure = f"dial tcp: address {port}: invalid port"
            raise Unreachable(f'{method.title()} "{url}": {failure}', failure)
        if self.scheme == "https":
            self._refuse_https(method, url)
        connection = http.client.HTTPConnection(self.via or self.address, timeout=_TIMEOUT)
        try:
            connection.request(method, path, body, headers or {})
            response = connection.getresponse()
            data = response.read()
        except ConnectionRefusedError:
            raise self._dial_failed(method, url, None) from None
        except (http.client.HTTPException, ConnectionError):
            raise Unreachable(f'{method.title()} "{url}": EOF', "EOF") from None
        except OSError as error:
            raise self._dial_failed(method, url, error) from None
        finally:
            connection.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def _refuse_https(self, method: str, url: str) -> None:
        """Where the daemon would speak HTTPS: its words when nothing listens; LayerLab's own
        when something does, as it speaks only HTTP to a registry on this machine."""
        host, _, port = (self.via or self.address).rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=_TIMEOUT).close()
        except ConnectionRefusedError:
            raise self._dial_failed(method, url, None) from None
        except OSError as error:
            raise self._dial_failed(method, url, error) from None
        raise Unreachable(
            tr(
                "LayerLab: the daemon would reach the registry at {domain} over HTTPS, which "
                "LayerLab does not speak to a registry on this machine: use localhost:PORT",
                domain=self.domain,
            )
        )

    def _dial_failed(self, method: str, url: str, error: OSError | None) -> Unreachable:
        """The daemon's words for a connection that failed: refused (``error`` None), or
        another error of the system."""
        if error is None:
            failure = f"dial tcp {self.address}: connect: connection refused"
            return Refused(f'{method.title()} "{url}": {failure}', failure)
        failure = str(error.strerror or error)
        return Unreachable(f'{method.title()} "{url}": {failure}', failure)

    def ping(self) -> None:
        """The daemon's first request: is a registry there? A registry container that has just
        started may not listen yet: the real one (a Go binary) starts in milliseconds, this one
        (an interpreter) in a few tenths of a second, so a while is given to it."""
        deadline = time.monotonic() + _STARTING_SECONDS
        while True:
            try:
                answer = self.call("GET", "/v2/")
                break
            except Refused:
                raise  # no proxy either: the container is not running
            except Unreachable:  # its proxy answers, but nothing in the container yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        if answer.status != 200 or "docker-distribution-api-version" not in answer.headers:
            raise Unreachable(
                tr(
                    "LayerLab: what answers on {address} is no registry (GET /v2/ gave HTTP "
                    "{status})",
                    address=self.domain,
                    status=answer.status,
                )
            )

    def tags(self, path: str) -> list[str]:
        answer = self.call("GET", f"/v2/{path}/tags/list")
        if answer.status != 200:
            return []
        return sorted(json.loads(answer.body).get("tags") or [])

    def manifest(self, path: str, reference: str) -> tuple[str, bytes] | None:
        """(digest, manifest) of a tag or digest, if the repository has it."""
        answer = self.call("GET", f"/v2/{path}/manifests/{reference}", headers={
            "Accept": MANIFEST_V2})  # fmt: skip
        if answer.status != 200:
            return None
        digest = answer.headers.get("docker-content-digest") or fs.digest(answer.body)
        return digest, answer.body

    def blob(self, path: str, digest: str) -> bytes:
        answer = self.call("GET", f"/v2/{path}/blobs/{digest}")
        if answer.status != 200 or fs.digest(answer.body) != digest:
            raise Unreachable(
                tr("LayerLab: {address} did not give blob {digest}", address=self.domain,
                   digest=digest)
            )  # fmt: skip
        return answer.body

    def layer_fetcher(self, path: str, digest: str) -> Callable[[], bytes]:
        """How the layer's tar is fetched when a pull needs it (its blob, unzipped)."""
        return lambda: gzip.decompress(self.blob(path, digest))

    def has_blob(self, path: str, digest: str) -> bool:
        return self.call("HEAD", f"/v2/{path}/blobs/{digest}").status == 200

    def mount(self, path: str, digest: str, source: str) -> bool:
        """A cross-repository mount; False when the registry started an upload instead."""
        answer = self.call("POST", f"/v2/{path}/blobs/uploads/?mount={digest}&from={source}", b"")
        if answer.status == 201:
            return True
        if answer.status == 202 and answer.headers.get("location"):
            self.call("DELETE", answer.headers["location"])
        return False

    def upload(self, path: str, data: bytes) -> None:
        digest = fs.digest(data)
        started = self.call("POST", f"/v2/{path}/blobs/uploads/", b"")
        location = started.headers.get("location", "")
        if started.status != 202 or not location:
            raise Unreachable(
                tr("LayerLab: {address} refused an upload (HTTP {status})", address=self.domain,
                   status=started.status)
            )  # fmt: skip
        joiner = "&" if "?" in location else "?"
        done = self.call("PUT", f"{location}{joiner}digest={digest}", data, {
            "Content-Type": "application/octet-stream"})  # fmt: skip
        if done.status != 201:
            raise Unreachable(
                tr("LayerLab: {address} refused blob {digest} (HTTP {status})",
                   address=self.domain, digest=digest, status=done.status)
            )  # fmt: skip

    def push_layer(self, path: str, tar: bytes, mounted_from: str | None) -> None:
        blob = gzip_stored(tar)
        if mounted_from is not None and self.mount(path, fs.digest(blob), mounted_from):
            return
        self.upload(path, blob)

    def put_manifest(self, path: str, tag: str, manifest: bytes, config: bytes) -> str:
        if not self.has_blob(path, fs.digest(config)):
            self.upload(path, config)
        answer = self.call("PUT", f"/v2/{path}/manifests/{tag}", manifest, {
            "Content-Type": MANIFEST_V2})  # fmt: skip
        if answer.status != 201:
            raise Unreachable(
                tr("LayerLab: {address} refused the manifest (HTTP {status})",
                   address=self.domain, status=answer.status)
            )  # fmt: skip
        return answer.headers.get("docker-content-digest") or fs.digest(manifest)
