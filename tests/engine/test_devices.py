"""The run-time /dev of simulated containers, against what Docker Engine 20.10 (runc, busybox
image) shows: device nodes, their reads and writes, and that none of it reaches a layer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.programs.process import ProcessContext, ProgramResult, run_process
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs
from layerlab.engine.sim.store.fs import tar_to_changes

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
NOW = 1_700_000_000.0
DATE = re.compile(r"[A-Z][a-z]{2} [ \d]\d (\d\d:\d\d| \d{4}) ")

# `docker run --rm busybox ls -l /dev` on Engine 20.10.24 (dates replaced by DATE).
REAL_LS_DEV = """total 0
lrwxrwxrwx    1 root     root            13 DATE fd -> /proc/self/fd
crw-rw-rw-    1 root     root        1,   7 DATE full
drwxrwxrwt    2 root     root            40 DATE mqueue
crw-rw-rw-    1 root     root        1,   3 DATE null
lrwxrwxrwx    1 root     root             8 DATE ptmx -> pts/ptmx
drwxr-xr-x    2 root     root             0 DATE pts
crw-rw-rw-    1 root     root        1,   8 DATE random
drwxrwxrwt    2 root     root            40 DATE shm
lrwxrwxrwx    1 root     root            15 DATE stderr -> /proc/self/fd/2
lrwxrwxrwx    1 root     root            15 DATE stdin -> /proc/self/fd/0
lrwxrwxrwx    1 root     root            15 DATE stdout -> /proc/self/fd/1
crw-rw-rw-    1 root     root        5,   0 DATE tty
crw-rw-rw-    1 root     root        1,   9 DATE urandom
crw-rw-rw-    1 root     root        1,   5 DATE zero
"""
# `ls -la /dev/pts /dev/shm /dev/mqueue`, same engine.
REAL_LS_MOUNTS = """/dev/mqueue:
total 0
drwxrwxrwt    2 root     root            40 DATE .
drwxr-xr-x    5 root     root           320 DATE ..

/dev/pts:
total 0
drwxr-xr-x    2 root     root             0 DATE .
drwxr-xr-x    5 root     root           320 DATE ..
crw-rw-rw-    1 root     root        5,   2 DATE ptmx

