"""The union filesystem: changes, whiteouts, tars, DiffIDs and ChainIDs."""

from __future__ import annotations

import hashlib

from layerlab.engine.sim.store import fs


def base_tree() -> fs.Tree:
    return {
        "/bin": fs.directory(),
        "/bin/sh": fs.regular(b"shell", mode=0o755),
        "/etc": fs.directory(),
        "/etc/passwd": fs.regular(b"root:x:0:0:root:/root:/bin/sh\n"),
        "/tmp": fs.directory(mode=0o1777),
    }


def test_empty_tar_has_dockers_empty_layer_diff_id() -> None:
    # Docker's well-known empty-layer DiffID is that of a tar with no entries (1024 zero bytes).
    assert fs.digest(b"\0" * 1024) == fs.EMPTY_TAR_DIFF_ID


def test_chain_ids_follow_dockers_formula() -> None:
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert fs.chain_ids([a, b]) == [a, expected]


def test_added_file_brings_its_copied_up_parent() -> None:
    lower = base_tree()
    upper = dict(lower)
    upper["/tmp/x"] = fs.regular(b"hi")
    changes = fs.compute_changes(lower, upper)
    assert set(changes) == {"/tmp", "/tmp/x"}


def test_deleting_a_directory_whites_out_only_the_top() -> None:
    lower = base_tree()
    upper = {p: e for p, e in lower.items() if not p.startswith("/etc")}
    changes = fs.compute_changes(lower, upper)
    assert changes == {"/etc": None}


def test_changes_round_trip_through_tar() -> None:
    lower = base_tree()
    upper = {p: e for p, e in lower.items() if p != "/etc/passwd"}
    upper["/tmp/new"] = fs.regular(b"data", mode=0o600, mtime=5)
    changes = fs.compute_changes(lower, upper)
    tar = fs.changes_to_tar(changes)
    assert fs.tar_to_changes(tar) == changes
    rebuilt = dict(lower)
    fs.apply_changes(rebuilt, fs.tar_to_changes(tar))
    assert rebuilt == upper


def test_same_changes_give_the_same_tar_bytes() -> None:
    changes: fs.Changes = {"/a": fs.regular(b"1"), "/b": fs.directory(), "/b/c": fs.symlink("/a")}
    assert fs.changes_to_tar(changes) == fs.changes_to_tar(dict(reversed(changes.items())))


def test_whiteout_removes_everything_below() -> None:
    tree = base_tree()
    fs.apply_changes(tree, {"/bin": None})
    assert "/bin" not in tree and "/bin/sh" not in tree


def test_opaque_directory_hides_lower_children() -> None:
    tree = base_tree()
    fs.apply_changes(
        tree, {"/etc": fs.opaque_directory(fs.directory()), "/etc/new": fs.regular(b"")}
    )
    assert "/etc/passwd" not in tree and "/etc/new" in tree
    assert not tree["/etc"].target


def test_file_replacing_directory_drops_children() -> None:
    tree = base_tree()
    fs.apply_changes(tree, {"/etc": fs.regular(b"now a file")})
    assert tree["/etc"].kind == "file" and "/etc/passwd" not in tree


def test_sizes_count_file_bytes_only() -> None:
    assert fs.tree_size(base_tree()) == len(b"shell") + len(b"root:x:0:0:root:/root:/bin/sh\n")


def test_normpath_never_climbs_above_root() -> None:
    assert fs.normpath("../../etc", "/tmp") == "/etc"
    assert fs.normpath("a/./b/", "/w") == "/w/a/b"


def test_hard_links_are_stored_and_counted_once() -> None:
    binary = fs.regular(b"x" * 100_000, mode=0o755)
    changes: fs.Changes = {"/bin": fs.directory(), "/bin/busybox": binary, "/bin/ls": binary}
    tar = fs.changes_to_tar(changes)
    assert len(tar) < 150_000  # one copy of the data, not two
    back = fs.tar_to_changes(tar)
    assert back["/bin/ls"] is back["/bin/busybox"]
    assert fs.layer_size(back) == 100_000


def test_symlink_size_is_its_target_length() -> None:
    assert fs.layer_size({"/usr/bin/env": fs.symlink("../../bin/env")}) == len("../../bin/env")
