"""The command table: which docker commands exist, their aliases, help texts, argument counts and
which of docker's flags LayerLab models.

Flag *definitions* come from the help texts (every flag docker 28.2.2 accepts); ``supported``
names the subset LayerLab implements, so any other real flag is refused by name.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from itertools import takewhile

from layerlab.cli.flags import FlagSet, FlagSpec, specs_from_help

# How cobra validated the positional arguments: (rule, least, most). The rule picks the message.
ArgRule = tuple[str, int, int]
MIN1: ArgRule = ("min", 1, 0)
EXACT1: ArgRule = ("exact", 1, 1)
EXACT2: ArgRule = ("exact", 2, 2)
MAX1: ArgRule = ("max", 0, 1)
NONE: ArgRule = ("none", 0, 0)

# Flags docker hides from --help but still accepts.
HIDDEN_FLAGS: dict[str, list[FlagSpec]] = {
    "stop": [FlagSpec("time", None, "int", deprecated="use --timeout instead")],
    "restart": [FlagSpec("time", None, "int", deprecated="use --timeout instead")],
    # The old name of --network; both add to the same list.
    "run": [FlagSpec("net", None, "network")],
    "create": [FlagSpec("net", None, "network")],
    # BuildKit's flag: 20.10's help hides it while BuildKit is off; buildx lists it.
    "build": [FlagSpec("progress", None, "string")],
    # buildx keeps the legacy builder's flags, hidden, so that old command lines still parse.
    "buildx build": [
        FlagSpec("rm"), FlagSpec("force-rm"), FlagSpec("compress"), FlagSpec("squash"),
        FlagSpec("isolation", None, "string"), FlagSpec("security-opt", None, "strings"),
        FlagSpec("memory", "m", "string"), FlagSpec("memory-swap", None, "string"),
        FlagSpec("cpu-shares", "c", "int"), FlagSpec("cpu-period", None, "int"),
        FlagSpec("cpu-quota", None, "int"), FlagSpec("cpuset-cpus", None, "string"),
        FlagSpec("cpuset-mems", None, "string"),
    ],
}  # fmt: skip

_CREATE_FLAGS = {
    "attach", "env", "entrypoint", "expose", "hostname", "interactive", "label", "name",
    "network", "net", "publish", "tty", "user", "workdir", "rm",
}  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One leaf command. ``path`` is cobra's command path without ``docker``."""

    path: tuple[str, ...]
    help_file: str
    args: ArgRule
    handler: str  # "module:function" under layerlab.cli.commands
    supported: frozenset[str] = field(default_factory=frozenset)
    interspersed: bool = True
    derive_help_from: str | None = None  # help file whose usage line names the short form

    @property
    def name(self) -> str:
        return "docker " + " ".join(self.path)

    @property
    def help_text(self) -> str:
        if self.derive_help_from is None:
            return read_help(self.help_file)
        short = "docker " + self.derive_help_from.removesuffix(".txt")
        text = read_help(self.derive_help_from)
        return text.replace(f"Usage:  {short} ", f"Usage:  {self.name} ", 1)

    @property
    def usage(self) -> str:
        """The usage line, with the tab-indented lines of a second form (``docker cp``)."""
        lines = self.help_text.splitlines()  # buildx's help starts with a description
        at = next((i for i, line in enumerate(lines) if line.startswith("Usage:")), 0)
        first, *rest = lines[at:]
        return "\n".join([first.removeprefix("Usage:").strip(), *takewhile(bool, rest)])

    def flagset(self) -> FlagSet:
        hidden = " ".join(self.path) if self.path[0] == "buildx" else self.path[-1]
        specs = specs_from_help(self.help_text) + HIDDEN_FLAGS.get(hidden, [])
        return FlagSet(specs, interspersed=self.interspersed)


@dataclass(frozen=True)
class Group:
    """A management command (``image``, ``container``, ``system``) and its subcommands."""

    name: str
    help_file: str
    commands: dict[str, Command]  # every alias -> command


# Which docker CLI speaks for the command line being run: "" for the CLI 28.2.2 this package
# ports, "26.1" for Engine 26.1's own CLI (the simulator's 26.1 profile): its help texts (and so
# its flags, help/26.1/) and its words for mistakes. Set by run_cli for the engine it runs on.
CLI_PROFILE: ContextVar[str] = ContextVar("cli_profile", default="")


def cli_26() -> bool:
    """Whether Engine 26.1's CLI speaks (its cobra words for mistakes differ from 28.2.2's)."""
    return CLI_PROFILE.get() == "26.1"


