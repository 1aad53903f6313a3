"""Containers: a writable layer over an image, a program, and a lifecycle in virtual time.

A container's program runs to completion the moment it starts (it is a pure function of the
filesystem), producing timed output and a duration. The container then *is* running until the
virtual clock passes that duration, so ``sleep 1000`` stays up, ``docker stop`` can interrupt it
(dropping output the program would have written later), and nothing ever really waits.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerlab.engine.errors import Conflict, InvalidArgument, NotFound
from layerlab.engine.sim.containers import ports
from layerlab.engine.sim.containers.init_layer import BIND_MOUNTED, init_layer
from layerlab.engine.sim.containers.runtime import (
    exec_error_text,
    exit_code_for,
    oci_error,
    on_terminal,
    process_context,
)
from layerlab.engine.sim.images.config import ZERO_TIME, rfc3339
from layerlab.engine.sim.store import fs, published

if TYPE_CHECKING:
    from layerlab.engine.sim.images.backend import ImageBackend
    from layerlab.engine.sim.programs.process import ProgramResult

Json = dict[str, Any]

SIGNALS = {
    "SIGKILL": 9,
    "KILL": 9,
    "9": 9,
    "SIGTERM": 15,
    "TERM": 15,
    "15": 15,
    "SIGINT": 2,
    "INT": 2,
    "2": 2,
    "SIGHUP": 1,
    "HUP": 1,
    "1": 1,
    "SIGQUIT": 3,
    "QUIT": 3,
    "3": 3,
    "SIGUSR1": 10,
    "USR1": 10,
    "10": 10,
    "SIGUSR2": 12,
    "USR2": 12,
    "12": 12,
}


@dataclass
class Container:
    """A container row: ``doc`` is the inspect document, ``run`` the program's timeline."""

    id: str
    name: str
    seq: int
    doc: Json
    upper: bytes

    @property
    def image_id(self) -> str:
        return str(self.doc["Image"])

    @property
    def state(self) -> Json:
        return self.doc["State"]  # type: ignore[no-any-return]

    @property
    def hostname(self) -> str:
        return str(self.doc["Config"].get("Hostname") or self.id[:12])

    @property
    def running(self) -> bool:
        return bool(self.state["Running"])

    @property
    def run(self) -> Json:
        return self.doc.setdefault("LayerLab", {})  # type: ignore[no-any-return]


