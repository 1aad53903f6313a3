"""The classic builder's instructions after FROM: metadata commits, WORKDIR, RUN, COPY and ADD.

Texts measured on Docker Engine 20.10: metadata steps are committed with the comment
``#(nop) `` + ``KEY args`` (``ENV A=b``, ``CMD ["cat" "x"]`` in Go's %q, ``VOLUME [/data]``,
``SHELL [/bin/sh -xc]``, ``EXPOSE 443/udp 80``), prefixed by the stage's SHELL. A RUN with build
args is stored as ``|N K=V... /bin/sh -c cmd`` (the args the stage declared, sorted). Output:
`` ---> Running in <12hex>`` when a container is created, ``Removing intermediate container
<12hex>`` after the commit, RUN's stderr wrapped in ``ESC[91m``…``ESC[0m``.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from layerlab.engine.sim.builder.context import (
    CopyError,
    SourceTree,
    copy_sources,
    normalize_dest,
    parse_chown,
    sources_hash,
)
from layerlab.engine.sim.builder.dockerfile import (
    Instruction,
    expand,
    expand_words,
    parse_go_duration,
)
from layerlab.engine.sim.builder.events import ContainerRemoved, ContainerStarted
from layerlab.engine.sim.builder.job import StepFailed, allowed_args
from layerlab.engine.sim.builder.stage import (
    StageState,
    created_container_config,
    go_quote_list,
    healthcheck_text,
)
from layerlab.engine.sim.containers.runtime import env_map
from layerlab.engine.sim.store import fs

if TYPE_CHECKING:
    from layerlab.engine.sim.builder.job import Build

Json = dict[str, Any]

_URL = re.compile(r"^(https?|git)://|^git@")


def dispatch(build: Build, state: StageState, ins: Instruction) -> None:
    """Run one instruction of a stage (not FROM), updating ``state``."""
    handler = _HANDLERS[ins.keyword]
    handler(build, state, ins)
    state.run_config["Image"] = state.image_id


# -- variables ----------------------------------------------------------------------------------


def stage_env(build: Build, state: StageState) -> dict[str, str]:
    """What ``$x`` sees: the stage's Env, then its build args that Env does not override."""
    env = env_map(state.run_config.get("Env") or [])
    for item in allowed_args(build, state):
        key, _, value = item.partition("=")
        env.setdefault(key, value)
    return env


def _expand(build: Build, state: StageState, word: str) -> str:
    return expand(word, stage_env(build, state), build.escape)


# -- metadata steps -----------------------------------------------------------------------------


def _commit_metadata(build: Build, state: StageState, comment: str) -> None:
    probe = copy.deepcopy(state.run_config)
    probe["Cmd"] = [*state.shell, "#(nop) ", comment]
    _probe_or_create(build, state, probe, changes_of=None)


def _probe_or_create(build: Build, state: StageState, probe: Json, changes_of: Any) -> None:
    """Cache hit, or create a container, apply ``changes_of`` (a tree function) and commit."""
    if not build.commits:
        return
    if build.try_cache(state, probe):
        return
    container_id = build.engine.ids.hex64()
    build.emit(ContainerStarted(container_id))
    changes = changes_of(state) if changes_of is not None else None
    stored = created_container_config(probe, container_id)
    state.image_id = build.committer.commit(state, stored, changes, container_id)
    build.emit(ContainerRemoved(container_id))


def _env(build: Build, state: StageState, ins: Instruction) -> None:
    env = stage_env(build, state)
    config = state.run_config
    current = list(config.get("Env") or [])
    parts: list[str] = []
    for key, raw in ins.pairs:
        name, value = expand(key, env, build.escape), expand(raw or "", env, build.escape)
        item = f"{name}={value}"
        parts.append(item)
        index = next((i for i, e in enumerate(current) if e.partition("=")[0] == name), None)
        if index is None:
            current.append(item)
        else:
            current[index] = item
    config["Env"] = current
    _commit_metadata(build, state, "ENV " + " ".join(parts))


def _label(build: Build, state: StageState, ins: Instruction) -> None:
    env = stage_env(build, state)
    pairs = [
        (expand(k, env, build.escape), expand(v or "", env, build.escape)) for k, v in ins.pairs
    ]
    set_labels(build, state, pairs)


