"""A real program's files as an overlay: the image's files prepared once and shared, the
container's changes on top. Whatever it does, the container sees exactly what the whole copy
of the files (the other way, kept for where overlays cannot serve) gives."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement, overlay

pytestmark = pytest.mark.skipif(
    confinement.probe()[0] is None or not confinement.as_root() or not overlay.overlays_work(),
    reason="overlays of the container's real owners need bubblewrap, overlayfs and root",
)

# Everything a program can do to files: add, change, chmod, remove image files and its own
# earlier ones, replace a folder, make a symlink, rename.
PROGRAM = """
import os, shutil, sys
site = [path for path in sys.path if path.endswith('-packages')][-1]
open(os.path.join(site, 'mine.py'), 'w').write('X = 1\\n')
os.makedirs('/app/data')
open('/app/data/out.txt', 'w').write('kept\\n')
with open('/etc/os-release', 'a') as f:
    f.write('EXTRA=1\\n')
os.chmod('/etc/debian_version', 0o600)
os.unlink('/etc/profile')
os.remove('/made-by-shell')
shutil.rmtree('/etc/apt')
os.mkdir('/etc/apt')
open('/etc/apt/fresh', 'w').write('new\\n')
os.symlink('/app/data/out.txt', '/app/link')
os.rename('/app/data/out.txt', '/app/data/moved.txt')
print(sorted(os.listdir('/etc/apt')), os.path.exists('/etc/profile'))
"""


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def _changes_made(tmp_path: Path, use_overlay: bool, monkeypatch: pytest.MonkeyPatch) -> dict:
    if not use_overlay:
        monkeypatch.setattr(overlay, "overlays_work", lambda: False)
    engine = SimEngine(home=tmp_path / ("overlay" if use_overlay else "copy"))
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    # Started again, it reads what the first start left, a removed image file among it.
    script = (
        'if [ -e /app ]; then python -c "$AGAIN"; '
        'else echo sh > /made-by-shell; python -c "$P"; tail -1 /etc/os-release; fi'
    )
    again = "import os; print(os.path.exists('/etc/profile'), open('/app/data/moved.txt').read())"
    env = ["-e", f"P={PROGRAM}", "-e", f"AGAIN={again}"]
    run = docker(engine, "run", "--name", "changer", *env, "python:3.12", "sh", "-c", script)
    started = docker(engine, "start", "-a", "changer")
    diff = docker(engine, "diff", "changer")[0]
    assert docker(engine, "commit", "changer", "kept")[2] == 0
    listing = "ls -ln /app /app/data /etc/apt /etc/debian_version; cat /app/data/moved.txt"
    files = docker(engine, "run", "--rm", "kept", "sh", "-c", listing)
    return {"run": run, "started": started, "diff": diff, "files": files}


def test_an_overlay_run_changes_the_container_as_the_whole_copy_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_overlay = _changes_made(tmp_path, True, monkeypatch)
    with_copy = _changes_made(tmp_path, False, monkeypatch)
    assert with_overlay["run"] == ("['fresh'] False\nEXTRA=1\n", "", 0)
    assert with_overlay["started"] == ("False kept\n\n", "", 0)
    for key in with_overlay:
        assert with_overlay[key] == with_copy[key], key
    diff = set(with_overlay["diff"].splitlines())
    assert {"A /app/link", "A /app/data/moved.txt", "D /etc/profile"} <= diff
    assert any(line.endswith("-packages/mine.py") and line.startswith("A ") for line in diff)
    assert any(line.endswith("-packages") and line.startswith("C ") for line in diff)
    assert "A /made-by-shell" not in diff and "A /app/data/out.txt" not in diff


def _scratch_folders(kept: Path) -> set[str]:
    prefixes = ("layerlab-run-", "layerlab-root-")
    return {p.name for p in kept.parent.iterdir() if p.name.startswith(prefixes)}


def test_the_images_files_are_prepared_once(tmp_path: Path) -> None:
    engine = SimEngine(home=tmp_path / "home")
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    kept = Path(overlay._lowers_dir())
    scratch = _scratch_folders(kept)
    assert docker(engine, "run", "--rm", "python:3.12", "python", "-c", "print(1)")[0] == "1\n"
    before = {p.name: p.stat().st_ino for p in kept.iterdir() if p.is_dir()}
    assert docker(engine, "run", "--rm", "python:3.12", "python", "-c", "print(2)")[0] == "2\n"
    after = {p.name: p.stat().st_ino for p in kept.iterdir() if p.is_dir()}
    assert {name: after.get(name) for name in before} == before  # nothing made anew
    assert _scratch_folders(kept) <= scratch  # nothing of the runs is left behind


def test_a_folder_in_use_is_never_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overlay, "KEPT_LOWERS", 1)
    base = tmp_path / "lowers"
    base.mkdir()
    monkeypatch.setattr(overlay, "_lowers_dir", lambda: str(base))
    (base / "old").mkdir()
    (base / "busy").mkdir()
    folder, lock = overlay._hold("busy")
    try:
        os.utime(base / "old", (1, 1))
        (base / "new").mkdir()
        overlay._evict(str(base), keep=str(base / "new"))
        assert sorted(p.name for p in base.iterdir() if p.is_dir()) == ["busy", "new"]
    finally:
        os.close(lock)
    assert folder == str(base / "busy")


def test_the_folder_of_a_run_whose_process_died_is_removed(tmp_path: Path) -> None:
    """A process killed mid-run (a kernel restarted during a program) leaves its run's folder;
    the next run removes it, and never the folder of a process still alive."""
    import subprocess
    import tempfile

    from layerlab.engine.sim.runtimes.rootfs import scratch_base

    ended = subprocess.Popen(["true"])
    ended.wait()
    base = scratch_base() or tempfile.gettempdir()
    orphan = tempfile.mkdtemp(prefix=f"layerlab-run-{ended.pid}-", dir=base)
    os.makedirs(os.path.join(orphan, "upper0", "etc"))
    alive = tempfile.mkdtemp(prefix=f"layerlab-run-{os.getppid()}-", dir=base)
    try:
        engine = SimEngine(home=tmp_path / "home")
        assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
        assert docker(engine, "run", "--rm", "python:3.12", "python", "-c", "print(1)")[0] == "1\n"
        assert not os.path.exists(orphan)
        assert os.path.isdir(alive)
    finally:
        os.rmdir(alive)
