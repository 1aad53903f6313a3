"""``docker cp CONTAINER:PATH HOSTPATH`` on every Python the project admits: before 3.11.4
(Debian 12 has 3.11.2) ``tarfile`` has no extraction filters, and the CLI applies the same
rules itself."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from layerlab.cli.commands import copy
from layerlab.cli.errors import CliError
from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine


def docker(engine: SimEngine, *args: str, cwd: Path) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=str(cwd))
    return out.getvalue(), err.getvalue(), code


@pytest.fixture(params=["tarfile's", "by hand"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SimEngine:
    """A simulator, with tarfile's extraction filters or, as before 3.11.4, without them."""
    if request.param == "by hand":
        monkeypatch.delattr(tarfile, "tar_filter", raising=False)
    return SimEngine(home=tmp_path / "home")


def test_copy_out_of_a_container(engine: SimEngine, tmp_path: Path) -> None:
    assert docker(engine, "pull", "-q", "busybox", cwd=tmp_path)[2] == 0
    script = "mkdir /d && echo hi > /d/f && ln -s /etc/passwd /d/link"
    assert (
        docker(engine, "run", "--name", "maker", "busybox", "sh", "-c", script, cwd=tmp_path)[2]
        == 0
    )
    assert docker(engine, "cp", "maker:/etc/passwd", "p.txt", cwd=tmp_path) == ("", "", 0)
    assert (tmp_path / "p.txt").read_text().startswith("root:x:0:0:")
    assert docker(engine, "cp", "maker:/d", "out", cwd=tmp_path) == ("", "", 0)
    assert (tmp_path / "out" / "f").read_text() == "hi\n"
    assert os.readlink(tmp_path / "out" / "link") == "/etc/passwd"


def test_the_hand_filter_is_pythons_tar_filter(tmp_path: Path) -> None:
    if not hasattr(tarfile, "tar_filter"):
        pytest.skip("this Python has no tar_filter to compare with")
    for name, mode in [("/abs/file", 0o6777), ("a/b", 0o644), ("dir", 0o1777)]:
        member = tarfile.TarInfo(name)
        member.mode = mode
        expected = tarfile.tar_filter(member, str(tmp_path))
        got = copy._tar_filter(member, tmp_path)
        assert (got.name, got.mode) == (expected.name, expected.mode)
    with pytest.raises(tarfile.OutsideDestinationError):
        tarfile.tar_filter(tarfile.TarInfo("../x"), str(tmp_path))
    with pytest.raises(CliError):
        copy._tar_filter(tarfile.TarInfo("../x"), tmp_path)


def test_copying_again_replaces_links_instead_of_following_them(
    engine: SimEngine, tmp_path: Path
) -> None:
    script = "mkdir /d && echo hi > /d/f && ln -s /proc/self/mounts /d/mtab && ln -s /d/f /d/l"
    assert docker(engine, "run", "--name", "maker", "busybox", "sh", "-c", script,
                  cwd=tmp_path)[2] == 0  # fmt: skip
    (tmp_path / "out").mkdir()
    for _ in range(2):  # the second copy meets the links the first one made
        assert docker(engine, "cp", "maker:/d", "out", cwd=tmp_path) == ("", "", 0)
    assert os.readlink(tmp_path / "out" / "d" / "mtab") == "/proc/self/mounts"
    assert (tmp_path / "out" / "d" / "f").read_text() == "hi\n"
    # A folder in the way that is a link leading out is replaced, and nothing outside changes.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_text("keep\n")
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "d").symlink_to(outside)
    assert docker(engine, "cp", "maker:/d", "out2", cwd=tmp_path) == ("", "", 0)
    assert not (tmp_path / "out2" / "d").is_symlink()
    assert (tmp_path / "out2" / "d" / "f").read_text() == "hi\n"
    assert (outside / "f").read_text() == "keep\n"


def test_a_folder_with_hard_links_copied_to_a_new_name_keeps_them(
    engine: SimEngine, tmp_path: Path
) -> None:
    """The copy is renamed to the new name: the hard links inside it are renamed with it
    (busybox's applets are all one file)."""
    assert docker(engine, "run", "--name", "linked", "busybox", "true", cwd=tmp_path)[2] == 0
    assert docker(engine, "cp", "linked:/bin", "tools", cwd=tmp_path) == ("", "", 0)
    assert os.stat(tmp_path / "tools" / "ls").st_ino == os.stat(tmp_path / "tools" / "cat").st_ino
    assert docker(engine, "cp", "linked:/", "everything", cwd=tmp_path) == ("", "", 0)
    every = tmp_path / "everything" / "bin"
    assert os.stat(every / "ls").st_ino == os.stat(every / "sh").st_ino
