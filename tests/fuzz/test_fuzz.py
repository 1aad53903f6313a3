"""The simulator under generated input: a Hypothesis state machine runs command lines,
builds, templates, shell scripts and bytes against one state after another, and checks after
every command that it ended as the docker CLI would: an exit code, no internal error, no
escaping exception, within 10 s and without taking the machine's memory; and that the state
still reads afterwards.

``make test`` runs a bounded budget (``LAYERLAB_FUZZ_EXAMPLES`` states of
``LAYERLAB_FUZZ_STEPS`` commands); ``make fuzz`` runs at least 50,000 inputs and prints what
it ran. A failing input is shrunk by Hypothesis and printed as the steps that reproduce it.

With a real engine (``DOCKER_HOST``), a sample of templates that use no data are rendered by
the real ``docker`` CLI and by LayerLab's, and compared: output, errors and exit code.
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz_inputs import (
    command_lines,
    context_files,
    dockerfiles,
    garbage_lines,
    odd_text,
    shell_scripts,
    templates,
)

EXAMPLES = int(os.environ.get("LAYERLAB_FUZZ_EXAMPLES", "40"))
STEPS = int(os.environ.get("LAYERLAB_FUZZ_STEPS", "25"))
SECONDS_PER_COMMAND = 10
MEMORY_BYTES = 1 << 30  # what one command may add to the process's peak memory
BUG_MARKS = ("internal error", "Traceback (most recent call last)", "LayerLab bug",
             "LayerLab simulator bug")  # fmt: skip


class TookTooLong(BaseException):
    """Raised in the middle of a command that runs past its time (not an ``Exception``, so
    that nothing in LayerLab can swallow it)."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TookTooLong


def peak_memory() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


class Tally:
    """What a run fed the simulator, for the summary ``make fuzz`` prints."""

    inputs = 0  # generated commands
    checks = 0  # the harness's own commands: the state still reads, the cleanup
    slowest = (0.0, [""])


class DockerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="layerlab-fuzz-"))
        (self.folder / "ctx").mkdir()
        (self.folder / "ctx" / "Dockerfile").write_text("FROM busybox\nRUN echo hi > /hi\n")
        (self.folder / "f.txt").write_bytes(b"a file\n")
        self.engine = SimEngine(home=self.folder / "home")
        self.memory_floor = peak_memory()

    def docker(
        self, argv: list[str], stdin: bytes = b"", generated: bool = True
    ) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_COMMAND + 5)
        start = time.monotonic()
        try:
            code = run_cli(argv, self.engine, out, err, cwd=self.folder, stdin=stdin)
        except TookTooLong:
            raise AssertionError(f"no end after {SECONDS_PER_COMMAND + 5} s: {argv!r}") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        elapsed = time.monotonic() - start
        text = out.getvalue() + err.getvalue()
        Tally.inputs += generated
        Tally.checks += not generated
        if elapsed > Tally.slowest[0]:
            Tally.slowest = (elapsed, argv)
        assert isinstance(code, int) and 0 <= code <= 255, (argv, code)
        for mark in BUG_MARKS:
            assert mark not in text, (argv, text[-2000:])
        assert elapsed < SECONDS_PER_COMMAND, (argv, f"{elapsed:.1f} s")
        grown = peak_memory() - self.memory_floor
        assert grown < MEMORY_BYTES, (argv, f"peak memory grew by {grown >> 20} MiB")
        return code, text

    @rule(argv=command_lines, stdin=st.one_of(st.just(b""), st.binary(max_size=64)))
    def command(self, argv: list[str], stdin: bytes) -> None:
        self.docker(argv, stdin)

    @rule(
        name=st.sampled_from(["c1", "c2", "web"]),
        script=shell_scripts,
        how=st.sampled_from([["run", "-d"], ["run"], ["create"], ["run", "-d", "-t"]]),
    )
    def container(self, name: str, script: str, how: list[str]) -> None:
        """A named container, so that commands naming one find it."""
        self.docker(["rm", "-f", name])
        self.docker([*how, "--name", name, "busybox", "sh", "-c", script])

    @rule(name=st.sampled_from(["fz:1", "fz:2", "localhost:5000/fz"]))
    def tag(self, name: str) -> None:
        self.docker(["tag", "busybox", name])

    @rule(argv=garbage_lines)
    def garbage(self, argv: list[str]) -> None:
        self.docker(argv)

    @rule(text=dockerfiles, files=context_files, tag=st.sampled_from(["fz:1", "fz:2"]))
    def build(self, text: str, files: dict[str, bytes], tag: str) -> None:
        context = self.folder / "ctx"
        shutil.rmtree(context)
        context.mkdir()
        for name, data in files.items():
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            (context / name).write_bytes(data)
        (context / "Dockerfile").write_bytes(text.encode("utf-8", "surrogateescape"))
        self.docker(["build", "-q", "-t", tag, "ctx"])

    @rule(
        template=templates,
        where=st.sampled_from([["images"], ["ps", "-a"], ["version"], ["info"], ["history",
                               "busybox"], ["inspect", "busybox"], ["system", "df"]]),
    )  # fmt: skip
    def template(self, template: str, where: list[str]) -> None:
        self.docker([*where, "--format", template])

    @rule(script=shell_scripts, flags=st.sampled_from([["--rm"], ["-d"], ["--rm", "-i"], []]))
    def shell(self, script: str, flags: list[str]) -> None:
        self.docker(["run", *flags, "busybox", "sh", "-c", script], stdin=b"typed\n")

    @rule(
        name=st.sampled_from(["c1", "c2", "web"]),
        how=st.sampled_from([["attach"], ["start", "-a"], ["attach", "--sig-proxy=false"]]),
    )
    def attach(self, name: str, how: list[str]) -> None:
        """A client that waits on one of the named containers, whatever state it is in."""
        self.docker([*how, name])

    @rule(
        word=odd_text,
        command=st.sampled_from(["wait", "logout", "rmi", "logs", "tag", "attach"]),
    )
    def odd_argument(self, word: str, command: str) -> None:
        self.docker([command, word])

    @invariant()
    def state_reads(self) -> None:
        for argv in (["ps", "-a", "-q"], ["images", "-a", "-q"]):
            code, text = self.docker(argv, generated=False)
            assert code == 0, (argv, text)

    def teardown(self) -> None:
        # Programs that really run in the background end with their containers.
        code, text = self.docker(["ps", "-a", "-q"], generated=False)
        if code == 0 and text.split():
            self.docker(["rm", "-f", *text.split()], generated=False)
        self.engine.close()
        shutil.rmtree(self.folder, ignore_errors=True)


DockerMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=EXAMPLES <= 50,  # the budget in `make test` runs the same inputs every time
    database=None,
)
TestDockerMachine = DockerMachine.TestCase


def test_zz_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """The inputs this run fed the simulator (shown with ``-s``, as ``make fuzz`` runs it)."""
    with capsys.disabled():
        seconds, argv = Tally.slowest
        print(
            f"\nfuzz: {Tally.inputs} generated inputs (and {Tally.checks} checks of the state); "
            f"slowest {seconds:.2f} s: {argv!r}"[:400]
        )


# -- a sample against the real engine -----------------------------------------------------------

# Templates whose output depends on no data, so both CLIs must print the same bytes.
CONSTANT_PARTS = [
    '{{printf "%d" 3}}', '{{printf "%5.2f|%-4s|%x" 3.14159 "ab" 255}}', '{{printf "%c" 65}}',
    '{{printf "%q" "a\\tb"}}', '{{printf "%v %v" true nil}}', '{{printf "%[2]d %[1]d" 1 2}}',
    '{{printf "%d"}}', '{{printf "%z" 1}}', '{{printf "%08.3f" -2.5}}', '{{printf "%U" 9731}}',
    '{{printf "% d|%05s|%+q|%.3d|%[3]d" 5 "a" "é" 7}}', '{{printf "%+s|%.d" 5 0}}',
    '{{len "héllo"}}', '{{index "abc" 1}}', '{{slice "abcdef" 1 3}}', '{{upper "ab"}}',
    '{{lower "AB"}}', '{{title "ab cd"}}', '{{json "a<b"}}', '{{json 1.5}}',
    '{{join (split "a,b" ",") "-"}}', '{{if eq 1 1}}y{{else}}n{{end}}', '{{if lt 2 1}}y{{end}}',
    '{{and 1 0}}', '{{or 0 "x"}}', '{{not true}}', '{{print 1 2 "a" "b"}}', '{{println "x"}}',
    '{{html "<a>"}}', '{{js "\'"}}', '{{urlquery "a b"}}',
    '{{range split "a b" " "}}[{{.}}]{{end}}',
    '{{$x := 5}}{{$x}}', '{{with "w"}}{{.}}{{end}}', '{{pad "a" 1 2}}', '{{truncate "abcdef" 3}}',
    '{{"\\u00e9"}}', "{{'a'}}", '{{0x10}}', '{{1e3}}', '{{-3}}', '{{"unclosed}}', '{{nope}}',
    '{{end}}', '{{if}}', '{{index "abc" 9}}', '{{slice "abc" 2 1}}', '{{len 3}}', "{{.Nope}}",
    "plain text", "\t", "{{/* c */}}", '{{printf "%s" (printf "%d" 4)}}',
]  # fmt: skip
CONSTANT_TEMPLATES = st.lists(st.sampled_from(CONSTANT_PARTS), min_size=1, max_size=3).map("".join)


def _real_docker() -> str | None:
    if not os.environ.get("DOCKER_HOST") or shutil.which("docker") is None:
        return None
    return shutil.which("docker")


@pytest.fixture(scope="module")
def real_docker() -> str:
    docker = _real_docker()
    if docker is None:
        if os.environ.get("LAYERLAB_REQUIRE_REAL"):
            pytest.fail("LAYERLAB_REQUIRE_REAL is set but no real engine is reachable")
        pytest.skip("no real engine: DOCKER_HOST is unset (run `eval $(scripts/real-engine env)`)")
    return docker


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    engine = SimEngine(home=tmp_path_factory.mktemp("fuzz-sample"))
    run_cli(["pull", "busybox"], engine, io.StringIO(), io.StringIO())
    return engine


@pytest.mark.real
@settings(max_examples=int(os.environ.get("LAYERLAB_FUZZ_REAL_EXAMPLES", "40")), deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True, database=None)  # fmt: skip
@given(template=CONSTANT_TEMPLATES)
def test_templates_without_data_render_as_the_real_cli_renders_them(
    template: str, real_docker: str, sim: SimEngine
) -> None:
    argv = ["image", "inspect", "--format", template, "busybox"]
    real = subprocess.run([real_docker, *argv], capture_output=True, timeout=30)
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(argv, sim, out, err)
    assert (out.getvalue(), err.getvalue(), code) == (
        real.stdout.decode(),
        real.stderr.decode(),
        real.returncode,
    ), template
