"""The CLI port against the real docker CLI, both talking to the same real engine.

Each scenario runs its command lines twice: with the real ``docker`` and with ``run_cli`` over
``RealEngine``. The sides use different name prefixes of the same length (so they never touch
each other's objects, also when other people use the engine at the same time); the comparison
normalises only what must differ between two runs: that prefix, IDs and digests (by order of
first appearance), timestamps and "N seconds ago" durations. Everything else must be
byte-identical: stdout, stderr and the exit code.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.real.engine import RealEngine

# tests/ is not a package; make the shared fixture module importable from here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import docker_cli, real_engine  # noqa: F401

pytestmark = [pytest.mark.real, pytest.mark.slow]
REGISTRY = "127.0.0.1:5000"
_TOKEN = secrets.token_hex(3)
SIDES = {"real": f"llr{_TOKEN}", "ours": f"llo{_TOKEN}"}

# Command lines; "{p}" is the side's prefix, "{r}" the local registry.
ERRORS = """
frobnicate
images --badflag
rm
image
image frob
container frob
system frob
stop -t x a
run
run --badflag busybox
ps -n
ps -x
ps --last=
ps -na 3
logs
tag a
tag a b c
history a b
images a b
ps x
system df x
version x
login x y
exec a
image ls -x
rm -f=maybe x
run --rm=maybe busybox
run -a foo busybox
images --filter bad
images --filter foo=bar
ps --filter status=bogus
build
build --badflag
build {p}-nosuchdir
inspect {p}-nosuch
inspect --type foo x
image inspect {p}-nosuch
container inspect {p}-nosuch
inspect -f '{{{{.Nope}}}}' busybox
inspect -f '{{{{.Os}}}}' busybox {p}-nosuch
rmi {p}-nosuch busybox:{p}-nosuch
start {p}-a {p}-b
stop {p}-a
rm -f {p}-nosuch
diff {p}-nosuch
logs {p}-nosuch
exec {p}-nosuch ls
history {p}-nosuch
tag {p}-nosuch {p}-x
tag busybox {p}-Upper
run -p abc busybox true
rm -h x
--help
-h
images -- -a
"""

LIFECYCLE = """
create --name {p}-c1 busybox echo hello
start -a {p}-c1
logs {p}-c1
ps -a --filter name={p}-c1 --format '{{{{.Names}}}} {{{{.Status}}}} {{{{.Command}}}}'
ps -a --filter name={p}-c1
ps -a -q --no-trunc --filter name={p}-c1
diff {p}-c1
inspect -f '{{{{.State.ExitCode}}}} {{{{.Name}}}} {{{{json .Config.Cmd}}}}' {p}-c1
container inspect -f '{{{{.Config.Image}}}}' {p}-c1
rm {p}-c1
run --name {p}-c2 busybox sh -c 'echo out; echo err >&2; touch /tmp/x; exit 4'
diff {p}-c2
rm {p}-c2 {p}-gone
run --rm busybox echo hi
run --rm -e A=1 -w /tmp busybox sh -c 'echo $A; pwd'
run --rm --entrypoint echo busybox a b
run --rm busybox nosuchcmd
run --rm -u 1234 busybox id
run --rm -h myhost busybox hostname
run --rm -it busybox true
run -d --name {p}-c3 -l team=a busybox sleep 30
exec {p}-c3 sh -c 'echo in-exec; exit 2'
exec -w /etc -e X=5 {p}-c3 sh -c 'echo $X $PWD'
ps --filter name={p}-c3 --format '{{{{.Names}}}} {{{{.State}}}} {{{{.Labels}}}}'
ps --filter label=team=a --filter name={p}-c3 -q
stop -t 1 {p}-c3 {p}-nosuch
kill {p}-c3
restart -t 0 {p}-c3
kill {p}-c3
rm {p}-c3
"""
LIFECYCLE_CLEANUP = "rm -f {p}-c1 {p}-c2 {p}-c3"

BUILD = """
build -t {p}-img:1 -t {p}-img:2 --no-cache .
build -q --no-cache -f Dockerfile.q -t {p}-img:q .
build --no-cache -f Dockerfile.bad .
images {p}-img:1
images --format '{{{{.Repository}}}}:{{{{.Tag}}}} {{{{.Size}}}}' {p}-img:2
history {p}-img:1
history --format '{{{{.CreatedBy}}}}' {p}-img:1
run --rm {p}-img:1
tag {p}-img:1 {p}-img:3
rmi {p}-img:1 {p}-img:2
rmi {p}-img:q
save -o {p}.tar {p}-img:3
rmi {p}-img:3
load -i {p}.tar
rmi {p}-img:3
"""
BUILD_CLEANUP = "rmi -f {p}-img:1 {p}-img:2 {p}-img:3 {p}-img:q"

REGISTRY_LINES = """
build -q --no-cache -f Dockerfile.scratch -t {r}/{p}-reg:v1 .
push {r}/{p}-reg:v1
rmi {r}/{p}-reg:v1
pull {r}/{p}-reg:v1
pull {r}/{p}-reg:v1
push {r}/{p}-nosuch
pull {r}/{p}-nosuch
rmi {r}/{p}-reg:v1
"""
REGISTRY_CLEANUP = "rmi -f {r}/{p}-reg:v1"


@dataclass
class Result:
    stdout: str
    stderr: str
    code: int


def _context(workdir: Path, prefix: str) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "Dockerfile").write_text(
        f'FROM busybox\nRUN echo {prefix} > /built\nCOPY a.txt /a.txt\nCMD ["cat", "/built"]\n'
    )
    # A layer of its own: layers written in the same second as another build's are shared.
    (workdir / "Dockerfile.q").write_text(f"FROM busybox\nRUN echo q{prefix} > /q\n")
    (workdir / "Dockerfile.bad").write_text(f"FROM busybox\nRUN echo {prefix}; exit 3\n")
    (workdir / "Dockerfile.scratch").write_text("FROM scratch\nCOPY unique.txt /u\n")
    (workdir / "a.txt").write_text("data\n")
    (workdir / "unique.txt").write_text(f"{prefix}\n")
    (workdir / "ignored.log").write_text("x" * 5000)
    (workdir / ".dockerignore").write_text("*.log\n")


def _argv(line: str, prefix: str) -> list[str]:
    return shlex.split(line.format(p=prefix, r=REGISTRY))


def _run_real(cli: str, argv: list[str], cwd: Path) -> Result:
    done = subprocess.run(
        [cli, *argv], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120
    )
    return Result(done.stdout.decode(), done.stderr.decode(), done.returncode)


def _run_ours(engine: RealEngine, argv: list[str], cwd: Path) -> Result:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    err = io.StringIO()
    code = run_cli(argv, engine, out, err, cwd=cwd)
    out.flush()
    return Result(raw.getvalue().decode(), err.getvalue(), code)


_HEX = re.compile(r"(?<![0-9a-f])([0-9a-f]{64}|[0-9a-f]{12})(?![0-9a-f])")
_AGO = re.compile(
    r"(Less than a second|About a minute|About an hour|\d+ (?:seconds?|minutes|hours))"
)
_PADDING = re.compile(r" {2,}")
_TRANSIENT = re.compile(r"(?m)^[0-9a-f]{12}: (?:Verifying Checksum|Download complete)\n")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


class Normaliser:
    """Rewrites one side's output so that only real differences remain."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ids: dict[str, str] = {}

    def _label(self, match: re.Match[str]) -> str:
        key = match[1][:12]
        label = self.ids.setdefault(key, f"<ID{len(self.ids) + 1}>")
        return label if len(match[1]) == 12 else label + "…full"

    def __call__(self, text: str) -> str:
        # Whether the daemon reports "Verifying Checksum" and "Download complete" for a tiny
        # blob depends on timing: its progress broadcaster coalesces fast updates, and on a
        # busy machine both can be folded into "Pull complete".
        text = _TRANSIENT.sub("", text)
        text = text.replace(self.prefix, "{p}")
        text = _TIMESTAMP.sub("<TS>", text)
        text = _HEX.sub(self._label, text)
        text = _AGO.sub("<DUR>", text)
        if "<DUR>" in text:
            # Table columns are as wide as the longest duration, which differs between runs.
            text = _PADDING.sub("  ", text)
        return text


