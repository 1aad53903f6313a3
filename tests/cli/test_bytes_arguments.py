"""Arguments and files that are not UTF-8, as a terminal can send them: what reaches the daemon
arrives as JSON makes it (U+FFFD), what the CLI prints itself keeps the bytes (docker 28 on
engine 20.10, measured); never an internal error."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine


def layerlab(home: Path, *args: bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_ENGINE": "sim"}
    return subprocess.run(
        [sys.executable.encode(), b"-m", b"layerlab", b"docker", *args],
        env=env, input=stdin, capture_output=True, timeout=120,
    )  # fmt: skip


def test_bytes_in_arguments(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert (
        layerlab(home, b"run", b"-d", b"--name", b"box", b"busybox", b"sleep", b"60").returncode
        == 0
    )
    waited = layerlab(home, b"wait", b"\xff")
    assert (waited.stderr, waited.returncode) == (
        b"Error response from daemon: No such container: \xef\xbf\xbd\n",
        1,
    )
    logout = layerlab(home, b"logout", b"\xff")
    assert logout.stdout == b"Removing login credentials for \xff\n"
    execed = layerlab(home, b"exec", b"box", b"\xff")
    assert (execed.stdout, execed.returncode) == (
        b'OCI runtime exec failed: exec failed: unable to start container process: exec: '
        b'"\xef\xbf\xbd": executable file not found in $PATH: unknown\r\n', 126
    )  # fmt: skip
    assert layerlab(home, b"commit", b"-a", b"\xff", b"box", b"authored").returncode == 0
    author = layerlab(home, b"inspect", b"-f", b"{{json .Author}}", b"authored").stdout
    assert json.loads(author) == "\ufffd"
    built = layerlab(home, b"build", b"-q", b"--label", b"a=\xff", b"-t", b"labelled", b"-",
                     stdin=b"FROM busybox\n")  # fmt: skip
    assert built.returncode == 0, built.stderr
    labels = layerlab(home, b"inspect", b"-f", b"{{json .Config.Labels}}", b"labelled").stdout
    assert json.loads(labels) == {"a": "\ufffd"}


def test_a_dockerignore_that_is_not_utf8(tmp_path: Path) -> None:
    """Its patterns are bytes, as Go reads them: one naming a file by its bytes excludes it."""
    context = tmp_path / "ctx"
    context.mkdir()
    (context / ".dockerignore").write_bytes(b"skip\xff\n*.log\n")
    (context / "Dockerfile").write_text("FROM busybox\nCOPY . /ctx\n")
    for name in (b"skip\xff", b"b.log", b"keep.txt"):
        (context / os.fsdecode(name)).write_text("x")
    engine = SimEngine(home=tmp_path / "home")
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-q", "-t", "ig", str(context)], engine, out, err) == 0, err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["run", "--rm", "ig", "ls", "-a", "/ctx"], engine, out, err) == 0
    assert out.getvalue().split() == [".", "..", ".dockerignore", "Dockerfile", "keep.txt"]
