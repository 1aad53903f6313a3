"""Safe mode's rules for docker command lines: which options reach outside the container
(``--privileged``, host bind mounts, the host's namespaces) and which prunes would touch what
others made. Whether the rules apply is ``layerlab.engine.real.safety``'s setting."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable

from layerlab.cli.errors import CliError
from layerlab.cli.flags import FlagError, FlagSet, ParsedArgs, specs_from_help
from layerlab.cli.grammar import GROUPS, TOP_COMMANDS, read_help
from layerlab.engine.real.safety import REFUSED_EXIT_CODE, enforced

_NAMED_VOLUME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
_UNCONFINED = re.compile(r"(?:seccomp|apparmor|systempaths)[=:]unconfined|label[=:]disable")


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
    if not enforced():
        return
    message = refusal(parsed)
    if message is not None:
        raise CliError(message, REFUSED_EXIT_CODE)


def check_argv(argv: list[str]) -> str | None:
    """Why a whole docker command line is refused in safe mode, found before it is dispatched
    (so the reason beats "not supported by LayerLab" for options LayerLab does not model).
    Lines that do not parse are left to the CLI, which reports them as docker does."""
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
