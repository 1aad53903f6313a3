"""The container endpoints of ``RealEngine``: create, start, stop, wait, logs, attach, copy,
commit and exec on a real daemon, asked as the docker CLI asks (the create's HostConfig it
always sends, a wait posted before start, stdin half-closed at its end).

A part of :class:`~layerlab.engine.real.engine.RealEngine` kept in its own file, as the
daemon keeps its container endpoints apart from its image endpoints."""

from __future__ import annotations

import base64
import json
import queue
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import docker
from docker.utils.socket import demux_adaptor, frames_iter

from layerlab.engine.api import Json
from layerlab.engine.real import records as real_records
from layerlab.engine.real.errors import translate
from layerlab.engine.real.labels import CONTAINER, MANAGED_LABEL, managed_value

# What the docker CLI always sends in a create's HostConfig (docker-py sends none of it), so
# that `docker inspect` shows `[]`, not `null`, as for a container the CLI created.
_CLI_HOST_CONFIG: dict[str, Any] = {
    "PortBindings": {}, "Dns": [], "DnsOptions": [], "DnsSearch": [], "Devices": [],
    "Ulimits": [], "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [],
    "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
}  # fmt: skip


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


class ContainerEndpoints:
    """The container half of ``RealEngine``, which provides what is declared here."""

    base_url: str
    safe_owner: str | None  # safe mode: for whom created containers are labelled
    api: docker.APIClient
    api_version: str
    _call: Callable[..., Any]  # a docker-py call, its errors made LayerLab's
    _stream: Callable[[Iterator[Any]], Iterator[Any]]  # the same for a stream's items
    _recording: Callable[..., Any]  # safe mode's ledger around an image-making call
    # Exit-status waits posted before start, as the docker CLI does for run/start -a.
    _waiters: dict[str, tuple[threading.Thread, dict[str, Any]]]
    # Container ID -> HostConfig.AutoRemove, for the containers created here: which exit
    # condition a wait must use.
    _auto_remove: dict[str, bool]

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
        pending = self._waiters.get(container)
        if pending is not None:
            thread, result = pending
            thread.join()  # a Ctrl-C here leaves the wait posted, for the client to ask again
            del self._waiters[container]
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
        return _Resumable(self._stream(chunks))  # type: ignore[arg-type]

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
        return _Resumable(chunks)

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


class _Resumable:
    """An attached container's output, read from the daemon's connection by a thread of its own,
    so that a Ctrl-C while the client waits for it (which the client forwards to the program)
    does not break the connection off: the client goes on reading where it was."""

    _END = object()

    def __init__(self, chunks: Iterator[tuple[bytes | None, bytes | None]]) -> None:
        self._chunks = chunks
        self._queue: queue.Queue[Any] = queue.Queue()
        self._reader: threading.Thread | None = None

    def __iter__(self) -> _Resumable:
        return self

    def __next__(self) -> tuple[bytes | None, bytes | None]:
        if self._reader is None:  # started by the first read, after the container's start
            self._reader = threading.Thread(target=self._read, name="attach", daemon=True)
            self._reader.start()
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # every later read ends too
            raise StopIteration
        if isinstance(item, BaseException):
            self._queue.put(self._END)
            raise item
        return item  # type: ignore[no-any-return]

    def _read(self) -> None:
        try:
            for chunk in self._chunks:
                self._queue.put(chunk)
        except Exception as exc:
            self._queue.put(exc)
        self._queue.put(self._END)