def set_labels(build: Build, state: StageState, pairs: list[tuple[str, str]]) -> None:
    labels = dict(state.run_config.get("Labels") or {})
    labels.update(pairs)
    state.run_config["Labels"] = labels
    _commit_metadata(build, state, "LABEL " + " ".join(f"{k}={v}" for k, v in pairs))


def _cmd(build: Build, state: StageState, ins: Instruction) -> None:
    cmd = list(ins.args) if ins.json_form else [*state.shell, *ins.args]
    state.run_config["Cmd"] = cmd
    state.cmd_set = state.cmd_set or bool(ins.args)
    _commit_metadata(build, state, "CMD " + go_quote_list(cmd))


def _entrypoint(build: Build, state: StageState, ins: Instruction) -> None:
    if ins.json_form:
        entrypoint: list[str] | None = list(ins.args)
    else:
        entrypoint = [*state.shell, *ins.args] if ins.args else None
    state.run_config["Entrypoint"] = entrypoint
    if not state.cmd_set:  # an ENTRYPOINT drops the base image's CMD
        state.run_config["Cmd"] = None
    _commit_metadata(build, state, "ENTRYPOINT " + go_quote_list(entrypoint or []))


def _expose(build: Build, state: StageState, ins: Instruction) -> None:
    env = stage_env(build, state)
    ports = [p for arg in ins.args for p in expand_words(arg, env, build.escape)]
    exposed = dict(state.run_config.get("ExposedPorts") or {})
    for spec in ports:
        number, _, proto = spec.partition("/")
        first, _, last = number.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise StepFailed(f"Invalid containerPort: {number}")
        for port in range(int(first), int(last or first) + 1):
            exposed[f"{port}/{(proto or 'tcp').lower()}"] = {}
    state.run_config["ExposedPorts"] = exposed
    _commit_metadata(build, state, "EXPOSE " + " ".join(ports))


def _user(build: Build, state: StageState, ins: Instruction) -> None:
    state.run_config["User"] = _expand(build, state, ins.args[0])
    _commit_metadata(build, state, "USER " + state.run_config["User"])


def _volume(build: Build, state: StageState, ins: Instruction) -> None:
    volumes = dict(state.run_config.get("Volumes") or {})
    names = [_expand(build, state, v) for v in ins.args]
    for name in names:
        if not name.strip():
            raise StepFailed("VOLUME specified can not be an empty string")
        volumes[name] = {}
    state.run_config["Volumes"] = volumes
    _commit_metadata(build, state, "VOLUME [" + " ".join(names) + "]")


def _stopsignal(build: Build, state: StageState, ins: Instruction) -> None:
    signal = _expand(build, state, ins.args[0])
    state.run_config["StopSignal"] = signal
    _commit_metadata(build, state, "STOPSIGNAL " + signal)


def _maintainer(build: Build, state: StageState, ins: Instruction) -> None:
    state.maintainer = ins.args[0]
    _commit_metadata(build, state, "MAINTAINER " + ins.args[0])


def _healthcheck(build: Build, state: StageState, ins: Instruction) -> None:
    if ins.args[0] == "NONE":
        health: Json = {"Test": ["NONE"]}
    else:
        command = ins.args[1:]
        test = ["CMD", *command] if ins.json_form else ["CMD-SHELL", command[0]]
        health = {"Test": test}
        for flag, key in (("interval", "Interval"), ("timeout", "Timeout"),
                          ("start-period", "StartPeriod")):  # fmt: skip
            if ins.flags.get(flag):
                health[key] = parse_go_duration(ins.flags[flag])
        if ins.flags.get("retries"):
            health["Retries"] = int(ins.flags["retries"])
    state.run_config["Healthcheck"] = health
    _commit_metadata(build, state, "HEALTHCHECK " + healthcheck_text(health))


def _onbuild(build: Build, state: StageState, ins: Instruction) -> None:
    trigger = ins.args[0]
    state.run_config["OnBuild"] = [*(state.run_config.get("OnBuild") or []), trigger]
    _commit_metadata(build, state, "ONBUILD " + trigger)


def _shell(build: Build, state: StageState, ins: Instruction) -> None:
    state.run_config["Shell"] = list(ins.args)
    _commit_metadata(build, state, "SHELL [" + " ".join(ins.args) + "]")


