"""The Engine API: the seam between the docker CLI front and an engine.

It follows the Docker SDK's low-level ``docker.APIClient``: the same method names, arguments and
the JSON shapes the Engine API returns (as Python dicts), including streamed build/pull/push
messages (already decoded). Where the CLI needs something ``APIClient`` spreads over several
calls, the argument lists below say which subset we use. Both engines raise
``layerlab.engine.errors.EngineError`` subclasses carrying the daemon's exact message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

Json = dict[str, Any]

# The API versions the client speaks, as the docker CLI 28.2 it reproduces: it asks the daemon
# for its version and uses the lower of the two (1.41 with Engine 20.10, 1.45 with 26.1), so a
# daemon that refuses old clients (Engine 29 wants at least 1.44) is not sent an old one.
CLIENT_API_VERSION = "1.50"
# What a daemon that does not say its version is taken to speak (API 1.24 began negotiation).
FALLBACK_API_VERSION = "1.24"
# The ``id`` of a BuildKit build's messages (``build`` with version "2"): the solve status in
# ``aux``, and the image it made.
TRACE_ID = "moby.buildkit.trace"
IMAGE_ID = "moby.image.id"


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def negotiated_version(server: Json, client: str = CLIENT_API_VERSION) -> str:
    """The API version to speak with a daemon whose ``/version`` answered ``server``: its
    ``ApiVersion`` where that is not above the ``client``'s, else the client's (as the docker
    CLI negotiates; a daemon that wants a newer one then refuses with its own message)."""
    offered = str(server.get("ApiVersion") or FALLBACK_API_VERSION)
    return min(offered, client, key=_as_tuple)


@runtime_checkable
class Engine(Protocol):
    """What both engines implement. ``container`` and ``image`` arguments are what the user typed:
    a name, a reference or an ID prefix, resolved by the engine as the daemon resolves them."""

    name: str  # "sim" or "real"
    # Which Docker the command line speaks to (layerlab.engine.profiles): the simulator's
    # profile, "20.10" or "26.1"; for a real engine "26.1" from Docker 23 on (BuildKit) and ""
    # before (the classic builder).
    profile: str

    # -- system ---------------------------------------------------------------------------------
    def ping(self) -> bool: ...
    def now(self) -> float:
        """The engine's clock (unix seconds): what "N minutes ago" is measured against. The
        simulator's clock may be virtual or fixed; a real engine's is the wall clock."""
        ...

    def version(self) -> Json: ...
    def info(self) -> Json: ...
    def df(self) -> Json:
        """``GET /system/df``: ``LayersSize``, ``Images`` (with ``Containers`` and
        ``SharedSize``), ``Containers`` (with sizes), ``Volumes``, ``BuildCache``."""
        ...

    def login(
        self, username: str, password: str | None = None, registry: str | None = None
    ) -> Json: ...
    def logout(self, registry: str | None = None) -> None:
        """Forget the credentials ``login`` gave for ``registry`` (Docker Hub when None)."""
        ...

    # -- images ---------------------------------------------------------------------------------
    def images(
        self, name: str | None = None, all: bool = False, filters: Json | None = None
    ) -> list[Json]: ...
    def inspect_image(self, image: str) -> Json: ...
    def history(self, image: str) -> list[Json]: ...
    def tag(self, image: str, repository: str, tag: str | None = None) -> bool: ...
    def remove_image(
        self, image: str, force: bool = False, noprune: bool = False
    ) -> list[Json]: ...
    def prune_images(self, filters: Json | None = None) -> Json: ...
    def prune_networks(self, filters: Json | None = None) -> Json:
        """``{"NetworksDeleted": [names] | None}``."""
        ...

    def prune_volumes(self, filters: Json | None = None) -> Json:
        """``{"VolumesDeleted": [names] | None, "SpaceReclaimed": bytes}``."""
        ...

    def prune_builds(self, filters: Json | None = None, all: bool = False) -> Json:
        """The build cache: ``{"CachesDeleted": [ids] | None, "SpaceReclaimed": bytes}``."""
        ...

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
        uploaded: bool = False,
    ) -> Iterator[Json]:
        """``fileobj`` is the build context as an uncompressed tar (what the CLI sends). With
        ``version`` "1" (the classic builder) yields ``{"stream": …}``, ``{"aux": {"ID": …}}``
        and, on failure, ``{"error": …, "errorDetail": {"message": …, "code": N}}``; with "2"
        (BuildKit) the solve status (``{"id": "moby.buildkit.trace", "aux": …}``) and
        ``{"id": "moby.image.id", "aux": {"ID": …}}``. ``shared_key`` names the client's
        context folder, whose files BuildKit keeps between builds; ``target`` the stage to
        build; ``network`` the RUN steps' network mode (``--network``, "" for the default);
        ``uploaded`` says BuildKit gets the context as the tar itself, as buildx sends a tar
        on stdin, rather than from the client's folder (a real engine always gets the tar)."""
        ...

    def pull(
        self, repository: str, tag: str | None = None, all_tags: bool = False
    ) -> Iterator[Json]:
        """Yields progress messages ``{"status": …, "id": …, "progressDetail": {}}``."""
        ...

    def push(self, repository: str, tag: str | None = None) -> Iterator[Json]: ...
    def get_image(self, images: list[str]) -> bytes:
        """``docker save``: an image tarball (docker-archive: manifest.json, repositories, …)."""
        ...

    def load_image(self, data: bytes, quiet: bool = False) -> Iterator[Json]: ...

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
        """Returns ``{"Id": …, "Warnings": []}``. ``host_config`` uses the Engine API's
        HostConfig keys (``AutoRemove``, ``PortBindings``, ``Binds``, ``NetworkMode``, …).
        ``detach`` (``run -d``) leaves ``Config.AttachStdout``/``AttachStderr`` false.
        ``networking_config`` is ``{"EndpointsConfig": {network: {…}}}``."""
        ...

    def start(self, container: str) -> None: ...
    def stop(self, container: str, timeout: int | None = None) -> None: ...
    def restart(self, container: str, timeout: int | None = None) -> None: ...
    def kill(self, container: str, signal: str | None = None) -> None: ...
    def wait(self, container: str) -> Json: ...
    def remove_container(self, container: str, v: bool = False, force: bool = False) -> None: ...
    def containers(
        self, all: bool = False, filters: Json | None = None, size: bool = False
    ) -> list[Json]:
        """``size`` adds ``SizeRw`` (the writable layer's bytes; absent when 0) and
        ``SizeRootFs`` (that plus the image's) to each container, as ``docker ps -s`` asks."""
        ...

    def inspect_container(self, container: str) -> Json: ...
    def logs(
        self,
        container: str,
        stdout: bool = True,
        stderr: bool = True,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> bytes: ...
    def stream_logs(
        self,
        container: str,
        follow: bool = False,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        """Both streams in one request, as the docker CLI asks: demultiplexed ``(stdout,
        stderr)`` lines, ``tail`` counting both together; with ``follow``, new lines until the
        container stops."""
        ...

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
        """Returns ``{"Id": "sha256:…"}``. ``changes`` are Dockerfile lines (``--change``)."""
        ...

    def rename(self, container: str, name: str) -> None: ...
    def stat_path(self, container: str, path: str) -> Json:
        """``HEAD /containers/{id}/archive``: ``name``, ``size``, ``mode`` (with Go's
        os.FileMode type bits), ``mtime`` and ``linkTarget`` of a path in the container."""
        ...

    def get_archive(self, container: str, path: str) -> tuple[bytes, Json]:
        """A tar of the path (root entry: its base name) and the path's stat."""
        ...

    def put_archive(
        self, container: str, path: str, data: bytes, copy_uid_gid: bool = False
    ) -> bool:
        """Extract a tar into the existing directory ``path`` (files owned by root unless
        ``copy_uid_gid``)."""
        ...

    def attach(
        self, container: str, logs: bool = True, stdin: bytes | None = None
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        """Demultiplexed ``(stdout, stderr)`` chunks until the container stops. Called before
        ``start`` and iterated after it, as the CLI does for ``docker run``. ``stdin`` (for a
        container created with ``-i``) is its whole input: the stream ends after it."""
        ...

    def diff(self, container: str) -> list[Json]: ...
    def prune_containers(self, filters: Json | None = None) -> Json: ...
    def exec_create(
        self,
        container: str,
        cmd: list[str],
        environment: list[str] | None = None,
        workdir: str | None = None,
        user: str = "",
        tty: bool = False,
        stdin: bool = False,
    ) -> Json: ...
    def exec_start(
        self, exec_id: str, detach: bool = False, stdin: bytes | None = None
    ) -> tuple[bytes, bytes]:
        """The exec's output; detached (``exec -d``), nothing, once the program started.
        ``stdin`` (``exec -i``) is the program's whole input."""
        ...

    def exec_inspect(self, exec_id: str) -> Json: ...
