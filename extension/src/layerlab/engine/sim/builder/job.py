"""One build's state, as every step sees it: the context, the build args, the stages so far and
where its events go; and what steps share (build args, a failed step's error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import EngineError
from layerlab.engine.reference import InvalidReference, parse_normalized
from layerlab.engine.sim.builder.context import BuildContext, SourceTree
from layerlab.engine.sim.builder.events import CacheUsed, ClassicStream, Event, Pulled
from layerlab.engine.sim.builder.stage import Committer, StageState
from layerlab.engine.sim.containers.runtime import env_map
from layerlab.engine.sim.images.layer_use import overlay_dirs
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.containers.backend import ContainerBackend
    from layerlab.engine.sim.images.store import Image

Json = dict[str, Any]

BUILTIN_ARGS = frozenset(
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    }
)  # fmt: skip


class StepFailed(EngineError):
    """A step failed after output began: reported in the stream, ``code`` for RUN exits."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Build:
    """One build: its context, build args, stages so far, and where its events go."""

    def __init__(
        self,
        engine: ContainerBackend,
        context: BuildContext,
        escape: str,
        nocache: bool,
        options: dict[str, str],
        pull: bool,
        progress: Callable[[Event], None] | None = None,
    ) -> None:
        self.engine = engine
        self.context = context
        self.escape = escape
        self.committer = Committer(engine, nocache)
        self.options = {k: v for k, v in options.items() if v is not None}
        self.pull = pull
        self.meta_args: dict[str, str | None] = {}
        self.referenced: set[str] = set()
        self.stage_names: dict[str, str] = {}
        self.stage_ids: list[str] = []
        self.progress = progress if progress is not None else ClassicStream()
        self.commits = True  # False for `docker commit --change`: steps only edit the config

    # -- helpers the steps use ------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        self.progress(event)

    def try_cache(self, state: StageState, probe: Json) -> bool:
        cached = self.committer.probe(state, probe)
        if cached is None:
            return False
        self.emit(CacheUsed())
        state.image_id = cached
        return True

    def stage_tree(self, state: StageState) -> fs.Tree:
        """The files of the stage's current image (shared: copy before changing)."""
        if not state.image_id:
            return {}
        return self.engine.image_store.tree(self.engine.image_store.require(state.image_id))

    def arg_value(self, key: str, allowed: dict[str, str | None]) -> str | None:
        """A build arg's value: ``--build-arg``, else the stage's default, else the global one."""
        if key in self.options:
            return self.options[key]
        default = allowed.get(key)
        return default if default is not None else self.meta_args.get(key)

    def meta_env(self) -> dict[str, str]:
        env = {k: v for k, v in self.options.items() if k in BUILTIN_ARGS}
        for key in self.meta_args:
            value = self.arg_value(key, {})
            if value is not None:
                env[key] = value
        return env

    def image_source(self, name: str) -> SourceTree:
        """What ``COPY --from=name`` reads: a stage by name or index, else an image."""
        image_id = self.stage_names.get(name.lower())
        if image_id is None and name.isdigit() and int(name) < len(self.stage_ids):
            image_id = self.stage_ids[int(name)]
        if image_id is not None:
            image = self.engine.image_store.require(image_id) if image_id else None
        else:
            try:
                image = self.base_image(name)
            except StepFailed as err:
                raise StepFailed(f"invalid from flag value {name}: {err.message}") from None
        if image is None:
            return SourceTree({}, None, "")
        merged = overlay_dirs(image.chain_id)["Data"]["MergedDir"]
        return SourceTree(self.engine.image_store.tree(image), None, merged)

    def base_image(self, name: str) -> Image:
        """A FROM image: local unless missing or ``--pull``, else pulled like ``docker pull``."""
        images = self.engine.image_store
        found = images.find(name)
        if found is not None and not self.pull:
            return found
        try:
            ref = parse_normalized(name)
        except InvalidReference as err:
            raise StepFailed(str(err)) from None
        try:
            from layerlab.engine.sim.registry.distribution import pull
        except ImportError:  # no registry in this build of the simulator
            if found is not None:
                return found
            raise StepFailed(
                f"pull access denied for {ref.familiar_name}, repository does not exist or may "
                "require 'docker login': denied: requested access to the resource is denied"
            ) from None
        tag = ref.digest or ref.tag or "latest"
        try:
            self.emit(Pulled(list(pull(self.engine, ref.familiar_name, tag, all_tags=False))))
        except EngineError as err:
            raise StepFailed(err.message) from None
        pulled = images.find(name)
        if pulled is None:
            raise StepFailed(f"No such image: {ref.with_default_tag().familiar()}")
        return pulled


def allowed_args(build: Build, state: StageState) -> list[str]:
    """The daemon's FilterAllowed: ``K=V`` for declared (and builtin proxy) args with a value,
    except those the stage's Env already sets."""
    env_keys = set(env_map(state.run_config.get("Env") or []))
    keys = set(state.allowed_args) | (BUILTIN_ARGS & set(build.options))
    out: list[str] = []
    for key in sorted(keys):
        value = build.arg_value(key, state.allowed_args)
        if value is not None and key not in env_keys:
            out.append(f"{key}={value}")
    return out