/dev/shm:
total 0
drwxrwxrwt    2 root     root            40 DATE .
drwxr-xr-x    5 root     root           320 DATE ..
"""


def run(script: str, tree: dict | None = None, **context: object) -> ProgramResult:
    ctx = ProcessContext(tree=tree if tree is not None else busybox_rootfs(0), env=dict(ENV),
                         now=NOW, hostname="c0ffee", **context)  # fmt: skip
    return run_process(["sh", "-c", script], ctx)


def out(result: ProgramResult, fd: int = 1) -> str:
    return b"".join(data for f, data, _ in result.output if f == fd).decode()


def undated(text: str) -> str:
    return DATE.sub("DATE ", text)


def test_ls_shows_the_devices_the_runtime_mounts() -> None:
    assert undated(out(run("ls -l /dev"))) == REAL_LS_DEV
    assert undated(out(run("ls -la /dev/pts /dev/shm /dev/mqueue"))) == REAL_LS_MOUNTS
    dot = out(run("ls -la /dev")).splitlines()[:2]
    assert (
        dot[0] == "total 4"
        and undated(dot[1]) == "drwxr-xr-x    5 root     root           320 DATE ."
    )


def test_a_tty_adds_the_console() -> None:
    line = undated(out(run("ls -l /dev/console"), 1))
    assert line == ""  # no -t: no console
    line = undated(out(run("ls -l /dev/console", tty=True)))
    assert line == "crw--w----    1 root     tty       136,   0 DATE /dev/console\n"


def test_reads_are_bounded_by_what_the_reader_asks() -> None:
    tree = busybox_rootfs(0)
    result = run("head -c 3000000 /dev/zero > /f; head -c 5 /dev/zero | od -c >/dev/null; "
                 "head -c 10 /dev/urandom | wc -c; cat /dev/null | wc -c; wc -c /dev/null; "
                 "cat /dev/zero | head -c 3 | wc -c; head -c 4 /dev/full | wc -c",
                 tree)  # fmt: skip
    assert out(result) == "10\n0\n0 /dev/null\n3\n4\n", out(result, 2)
    assert tree["/f"].data == bytes(3_000_000)


def test_dd_copies_blocks_from_a_device() -> None:
    tree = busybox_rootfs(0)
    result = run("dd if=/dev/zero of=/g bs=1k count=3", tree)
    assert (out(result, 2), result.exit_code) == ("3+0 records in\n3+0 records out\n", 0)
    assert tree["/g"].data == bytes(3072)


def test_urandom_is_deterministic_per_container_and_read() -> None:
    first = run(
        "head -c 16 /dev/urandom > /a; head -c 16 /dev/urandom > /b", tree := {**busybox_rootfs(0)}
    )
    again = run(
        "head -c 16 /dev/urandom > /a; head -c 16 /dev/urandom > /b", tree2 := {**busybox_rootfs(0)}
    )
    assert first.exit_code == again.exit_code == 0
    assert tree["/a"].data == tree2["/a"].data and tree["/a"].data != tree["/b"].data


def test_writes_null_discards_full_fails_tty_has_no_terminal() -> None:
    result = run("echo x > /dev/null; echo z > /dev/zero; echo rc=$?; "
                 "echo hi > /dev/full; echo rc=$?; cat /etc/passwd > /dev/full; echo rc=$?; "
                 "cp /etc/passwd /dev/full; echo rc=$?; printf abc > /dev/full; echo rc=$?; "
                 "echo hi > /dev/tty; cat /dev/tty; echo x > /dev/stdout")  # fmt: skip
    assert out(result) == "rc=0\nrc=1\nrc=1\nrc=1\nrc=1\nx\n"
    assert out(result, 2) == (
        "sh: write error: No space left on device\n"
        "cat: write error: No space left on device\n"
        "cp: write error: No space left on device\n"
        "sh: can't create /dev/tty: No such device or address\n"
        "cat: can't open '/dev/tty': No such device or address\n"
    )


def test_stat_test_and_find_know_character_devices() -> None:
    result = run("stat /dev/null | sed -n 2,3p; test -c /dev/null && echo char; "
                 "test -f /dev/null || echo notfile; "
                 "find /dev -type c | sort | head -2")  # fmt: skip
    lines = out(result).splitlines()
    assert (
        lines[0] == "  Size: 0         \tBlocks: 0          IO Block: 4096   character special file"
    )
    assert lines[1].endswith("Links: 1     Device type: 1,3")
    assert lines[2:] == ["char", "notfile", "/dev/full", "/dev/null"]


def test_the_mount_never_reaches_the_tree_the_caller_keeps() -> None:
    tree = busybox_rootfs(0)
    before = {p: e for p, e in tree.items() if p.startswith("/dev")}
    result = run("echo y > /dev/shm/f; mkdir /dev/shm/d; touch /dev/newfile; rm /dev/null", tree)
    assert result.exit_code == 0
    assert {p: e for p, e in tree.items() if p.startswith("/dev")} == before
    kept = tar_to_changes(result.dev_kept)
    assert set(kept) >= {"/dev/shm/f", "/dev/shm/d", "/dev/newfile"}
    assert all(entry is None or entry.kind != "chardev" for entry in kept.values())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    return SimEngine(Path(tmp_path_factory.mktemp("devices")))


def test_diff_commit_and_exec_ignore_dev(engine: SimEngine) -> None:
    # Real `docker diff` after the same commands: only "A /f".
    script = "echo x > /dev/null; echo y > /dev/shm/f; head -c 300 /dev/zero > /f; sleep 3600"
    cid = engine.create_container("busybox", command=["sh", "-c", script], name="dev-diff")["Id"]
    engine.start(cid)
    assert engine.diff(cid) == [{"Kind": 1, "Path": "/f"}]
    exec_id = engine.exec_create(cid, ["cat", "/dev/shm/f"])["Id"]
    assert engine.exec_start(exec_id) == (b"y\n", b"")  # the tmpfs lives while the container runs
    exec_id = engine.exec_create(cid, ["sh", "-c", "echo z > /dev/shm/g; ls -l /dev/null"])["Id"]
    assert engine.exec_start(exec_id)[0].startswith(b"crw-rw-rw-    1 root     root        1,   3 ")
    assert engine.diff(cid) == [{"Kind": 1, "Path": "/f"}]
    engine.remove_container(cid, force=True)
