"""Applets on the simulated busybox image: tree-aware output, errors, exit codes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from layerlab.engine.sim.programs.busybox import busybox_applet_names
from layerlab.engine.sim.programs.executable import ExecError
from layerlab.engine.sim.programs.process import ProcessContext, ProgramResult, run_process
from layerlab.engine.sim.registry.hub.rootfs import BUSYBOX_SIZE, busybox_rootfs
from layerlab.engine.sim.store.fs import Entry, tar_to_changes

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
NOW = 1_700_000_000.0


def run(argv: list[str], tree: dict | None = None, **context: object) -> ProgramResult:
    ctx = ProcessContext(tree=tree if tree is not None else busybox_rootfs(0), env=dict(ENV),
                         now=NOW, hostname="c0ffee", **context)  # fmt: skip
    return run_process(argv, ctx)


def out(result: ProgramResult, fd: int = 1) -> str:
    return b"".join(data for f, data, _ in result.output if f == fd).decode()


def test_ls_long_reads_owners_modes_links_and_dates_from_the_tree() -> None:
    lines = out(run(["ls", "-l", "/bin"])).splitlines()
    assert lines[0] == "total " + str(len(busybox_applet_names()) * 4 * -(-BUSYBOX_SIZE // 4096))
    assert lines[1].startswith("-rwxr-xr-x  269 root     root       1982256 Jan  1  1970 [")
    home = [line for line in out(run(["ls", "-la", "/"])).splitlines() if line.endswith(" home")]
    assert home == ["drwxr-xr-x    2 nobody   nogroup       4096 Jan  1  1970 home"]


def test_ls_errors_and_recursion() -> None:
    result = run(["ls", "/nope"])
    assert (out(result, 2), result.exit_code) == ("ls: /nope: No such file or directory\n", 1)
    assert out(run(["ls", "-R", "/etc/network"])).startswith("/etc/network:\nif-down.d\n")


def test_file_applets_change_the_tree() -> None:
    tree = busybox_rootfs(0)
    result = run(["sh", "-c", "mkdir -p /app/src && cd /app && touch a && cp a src/b && "
                  "mv a c && ln -s c d && chmod 700 c && chown nobody:nogroup c && rm src/b"],
                 tree)  # fmt: skip
    assert result.exit_code == 0, out(result, 2)
    assert tree["/app/c"].mode == 0o700 and tree["/app/c"].uid == 65534
    assert tree["/app/d"].kind == "symlink" and tree["/app/d"].target == "c"
    assert "/app/src/b" not in tree and "/app/a" not in tree


def test_identity_applets_follow_uid_and_etc_files() -> None:
    assert out(run(["id"])) == "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
    assert out(run(["whoami"], uid=65534)) == "nobody\n"
    result = run(["whoami"], uid=1234)
    assert (out(result, 2), result.exit_code) == ("whoami: unknown uid 1234\n", 1)
    assert out(run(["hostname"])) == "c0ffee\n"


def test_permissions_apply_to_non_root_users() -> None:
    result = run(["sh", "-c", "echo x > /etc/new; touch /root/x"], uid=65534, gid=65534)
    assert out(result, 2) == (
        "sh: can't create /etc/new: Permission denied\ntouch: /root/x: Permission denied\n"
    )


def test_date_uses_virtual_time() -> None:
    assert out(run(["date"])) == "Tue Nov 14 22:13:20 UTC 2023\n"
    assert out(run(["date", "+%Y-%m-%d %H:%M:%S"])) == "2023-11-14 22:13:20\n"


def test_tail_follow_runs_forever() -> None:
    result = run(["tail", "-f", "/etc/group"])
    assert result.runs_forever and out(result).endswith("nogroup:x:65534:\n")


def test_unsupported_applet_says_so_and_unknown_program_cannot_start() -> None:
    result = run(["vi"])
    assert (out(result, 2), result.exit_code) == (
        "vi: applet not supported in LayerLab's simulator\n", 1)  # fmt: skip
    with pytest.raises(ExecError) as missing:
        run(["nosuch"])
    assert missing.value.reason == "not_found"
    with pytest.raises(ExecError) as directory:
        run(["/etc"])
    assert directory.value.reason == "is_dir"
    with pytest.raises(ExecError) as denied:
        run(["/etc/passwd"])
    assert denied.value.reason == "permission"


def test_busybox_multicall_forms() -> None:
    assert out(run(["busybox", "echo", "hi"])) == "hi\n"
    assert out(run(["/bin/busybox", "--list"])).splitlines() == list(busybox_applet_names())


def test_ps_shows_the_main_process() -> None:
    # busybox 1.35 as built for the busybox image has no TIME column (measured on Engine 20.10)
    assert out(run(["ps"])) == "PID   USER     COMMAND\n    1 root     ps\n"


def test_grep_sed_find_on_the_tree() -> None:
    assert out(run(["grep", "-n", "^www", "/etc/passwd"])) == (
        "7:www-data:x:33:33:www-data:/var/www:/bin/false\n")  # fmt: skip
    assert out(run(["sed", "-n", "s/:.*//p", "/etc/shadow"])).split()[:2] == ["root", "daemon"]
    assert out(run(["find", "/etc/network", "-type", "d", "-name", "if-up*"])) == (
        "/etc/network/if-up.d\n")  # fmt: skip


def test_rootfs_matches_the_real_engine_layout() -> None:
    tree = busybox_rootfs(0)
    assert tree["/tmp"].mode == 0o1777 and tree["/root"].mode == 0o700
    assert tree["/etc/shadow"].mode == 0o600
    assert (tree["/var/www"].uid, tree["/usr/sbin"].uid, tree["/var/spool/mail"].gid) == (33, 1, 8)
    assert tree["/usr/bin/env"].target == "../../bin/env"
    assert len(tree["/bin/busybox"].data) == BUSYBOX_SIZE
    assert all(tree[f"/bin/{name}"] is tree["/bin/busybox"] for name in busybox_applet_names())


REAL_ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "real-engine"


@pytest.mark.skipif(
    not (REAL_ENGINE_SCRIPT.exists() and Path("/bin/busybox").exists() and shutil.which("tar")),
    reason="needs scripts/real-engine, /bin/busybox and tar",
)
def test_rootfs_is_the_tree_scripts_real_engine_builds(tmp_path: Path) -> None:
    """Same paths, kinds, modes, owners, mtimes and contents (the binary only by size)."""
    text = REAL_ENGINE_SCRIPT.read_text()
    function = re.search(r"^write_busybox_rootfs\(\) \{.*?^\}", text, re.DOTALL | re.MULTILINE)
    assert function is not None
    (tmp_path / "fn.sh").write_text(function.group(0))
    root = tmp_path / "root"
    subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source {tmp_path}/fn.sh; write_busybox_rootfs {root}"],
        check=True,
    )
    tar = tmp_path / "rootfs.tar"
    subprocess.run(
        ["tar", "--create", f"--file={tar}", "--numeric-owner", "--sort=name", "--mtime=@0",
         "-C", str(root), "."],
        check=True,
    )  # fmt: skip
    real = tar_to_changes(tar.read_bytes())
    sim = busybox_rootfs(0)
    assert sorted(real) == sorted(sim)

    def shape(entry: Entry) -> tuple:
        return (entry.kind, entry.mode, entry.uid, entry.gid, entry.mtime, entry.target,
                len(entry.data))  # fmt: skip

    for path, entry in real.items():
        assert shape(entry) == shape(sim[path]), path
        if len(entry.data) != BUSYBOX_SIZE:
            assert entry.data == sim[path].data, path