class ContainerStore:
    def __init__(self, engine: ImageBackend) -> None:
        self.engine = engine
        self.store = engine.store
        # Containers a client of this engine has attached to before starting them (``run``
        # without -d, ``start -a``): their next start runs a real program to its end here, for
        # the client to read (unless it publishes ports: see ``start``). Any other start leaves
        # it running in the background, whatever the container's config says about attaching.
        self.attached_clients: set[str] = set()

    def all(self) -> list[Container]:
        rows = self.store.query("SELECT id, name, seq, doc, upper FROM containers ORDER BY seq")
        return [Container(r[0], r[1], r[2], json.loads(r[3]), bytes(r[4])) for r in rows]

    def save(self, c: Container) -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO containers(id, name, seq, doc, upper) VALUES (?, ?, ?, ?, ?)",
            c.id,
            c.name,
            c.seq,
            json.dumps(c.doc),
            c.upper,
        )

    def delete(self, c: Container) -> None:
        self._release_ports(c)
        published.forget_container(self.store, c.id)
        if c.run.get("live"):
            from layerlab.engine.sim.runtimes import live

            live.discard(Path(c.run["live"]["dir"]))
        self.store.execute("DELETE FROM containers WHERE id = ?", c.id)
        self.store.execute("DELETE FROM logs WHERE container_id = ?", c.id)

    def name_taken(self, name: str) -> Container | None:
        return next((c for c in self.all() if c.name == name), None)

    def resolve(self, ref: str) -> Container:
        """Full ID, exact name, then a unique ID prefix: the daemon's lookup order."""
        everything = self.all()
        for c in everything:
            if c.id == ref:
                return c
        name = ref.removeprefix("/")
        for c in everything:
            if c.name == name:
                return c
        matches = [c for c in everything if ref and c.id.startswith(ref)]
        if len(matches) > 1:
            raise NotFound(f"multiple IDs found with provided prefix: {ref}")
        if matches:
            return matches[0]
        raise NotFound(f"No such container: {ref}")

    # -- the writable layer ---------------------------------------------------------------------
    def image_tree(self, c: Container) -> fs.Tree:
        return self.engine.image_store.tree(self.engine.image_store.require(c.image_id))

    def image_base(self, c: Container) -> tuple[str, fs.Tree]:
        """The image's files by chain ID, the base a real program's runtime keeps prepared."""
        image = self.engine.image_store.require(c.image_id)
        return image.chain_id, self.engine.image_store.tree(image)

    def lower_tree(self, c: Container) -> fs.Tree:
        """What the writable layer sits on: the image, then the daemon's init layer."""
        tree = dict(self.image_tree(c))
        created = c.doc["Created"]
        tree.update(init_layer(tree, created, c.hostname, self.engine.clock.deterministic))
        return tree

    def tree(self, c: Container) -> fs.Tree:
        tree = self.lower_tree(c)
        if c.upper:
            fs.apply_changes(tree, fs.tar_to_changes(c.upper))
        return tree

    def sync_live_files(self, c: Container) -> None:
        """Bring the writable layer of a container whose real program runs up to the files it
        has written so far: ``diff``, ``commit``, ``cp`` and ``exec`` see them as the daemon's
        overlay shows them, while the program runs."""
        info = c.run.get("live") if c.running else None
        if not info:
            return
        from layerlab.engine.sim.runtimes import live

        tree = self.tree(c)
        now = int(self.engine.clock.now())
        live.snapshot(Path(info["dir"]), tree, now, info["uid"], info["gid"])
        self.set_tree(c, tree)
        self.save(c)

    def write_live_files(self, c: Container, before: fs.Tree, after: fs.Tree) -> None:
        """What changed beside a running real program (``exec`` of a simulated shell, ``cp``),
        written into its files too: it sees it, as on Docker's one overlay."""
        info = c.run.get("live") if c.running else None
        if info:
            from layerlab.engine.sim.runtimes import live

            live.write_through(Path(info["dir"]), before, after)

    def set_tree(self, c: Container, tree: fs.Tree) -> None:
        # Devices live on the run-time /dev mount only (see devices.py), never in a layer; the
        # files the daemon bind-mounts are not in it either.
        tree = {path: entry for path, entry in tree.items() if entry.kind != "chardev"}
        lower = self.lower_tree(c)
        tree.update({path: lower[path] for path in BIND_MOUNTED})
        changes = fs.compute_changes(lower, tree)
        c.upper = fs.changes_to_tar(changes) if changes else b""

    # -- logs -----------------------------------------------------------------------------------
    def add_output(
        self, c: Container, output: list[tuple[int, bytes, float]], start: float
    ) -> None:
        seq = self.next_log_seq(c)
        for stream, data, offset in output:
            if data:
                self.store.execute(
                    "INSERT INTO logs(container_id, seq, stream, at, data) VALUES (?, ?, ?, ?, ?)",
                    c.id,
                    seq,
                    stream,
                    start + offset,
                    data,
                )
                seq += 1

    def next_log_seq(self, c: Container) -> int:
        row = self.store.one("SELECT MAX(seq) FROM logs WHERE container_id = ?", c.id)
        return (row[0] if row and row[0] is not None else 0) + 1

    def output(
        self, c: Container, until: float | None = None, first_seq: int = 0
    ) -> list[tuple[int, bytes, float]]:
        """The log up to ``until``; from ``first_seq`` on (one run's output) if given."""
        rows = self.store.query(
            "SELECT stream, data, at FROM logs WHERE container_id = ? AND seq >= ? ORDER BY seq",
            c.id,
            first_seq,
        )
        return [(s, bytes(d), at) for s, d, at in rows if until is None or at <= until]

    def drop_output_after(self, c: Container, moment: float) -> None:
        self.store.execute("DELETE FROM logs WHERE container_id = ? AND at > ?", c.id, moment)

    # -- lifecycle ------------------------------------------------------------------------------
    def settle(self, c: Container, now: float) -> bool:
        """Bring a running container up to ``now``: exit it if its program has finished.
        Returns False when the container was removed (``--rm``)."""
        if not c.running:
            return True
        run = c.run
        if run.get("live"):
            return self._settle_live(c)
        if run.get("forever") or now < run["started"] + run["duration"]:
            return True
        self._finish(c, run["started"] + run["duration"], run["exit_code"])
        return self._after_exit(c)

    def live_dir(self, c: Container) -> Path:
        """Where a detached real program's monitor keeps its records (see ``runtimes.live``)."""
        return self.engine.home / "live" / Path(self.store.path).stem / c.id

    def _settle_live(self, c: Container) -> bool:
        """Bring a container whose program really runs up to date: its new output into the log,
        and once it has ended, its files, exit code and time. Its output is stamped with the
        time it was written, as far as the (possibly virtual) clock has come."""
        from layerlab.engine.sim.runtimes import live

        info = c.run["live"]
        directory = Path(info["dir"])
        now = self.engine.clock.now()
        self.import_live_output(c)
        ended = live.ended(directory)
        if ended is None:
            self.save(c)
            return True
        tree = self.tree(c)
        live.finish(directory, tree, int(now), int(info["uid"]), int(info["gid"]))
        self.set_tree(c, tree)
        del c.run["live"]
        self._finish(c, self._live_moment(c, info, ended.at, now), ended.code)
        return self._after_exit(c)

    def import_live_output(self, c: Container) -> None:
        """What a really running program wrote since the last look, into the container's log."""
        from layerlab.engine.sim.runtimes import live

        info = c.run["live"]
        now = self.engine.clock.now()
        records, info["offset"] = live.read_output(Path(info["dir"]), int(info["offset"]))
        if records:
            started = float(c.run["started"])
            output = [(fd, data, self._live_moment(c, info, at, now) - started)
                      for fd, data, at in records]  # fmt: skip
            self.add_output(c, output, started)
        self.save(c)

    @staticmethod
    def _live_moment(c: Container, info: Json, real: float, now: float) -> float:
        """A real instant on the container's clock: as long after its start as it really was,
        but never past ``now`` (a deterministic clock moves a second a command)."""
        started = float(c.run["started"])
        return min(now, started + max(0.0, real - float(info["real_start"])))

    def _finish(self, c: Container, moment: float, code: int) -> None:
        self._release_ports(c)  # its proxy ends: the ports are free again
        state = c.state
        state.update(
            Status="exited",
            Running=False,
            Paused=False,
            Restarting=False,
            Pid=0,
            ExitCode=code,
            FinishedAt=rfc3339(moment),
        )
        self.drop_output_after(c, moment)
        self.save(c)

    def _after_exit(self, c: Container) -> bool:
        if c.doc["HostConfig"].get("AutoRemove"):
            # `docker run --rm` still needs the exit code once the container is gone.
            self.store.set_meta(f"exit:{c.id}", str(c.state["ExitCode"]))
            self.delete(c)
            return False
        return True

    def start(self, c: Container) -> InvalidArgument | None:
        """Run the container's program. A program that cannot start is returned as the error
        to raise once the failed state is committed (the daemon keeps that state)."""
        from layerlab.engine.sim.programs.executable import ExecError
        from layerlab.engine.sim.programs.process import run_process

        if c.running:
            return None
        client_attached = c.id in self.attached_clients
        self.attached_clients.discard(c.id)
        engine = self.engine
        now = engine.clock.now()
        config = c.doc["Config"]
        argv = [c.doc["Path"], *c.doc["Args"]]
        tree = self.tree(c)
        context = process_context(
            tree, config.get("Env") or [], config.get("User") or "",
            config.get("WorkingDir") or "/", c.hostname, now, tty=bool(config.get("Tty")),
        )  # fmt: skip
        context.base = self.image_base(c)
        context.tty = context.terminal = bool(config.get("Tty"))
        # Input: what an attached client sent (then its end), else a terminal or an open stdin
        # that never delivers anything, else nothing at all.
        attached = c.run.pop("stdin", None)
        context.stdin = base64.b64decode(attached) if attached is not None else b""
        context.stdin_open = context.tty or (attached is None and bool(config.get("OpenStdin")))
        context.attached_client = client_attached
        if not client_attached or ports.wanted(c.doc):
            # A real program runs on in the background, on a terminal of its own with -t. One
            # that publishes ports does so even with a client attached (the client follows its
            # output): its ports are served while it runs, not once it has ended.
            context.live_dir = str(self.live_dir(c))
        # The ports first, as the daemon's network does: a taken one stops the start here.
        publication = (
            ports.bind(c.doc, self._held_ports(c), engine.ids.hex64())
            if ports.wanted(c.doc)
            else None
        )
        try:
            result = run_process(argv, context)
        except ExecError as err:
            if publication is not None:
                publication.close()
            c.state.update(ExitCode=exit_code_for(err), Error=exec_error_text(err))
            self.save(c)
            if c.doc["HostConfig"].get("AutoRemove"):
                self.delete(c)  # the daemon cleans up an --rm container that failed to start
            return InvalidArgument(oci_error(err, self.engine.profile))
        except BaseException:
            if publication is not None:
                publication.close()
            raise
        self.set_tree(c, tree)
        c.state.update(
            Status="running",
            Running=True,
            Paused=False,
            Restarting=False,
            OOMKilled=False,
            Dead=False,
            Pid=1000 + self.store.next_seq("pid"),  # a plausible host PID
            ExitCode=0,
            Error="",
            StartedAt=rfc3339(now),
            FinishedAt=ZERO_TIME,
        )
        c.run.update(_timeline(result, now))
        if result.live:
            c.run["live"] = {"dir": result.live, "real_start": time.time(), "offset": 0,
                             "uid": context.uid, "gid": context.gid}  # fmt: skip
        # What `ps` and the /dev tmpfs need while the container runs (docker exec).
        c.run.update(main_uid=context.uid, last_pid=result.last_pid, dev=_b64(result.dev_kept))
        c.run["first_log_seq"] = self.next_log_seq(c)  # an attached client sees this run only
        if publication is not None:
            lease = self.live_dir(c).with_name(f"{c.id}.ports")
            c.run["ports"] = ports.start_proxy(publication, lease, result.live or "")
            for binding in publication.bindings:
                published.record(self.store, binding.host_port, c.id)
        self.add_output(c, on_terminal(result.output) if context.tty else result.output, now)
        self.save(c)
        return None

    def _release_ports(self, c: Container) -> None:
        ports.release(c.run.pop("ports", None))

    def _held_ports(self, c: Container) -> dict[int, str]:
        """Host port -> address, for the ports other running containers hold."""
        held: dict[int, str] = {}
        for other in self.all():
            if other.id != c.id and other.running:
                for bindings in (other.run.get("ports") or {}).get("bound", {}).values():
                    for binding in bindings:
                        held[int(binding["HostPort"])] = str(binding["HostIp"])
        return held

    def stop(self, c: Container, timeout: int, signal_code: int = 15) -> None:
        """SIGTERM (or the image's stop signal), wait ``timeout`` virtual seconds, then SIGKILL."""
        if not c.running:
            return
        if c.run.get("live"):
            from layerlab.engine.sim.runtimes import live

            live.stop(Path(c.run["live"]["dir"]), timeout, signal_code)
            self._settle_live(c)
            return
        now = self.engine.clock.now()
        run = c.run
        remaining = run["started"] + run["duration"] - now
        if not run.get("forever") and remaining <= 0:
            self.settle(c, now)
            return
        on_term = run.get("on_term")
        if signal_code == 15 and on_term is not None:
            self._finish(c, now, on_term)
        elif not run.get("forever") and remaining <= timeout:
            self.engine.clock.advance(remaining)
            self._finish(c, now + remaining, run["exit_code"])
        else:
            self.engine.clock.advance(timeout)
            self._finish(c, now + timeout, 137)
        self._after_exit(c)

    def kill(self, c: Container, signal: str | None, typed: str = "") -> None:
        name = (signal or "KILL").upper()
        code = SIGNALS.get(name)
        if code is None:
            raise InvalidArgument(f"Invalid signal: {signal}")
        if not c.running:
            raise Conflict(
                f"Cannot kill container: {typed or c.id}: Container {c.id} is not running"
            )
        if c.run.get("live"):
            from layerlab.engine.sim.runtimes import live

            directory = Path(c.run["live"]["dir"])
            live.send(directory, code)
            live.wait_for_end(directory, 10 if code == 9 else 0.3)
            self._settle_live(c)
            return
        now = self.engine.clock.now()
        on_term = c.run.get("on_term")
        if code == 15 and on_term is not None:
            self._finish(c, now, on_term)
        elif code == 9:
            self._finish(c, now, 137)
        elif code in (2, 1, 3, 10, 12) or code == 15:
            # PID 1 ignores signals it has no handler for.
            return
        self._after_exit(c)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _timeline(result: ProgramResult, started: float) -> Json:
    return {
        "started": started,
        "duration": result.duration,
        "forever": result.runs_forever,
        "exit_code": result.exit_code,
        "on_term": result.exits_on_sigterm,
    }