def _arg(build: Build, state: StageState, ins: Instruction) -> None:
    parts: list[str] = []
    for name, default in ins.pairs:
        key = _expand(build, state, name)
        value = None if default is None else _expand(build, state, default)
        state.allowed_args[key] = value
        build.referenced.add(key)
        parts.append(key if value is None else f"{key}={value}")
    _commit_metadata(build, state, "ARG " + " ".join(parts))


# -- WORKDIR ------------------------------------------------------------------------------------


def _workdir(build: Build, state: StageState, ins: Instruction) -> None:
    path = _expand(build, state, ins.args[0])
    workdir = fs.normpath(path, state.run_config.get("WorkingDir") or "/")
    state.run_config["WorkingDir"] = workdir
    probe = copy.deepcopy(state.run_config)
    probe["Cmd"] = [*state.shell, f"#(nop) WORKDIR {workdir}"]

    def make_dir(current: StageState) -> fs.Changes:
        lower = build.stage_tree(current)
        upper = dict(lower)
        missing = []
        p = workdir
        while p != "/" and not (p in upper and upper[p].is_dir):
            missing.append(p)
            p = fs.parent_of(p)
        for p in reversed(missing):
            upper[p] = fs.directory(mtime=int(build.engine.clock.now()))
        return fs.compute_changes(lower, upper)

    _probe_or_create(build, state, probe, make_dir)


# -- COPY and ADD -------------------------------------------------------------------------------


def _copy(build: Build, state: StageState, ins: Instruction) -> None:
    command = ins.keyword
    words = [_expand(build, state, w) for w in ins.args]
    *originals, dest_word = words
    source_from = ins.flags.get("from", "")
    if source_from:
        origin = build.image_source(source_from)
    else:
        origin = SourceTree(build.context.tree, build.context.sums, "")
    sources = []
    for original in originals:
        if _URL.match(original):
            if command == "COPY":
                raise CopyError("COPY failed: source can't be a URL for COPY")
            raise CopyError(_no_network(original))
        sources.extend(origin.resolve(original, command))
    if not sources:
        raise CopyError(f"{command} failed: no source files were specified")
    dest = normalize_dest(state.run_config.get("WorkingDir") or "/", dest_word)
    if len(sources) > 1 and not dest.endswith("/"):
        raise StepFailed(
            f"When using {command} with more than one source file, the destination must be a "
            "directory and end with a /"
        )
    chown = _expand(build, state, ins.flags["chown"]) if ins.flags.get("chown") else ""
    lower = build.stage_tree(state)
    owner = parse_chown(chown, lower) if chown else (0, 0)
    chown_comment = f"--chown={chown}" if chown else ""
    comment = f"#(nop) {command} {chown_comment}{sources_hash(sources)} in {dest_word} "
    probe = copy.deepcopy(state.run_config)
    probe["Cmd"] = [*state.shell, comment]
    if build.try_cache(state, probe):
        return
    upper = dict(lower)
    copy_sources(upper, origin, sources, dest, owner, command == "ADD" and not source_from,
                 int(build.engine.clock.now()))  # fmt: skip
    state.image_id = build.committer.commit(state, probe, fs.compute_changes(lower, upper))


def _no_network(url: str) -> str:
    host = re.sub(r"^[a-z]+://", "", url).split("/")[0]
    return (
        f'ADD failed: Get "{url}": dial tcp: lookup {host}: no such host '
        "(LayerLab's simulated engine has no network, so ADD cannot download URLs)"
    )


# -- RUN ----------------------------------------------------------------------------------------


def _run(build: Build, state: StageState, ins: Instruction) -> None:
    from layerlab.engine.sim.builder import run_step as builder_run

    builder_run.run_step(build, state, ins)


_HANDLERS = {
    "ENV": _env, "LABEL": _label, "CMD": _cmd, "ENTRYPOINT": _entrypoint, "EXPOSE": _expose,
    "USER": _user, "VOLUME": _volume, "STOPSIGNAL": _stopsignal, "MAINTAINER": _maintainer,
    "HEALTHCHECK": _healthcheck, "ONBUILD": _onbuild, "SHELL": _shell, "ARG": _arg,
    "WORKDIR": _workdir, "COPY": _copy, "ADD": _copy, "RUN": _run,
}  # fmt: skip
