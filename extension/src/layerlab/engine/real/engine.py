"""``RealEngine``: the Engine protocol over ``docker.APIClient`` (a thin adapter).

Daemon errors become ``layerlab.engine.errors`` exceptions carrying the daemon's exact message
(:mod:`.errors`); an unreachable daemon becomes ``EngineUnavailable`` with a hint on how to
start one or switch to the simulator. This file holds the plumbing (the API version negotiated
on the first request, safe mode's ledger), the system and the image endpoints; the container
endpoints are in :mod:`.containers`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import docker
import docker.errors

from layerlab.engine.api import FALLBACK_API_VERSION, Json, negotiated_version
from layerlab.engine.real import records as real_records
from layerlab.engine.real.build import build_params, buildx_messages
from layerlab.engine.real.containers import ContainerEndpoints
from layerlab.engine.real.errors import translate, unavailable
from layerlab.engine.real.ledger import Ledger

T = TypeVar("T")


class RealEngine(ContainerEndpoints):
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
            raise unavailable(base_url, exc) from None
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