def read_help(file_name: str) -> str:
    """A command's ``--help`` text as the CLI of the current :data:`CLI_PROFILE` prints it."""
    return _read_help(file_name, CLI_PROFILE.get())


@cache
def _read_help(file_name: str, profile: str) -> str:
    folder = resources.files("layerlab.cli").joinpath("help")
    if profile and folder.joinpath(profile, file_name).is_file():
        return folder.joinpath(profile, file_name).read_text("utf-8")
    return folder.joinpath(file_name).read_text("utf-8")


def _cmd(
    path: str,
    args: ArgRule,
    handler: str,
    supported: set[str] | frozenset[str] = frozenset(),
    interspersed: bool = True,
    derive: str | None = None,
) -> Command:
    words = tuple(path.split())
    return Command(
        words, "_".join(words) + ".txt", args, handler, frozenset(supported), interspersed, derive
    )


def _pair(
    group: str, name: str, args: ArgRule, handler: str, supported: set[str], **kw: bool
) -> tuple[Command, Command]:
    """The ``docker NAME`` and ``docker GROUP NAME`` forms of one command."""
    return (
        _cmd(name, args, handler, supported, **kw),
        _cmd(f"{group} {name}", args, handler, supported, **kw),
    )


def _build_table() -> tuple[dict[str, Command], dict[str, Group]]:
    c = "containers:"
    i = "images:"
    run, c_run = _pair("container", "run", MIN1, c + "cmd_run",
                       _CREATE_FLAGS | {"detach", "sig-proxy"}, interspersed=False)  # fmt: skip
    create, c_create = _pair("container", "create", MIN1, c + "cmd_create", _CREATE_FLAGS,
                             interspersed=False)  # fmt: skip
    start, c_start = _pair("container", "start", MIN1, c + "cmd_start", {"attach", "interactive"})
    stop, c_stop = _pair("container", "stop", MIN1, c + "cmd_stop", {"timeout", "time"})
    restart, c_restart = _pair("container", "restart", MIN1, c + "cmd_restart", {"timeout", "time"})
    kill, c_kill = _pair("container", "kill", MIN1, c + "cmd_kill", {"signal"})
    rm, c_rm = _pair("container", "rm", MIN1, c + "cmd_rm", {"force", "volumes"})
    logs_flags = {"follow", "tail", "timestamps"}
    logs, c_logs = _pair("container", "logs", EXACT1, c + "cmd_logs", logs_flags)
    exec_flags = {"detach", "env", "interactive", "tty", "user", "workdir"}
    exec_, c_exec = _pair(
        "container", "exec", ("min", 2, 0), c + "cmd_exec", exec_flags, interspersed=False
    )
    commit_flags = {"author", "change", "message", "pause"}
    commit, c_commit = _pair(
        "container", "commit", ("range", 1, 2), "commit:cmd_commit", commit_flags
    )
    rename, c_rename = _pair("container", "rename", EXACT2, c + "cmd_rename", set())
    port, c_port = _pair("container", "port", ("range", 1, 2), "ports:cmd_port", set())
    cp, c_cp = _pair("container", "cp", EXACT2, "copy:cmd_cp", {"archive", "follow-link", "quiet"})
    wait, c_wait = _pair("container", "wait", MIN1, c + "cmd_wait", set())
    attach, c_attach = _pair("container", "attach", EXACT1, c + "cmd_attach",
                             {"no-stdin", "sig-proxy"})  # fmt: skip
    diff, c_diff = _pair("container", "diff", EXACT1, c + "cmd_diff", set())
    ps_flags = {"all", "filter", "format", "last", "latest", "no-trunc", "quiet", "size"}
    ps = _cmd("ps", NONE, c + "cmd_ps", ps_flags)
    c_ls = _cmd("container ls", NONE, c + "cmd_ps", ps_flags)
    c_inspect = _cmd("container inspect", MIN1, "system:cmd_container_inspect", {"format"})
    c_prune = _cmd("container prune", NONE, c + "cmd_container_prune", {"filter", "force"})

    img_flags = {"all", "digests", "filter", "format", "no-trunc", "quiet"}
    images = _cmd("images", MAX1, i + "cmd_images", img_flags)
    i_ls = _cmd("image ls", MAX1, i + "cmd_images", img_flags)
    rmi = _cmd("rmi", MIN1, i + "cmd_rmi", {"force", "no-prune"})
    i_rm = _cmd("image rm", MIN1, i + "cmd_rmi", {"force", "no-prune"})
    hist_flags = {"format", "human", "no-trunc", "quiet"}
    history, i_history = _pair("image", "history", EXACT1, i + "cmd_history", hist_flags)
    tag, i_tag = _pair("image", "tag", EXACT2, i + "cmd_tag", set())
    save, i_save = _pair("image", "save", MIN1, i + "cmd_save", {"output"})
    load, i_load = _pair("image", "load", NONE, i + "cmd_load", {"input", "quiet"})
    i_inspect = _cmd("image inspect", MIN1, "system:cmd_image_inspect", {"format"})
    i_prune = _cmd("image prune", NONE, i + "cmd_image_prune", {"all", "filter", "force"})
    build_flags = {
        "tag", "file", "build-arg", "no-cache", "quiet", "label", "rm", "pull", "network",
        "progress", "target",
    }  # fmt: skip
    build = _cmd("build", EXACT1, "build:cmd_build", build_flags)
    i_build = _cmd("image build", EXACT1, "build:cmd_build", build_flags, derive="build.txt")
    pull = _cmd("pull", EXACT1, "registry:cmd_pull", {"all-tags", "quiet"})
    i_pull = _cmd("image pull", EXACT1, "registry:cmd_pull", {"all-tags", "quiet"},
                  derive="pull.txt")  # fmt: skip
    push = _cmd("push", EXACT1, "registry:cmd_push", {"quiet"})
    i_push = _cmd("image push", EXACT1, "registry:cmd_push", {"quiet"}, derive="push.txt")

    s = "system:"
    inspect = _cmd("inspect", MIN1, s + "cmd_inspect", {"format", "type"})
    version = _cmd("version", NONE, s + "cmd_version", {"format"})
    info = _cmd("info", NONE, s + "cmd_info", {"format"})
    s_info = _cmd("system info", NONE, s + "cmd_info", {"format"}, derive="info.txt")
    s_df = _cmd("system df", NONE, s + "cmd_df", {"format", "verbose"})
    s_prune = _cmd("system prune", NONE, "system_prune:cmd_system_prune",
                   {"all", "filter", "force", "volumes"})  # fmt: skip
    b_prune = _cmd("builder prune", NONE, "builder:cmd_builder_prune", {"all", "force"})
    b_build = _cmd("builder build", EXACT1, "build:cmd_build", build_flags, derive="build.txt")
    login = _cmd("login", MAX1, "registry:cmd_login", {"username", "password", "password-stdin"})
    logout = _cmd("logout", MAX1, "registry:cmd_logout", set())

    top = {
        cmd.path[0]: cmd
        for cmd in (run, create, start, stop, restart, kill, rm, logs, exec_, diff, commit,
                    rename, port, wait, attach, cp, ps, images, rmi, history, tag, save, load,
                    build, pull, push, inspect, version, info, login, logout)
    }  # fmt: skip
    container_cmds = {
        cmd.path[1]: cmd
        for cmd in (c_run, c_create, c_start, c_stop, c_restart, c_kill, c_rm, c_logs, c_exec,
                    c_diff, c_commit, c_rename, c_port, c_wait, c_attach, c_cp, c_inspect,
                    c_prune, c_ls)
    }  # fmt: skip
    container_cmds.update({"list": c_ls, "ps": c_ls, "remove": c_rm})
    image_cmds = {
        cmd.path[1]: cmd
        for cmd in (i_ls, i_rm, i_history, i_tag, i_save, i_load, i_inspect, i_prune, i_build,
                    i_pull, i_push)
    }  # fmt: skip
    image_cmds.update({"list": i_ls, "remove": i_rm})
    groups = {
        "container": Group("container", "container.txt", container_cmds),
        "image": Group("image", "image.txt", image_cmds),
        "system": Group("system", "system.txt", {"df": s_df, "info": s_info, "prune": s_prune}),
        "builder": Group("builder", "builder.txt", {"build": b_build, "prune": b_prune}),
    }
    return top, groups


TOP_COMMANDS, GROUPS = _build_table()


def as_buildx(command: Command) -> Command:
    """``docker build`` or ``docker builder prune`` when buildx answers it (Engine 26.1's CLI
    with BuildKit on): buildx's help, flags and error texts, the same handler."""
    name = command.path[-1]
    return replace(command, path=("buildx", name), help_file=f"buildx_{name}.txt",
                   derive_help_from=None)  # fmt: skip


BUILDX_HELP = "buildx.txt"  # `docker builder` when buildx answers it
