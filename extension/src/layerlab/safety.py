"""Safe mode for a real engine on a shared machine.

A real Docker engine is root on its host: ``--privileged``, a host bind mount or the host's
namespaces give a container (and so whoever types the command) the machine. In safe mode, on
by default for the real engine (``%docker_safe off`` or ``LAYERLAB_SAFE=0`` turns it off),
LayerLab refuses the options that reach outside the container, labels the containers it
creates, records the images it builds, commits, tags, pulls and loads in its ledger
(``layerlab.ledger``; a build label would show up as a step the learner never wrote), keeps
container and network prunes to its own, refuses the prunes of all unused images or volumes, and
``%docker_reset`` removes only what carries that label or is in that ledger.
"""

from __future__ import annotations

import contextlib
import csv
import getpass
import os
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.cli.flags import ParsedArgs
    from layerlab.engine.api import Json
    from layerlab.engine.real import RealEngine

MANAGED_LABEL = "io.layerlab.managed"
# The value says what was created and for whom: ``container:alice``. The kind matters because
# a container inherits its image's labels (a container made from an image labelled by hand is
# not LayerLab's); the owner keeps one learner's reset away from another's work on the same
# engine.
CONTAINER = "container"
REFUSED_EXIT_CODE = 125  # docker's exit code for a run/create it rejects before the daemon

_NAMED_VOLUME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
_UNCONFINED = re.compile(r"(?:seccomp|apparmor|systempaths)[=:]unconfined|label[=:]disable")
_enforcing: ContextVar[bool] = ContextVar("layerlab_safe_mode", default=False)


def owner() -> str:
    """Whose resources these are: ``LAYERLAB_OWNER``, else the login name."""
    name = os.environ.get("LAYERLAB_OWNER", "")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name in some containers
            name = "unknown"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def managed_value(kind: str, who: str) -> str:
    """The value of ``MANAGED_LABEL`` on a resource of ``kind`` created for ``who``."""
    return f"{kind}:{who}"


def safe_by_default() -> bool:
    """The session's initial setting: on unless ``LAYERLAB_SAFE=0``."""
    return os.environ.get("LAYERLAB_SAFE", "1").strip().lower() not in ("0", "off", "false")


@contextlib.contextmanager
def enforcing(active: bool) -> Iterator[None]:
    """Make ``refuse_unsafe`` refuse while one command runs (the session knows the setting,
    the CLI's option parsing does not)."""
    token = _enforcing.set(active)
    try:
        yield
    finally:
        _enforcing.reset(token)


def _host_volume(spec: object) -> bool:
    # `-v /host:/ctr` or `-v ./dir:/ctr` is a bind mount; `-v name:/ctr` a named volume and
    # `-v /ctr` an anonymous one.
    source, colon, _ = str(spec).partition(":")
    return bool(colon) and not _NAMED_VOLUME.fullmatch(source)


def _host_mount(spec: object) -> bool:
    fields = next(csv.reader([str(spec)]), [])
    pairs = [item.partition("=") for item in fields]
    kind = next((value for key, _, value in pairs if key.strip() == "type"), "volume")
    # A local volume with driver options (`volume-opt=o=bind,volume-opt=device=/etc`) is a
    # bind mount in disguise.
    driver_options = any(key.strip() == "volume-opt" for key, _, _ in pairs)
    return kind.strip() in ("bind", "npipe") or driver_options


# Flag name -> (test on one of its values, why it is refused).
_RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "privileged": (lambda v: v is True, "it gives the container every capability "
                   "and every device of the host"),
    "volume": (_host_volume, "it mounts a host directory into the container"),
    "mount": (_host_mount, "it mounts a host path into the container"),
    "volumes-from": (bool, "it shares another container's mounts, which may reach the host"),
    "network": (lambda v: v == "host", "the container would share the host's network"),
    "net": (lambda v: v == "host", "the container would share the host's network"),
    "pid": (lambda v: v == "host", "the container would see and signal the host's processes"),
    "ipc": (lambda v: v == "host", "the container would share the host's IPC namespace"),
    "uts": (lambda v: v == "host", "the container would share the host's hostname"),
    "userns": (lambda v: v == "host", "it turns off user namespace remapping"),
    "cgroupns": (lambda v: v == "host", "the container would share the host's cgroups"),
    "device": (bool, "it passes a host device into the container"),
    "device-cgroup-rule": (bool, "it allows access to host devices"),
    "gpus": (bool, "it passes host GPUs into the container"),
    "cap-add": (bool, "extra capabilities weaken the container's isolation"),
    "security-opt": (lambda v: bool(_UNCONFINED.search(str(v))), "it turns off a security profile"),
    "use-api-socket": (lambda v: v is True, "it hands the Docker API (root on the "
                       "host) to the container"),
}  # fmt: skip


def refusal(parsed: ParsedArgs) -> str | None:
    """Why this command line is refused in safe mode (``None``: nothing reaches outside)."""
    for name, raw in parsed.values.items():
        rule = _RULES.get(name)
        if rule is None:
            continue
        test, reason = rule
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            if test(value):
                shown = "" if isinstance(value, bool) else f"={value}"
                return (
                    f"layerlab: safe mode refuses --{name}{shown} on the real engine: {reason}. "
                    "Safe mode protects shared machines; on a machine of your own, "
                    "`%docker_safe off` (or LAYERLAB_SAFE=0) turns it off."
                )
    return None


def refuse_unsafe(parsed: ParsedArgs) -> None:
    """Raise the CLI error for an unsafe run/create line while safe mode is enforced."""
    if not _enforcing.get():
        return
    message = refusal(parsed)
    if message is not None:
        from layerlab.cli.errors import CliError

        raise CliError(message, REFUSED_EXIT_CODE)


