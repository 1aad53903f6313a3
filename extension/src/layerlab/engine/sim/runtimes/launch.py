"""One run of a real runtime's program in a simulated container, whatever the language.

A runtime (:mod:`.cpython`, :mod:`.nodejs`) says which host files make it and where the container
sees them (:class:`RuntimeFiles`); this module prepares the container's files around them (an
overlay over the image's prepared files, or a whole copy), runs the program confined with the
container's environment, working directory, user and hostname, hands ``-d`` programs to their
monitor, and takes back what the program wrote into the container's writable layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from layerlab.engine.sim.programs.applets import users
from layerlab.engine.sim.programs.applets.base import Io, LogSink
from layerlab.engine.sim.programs.image_tools import refuse
from layerlab.engine.sim.runtimes import confinement, live, overlay, rootfs
from layerlab.engine.sim.store.fs import Tree
from layerlab.i18n import tr

# How a runtime takes a non-root user itself: (uid, gid, groups) -> the options it needs after
# argv[0], and the files they read from the sandbox's /dev (see ``confinement.Job``).
UserSwitch = Callable[[int, int, list[int]], tuple[list[str], dict[str, bytes]]]


@dataclass(frozen=True)
class RuntimeFiles:
    """The host files that make a runtime, as one container sees them."""

    binds: list[confinement.Bind]  # its own files (binary, standard library) at the image's paths
    mount_points: list[overlay.MountPoint]  # where those binds go, and which are folders
    libraries: list[confinement.Bind]  # system libraries, each at its own path
    # Container folders inside a bound one that must stay the container's (mounted over it).
    separate: list[str] = field(default_factory=list)
    # Whether the executable can run confinement's launcher (a CPython can): needed to run as a
    # non-root user, and to tell a shell which signal killed the program.
    runs_launcher: bool = False
    # Otherwise, how the runtime takes a non-root user itself, if it can.
    takes_user: UserSwitch | None = None


def _limit_text(name: str, limit: str, limits: confinement.Limits, code: int) -> str:
    if limit == "time":
        # The usual reason a lesson's program waits that long: it is waiting for the network
        # (npm and pip retry a registry they cannot reach), which a simulated container lacks.
        text = tr(
            "LayerLab: {name} ran for more than {seconds} seconds (simulated containers have no "
            "network: a program waiting for one waits until this limit), a limit of the "
            "simulator, and was stopped (exit code {code}).",
            seconds=f"{limits.wall_seconds:g}", name=name, code=code,
        )  # fmt: skip
    elif limit == "cpu":
        text = tr(
            "LayerLab: {name} used more than {seconds} seconds of CPU time, a limit of the "
            "simulator, and was stopped (exit code {code}).",
            seconds=limits.cpu_seconds, name=name, code=code,
        )  # fmt: skip
    elif limit == "interrupt":
        text = tr(
            "LayerLab: {name} went on after Ctrl-C, and a second Ctrl-C stopped it (exit code "
            "{code}): the simulator runs a program in the foreground inside the command that "
            "waits for it. Start a program that should outlive it with -d.",
            name=name, code=code,
        )  # fmt: skip
    else:
        text = tr(
            "LayerLab: {name} wrote more than {size} MiB of output, a limit of the simulator, "
            "and was stopped (exit code {code}).",
            size=limits.output_bytes >> 20, name=name, code=code,
        )  # fmt: skip
    return text + "\n"


def supplementary_groups(tree: Tree, uid: int, gid: int) -> list[int]:
    """The groups of /etc/group that list the user as a member, with its primary group, as the
    daemon sets them for a container user (a uid with no /etc/passwd entry has its gid only)."""
    name = users.user_name(tree, uid)
    return users.groups_of(tree, name, gid) if name is not None else [gid]


def _terminal_fds(io: Io) -> frozenset[int]:
    """Which of the program's stdin, stdout and stderr are the container's terminal (-t):
    those the shell did not redirect or pipe."""
    if not io.sys.tty:
        return frozenset()
    fds = {fd for fd in (1, 2) if isinstance(io.fds.get(fd), LogSink)}
    if io.stdin_open and not io.stdin:
        fds.add(0)
    return frozenset(fds)


def _live_container(io: Io) -> rootfs.Materialised | None:
    """For ``docker exec`` into a container whose real program runs (as root): its files."""
    if not io.sys.join_dir or not confinement.as_root():
        return None
    root = live.root_of(Path(io.sys.join_dir))
    if root is None or not live.program_pid(Path(io.sys.join_dir)):
        return None
    return rootfs.Materialised(root=root, tree_before={}, seen={}, owners=True)


def run_program(name: str, executable: str, argv: list[str], io: Io, files: RuntimeFiles) -> int:
    """Run ``argv`` with the runtime's binary at ``executable`` on the container's files; the
    exit code as Docker reports it. ``name`` is what LayerLab's messages call the program."""
    runs_live = bool(io.sys.live_dir) and io.pid == 1 and not io.stdin
    joined = _live_container(io)
    owners = confinement.as_root()
    groups = supplementary_groups(io.tree, io.uid, io.gid)
    # Without root a non-root user's rights are shown by the files' modes.
    access = None if owners or io.uid == 0 else rootfs.Access(io.uid, io.gid, tuple(groups))
    staged = None
    if joined is None and not runs_live and io.sys.base is not None:
        with contextlib.suppress(overlay.NotSuitable):
            staged = overlay.stage(
                io.sys.base,
                io.tree,
                owners,
                files.mount_points,
                files.separate,
                files.libraries,
                access,
            )
    made: rootfs.Materialised | None = None
    if staged is not None:
        root: str | confinement.Overlay = staged.root
        targets = staged.targets
        # The libraries are in the overlay; a separate folder has an overlay of its own.
        extra: list[confinement.Mount] = [plane.mount for plane in staged.planes[1:]]
    else:
        # The running program's own files (what this one writes is theirs too), or a copy.
        made = joined or rootfs.materialise(io.tree, owners, access)
        root = made.root
        points = [
            *files.mount_points,
            *(overlay.MountPoint(b.target, False) for b in files.libraries),
        ]
        targets = {m.target: rootfs.prepare_mount_point(made, m.target, m.is_dir) for m in points}
        extra = [confinement.Bind(b.source, targets[b.target]) for b in files.libraries]
        for path in files.separate:  # the container's own folder, in front of the runtime's
            extra.append(confinement.Bind(made.host_path(targets[path]), targets[path], True))
    # A live program's root stays, its monitor's to keep and the store's to collect.
    keep = joined is not None
    user_options: list[str] = []
    dev_files: dict[str, bytes] = {}
    if files.takes_user is not None and owners and (io.uid, io.gid) != (0, 0):
        user_options, dev_files = files.takes_user(io.uid, io.gid, groups)
    if joined is not None:  # what the exec's shell changed before it, the program sees too
        live.write_through(Path(io.sys.join_dir), io.sys.join_synced, io.tree)
    try:
        job = confinement.Job(
            root=root,
            executable=executable,
            argv=list(argv),
            env=dict(io.env),
            cwd=io.cwd,
            uid=io.uid,
            gid=io.gid,
            groups=groups,
            hostname=io.sys.hostname,
            binds=[*(confinement.Bind(b.source, targets[b.target]) for b in files.binds), *extra],
            pid1=io.pid == 1,
            launcher=executable if files.runs_launcher else "",
            user_options=user_options,
            dev_files=dev_files,
            modes_show_rights=access is not None,
            # A shell (or exec) waits for it: it is told which signal ended the program.
            report_signal=io.pid != 1 and files.runs_launcher,
            forward_interrupt=io.sys.attached_client and io.pid == 1,
            network_of=(live.program_pid(Path(io.sys.join_dir)) or 0) if joined else 0,
            terminal=_terminal_fds(io),
        )
        limits = confinement.Limits.default()
        try:
            if runs_live and made is not None:
                keep = True
                live.launch(job, made, Path(io.sys.live_dir), io.stdin_open)
            outcome = confinement.run(job, io.stdin, io.stdin_open, io.write, limits)
        except confinement.Unavailable as error:
            keep = joined is not None
            return refuse(io, name, str(error))
        if staged is not None:
            overlay.collect(staged, io.tree, int(io.now()), io.uid, io.gid)
        elif joined is not None:  # what it wrote into the running program's files
            live.snapshot(Path(io.sys.join_dir), io.tree, int(io.now()), io.uid, io.gid)
            io.sys.join_synced.clear()
            io.sys.join_synced.update(io.tree)
        elif made is not None:
            rootfs.collect(made, io.tree, int(io.now()), io.uid, io.gid)
    finally:
        if staged is not None:
            staged.remove()
        if made is not None and not keep:
            made.remove()
    io.sys.killed_by = outcome.signal
    if outcome.limit is not None:
        io.err(_limit_text(name, outcome.limit, limits, outcome.exit_code))
    return outcome.exit_code
