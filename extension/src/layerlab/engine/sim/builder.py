"""``docker build`` in the simulated engine: the classic builder of Docker Engine 20.10.

The messages are the daemon's build stream, split where it splits them (measured with
``APIClient.build(decode=True)``): ``Step 2/6 : COPY a /`` and ``\\n`` arrive separately, then
`` ---> Using cache`` / `` ---> Running in <12hex>`` / RUN output / ``Removing intermediate
container <12hex>`` and `` ---> <12hex>``; ``{"aux": {"ID": …}}`` after each stage; the
``[Warning] One or more build-args [...] were not consumed`` line; ``Successfully built`` and one
``Successfully tagged`` per tag. ``quiet`` keeps all of that back and sends only the image ID
(or, on failure, everything, then the error). Errors found before any output (tags, a missing or
unparsable Dockerfile) are raised, as the daemon answers them with an HTTP error instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, InvalidArgument
from . import fs
from .builder_commit import Committer, StageState, base_run_config
from .builder_copy import BuildContext, SourceTree
from .builder_steps import BUILTIN_ARGS, StepFailed, dispatch
from .clock import DETERMINISTIC_EPOCH
from .config import rfc3339
from .dockerfile import (
    NO_IMAGE_GENERATED,
    Instruction,
    expand,
    parse_dockerfile,
    parse_dockerfile_result,
)
from .reference import InvalidReference, Reference, parse_normalized

if TYPE_CHECKING:
    from .engine import SimEngine
    from .images import Image

Json = dict[str, Any]


def build(
    engine: SimEngine,
    context_tar: bytes,
    *,
    tags: list[str],
    dockerfile: str,
    nocache: bool,
    quiet: bool,
    buildargs: dict[str, str],
    labels: dict[str, str],
    pull: bool,
) -> Iterator[Json]:
    """Build an image from ``context_tar`` and return the daemon's message stream."""
    refs = [_tag_reference(tag) for tag in tags]
    fixed = int(DETERMINISTIC_EPOCH) if engine.clock.deterministic else None
    context = BuildContext.from_tar(context_tar, fixed_mtime=fixed)
    name = dockerfile or "Dockerfile"
    text = _dockerfile_text(context, name)
    parsed = parse_dockerfile_result(text, name)
    session = Build(engine, context, parsed.escape_token, nocache, buildargs, pull)
    for warning in parsed.warnings:
        session.say(warning + "\n")
    image_id = session.run(parsed.instructions, labels)
    if image_id is not None:
        now = rfc3339(engine.clock.now())
        session.say(f"Successfully built {_short(image_id)}\n")
        for ref in refs:
            engine.image_store.set_ref(ref, image_id, now)
            session.say(f"Successfully tagged {ref.familiar()}\n")
        if quiet:
            return iter([{"stream": f"{image_id}\n"}])
    return iter(session.out)


def _tag_reference(tag: str) -> Reference:
    try:
        ref = parse_normalized(tag)
    except InvalidReference as err:
        raise InvalidArgument(str(err)) from None
    if ref.digest:
        raise InvalidArgument("build tag cannot contain a digest")
    return ref.with_default_tag()


def _dockerfile_text(context: BuildContext, name: str) -> str:
    data = context.read(name)
    if data is None and name == "Dockerfile":
        data = context.read("dockerfile")  # the daemon falls back to the lower-case name
    if data is None:
        raise EngineError(f"Cannot locate specified Dockerfile: {name}")
    return data.decode("utf-8", errors="replace")


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _error(message: str, code: int | None = None) -> Json:
    detail: Json = {"code": code, "message": message} if code is not None else {"message": message}
    return {"errorDetail": detail, "error": message}


def _literal(word: str) -> str:
    """``word`` quoted so that Dockerfile expansion gives it back unchanged."""
    return "'" + word.replace("'", "'\\''") + "'"


