"""SimEngine: the simulated daemon, implementing the Engine API over a SQLite state.

Every public method is one transaction: it first brings running containers up to the current
virtual time, then does its work, and commits before returning, so what a command reports
has been stored.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from layerlab.engine.errors import Conflict, InvalidArgument, NotFound
from layerlab.engine.home import default_home
from layerlab.engine.profiles import choose_profile, daemon
from layerlab.engine.reference import ipv6_hosts
from layerlab.engine.sim.containers import execs, listing, output
from layerlab.engine.sim.containers import files as container_files
from layerlab.engine.sim.containers import service as container_ops
from layerlab.engine.sim.containers.store import Container, ContainerStore
from layerlab.engine.sim.images import service as image_ops
from layerlab.engine.sim.images.store import ImageStore, LayerStore
from layerlab.engine.sim.store.clock import Clock, IdSource
from layerlab.engine.sim.store.database import Store
from layerlab.i18n import N_, tr

Json = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Any])


DEFAULT_STATE = "default"
_STATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def state_path(home: Path, state: str) -> Path:
    """Each named state is its own SQLite file: a notebook can reset its state without
    touching what the learner built in another."""
    if not _STATE_NAME.match(state):
        raise ValueError(
            f"invalid state name {state!r}: use letters, digits, '_', '.' or '-' (at most 64)"
        )
    return home / "states" / f"{state}.db"


def transactional(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: SimEngine, *args: Any, **kwargs: Any) -> Any:
        with self.daemon_call():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def streamed(method: F) -> F:
    """A streaming endpoint run as one transaction: its messages are produced in full, committed,
    then handed out, so a crash mid-way leaves no half-made image or container behind."""

    @functools.wraps(method)
    def wrapper(self: SimEngine, *args: Any, **kwargs: Any) -> Iterator[Json]:
        with self.daemon_call():
            messages = list(method(self, *args, **kwargs))
        return iter(messages)

    return wrapper  # type: ignore[return-value]


class SimEngine:
    name = "sim"

    def __init__(
        self, home: Path | str | None = None, state: str = DEFAULT_STATE, profile: str = ""
    ) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.state = state
        self.profile = choose_profile(profile)
        self.store = Store(state_path(self.home, state))
        self.clock = Clock(self.store)
        self.ids = IdSource(self.store)
        self.layers = LayerStore(self.store)
        self.image_store = ImageStore(self.store, self.layers, self.profile)
        self.containers_store = ContainerStore(self)
        with self.store.transaction():
            if self.store.get_meta("initialised") is None:
                from layerlab.engine.sim.system.states import install_baseline

                install_baseline(self)
                self.store.set_meta("initialised", "1")

    def close(self) -> None:
        self.store.close()

    # -- helpers the parts share ----------------------------------------------------------------
    def settle(self) -> None:
        now = self.clock.now()
        for c in self.containers_store.all():
            if c.running:
                self.containers_store.settle(c, now)

    @contextlib.contextmanager
    def daemon_call(self) -> Iterator[None]:
        """One call of the daemon: a transaction, the state brought up to now, and image names
        read with the reference library of the profile's daemon."""
        with self.store.transaction(), ipv6_hosts(daemon(self.profile).ipv6_registry_hosts):
            self.settle()
            yield

    def all_containers(self) -> list[Container]:
        return self.containers_store.all()

    def first_container(self, predicate: Callable[[Container], bool]) -> Container | None:
        return next((c for c in self.containers_store.all() if predicate(c)), None)

    # -- state management (LayerLab's own, not Docker's) -----------------------------------------
    def begin_command(self) -> None:
        with self.store.transaction():
            self.clock.tick()

    def reset(self, state: str = "baseline", deterministic: bool | None = None) -> None:
        from layerlab.engine.sim.system.states import reset

        with self.store.transaction():
            reset(self, state, deterministic)

    # -- system ---------------------------------------------------------------------------------
    def ping(self) -> bool:
        return True

    @transactional
    def now(self) -> float:
        return self.clock.now()

    @transactional
    def version(self) -> Json:
        from layerlab.engine.sim.system.info import version

        return version(self.profile)

    @transactional
    def info(self) -> Json:
        from layerlab.engine.sim.system.info import info

        return info(self)

    @transactional
    def df(self) -> Json:
        from layerlab.engine.sim.system.info import disk_usage

        return disk_usage(self)

    @transactional
    def login(
        self, username: str, password: str | None = None, registry: str | None = None
    ) -> Json:
        from layerlab.engine.sim.registry.distribution import record_login

        if not username:
            raise InvalidArgument("Username is required")
        record_login(self, registry, username)
        return {"IdentityToken": "", "Status": "Login Succeeded"}

    @transactional
    def logout(self, registry: str | None = None) -> None:
        from layerlab.engine.sim.registry.distribution import record_logout

        record_logout(self, registry)

    # -- images ---------------------------------------------------------------------------------
    @transactional
    def images(
        self, name: str | None = None, all: bool = False, filters: Json | None = None
    ) -> list[Json]:
        return image_ops.list_images(self, name, all, filters)

    @transactional
    def inspect_image(self, image: str) -> Json:
        return image_ops.inspect_image(self, image)

    @transactional
    def history(self, image: str) -> list[Json]:
        return image_ops.history(self, image)

    @transactional
    def tag(self, image: str, repository: str, tag: str | None = None) -> bool:
        return image_ops.tag(self, image, repository, tag)

    @transactional
    def remove_image(self, image: str, force: bool = False, noprune: bool = False) -> list[Json]:
        return image_ops.remove_image(self, image, force, noprune)

    @transactional
    def prune_images(self, filters: Json | None = None) -> Json:
        return image_ops.prune_images(self, filters)

    # The simulated daemon has only its predefined networks (never pruned) and no volumes (-v is
    # not modelled): nothing to prune. BuildKit's cache records are (the classic builder keeps
    # none).
    def prune_networks(self, filters: Json | None = None) -> Json:
        return {"NetworksDeleted": None}

    def prune_volumes(self, filters: Json | None = None) -> Json:
        return {"VolumesDeleted": None, "SpaceReclaimed": 0}

    @transactional
    def prune_builds(self, filters: Json | None = None, all: bool = False) -> Json:
        from layerlab.engine.sim.builder import cache_records

        return cache_records.prune(self, all, filters or {})

    @streamed
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
        network: str = "",  # simulated builds have no network; the CLI refuses modes beyond it
        uploaded: bool = False,
    ) -> Iterator[Json]:
        if version == "2":
            from layerlab.engine.sim.builder import buildkit

            return buildkit.build(
                self,
                fileobj,
                tags=tags,
                dockerfile=dockerfile,
                nocache=nocache,
                buildargs=buildargs or {},
                labels=labels or {},
                pull=pull,
                shared_key=shared_key,
                target=target,
                uploaded=uploaded,
            )
        if target:
            raise InvalidArgument(tr(N_("LayerLab's classic builder does not build --target yet")))
        from layerlab.engine.sim.builder.classic import build

        return build(
            self,
            fileobj,
            tags=tags,
            dockerfile=dockerfile,
            nocache=nocache,
            quiet=quiet,
            buildargs=buildargs or {},
            labels=labels or {},
            pull=pull,
        )

    @streamed
    def pull(
        self, repository: str, tag: str | None = None, all_tags: bool = False
    ) -> Iterator[Json]:
        from layerlab.engine.sim.registry.distribution import pull

        return pull(self, repository, tag, all_tags)

    @streamed
    def push(self, repository: str, tag: str | None = None) -> Iterator[Json]:
        from layerlab.engine.sim.registry.distribution import push

        return push(self, repository, tag)

    @transactional
    def get_image(self, images: list[str]) -> bytes:
        from layerlab.engine.sim.images.archive import save

        return save(self, images)

    @streamed
    def load_image(self, data: bytes, quiet: bool = False) -> Iterator[Json]:
        from layerlab.engine.sim.images.archive import load

        return load(self, data, quiet)

    # -- containers -----------------------------------------------------------------------------
    @transactional
    def create_container(self, image: str, **options: Any) -> Json:
        return container_ops.create(self, image, options)

    def start(self, container: str) -> None:
        with self.store.transaction():
            self.settle()
            c = self.containers_store.resolve(container)
            failure = self.containers_store.start(c)
        if failure is not None:
            raise failure

    @transactional
    def stop(self, container: str, timeout: int | None = None) -> None:
        c = self.containers_store.resolve(container)
        self.containers_store.stop(c, 10 if timeout is None else timeout)

    def restart(self, container: str, timeout: int | None = None) -> None:
        store = self.containers_store
        with self.store.transaction():
            self.settle()
            c = store.resolve(container)
            store.stop(c, 10 if timeout is None else timeout)
            failure = store.start(store.resolve(c.id))
        if failure is not None:
            raise failure

    @transactional
    def kill(self, container: str, signal: str | None = None) -> None:
        try:
            c = self.containers_store.resolve(container)
        except NotFound as err:
            raise NotFound(f"Cannot kill container: {container}: {err.message}") from None
        self.containers_store.kill(c, signal, typed=container)

    def wait(self, container: str) -> Json:
        # A real program is waited for in real time, between transactions: others may use the
        # state meanwhile.
        while True:
            with self.store.transaction():
                self.settle()
                status = container_ops.wait(self, container)
            if status is not None:
                return status
            time.sleep(0.1)

    @transactional
    def remove_container(self, container: str, v: bool = False, force: bool = False) -> None:
        store = self.containers_store
        c = store.resolve(container)
        if c.running and not force:
            raise Conflict(
                f"You cannot remove a running container {c.id}. Stop the container before "
                "attempting removal or force remove"
            )
        if c.running:
            store.kill(store.resolve(c.id), "KILL")
        store.delete(c)

    @transactional
    def containers(
        self, all: bool = False, filters: Json | None = None, size: bool = False
    ) -> list[Json]:
        return listing.list_containers(self, all, filters, size)

    @transactional
    def inspect_container(self, container: str) -> Json:
        return container_ops.inspect(self, container)

    @transactional
    def logs(
        self,
        container: str,
        stdout: bool = True,
        stderr: bool = True,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> bytes:
        return output.logs(self, container, stdout, stderr, timestamps, tail)

    def stream_logs(
        self,
        container: str,
        follow: bool = False,
        timestamps: bool = False,
        tail: str | int = "all",
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        return output.stream_logs(self, container, follow, timestamps, tail)

    @transactional
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
        from layerlab.engine.sim.builder.commit import commit

        return commit(self, container, repository, tag, message or "", author or "", changes or [])

    @transactional
    def rename(self, container: str, name: str) -> None:
        container_ops.rename(self, container, name)

    @transactional
    def stat_path(self, container: str, path: str) -> Json:
        return container_files.stat_path(self, container, path)

    @transactional
    def get_archive(self, container: str, path: str) -> tuple[bytes, Json]:
        return container_files.get_archive(self, container, path)

    @transactional
    def put_archive(
        self, container: str, path: str, data: bytes, copy_uid_gid: bool = False
    ) -> bool:
        container_files.put_archive(self, container, path, data, copy_uid_gid)
        return True

    def attach(
        self, container: str, logs: bool = True, stdin: bytes | None = None
    ) -> Iterator[tuple[bytes | None, bytes | None]]:
        return output.attach(self, container, stdin)

    @transactional
    def diff(self, container: str) -> list[Json]:
        return container_ops.diff(self, container)

    @transactional
    def prune_containers(self, filters: Json | None = None) -> Json:
        return container_ops.prune(self, filters)

    @transactional
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
        return execs.exec_create(self, container, cmd, environment, workdir, user, tty)

    def exec_start(
        self, exec_id: str, detach: bool = False, stdin: bytes | None = None
    ) -> tuple[bytes, bytes]:
        # What a program that never ends wrote is committed before LayerLab refuses to wait.
        with self.store.transaction():
            self.settle()
            out, err, refusal = execs.exec_start_or_refusal(self, exec_id, detach, stdin)
        if refusal is not None:
            raise refusal
        return out, err

    @transactional
    def exec_inspect(self, exec_id: str) -> Json:
        return execs.exec_inspect(self, exec_id)


def remove_every_container(home: Path) -> None:
    """`docker rm -f` every container of every state under ``home``. Programs that really run
    and the proxies of published ports outlive the kernel that started them, as under a
    daemon: a home that is done with (a graded submission's) ends them with this."""
    for database in sorted((home / "states").glob("*.db")):
        try:
            engine = SimEngine(home=home, state=database.stem)
            containers = engine.containers(all=True)
        except Exception:  # a state broken beyond reading: its files go with the home anyway
            continue
        for container in containers:
            try:
                engine.remove_container(container["Id"], force=True)
            except Exception:  # one that cannot be removed keeps no other from going
                continue
