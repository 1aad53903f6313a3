"""``registry`` in the simulated ``registry:2`` image: a real registry, serving the Docker
Registry HTTP API V2 (the distribution specification) on the container's port 5000.

It runs as a container's program does (:mod:`.registry`): the host's CPython, confined to the
container's files, with this file's text as its code. So it keeps what is pushed where the real
registry keeps it, in its filesystem driver's layout under ``/var/lib/registry`` (blobs by
digest, and per repository the links to its layers, its manifests' revisions and its tags),
in the container's own files: ``docker exec registry find /var/lib/registry`` lists them, and
they go with the container. It logs as the registry does: a line when it starts listening, to
stderr, and each request in the combined log format, to stdout.

What it serves is what ``docker push`` and ``docker pull`` use: the version check, blob
existence and download, uploads (monolithic, chunked and cross-repository mounts), manifests by
tag and digest, the catalog and tag lists, with the registry's error codes. As the registry's
default configuration does, it refuses deletes (``UNSUPPORTED``).

Standard library only: it runs with ``-I -S``, in a container that holds nothing else of
LayerLab.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSION = "2.8.3"
# distribution's grammar, with "-+" for its "[-]*": Python's regex engine backtracks, and an
# empty separator makes a long path that does not match take exponential time.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"{_COMPONENT}(?:/{_COMPONENT})*"
_REFERENCE = (
    r"[\w][\w.-]{0,127}|[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
)
_ROUTES = [
    ("base", re.compile(r"^/v2/?$")),
    ("catalog", re.compile(r"^/v2/_catalog$")),
    ("tags", re.compile(rf"^/v2/(?P<name>{_NAME})/tags/list$")),
    ("manifest", re.compile(rf"^/v2/(?P<name>{_NAME})/manifests/(?P<reference>{_REFERENCE})$")),
    ("upload", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/uploads/(?P<uuid>[a-f0-9-]+)$")),
    ("uploads", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/uploads/?$")),
    ("blob", re.compile(rf"^/v2/(?P<name>{_NAME})/blobs/(?P<digest>sha256:[a-f0-9]{{64}})$")),
]
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
_MESSAGES = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_UNKNOWN": "repository name not known to registry",
    "UNSUPPORTED": "The operation is unsupported.",
}


class Storage:
    """The filesystem driver's layout under ``root`` (``docker/registry/v2``)."""

    def __init__(self, root: str) -> None:
        self.base = os.path.join(root, "docker", "registry", "v2")
        self.lock = threading.Lock()

    def _blob(self, digest: str) -> str:
        hexa = digest.split(":", 1)[1]
        return os.path.join(self.base, "blobs", "sha256", hexa[:2], hexa, "data")

    def _repo(self, name: str, *parts: str) -> str:
        return os.path.join(self.base, "repositories", name, *parts)

    def _link(self, path: str, digest: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as link:
            link.write(digest)

    def _read_link(self, path: str) -> str | None:
        try:
            with open(path) as link:
                return link.read().strip()
        except OSError:
            return None

    def repository_exists(self, name: str) -> bool:
        return os.path.isdir(self._repo(name))

    def blob_size(self, name: str, digest: str) -> int | None:
        """The blob's size, if the repository links it (as the registry checks)."""
        layer = self._repo(name, "_layers", "sha256", digest.split(":", 1)[1], "link")
        revision = self._repo(name, "_manifests", "revisions", "sha256", digest[7:], "link")
        if self._read_link(layer) != digest and self._read_link(revision) != digest:
            return None
        try:
            return os.path.getsize(self._blob(digest))
        except OSError:
            return None

    def read_blob(self, digest: str) -> bytes:
        with open(self._blob(digest), "rb") as blob:
            return blob.read()

    def put_blob(self, name: str, data: bytes, digest: str) -> None:
        self._write_blob(data, digest)
        self.link_layer(name, digest)

    def _write_blob(self, data: bytes, digest: str) -> None:
        path = self._blob(digest)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            partial = f"{path}.{uuid.uuid4()}"
            with open(partial, "wb") as blob:
                blob.write(data)
            os.replace(partial, path)

    def link_layer(self, name: str, digest: str) -> None:
        self._link(self._repo(name, "_layers", "sha256", digest[7:], "link"), digest)

    def has_blob(self, digest: str) -> bool:
        return os.path.exists(self._blob(digest))

    # uploads: repositories/NAME/_uploads/UUID/data
    def upload_path(self, name: str, upload: str) -> str:
        return self._repo(name, "_uploads", upload, "data")

    def start_upload(self, name: str) -> str:
        upload = str(uuid.uuid4())
        path = self.upload_path(name, upload)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").close()
        with open(os.path.join(os.path.dirname(path), "startedat"), "w") as started:
            started.write(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        return upload

    def end_upload(self, name: str, upload: str) -> None:
        folder = os.path.dirname(self.upload_path(name, upload))
        for entry in os.listdir(folder):
            os.unlink(os.path.join(folder, entry))
        os.rmdir(folder)

    # manifests
    def put_manifest(self, name: str, reference: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self._write_blob(data, digest)
        self._link(
            self._repo(name, "_manifests", "revisions", "sha256", digest[7:], "link"), digest
        )
        if not _DIGEST.match(reference):
            tag = self._repo(name, "_manifests", "tags", reference)
            self._link(os.path.join(tag, "current", "link"), digest)
            self._link(os.path.join(tag, "index", "sha256", digest[7:], "link"), digest)
        return digest

    def manifest_digest(self, name: str, reference: str) -> str | None:
        if _DIGEST.match(reference):
            path = self._repo(name, "_manifests", "revisions", "sha256", reference[7:], "link")
        else:
            path = self._repo(name, "_manifests", "tags", reference, "current", "link")
        return self._read_link(path)

    def tags(self, name: str) -> list[str]:
        try:
            return sorted(os.listdir(self._repo(name, "_manifests", "tags")))
        except OSError:
            return []

    def repositories(self) -> list[str]:
        found = []
        top = os.path.join(self.base, "repositories")
        for folder, folders, _ in os.walk(top):
            if "_manifests" in folders:
                found.append(os.path.relpath(folder, top))
            folders[:] = [f for f in folders if not f.startswith("_")]
        return sorted(found)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "registry"
    storage: Storage

    # -- plumbing --------------------------------------------------------------------------
    def log_message(self, format: str, *args: object) -> None:
        pass  # logged once the response is complete (``_respond``)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _respond(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response_only(status)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.send_header("Date", self.date_time_string())
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        sent = (headers or {}).get("Content-Length", str(len(body)))
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        agent = self.headers.get("User-Agent", "")
        client = str(self.client_address[0]).removeprefix("::ffff:")  # an IPv4 peer, as Go shows it
        print(
            f'{client} - - [{stamp}] "{self.requestline}" {status} {sent} "" "{agent}"',
            flush=True,
        )

    def _json(self, status: int, value: object, headers: dict[str, str] | None = None) -> None:
        body = (json.dumps(value) + "\n").encode()
        self._respond(status, body, {"Content-Type": "application/json; charset=utf-8",
                                     **(headers or {})})  # fmt: skip

    def _error(self, status: int, code: str, detail: object = None) -> None:
        self._json(status, {"errors": [{"code": code, "message": _MESSAGES[code],
                                        "detail": detail}]})  # fmt: skip

    def _route(self) -> tuple[str, dict[str, str], dict[str, list[str]]] | None:
        parts = urlsplit(self.path)
        for name, pattern in _ROUTES:
            match = pattern.match(parts.path)
            if match:
                return name, match.groupdict(), parse_qs(parts.query)
        return None

    def _dispatch(self) -> None:
        routed = self._route()
        if routed is None:
            self._respond(404, b"404 page not found\n", {"Content-Type": "text/plain"})
            return
        route, params, query = routed
        handler = getattr(self, f"_{self.command.lower()}_{route}", None)
        if handler is None:
            self._body()
            self._error(405, "UNSUPPORTED")
            return
        with self.storage.lock:
            try:
                handler(query=query, **params)
            except OSError as error:  # the disk, not the request: the registry's 500
                self._json(500, {"errors": [{"code": "UNKNOWN", "message": "unknown error",
                                             "detail": str(error)}]})  # fmt: skip

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    # -- the API ---------------------------------------------------------------------------
    def _get_base(self, query: dict[str, list[str]]) -> None:
        self._json(200, {})

    _head_base = _get_base

    def _get_catalog(self, query: dict[str, list[str]]) -> None:
        self._json(200, {"repositories": self.storage.repositories()})

    def _get_tags(self, query: dict[str, list[str]], name: str) -> None:
        if not self.storage.repository_exists(name):
            self._error(404, "NAME_UNKNOWN", {"name": name})
            return
        self._json(200, {"name": name, "tags": self.storage.tags(name)})

    def _head_blob(self, query: dict[str, list[str]], name: str, digest: str) -> None:
        size = self.storage.blob_size(name, digest)
        if size is None:
            self._error(404, "BLOB_UNKNOWN", digest)
            return
        data = b"" if self.command == "HEAD" else self.storage.read_blob(digest)
        self._respond(200, data, {
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": digest,
            "Etag": f'"{digest}"',
        })  # fmt: skip

    _get_blob = _head_blob

    def _post_uploads(self, query: dict[str, list[str]], name: str) -> None:
        data = self._body()
        mount, source = query.get("mount", [""])[0], query.get("from", [""])[0]
        mountable = _DIGEST.match(mount) and re.fullmatch(_NAME, source)
        if mountable and self.storage.blob_size(source, mount) is not None:
            self.storage.link_layer(name, mount)
            self._blob_created(name, mount)
            return
        digest = query.get("digest", [""])[0]
        if digest:  # a monolithic upload
            self._finish_upload(name, None, data, digest)
            return
        upload = self.storage.start_upload(name)
        self._upload_status(202, name, upload, 0)

    def _upload_status(self, status: int, name: str, upload: str, size: int) -> None:
        self._respond(status, b"", {
            "Location": f"/v2/{name}/blobs/uploads/{upload}",
            "Range": f"0-{max(size - 1, 0)}",
            "Docker-Upload-Uuid": upload,
        })  # fmt: skip

    def _upload_size(self, name: str, upload: str) -> int | None:
        try:
            return os.path.getsize(self.storage.upload_path(name, upload))
        except OSError:
            return None

    def _get_upload(self, query: dict[str, list[str]], name: str, uuid: str) -> None:
        size = self._upload_size(name, uuid)
        if size is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN")
            return
        self._upload_status(204, name, uuid, size)

    def _patch_upload(self, query: dict[str, list[str]], name: str, uuid: str) -> None:
        data = self._body()
        if self._upload_size(name, uuid) is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN")
            return
        with open(self.storage.upload_path(name, uuid), "ab") as partial:
            partial.write(data)
        self._upload_status(202, name, uuid, self._upload_size(name, uuid) or 0)

    def _put_upload(self, query: dict[str, list[str]], name: str, uuid: str) -> None:
        data = self._body()
        if self._upload_size(name, uuid) is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN")
            return
        self._finish_upload(name, uuid, data, query.get("digest", [""])[0])

    def _delete_upload(self, query: dict[str, list[str]], name: str, uuid: str) -> None:
        if self._upload_size(name, uuid) is None:
            self._error(404, "BLOB_UPLOAD_UNKNOWN")
            return
        self.storage.end_upload(name, uuid)
        self._respond(204)

    def _finish_upload(self, name: str, upload: str | None, data: bytes, digest: str) -> None:
        if upload is not None:
            with open(self.storage.upload_path(name, upload), "rb") as partial:
                data = partial.read() + data
            self.storage.end_upload(name, upload)
        if not _DIGEST.match(digest) or "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            self._error(400, "DIGEST_INVALID")
            return
        self.storage.put_blob(name, data, digest)
        self._blob_created(name, digest)

    def _blob_created(self, name: str, digest: str) -> None:
        self._respond(201, b"", {
            "Location": f"/v2/{name}/blobs/{digest}",
            "Docker-Content-Digest": digest,
        })  # fmt: skip

    def _put_manifest(self, query: dict[str, list[str]], name: str, reference: str) -> None:
        data = self._body()
        try:
            manifest = json.loads(data)
            if manifest["schemaVersion"] != 2:
                raise ValueError("not schema 2")
            if "manifests" in manifest:  # a list: its manifests must be here
                referenced = [entry["digest"] for entry in manifest["manifests"]]
            else:
                referenced = [manifest["config"]["digest"]]
                referenced += [layer["digest"] for layer in manifest["layers"]]
        except (ValueError, KeyError, TypeError):
            self._error(400, "MANIFEST_INVALID")
            return
        for digest in referenced:
            if self.storage.blob_size(name, digest) is None:
                self._error(400, "MANIFEST_BLOB_UNKNOWN", digest)
                return
        digest = self.storage.put_manifest(name, reference, data)
        self._respond(201, b"", {
            "Location": f"/v2/{name}/manifests/{digest}",
            "Docker-Content-Digest": digest,
        })  # fmt: skip

    def _get_manifest(self, query: dict[str, list[str]], name: str, reference: str) -> None:
        digest = self.storage.manifest_digest(name, reference)
        if digest is None:  # an unknown repository too: distribution answers the same
            unknown = (
                {"Name": name, "Revision": reference} if _DIGEST.match(reference)
                else {"Tag": reference}
            )  # fmt: skip
            self._error(404, "MANIFEST_UNKNOWN", unknown)
            return
        data = self.storage.read_blob(digest)
        media = json.loads(data).get("mediaType") or _MANIFEST_TYPES[0]
        self._respond(200, data, {
            "Content-Type": media,
            "Docker-Content-Digest": digest,
            "Etag": f'"{digest}"',
        })  # fmt: skip

    _head_manifest = _get_manifest


def _config(path: str) -> tuple[str, int]:
    """(storage root, port) from the registry's configuration (its two keys that matter here)."""
    root, port = "/var/lib/registry", 5000
    with open(path) as handle:
        text = handle.read()
    if match := re.search(r"^\s*rootdirectory:\s*(\S+)", text, re.MULTILINE):
        root = match.group(1)
    if match := re.search(r"^\s*addr:\s*\S*:(\d+)\s*$", text, re.MULTILINE):
        port = int(match.group(1))
    return root, port


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def _log(level: str, message: str, instance: str) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e9):09d}Z"
    print(f'time="{stamp}" level={level} msg="{message}" instance.id={instance} '
          f"service=registry version={VERSION}", file=sys.stderr, flush=True)  # fmt: skip


def main(argv: list[str]) -> int:
    if argv[1:2] in (["--version"], ["-v"]):
        print(f"{argv[0]} github.com/docker/distribution v{VERSION}")
        return 0
    if argv[1:2] != ["serve"] or len(argv) != 3:
        print("usage: registry serve <config>", file=sys.stderr)
        return 1
    try:
        root, port = _config(argv[2])
    except OSError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 1
    # Go's runtime ends a program on SIGHUP, SIGINT or SIGTERM (the registry asks for none of
    # them; Debian's docker-registry 2.8 dies of each), and as PID 1 (where the signal itself
    # is ignored) with exit code 2: `docker stop`, `kill -s INT` or a Ctrl-C that `docker run`
    # forwards leave the registry "Exited (2)".
    for signo in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(signo, lambda *_: os._exit(2))
    Handler.storage = Storage(root)
    server = _Server(("::", port), Handler)
    _log("info", f"listening on [::]:{port}", str(uuid.uuid4()))
    server.serve_forever()
    return 0


if __name__ == "__main__":  # run with ``-c`` (argv[0] is "-c") or as a file
    sys.exit(main(["registry", *sys.argv[1:]]))
