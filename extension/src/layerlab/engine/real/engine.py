"""``RealEngine``: the Engine protocol over ``docker.APIClient`` (a thin adapter).

Daemon errors become ``layerlab.engine.errors`` exceptions carrying the daemon's exact message;
an unreachable daemon becomes ``EngineUnavailable`` with a hint on how to start one or switch to
the simulator.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import docker
import docker.errors
import requests
from docker.utils.socket import demux_adaptor, frames_iter

from layerlab.engine.api import FALLBACK_API_VERSION, Json, negotiated_version
from layerlab.engine.errors import (
    Conflict,
    EngineError,
    EngineUnavailable,
    InvalidArgument,
    NotFound,
    NotModified,
)
from layerlab.engine.real import records as real_records
from layerlab.engine.real.build import build_params, buildx_messages
from layerlab.engine.real.labels import CONTAINER, MANAGED_LABEL, managed_value
from layerlab.engine.real.ledger import Ledger

_BY_STATUS: dict[int, type[EngineError]] = {
    304: NotModified, 400: InvalidArgument, 404: NotFound, 409: Conflict,
}  # fmt: skip
T = TypeVar("T")
# What the docker CLI always sends in a create's HostConfig (docker-py sends none of it), so
# that `docker inspect` shows `[]`, not `null`, as for a container the CLI created.
_CLI_HOST_CONFIG: dict[str, Any] = {
    "PortBindings": {}, "Dns": [], "DnsOptions": [], "DnsSearch": [], "Devices": [],
    "Ulimits": [], "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
    "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
}  # fmt: skip


def _unavailable(base_url: str, exc: Exception) -> EngineUnavailable:
    return EngineUnavailable(
        f"Cannot connect to the Docker daemon at {base_url}. Is the docker daemon running?\n"
        "LayerLab: start a real engine (for example `scripts/real-engine start`, then set "
        "DOCKER_HOST), or use the simulated engine with `%docker_engine sim` "
        f"(or LAYERLAB_ENGINE=sim). Cause: {exc}"
    )


def translate(exc: Exception, base_url: str) -> Exception:
    """The LayerLab error for an exception raised by docker-py/requests (others unchanged)."""
    if isinstance(exc, docker.errors.APIError):
        status = exc.response.status_code if exc.response is not None else 500
        message = exc.explanation
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        text = str(message if message is not None else exc).strip()
        return _BY_STATUS.get(status, EngineError)(text, status)
    if isinstance(exc, (requests.exceptions.ConnectionError, docker.errors.DockerException)):
        return _unavailable(base_url, exc)
    return exc


def log_frames(raw: Any, tty: bool) -> Iterator[tuple[bytes | None, bytes | None]]:
    """Demultiplex a logs response: without a TTY each frame is an 8-byte header (stream, three
    zero bytes, big-endian length) and its payload; with one, the bytes are stdout as they are."""
    while True:
        if tty:
            data = raw.read(4096)
            if not data:
                return
            yield data, None
            continue
        header = raw.read(8)
        if len(header) < 8:
            return
        stream, length = struct.unpack(">BxxxL", header)
        data = raw.read(length) if length else b""
        yield (data, None) if stream == 1 else (None, data)


class RealEngine:
    """A real Docker daemon reached through the Docker SDK's low-level client."""

    name = "real"

    def __init__(self, base_url: str, timeout: int = 600) -> None:
        self.base_url = base_url
        self.timeout = timeout
        try:
            self._api = docker.APIClient(
                base_url=base_url, version=FALLBACK_API_VERSION, timeout=timeout
            )
        except docker.errors.DockerException as exc:
            raise _unavailable(base_url, exc) from None
        self._api_version: str | None = None  # negotiated on the first request
        self._server_version = ""  # the daemon's own version, as /version gave it
        # Safe mode (layerlab.engine.real.safety): for whom created containers are labelled and
        # created images recorded in the ledger; None: safe mode is off.
        self.safe_owner: str | None = None
        self.ledger = Ledger()
        # Exit-status waits posted before start, as the docker CLI does for run/start -a.
        self._waiters: dict[str, tuple[threading.Thread, dict[str, Any]]] = {}
        # Container ID -> HostConfig.AutoRemove, for the containers created here: which exit
        # condition a wait must use.
        self._auto_remove: dict[str, bool] = {}

    @classmethod
    def from_env(cls) -> RealEngine:
        """The daemon named by ``DOCKER_HOST`` (default: the local socket)."""
        return cls(os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock")

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def api(self) -> docker.APIClient:
        """The SDK client, speaking the API version negotiated with the daemon. Asked on first
        use rather than in the constructor: choosing an engine does not reach for it yet."""
        if self._api_version is None:
            try:
                server = self._api.version(api_version=False)  # /version, unversioned
            except Exception as exc:
                raise translate(exc, self.base_url) from None
            self._api_version = negotiated_version(server)
            self._server_version = str(server.get("Version") or "")
            # docker-py keeps the version it puts in every URL here; its own "auto" sets the
            # same attribute, but takes the daemon's version even above what this client knows.
            self._api._version = self._api_version
        return self._api

    @property
    def profile(self) -> str:
        """Which docker CLI LayerLab speaks as before this daemon (``layerlab.engine.profiles``).
        Docker 23 and later come with buildx and build with BuildKit, so their CLI is spoken as
        Engine 26.1's; an older daemon gets 20.10's CLI and the classic builder (""). "" too
        while the daemon cannot be reached: the command then says why."""
        try:
            self.api  # noqa: B018 (negotiates, and learns the daemon's version)
        except Exception:  # asked before the command runs: the command reports the failure
            return ""
        major = self._server_version.split(".", 1)[0]
        return "26.1" if major.isdigit() and int(major) >= 23 else ""

    @property
    def api_version(self) -> str:
        """The negotiated API version (asks the daemon the first time)."""
        self.api  # noqa: B018 (negotiates)
        assert self._api_version is not None
        return self._api_version

    def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            translated = translate(exc, self.base_url)
            if translated is exc:
                raise
            raise translated from None

    def _stream(self, messages: Iterator[Json]) -> Iterator[Json]:
        iterator = iter(messages)
        while True:
            try:
                message = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                translated = translate(exc, self.base_url)
                if translated is exc:
                    raise
                raise translated from None
            yield message

    # -- system ---------------------------------------------------------------------------------

    def ping(self) -> bool:
        try:
            return bool(self.api.ping())
        except Exception:
            return False

    def now(self) -> float:
        return time.time()

    def version(self) -> Json:
        return self._call(self.api.version)

    def info(self) -> Json:
        return self._call(self.api.info)

    def df(self) -> Json:
        return self._call(self.api.df)

    def login(
        self, username: str, password: str | None = None, registry: str | None = None
    ) -> Json:
        return self._call(self.api.login, username, password=password, registry=registry)

    def logout(self, registry: str | None = None) -> None:
        # Credentials live in the client (docker-py keeps what login gave it), not the daemon.
        configs = getattr(self.api, "_auth_configs", None)
        auths = getattr(configs, "auths", None)
        if isinstance(auths, dict):
            auths.pop(registry or docker.auth.INDEX_NAME, None)

    # -- images ---------------------------------------------------------------------------------

    def images(
        self, name: str | None = None, all: bool = False, filters: Json | None = None
    ) -> list[Json]:
        return self._call(self.api.images, name=name, all=all, filters=filters)

    def inspect_image(self, image: str) -> Json:
        return self._call(self.api.inspect_image, image)

    def history(self, image: str) -> list[Json]:
        return self._call(self.api.history, image)

    def _recording(self, record: Callable[..., T], begin: Callable[[], Any], *args: Any) -> T:
        """``begin()``, and in safe mode also write what it creates to the ledger."""
        return record(self, begin, *args) if self.safe_owner else begin()

    def tag(self, image: str, repository: str, tag: str | None = None) -> bool:
        apply = partial(self._call, self.api.tag, image, repository, tag)
        return self._recording(real_records.tag, apply, repository, tag)

    def remove_image(self, image: str, force: bool = False, noprune: bool = False) -> list[Json]:
        # docker-py drops the response body; the CLI prints it (Untagged/Deleted lines).
        def remove() -> list[Json]:
            params = {"force": force, "noprune": noprune}
            response = self.api._delete(self.api._url("/images/{0}", image), params=params)
            self.api._raise_for_status(response)
            return list(response.json())

        removed = self._call(remove)
        if self.safe_owner:  # what is gone leaves the ledger: an ID or name may come back later
            real_records.removed(self, removed)
        return removed

    def prune_images(self, filters: Json | None = None) -> Json:
        return self._call(self.api.prune_images, filters=filters)

    def prune_networks(self, filters: Json | None = None) -> Json:
        return self._call(self.api.prune_networks, filters=self._only_ours(filters))

    def prune_volumes(self, filters: Json | None = None) -> Json:
        return self._call(self.api.prune_volumes, filters=filters)

    def prune_builds(self, filters: Json | None = None, all: bool = False) -> Json:
        return self._call(self.api.prune_builds, filters=filters, all=all or None)

    def build(
        self,
        fileobj: bytes,
        tags: list[str],
        dockerfile: str = "Dockerfile",
        nocache: bool = False,
        quiet: bool = False,
        buildargs: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        rm: bool = True,
        pull: bool = False,
        version: str = "1",
        shared_key: str = "",
        target: str = "",
        network: str = "",
        uploaded: bool = False,  # LayerLab uploads every context to a real daemon
    ) -> Iterator[Json]:
        params = build_params(
            tags, dockerfile, nocache, pull, target, network, buildargs, labels,
            buildkit=version == "2", quiet=quiet, rm=rm,
        )  # fmt: skip
        if version == "2":  # BuildKit: see layerlab.engine.real.build for what differs

            def start() -> Iterator[Json]:
                return buildx_messages(self._post_build(fileobj, params))

            return self._recording(real_records.build, start, tags)
        return self._recording(real_records.build, partial(self._post_build, fileobj, params), tags)

    def _post_build(self, fileobj: bytes, params: dict[str, Any]) -> Iterator[Json]:
        """``POST /build`` with the context's tar: the daemon's messages as they come."""

        def start() -> Iterator[Json]:
            response = self.api._post(
                self.api._url("/build"),
                data=fileobj,
                params=params,
                headers={"Content-Type": "application/x-tar"},
                stream=True,
                timeout=None,
            )
            self.api._raise_for_status(response)
            return self.api._stream_helper(response, decode=True)

        return self._stream(self._call(start))

    def pull(
        self, repository: str, tag: str | None = None, all_tags: bool = False
    ) -> Iterator[Json]:
        def begin() -> Iterator[Json]:
            messages = self._call(
                self.api.pull, repository, tag=tag, all_tags=all_tags, stream=True, decode=True
            )
            return self._stream(messages)

        return self._recording(real_records.pull, begin, repository, all_tags)

    def push(self, repository: str, tag: str | None = None) -> Iterator[Json]:
        messages = self._call(self.api.push, repository, tag=tag, stream=True, decode=True)
        return self._stream(messages)

    def get_image(self, images: list[str]) -> bytes:
        def save() -> bytes:
            response = self.api._get(
                self.api._url("/images/get"), params={"names": images}, stream=True
            )
            self.api._raise_for_status(response)
            return b"".join(response.iter_content(chunk_size=65536))

        return self._call(save)

    def load_image(self, data: bytes, quiet: bool = False) -> Iterator[Json]:
        begin = partial(self._call, self.api.load_image, data, quiet=quiet)
        return self._recording(real_records.load, lambda: self._stream(begin()))

    # -- containers -----------------------------------------------------------------------------

    def create_container(
        self,
        image: str,
        command: list[str] | None = None,
        name: str | None = None,
        environment: list[str] | None = None,
        working_dir: str | None = None,
        entrypoint: list[str] | None = None,
        hostname: str | None = None,
        user: str | None = None,
        labels: dict[str, str] | None = None,
        ports: list[str] | None = None,
        tty: bool = False,
        stdin_open: bool = False,
        host_config: Json | None = None,
        detach: bool = False,
        networking_config: Json | None = None,
    ) -> Json:
        # docker-py appends "/tcp" to list entries unless given as (port, proto) tuples.
        port_specs = [tuple(p.split("/", 1)) if "/" in p else p for p in ports or []]
        if self.safe_owner:
            labels = {**(labels or {}), MANAGED_LABEL: managed_value(CONTAINER, self.safe_owner)}
        created = self._call(
            self.api.create_container,
            image,
            command=command,
            name=name,
            environment=environment,
            working_dir=working_dir,
            entrypoint=entrypoint,
            hostname=hostname,
            user=user or "",
            labels=labels,
            ports=port_specs or None,
            tty=tty,
            stdin_open=stdin_open,
            detach=detach,  # docker-py then leaves Config.AttachStdout/AttachStderr false
            host_config={**_CLI_HOST_CONFIG, **(host_config or {})},
            networking_config=networking_config,
        )
        self._auto_remove[created["Id"]] = bool((host_config or {}).get("AutoRemove"))
        return created

    def start(self, container: str) -> None:
        self._call(self.api.start, container)

    def stop(self, container: str, timeout: int | None = None) -> None:
        self._call(self.api.stop, container, timeout=timeout)

    def restart(self, container: str, timeout: int | None = None) -> None:
        if timeout is None:
            self._call(self._post_action, container, "restart", {})
        else:
            self._call(self.api.restart, container, timeout=timeout)

    def _post_action(self, container: str, action: str, params: Json) -> None:
        url = self.api._url("/containers/{0}/" + action, container)
        self.api._raise_for_status(self.api._post(url, params=params))

    def kill(self, container: str, signal: str | None = None) -> None:
        self._call(self.api.kill, container, signal=signal)

    def wait(self, container: str) -> Json:
        pending = self._waiters.pop(container, None)
        if pending is not None:
            thread, result = pending
            thread.join()
            if "error" in result:
                raise result["error"]
            return dict(result["value"])
        return self._call(self.api.wait, container)

    def remove_container(self, container: str, v: bool = False, force: bool = False) -> None:
        self._call(self.api.remove_container, container, v=v, force=force)

    def containers(
        self, all: bool = False, filters: Json | None = None, size: bool = False
    ) -> list[Json]:
        return self._call(self.api.containers, all=all, filters=filters, size=size)

    def inspect_container(self, container: str) -> Json:
        return self._call(self.api.inspect_container, container)

    def logs(
        self,
        container: str,
        stdout: bool = True,
        stderr: bool = True,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> bytes:
        return self._call(
            self.api.logs, container, stdout=stdout, stderr=stderr, timestamps=timestamps,
            tail=tail,
        )  # fmt: skip

    def stream_logs(
        self,
        container: str,
        follow: bool = False,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        # docker-py's logs() joins the two streams; the frames say which stream a line is on.
        tty = bool(self.inspect_container(container)["Config"].get("Tty"))
        params = {"stdout": 1, "stderr": 1, "follow": int(follow), "timestamps": int(timestamps),
                  "tail": tail}  # fmt: skip
        url = self.api._url("/containers/{0}/logs", container)
        response = self._call(self.api._get, url, params=params, stream=True)
        self._call(self.api._raise_for_status, response)
        self.api._disable_socket_timeout(response)  # a follower waits as long as it takes
        return self._stream(log_frames(response.raw, tty))  # type: ignore[arg-type]

    def commit(
        self,
        container: str,
        repository: str | None = None,
        tag: str | None = None,
        message: str | None = None,
        author: str | None = None,
        pause: bool = True,
        changes: list[str] | None = None,
    ) -> Json:
        # No request body, as the docker CLI sends: docker-py posts `{}`, which the daemon
        # takes as a config to start from instead of the container's.
        params = {"container": container, "repo": repository, "tag": tag, "comment": message,
                  "author": author, "pause": pause, "changes": changes}  # fmt: skip

        def post() -> Json:
            response = self.api._post(self.api._url("/commit"), params=params)
            return dict(self.api._result(response, json=True))

        reference = f"{repository}:{tag}" if repository and tag else repository
        return self._recording(real_records.commit, partial(self._call, post), reference)

    def rename(self, container: str, name: str) -> None:
        self._call(self.api.rename, container, name)

    def stat_path(self, container: str, path: str) -> Json:
        url = self.api._url("/containers/{0}/archive", container)
        response = self._call(self.api.head, url, params={"path": path})
        self._call(self.api._raise_for_status, response)
        header = response.headers.get("X-Docker-Container-Path-Stat", "")
        return dict(json.loads(base64.b64decode(header))) if header else {}

    def get_archive(self, container: str, path: str) -> tuple[bytes, Json]:
        chunks, found = self._call(self.api.get_archive, container, path)
        return b"".join(self._stream(chunks)), found  # type: ignore[arg-type]

    def put_archive(
        self, container: str, path: str, data: bytes, copy_uid_gid: bool = False
    ) -> bool:
        # As the CLI asks: never a directory replaced by a file; IDs kept only with cp -a.
        params = {"path": path, "noOverwriteDirNonDir": "true", "copyUIDGID": copy_uid_gid}
        url = self.api._url("/containers/{0}/archive", container)
        response = self._call(self.api._put, url, params=params, data=data)
        self._call(self.api._raise_for_status, response)
        return True

    def attach(
        self, container: str, logs: bool = True, stdin: bytes | None = None
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        if stdin is not None:
            return self._attach_with_input(container, logs, stdin)
        chunks = self._call(
            self.api.attach, container, stdout=True, stderr=True, stream=True, logs=logs,
            demux=True,
        )  # fmt: skip
        self._post_wait(container)
        return self._stream(chunks)  # type: ignore[arg-type]

    def _attach_with_input(
        self, container: str, logs: bool, data: bytes
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        """Attach stdin too: send ``data``, then end it (half-close), as the CLI does when its
        own stdin ends; the daemon closes the container's stdin after it (StdinOnce)."""
        tty = bool(self.inspect_container(container)["Config"].get("Tty"))
        params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1, "logs": int(logs)}
        sock = self._call(self.api.attach_socket, container, params=params)
        chunks = self._converse(sock, data, tty)
        self._post_wait(container)  # before the output is read, as for an attach without input
        return chunks

    def _converse(
        self, sock: Any, data: bytes, tty: bool
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        """Write a hijacked connection's whole input, half-close it (the end of the input), and
        read the demultiplexed output as it comes."""
        raw = getattr(sock, "_sock", sock)
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
        return self._stream(demux_adaptor(*f) for f in frames_iter(sock, tty))  # type: ignore[arg-type]

    def _post_wait(self, container: str) -> None:
        """Ask for the container's exit before it starts, as the CLI's ``waitExitOrRemoved``
        does, so an auto-removed container still reports its exit code. For a ``--rm``
        container it waits for the removal, as the CLI does: once ``run --rm`` returns, the
        container is gone and its image can be removed. The daemon answers the headers once
        the wait is registered; a thread reads the body."""
        auto_remove = self._auto_remove.pop(container, None)
        if auto_remove is None:  # not created here (`start -a`): the CLI inspects it too
            auto_remove = bool(self.inspect_container(container)["HostConfig"].get("AutoRemove"))
        condition = "removed" if auto_remove else "next-exit"
        waiter = docker.APIClient(base_url=self.base_url, version=self.api_version, timeout=None)
        url = waiter._url("/containers/{0}/wait", container)
        response = self._call(waiter._post, url, params={"condition": condition}, stream=True)
        self._call(waiter._raise_for_status, response)
        result: dict[str, Any] = {}

        def read() -> None:
            try:
                result["value"] = json.loads(response.content)
            except Exception as exc:
                result["error"] = translate(exc, self.base_url)
            finally:
                waiter.close()

        thread = threading.Thread(target=read, name=f"wait-{container}", daemon=True)
        thread.start()
        self._waiters[container] = (thread, result)

    def diff(self, container: str) -> list[Json]:
        return self._call(self.api.diff, container) or []

    def prune_containers(self, filters: Json | None = None) -> Json:
        return self._call(self.api.prune_containers, filters=self._only_ours(filters))

    def _only_ours(self, filters: Json | None) -> Json | None:
        """In safe mode, a prune's filters narrowed to what LayerLab made for this owner (it
        makes no networks, so a network prune then removes none)."""
        if not self.safe_owner:
            return filters
        mine = f"{MANAGED_LABEL}={managed_value(CONTAINER, self.safe_owner)}"
        labels = (filters or {}).get("label") or []
        labels = [labels] if isinstance(labels, str) else list(labels)
        return {**(filters or {}), "label": [*labels, mine]}

    def exec_create(
        self,
        container: str,
        cmd: list[str],
        environment: list[str] | None = None,
        workdir: str | None = None,
        user: str = "",
        tty: bool = False,
        stdin: bool = False,
    ) -> Json:
        return self._call(
            self.api.exec_create, container, cmd, environment=environment, workdir=workdir,
            user=user, tty=tty, stdin=stdin,
        )  # fmt: skip

    def exec_start(
        self, exec_id: str, detach: bool = False, stdin: bytes | None = None
    ) -> tuple[bytes, bytes]:
        if detach:
            self._call(self.api.exec_start, exec_id, detach=True)
            return b"", b""
        if stdin is None:
            out, err = self._call(self.api.exec_start, exec_id, demux=True)
            return out or b"", err or b""
        tty = bool(self.exec_inspect(exec_id)["ProcessConfig"].get("tty"))
        sock = self._call(self.api.exec_start, exec_id, socket=True)
        chunks = list(self._converse(sock, stdin, tty))
        return b"".join(o or b"" for o, _ in chunks), b"".join(e or b"" for _, e in chunks)

    def exec_inspect(self, exec_id: str) -> Json:
        return self._call(self.api.exec_inspect, exec_id)