def check_argv(argv: list[str]) -> str | None:
    """Why a whole docker command line is refused in safe mode, found before it is dispatched
    (so the reason beats "not supported by LayerLab" for options LayerLab does not model).
    Lines that do not parse are left to the CLI, which reports them as docker does."""
    from layerlab.cli.flags import FlagError, FlagSet, specs_from_help
    from layerlab.cli.grammar import GROUPS, TOP_COMMANDS, read_help

    try:
        root = FlagSet(specs_from_help(read_help("docker.txt")), interspersed=False).parse(argv)
    except FlagError:
        return None
    words = root.positionals
    command = TOP_COMMANDS.get(words[0]) if words else None
    rest = words[1:]
    if words and words[0] in GROUPS and len(words) > 1:
        command, rest = GROUPS[words[0]].commands.get(words[1]), words[2:]
    if command is None or command.path[-1] not in ("run", "create", "exec", "build", "prune"):
        return None
    try:
        parsed = command.flagset().parse(rest)
    except FlagError:
        return None
    if command.path[-1] == "prune":
        return _prune_refusal(command.path[0], parsed)
    return refusal(parsed)


def _prune_refusal(group: str, parsed: ParsedArgs) -> str | None:
    """``--all`` and ``--volumes`` would remove what others made; container and network prunes
    are kept to what LayerLab made instead (see RealEngine.prune_containers)."""
    if group in ("image", "system") and parsed.flag("all"):
        what = "every image no container uses, other people's too"
        flag = "--all"
    elif group == "system" and parsed.flag("volumes"):
        what = "every anonymous volume no container uses, with other people's data"
        flag = "--volumes"
    else:
        return None
    return (
        f"layerlab: safe mode refuses {flag} for {group} prune on the real engine: it would "
        f"remove {what}. Without it, `docker {group} prune` is allowed (containers: only "
        "yours; images: only dangling ones). Safe mode protects shared machines; on a machine "
        "of your own, `%docker_safe off` (or LAYERLAB_SAFE=0) turns it off."
    )


# -- removing what LayerLab created ------------------------------------------------------------


@dataclass
class Cleanup:
    """What ``remove_managed`` removed, and what it had to leave (with the reason)."""

    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # references, then short IDs
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"removed {len(self.containers)} container(s) and {len(self.images)} image "
            "reference(s) or ID(s) that LayerLab created for you in safe mode; nothing else "
            "was touched"
        )
        return "\n".join([text, *(f"kept {item}" for item in self.kept)])


def remove_managed(engine: RealEngine, who: str | None = None) -> Cleanup:
    """Remove what LayerLab created for ``who`` (default: ``owner()``) on a real engine in safe
    mode, and nothing else: the containers carrying its label, then the references and images
    in its ledger. Nothing is forced: what the daemon refuses to remove (an image someone's
    container uses) is kept and reported."""
    from layerlab.engine.errors import EngineError, NotFound

    who = who or owner()
    done = Cleanup()
    container_label = f"{MANAGED_LABEL}={managed_value(CONTAINER, who)}"
    for container in engine.containers(all=True, filters={"label": [container_label]}):
        name = container["Names"][0].lstrip("/") if container.get("Names") else container["Id"]
        try:
            engine.remove_container(container["Id"], force=True)
            done.containers.append(name)
        except NotFound:
            pass
        except EngineError as exc:
            done.kept.append(f"container {name}: {exc.message}")
    _remove_recorded_images(engine, who, done)
    return done


def _inspect(engine: RealEngine, reference: str) -> Json | None:
    from layerlab.engine.errors import NotFound

    try:
        return engine.inspect_image(reference)
    except NotFound:
        return None


def _remove_recorded_images(engine: RealEngine, who: str, done: Cleanup) -> None:
    """References first (removing an image's last one deletes it and its untagged parents),
    then the images LayerLab built, by ID. Passes repeat while they make progress, so an
    image waiting for a child or a reference removed later gets another turn."""
    from layerlab.engine.errors import EngineError

    ledger, address = engine.ledger, engine.base_url
    entries = ledger.entries(address, who)
    forget_refs: set[str] = set()
    forget_ids: set[str] = set()
    refused: dict[str, str] = {}
    # (reference or ID, the image ID it must still name to be LayerLab's)
    pending = [*entries.references.items(), *((i, i) for i in entries.images)]
    progress = True
    while pending and progress:
        progress, waiting = False, []
        for key, recorded in pending:
            is_reference = key in entries.references
            forget = forget_refs if is_reference else forget_ids
            image = _inspect(engine, key)
            if image is None or image["Id"] != recorded:  # gone, or names another image now
                if image is not None:
                    done.kept.append(f"{key}: it now names another image (tagged outside LayerLab)")
                forget.add(key)
                continue
            if not is_reference:
                tags = image.get("RepoTags") or []
                outside = [t for t in tags if t not in entries.references]
                if outside:  # someone tagged it without LayerLab: it is theirs now
                    done.kept.append(f"image {key[7:19]}: tagged {', '.join(outside)}")
                    forget.add(key)
                    continue
                if tags:  # one of LayerLab's references is still on it
                    waiting.append((key, recorded))
                    continue
            try:
                engine.remove_image(key)  # never forced
            except EngineError as exc:
                refused[key] = exc.message
                waiting.append((key, recorded))
                continue
            done.images.append(key if is_reference else key[7:19])
            forget.add(key)
            progress = True
        pending = waiting
    for key, _ in pending:
        shown = key if key in entries.references else f"image {key[7:19]}"
        done.kept.append(f"{shown}: {refused.get(key, 'a reference to it was kept')}")
    ledger.forget(address, who, references=forget_refs, images=forget_ids)
