"""``python`` in a simulated container: the host's real CPython, confined to the container.

Everything the interpreter does is its own: ``-c``, scripts, ``-m``, stdin, ``input()``,
tracebacks, exit codes and signals, ``sys.argv``. LayerLab only prepares the stage: the
container's files as ``/`` (:mod:`.rootfs`), the interpreter's files at the image's paths
(:mod:`.interpreter`), the container's environment, working directory, user and hostname, and it
takes back what the program wrote.
"""

from __future__ import annotations

import contextlib
import posixpath
from pathlib import Path

from layerlab.engine.sim.programs.applets import users
from layerlab.engine.sim.programs.applets.base import Io
from layerlab.engine.sim.programs.executable import ExecError, resolve_executable
from layerlab.engine.sim.programs.image_tools import refuse
from layerlab.engine.sim.runtimes import confinement, live, overlay, rootfs
from layerlab.engine.sim.runtimes.interpreter import InterpreterUnavailable, host_interpreter
from layerlab.engine.sim.store.fs import Tree


def _limit_text(limit: str, limits: confinement.Limits) -> str:
    return {
        "time": f"ran for more than {limits.wall_seconds:g} seconds",
        "cpu": f"used more than {limits.cpu_seconds} seconds of CPU time",
        "output": f"wrote more than {limits.output_bytes >> 20} MiB of output",
    }[limit]


def supplementary_groups(tree: Tree, uid: int, gid: int) -> list[int]:
    """The groups of /etc/group that list the user as a member, with its primary group, as the
    daemon sets them for a container user (a uid with no /etc/passwd entry has its gid only)."""
    name = users.user_name(tree, uid)
    return users.groups_of(tree, name, gid) if name is not None else [gid]


def _live_container(io: Io) -> rootfs.Materialised | None:
    """For ``docker exec`` into a container whose real program runs (as root): its files."""
    if not io.sys.join_dir or not confinement.as_root():
        return None
    root = live.root_of(Path(io.sys.join_dir))
    if root is None or not live.program_pid(Path(io.sys.join_dir)):
        return None
    return rootfs.Materialised(root=root, tree_before={}, seen={}, owners=True)


def python(argv: list[str], io: Io) -> int:
    name = posixpath.basename(argv[0]) if argv else "python"
    try:
        executable, _ = resolve_executable(io, argv[0] if argv else "python3")
    except ExecError:
        executable = "/usr/local/bin/python3"
    try:
        interpreter = host_interpreter()
    except InterpreterUnavailable as error:
        return refuse(io, name, str(error))
    prefix = posixpath.dirname(posixpath.dirname(executable)) or "/"
    site = interpreter.site_packages_at(prefix)
    interpreter_binds = interpreter.binds(executable)
    libraries = interpreter.library_binds()
    # A site-packages inside the standard library's folder is hidden by the host's bound over
    # it: it needs a mount of its own (Debian's interpreter keeps its packages elsewhere).
    separate = [site] if interpreter.site_inside_stdlib(prefix) else []
    mount_points = [
        *(overlay.MountPoint(b.target, b.source == interpreter.stdlib) for b in interpreter_binds),
        *(overlay.MountPoint(path, True) for path in separate),
    ]
    runs_live = bool(io.sys.live_dir) and io.pid == 1 and not io.stdin
    joined = _live_container(io)
    staged = None
    if joined is None and not runs_live and io.sys.base is not None:
        with contextlib.suppress(overlay.NotSuitable):
            owners = confinement.as_root()
            staged = overlay.stage(io.sys.base, io.tree, owners, mount_points, separate, libraries)
    made: rootfs.Materialised | None = None
    if staged is not None:
        root: str | confinement.Overlay = staged.root
        targets = staged.targets
        # The libraries are in the overlay; a separate site-packages has an overlay of its own.
        extra: list[confinement.Mount] = [plane.mount for plane in staged.planes[1:]]
    else:
        # The running program's own files (what this one writes is theirs too), or a copy.
        made = joined or rootfs.materialise(io.tree, owners=confinement.as_root())
        root = made.root
        targets = {
            m.target: rootfs.prepare_mount_point(made, m.target, m.is_dir)
            for m in [*mount_points, *(overlay.MountPoint(b.target, False) for b in libraries)]
        }
        extra = [confinement.Bind(b.source, targets[b.target]) for b in libraries]
        for path in separate:  # the container's own site-packages, in front of the host's
            extra.append(confinement.Bind(made.host_path(targets[path]), targets[path], True))
    # A live program's root stays, its monitor's to keep and the store's to collect.
    keep = joined is not None
    try:
        job = confinement.Job(
            root=root,
            executable=executable,
            argv=list(argv),
            env=dict(io.env),
            cwd=io.cwd,
            uid=io.uid,
            gid=io.gid,
            groups=supplementary_groups(io.tree, io.uid, io.gid),
            hostname=io.sys.hostname,
            binds=[
                *(confinement.Bind(b.source, targets[b.target]) for b in interpreter_binds),
                *extra,
            ],
            pid1=io.pid == 1,
            launcher=executable,
            report_signal=io.pid != 1,  # a shell (or exec) waits for it
            network_of=(live.program_pid(Path(io.sys.join_dir)) or 0) if joined else 0,
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
        elif joined is None and made is not None:
            rootfs.collect(made, io.tree, int(io.now()), io.uid, io.gid)
    finally:
        if staged is not None:
            staged.remove()
        if made is not None and not keep:
            made.remove()
    io.sys.killed_by = outcome.signal
    if outcome.limit is not None:
        io.err(
            f"LayerLab: {name} {_limit_text(outcome.limit, limits)}, a limit of the simulator, "
            f"and was stopped (exit code {outcome.exit_code}).\n"
        )
    return outcome.exit_code