class Build:
    """One build: its context, build args, stages so far, and the messages it produced."""

    def __init__(
        self,
        engine: SimEngine,
        context: BuildContext,
        escape: str,
        nocache: bool,
        options: dict[str, str],
        pull: bool,
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
        self.out: list[Json] = []
        self.commits = True  # False for `docker commit --change`: steps only edit the config

    # -- helpers the steps use ------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.out.append({"stream": text})

    def try_cache(self, state: StageState, probe: Json) -> bool:
        cached = self.committer.probe(state, probe)
        if cached is None:
            return False
        self.say(" ---> Using cache\n")
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
        merged = self.engine.graph_driver(image.chain_id)["Data"]["MergedDir"]
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
            from .registry import pull
        except ImportError:  # no registry in this build of the simulator
            if found is not None:
                return found
            raise StepFailed(
                f"pull access denied for {ref.familiar_name}, repository does not exist or may "
                "require 'docker login': denied: requested access to the resource is denied"
            ) from None
        tag = ref.digest or ref.tag or "latest"
        try:
            self.out.extend(pull(self.engine, ref.familiar_name, tag, all_tags=False))
        except EngineError as err:
            raise StepFailed(err.message) from None
        pulled = images.find(name)
        if pulled is None:
            raise StepFailed(f"No such image: {ref.with_default_tag().familiar()}")
        return pulled

    # -- the build ------------------------------------------------------------------------------
    def run(self, instructions: list[Instruction], labels: dict[str, str]) -> str | None:
        """Dispatch every step; the final image ID, or None after a reported error."""
        # `--label` adds one LABEL step per label, sorted, at the end of the last stage.
        for key in sorted(labels):
            shown = f"LABEL {key}={labels[key]}"
            instructions = [
                *instructions,
                Instruction("LABEL", shown, [_literal(key), _literal(labels[key])]),
            ]
        total = len(instructions)
        state: StageState | None = None
        try:
            for number, ins in enumerate(instructions, start=1):
                if ins.keyword == "FROM" and state is not None:
                    self._end_stage(state)
                self.say(f"Step {number}/{total} : {ins.original}")
                self.say("\n")
                if ins.keyword == "ARG" and state is None:
                    self._meta_arg(ins)
                    continue
                if ins.keyword == "FROM":
                    state = self._begin_stage(ins)
                else:
                    assert state is not None  # the parser refuses steps before FROM
                    dispatch(self, state, ins)
                self.say(f" ---> {_short(state.image_id)}\n")
            if state is not None:
                self._end_stage(state)
        except EngineError as err:
            code = err.code if isinstance(err, StepFailed) else None
            self.out.append(_error(err.message, code))
            return None
        self._warn_unused_args()
        final = state.image_id if state is not None else ""
        if not final:
            self.out.append(_error(NO_IMAGE_GENERATED))
            return None
        return final

    def _meta_arg(self, ins: Instruction) -> None:
        for name, default in ins.pairs:
            env = self.meta_env()
            key = expand(name, env, self.escape)
            self.meta_args[key] = None if default is None else expand(default, env, self.escape)
            self.referenced.add(key)

    def _begin_stage(self, ins: Instruction) -> StageState:
        name = expand(ins.args[0], self.meta_env(), self.escape)
        image: Image | None
        if name.lower() == "scratch":
            image = None
        elif name.lower() in self.stage_names and self.stage_names[name.lower()]:
            image = self.engine.image_store.require(self.stage_names[name.lower()])
        else:
            image = self.base_image(name)
        state = StageState(image.id if image else "", base_run_config(image), ins.stage_name or "")
        triggers = list(state.run_config.get("OnBuild") or [])
        state.run_config["OnBuild"] = None
        if triggers:
            self.say(f"# Executing {len(triggers)} build trigger")
            if len(triggers) > 1:
                self.say("s")
            self.say("\n")
            for trigger in triggers:
                # The parser wants a stage; the FROM line only frames the trigger.
                step = parse_dockerfile(f"FROM scratch\n{trigger}\n")[1]
                dispatch(self, state, step)
        return state

    def _end_stage(self, state: StageState) -> None:
        if state.image_id:
            self.out.append({"aux": {"ID": state.image_id}})
        if state.stage_name:
            self.stage_names[state.stage_name] = state.image_id
        self.stage_ids.append(state.image_id)

    def _warn_unused_args(self) -> None:
        unused = sorted(
            k for k in self.options if k not in self.referenced and k not in BUILTIN_ARGS
        )
        if unused:
            self.say(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