def _scenario(
    lines: str, cleanup: str, engine: RealEngine, cli: str, tmp_path: Path
) -> list[tuple[str, Result, Result]]:
    commands = [line for line in lines.strip().splitlines() if line.strip()]
    results: dict[str, list[Result]] = {}
    for side, prefix in SIDES.items():
        workdir = tmp_path / side
        _context(workdir, prefix)
        outputs = []
        try:
            for line in commands:
                argv = _argv(line, prefix)
                if side == "real":
                    outputs.append(_run_real(cli, argv, workdir))
                else:
                    outputs.append(_run_ours(engine, argv, workdir))
        finally:
            if cleanup:
                _run_real(cli, _argv(cleanup, prefix), workdir)
        normalise = Normaliser(prefix)
        results[side] = [Result(normalise(r.stdout), normalise(r.stderr), r.code) for r in outputs]
    return list(zip(commands, results["real"], results["ours"], strict=True))


def _assert_same(rows: list[tuple[str, Result, Result]]) -> None:
    problems = []
    for line, real, ours in rows:
        if real != ours:
            problems.append(f"docker {line}\n  real: {real!r}\n  ours: {ours!r}")
    assert not problems, f"{len(problems)} of {len(rows)} differ:\n" + "\n".join(problems)


SCENARIOS = {
    "errors": (ERRORS, ""),
    "lifecycle": (LIFECYCLE, LIFECYCLE_CLEANUP),
    "build": (BUILD, BUILD_CLEANUP),
    "registry": (REGISTRY_LINES, REGISTRY_CLEANUP),
}


def test_enough_command_lines() -> None:
    total = sum(len(lines.strip().splitlines()) for lines, _ in SCENARIOS.values())
    assert total >= 60


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_as_real_cli(
    name: str,
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    lines, cleanup = SCENARIOS[name]
    os.environ.setdefault("DOCKER_HOST", real_engine.base_url)
    _assert_same(_scenario(lines, cleanup, real_engine, docker_cli, tmp_path))
