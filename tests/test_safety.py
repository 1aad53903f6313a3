"""Safe mode: options that reach outside the container are refused on the real engine, what
LayerLab creates there is labelled (containers) or recorded in the ledger (images), and
``%docker_reset`` removes only that.

The tests that reset do it on a private engine of their own (``scripts/real-engine``), never
on the shared one at ``DOCKER_HOST``, which only tells whether real-engine tests run at all.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from layerlab.cli.commands.runopts import create_kwargs
from layerlab.cli.errors import CliError
from layerlab.cli.grammar import TOP_COMMANDS
from layerlab.cli.safety import check_argv
from layerlab.engine.errors import EngineError
from layerlab.engine.real.engine import RealEngine
from layerlab.engine.real.labels import owner
from layerlab.engine.real.ledger import Entries, Ledger
from layerlab.engine.real.safety import enforcing, remove_managed
from layerlab.session import Session
from layerlab.status import describe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realengine import _unavailable, docker_cli, reachable_real_engine, real_engine  # noqa: F401

REAL_ENGINE_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "real-engine"

REFUSED = [
    ("run --privileged busybox true", "--privileged"),
    ("run -v /:/host busybox true", "--volume=/:/host"),
    ("run --volume=/etc:/etc:ro busybox true", "--volume=/etc:/etc:ro"),
    ("run -v ./data:/data busybox true", "--volume=./data:/data"),
    ("run --mount type=bind,source=/,target=/host busybox", "--mount=type=bind"),
    ("create --mount type=volume,target=/d,volume-opt=o=bind,volume-opt=device=/etc busybox",
     "--mount="),
    ("run --volumes-from other busybox", "--volumes-from=other"),
    ("run --pid=host busybox", "--pid=host"),
    ("run --network=host busybox", "--network=host"),
    ("run --network host busybox", "--network=host"),
    ("run --net=host busybox", "--net=host"),
    ("run --ipc=host busybox", "--ipc=host"),
    ("run --uts=host busybox", "--uts=host"),
    ("run --userns=host busybox", "--userns=host"),
    ("run --cgroupns=host busybox", "--cgroupns=host"),
    ("run --device /dev/sda busybox", "--device=/dev/sda"),
    ("run --device-cgroup-rule 'c 1:3 mr' busybox", "--device-cgroup-rule"),
    ("run --gpus all busybox", "--gpus=all"),
    ("run --cap-add SYS_ADMIN busybox", "--cap-add=SYS_ADMIN"),
    ("run --security-opt seccomp=unconfined busybox", "--security-opt=seccomp=unconfined"),
    ("run --security-opt apparmor=unconfined busybox", "--security-opt=apparmor=unconfined"),
    ("run --security-opt label=disable busybox", "--security-opt=label=disable"),
    ("run --use-api-socket busybox", "--use-api-socket"),
    ("container run --rm --privileged busybox", "--privileged"),
    ("container create --pid host busybox", "--pid=host"),
    ("create -it --privileged busybox", "--privileged"),
    ("exec --privileged box sh", "--privileged"),
    ("build --network=host .", "--network=host"),
    ("image build --security-opt seccomp=unconfined .", "--security-opt"),
    ("image prune -a", "--all for image prune"),
    ("image prune --force --all", "--all for image prune"),
    ("system prune -a -f", "--all for system prune"),
    ("system prune --volumes", "--volumes for system prune"),
]  # fmt: skip

ALLOWED = [
    "run --rm busybox true",
    "run -v /data busybox",  # an anonymous volume
    "run -v cache:/data busybox",  # a named volume
    "run --mount type=volume,target=/d busybox",
    "run --mount type=tmpfs,target=/t busybox",
    "run --network none busybox",
    "run --network container:other busybox",
    "run --ipc private busybox",
    "run --security-opt no-new-privileges busybox",
    "run --privileged=false busybox",
    "run busybox --privileged",  # an argument of the container's command
    "exec box sh -c 'echo --privileged'",
    "images --filter label=x",
    "ps -a",
    "build -t x .",
    "run --badflag --privileged busybox",  # does not parse: the CLI reports it as docker does
    "image prune -f",  # dangling images only
    "container prune -f",  # kept to LayerLab's own containers by the engine
    "system prune -f",  # the same, plus dangling images and the build cache
]


@pytest.mark.parametrize(("line", "shown"), REFUSED)
def test_refused_before_dispatch(line: str, shown: str) -> None:
    message = check_argv(shlex.split(line))
    assert message is not None
    assert message.startswith(f"layerlab: safe mode refuses {shown}")
    assert "%docker_safe off" in message


@pytest.mark.parametrize("line", ALLOWED)
def test_allowed(line: str) -> None:
    assert check_argv(shlex.split(line)) is None


def _parsed(line: str):
    return TOP_COMMANDS["run"].flagset().parse(shlex.split(line))


def test_run_options_refused_only_while_enforced() -> None:
    parsed = _parsed("--network host busybox")
    with enforcing(True), pytest.raises(CliError) as refused:
        create_kwargs(parsed)
    assert refused.value.code == 125
    assert "safe mode refuses --network=host" in refused.value.text
    with enforcing(False):
        assert create_kwargs(parsed)["host_config"] == {"NetworkMode": "host"}
    assert create_kwargs(parsed)["host_config"] == {"NetworkMode": "host"}  # default: off


@pytest.mark.parametrize(
    "flag",
    ["--privileged", "-v /:/h", "--mount type=bind,src=/,dst=/h", "--pid host", "--ipc host",
     "--uts host", "--userns host", "--device /dev/null", "--cap-add ALL",
     "--security-opt seccomp=unconfined"],
)  # fmt: skip
def test_never_silently_ignored_even_with_safe_mode_off(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LayerLab models none of these options: with safe mode off (or on the simulator) they are
    refused by name, exit 125, before anything is created."""
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    session = Session(engine_name="sim", safe=False)
    try:
        result = session.run(f"run --name ignored {flag} busybox true")
        assert result.exit_code == 125
        assert "is not supported by LayerLab" in result.stderr
        assert session.run("ps -aq").stdout == ""
    finally:
        session.close()


def test_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYERLAB_SAFE", raising=False)
    assert Session(engine_name="real").safe_active
    assert not Session(engine_name="sim").safe_active  # the simulator has no host to protect
    monkeypatch.setenv("LAYERLAB_SAFE", "0")
    assert not Session(engine_name="real").safe_active


def test_status_says_whether_safe_mode_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    monkeypatch.setenv("LAYERLAB_OWNER", "alice")
    session = Session(engine_name="sim", safe=True)
    try:
        assert "safe mode: on for alice (applies to the real engine only" in describe(session)
        session.safe = False
        assert "safe mode: off (applies to the real engine only" in describe(session)
    finally:
        session.close()


# -- the ledger ------------------------------------------------------------------------------


def test_ledger_keeps_engines_and_owners_apart(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.json")
    ledger.record("unix:///a", "alice", {"web:1": "sha256:1"}, ["sha256:2"])
    ledger.record("unix:///a", "bob", {"web:1": "sha256:3"})
    ledger.record("unix:///b", "alice", images=["sha256:4", "sha256:4"])
    assert ledger.entries("unix:///a", "alice") == Entries({"web:1": "sha256:1"}, ["sha256:2"])
    assert ledger.entries("unix:///a", "bob") == Entries({"web:1": "sha256:3"}, [])
    assert ledger.entries("unix:///b", "alice") == Entries({}, ["sha256:4"])
    ledger.forget("unix:///a", "alice", references=["web:1"], images=["sha256:2"])
    assert not ledger.entries("unix:///a", "alice")
    assert Ledger(tmp_path / "ledger.json").entries("unix:///a", "bob").references == {
        "web:1": "sha256:3"
    }


def _record_many(path: str, worker: int) -> None:
    ledger = Ledger(Path(path))
    for index in range(40):
        ledger.record("unix:///shared", "alice", {f"w{worker}:{index}": f"sha256:{index}"})


def test_ledger_is_shared_safely_between_processes(tmp_path: Path) -> None:
    """Two kernels recording at the same time: the lock keeps every entry."""
    path = str(tmp_path / "ledger.json")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_many, args=(path, w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    references = Ledger(Path(path)).entries("unix:///shared", "alice").references
    assert len(references) == 4 * 40


def test_ledger_default_path_is_under_layerlab_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    assert Ledger().path == tmp_path / "real-engine-ledger.json"


# -- on a real engine ------------------------------------------------------------------------


@pytest.fixture
def prefix() -> str:
    return f"llsafe{secrets.token_hex(3)}"


@contextlib.contextmanager
def _cleanup(engine: RealEngine, prefix: str) -> Iterator[None]:
    """Remove every container and image this test named (and only those), whatever happens."""
    try:
        yield
    finally:
        for c in engine.containers(all=True, filters={"name": [prefix]}):
            with contextlib.suppress(EngineError):
                engine.remove_container(c["Id"], force=True)
        for image in engine.images(all=True):
            for tag in image.get("RepoTags") or []:
                if prefix in tag:
                    with contextlib.suppress(EngineError):
                        engine.remove_image(tag, force=True)


def _names(engine: RealEngine, prefix: str = "") -> set[str]:
    found = engine.containers(all=True, filters={"name": [prefix]} if prefix else None)
    return {c["Names"][0].lstrip("/") for c in found}


def _tags(engine: RealEngine, prefix: str = "") -> set[str]:
    return {
        tag
        for image in engine.images(all=True)
        for tag in image.get("RepoTags") or []
        if prefix in tag
    }


@pytest.mark.real
def test_refused_on_the_real_engine(
    real_engine: RealEngine,  # noqa: F811
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", real_engine.base_url)
    monkeypatch.delenv("LAYERLAB_SAFE", raising=False)
    session = Session(engine_name="real")
    with _cleanup(real_engine, prefix):
        for line in ("--privileged", "-v /:/host", "--network host", "--net=host", "--pid=host"):
            result = session.run(f"run --rm --name {prefix}-x {line} busybox true")
            assert result.exit_code == 125, line
            assert "safe mode refuses" in result.stderr
        assert _names(real_engine, prefix) == set()


@pytest.mark.real
def test_container_prune_in_safe_mode_removes_only_ours(
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAYERLAB_OWNER", f"prune-{secrets.token_hex(3)}")
    monkeypatch.setenv("DOCKER_HOST", real_engine.base_url)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYERLAB_SAFE", raising=False)
    session = Session(engine_name="real")
    with _cleanup(real_engine, prefix):
        subprocess.run(
            [docker_cli, "create", "--name", f"{prefix}-theirs", "busybox"],
            capture_output=True, check=True, timeout=60,
        )  # fmt: skip
        assert session.run(f"create --name {prefix}-ours busybox").ok
        pruned = session.run("container prune -f")
        assert pruned.ok, pruned.stderr
        assert pruned.stdout.startswith("Deleted Containers:\n")
        assert _names(real_engine, prefix) == {f"{prefix}-theirs"}
        assert session.run(f"create --name {prefix}-ours2 busybox").ok
        assert session.run("system prune -f").ok
        assert _names(real_engine, prefix) == {f"{prefix}-theirs"}
        refused = session.run("image prune -a -f")
        assert refused.exit_code == 125 and "safe mode refuses --all" in refused.stderr


_HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{12}(?:[0-9a-f]{52})?(?![0-9a-f])")


def _normalised(text: str, prefix: str) -> str:
    """Only the prefix and the IDs (numbered by first appearance) may differ between sides."""
    seen: dict[str, str] = {}
    text = text.replace(prefix, "{p}")
    return _HEX.sub(lambda m: seen.setdefault(m[0][:12], f"<ID{len(seen) + 1}>"), text)


@pytest.mark.real
@pytest.mark.slow
def test_build_in_safe_mode_prints_what_docker_build_prints(
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No step, label or history row of LayerLab's own: the image is recorded instead."""
    token = secrets.token_hex(3)
    sides = {"real": f"llsr{token}", "ours": f"llso{token}"}
    monkeypatch.setenv("DOCKER_HOST", real_engine.base_url)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAYERLAB_SAFE", raising=False)
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    session = Session(engine_name="real")
    lines = [
        "build --no-cache -t {p}:1 .",
        "history --format '{{{{.CreatedBy}}}} {{{{.Size}}}}' {p}:1",
        "inspect -f '{{{{json .Config.Labels}}}}' {p}:1",
    ]
    outputs: dict[str, list[tuple[str, str, int]]] = {}

    def run(side: str, argv: list[str], context: Path) -> tuple[str, str, int]:
        if side == "real":
            done = subprocess.run(  # bytes: text mode would turn the CLI's "\r" into "\n"
                [docker_cli, *argv], cwd=context, capture_output=True,
                stdin=subprocess.DEVNULL, timeout=120,
            )  # fmt: skip
            return done.stdout.decode(), done.stderr.decode(), done.returncode
        ran = session.run(argv, cwd=str(context))
        return ran.stdout, ran.stderr, ran.exit_code

    try:
        for side, name in sides.items():
            context = tmp_path / side
            context.mkdir()
            dockerfile = f'FROM busybox\nRUN echo {name} > /f\nCMD ["cat", "/f"]\n'
            (context / "Dockerfile").write_text(dockerfile)
            outputs[side] = []
            for line in lines:
                out, err, code = run(side, shlex.split(line.format(p=name)), context)
                outputs[side].append((_normalised(out, name), _normalised(err, name), code))
        for line, real, ours in zip(lines, outputs["real"], outputs["ours"], strict=True):
            assert ours == real, line
        assert "Step 3/3 : CMD" in outputs["ours"][0][0]
        built = real_engine.inspect_image(f"{sides['ours']}:1")["Id"]
        recorded = Ledger().entries(real_engine.base_url, owner())
        assert recorded.references == {f"{sides['ours']}:1": built}
        assert recorded.images == [built]
        assert session.run(f"rmi {sides['ours']}:1").ok  # what LayerLab removes, it forgets
        assert not Ledger().entries(real_engine.base_url, owner())
    finally:
        for name in sides.values():
            with contextlib.suppress(EngineError):
                real_engine.remove_image(f"{name}:1")


@pytest.fixture(scope="module")
def private_engine() -> Iterator[RealEngine]:
    """An engine and registry of this module's own: the reset test resets (what it made), and
    a shared engine is never reset."""
    reachable_real_engine()
    name = f"llsafe{os.getpid()}"
    env = {**os.environ, "LAYERLAB_REAL_DIR": f"/tmp/{name}", "LAYERLAB_REAL_NETNS": name}
    started = subprocess.run(
        [str(REAL_ENGINE_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=180
    )
    try:
        if started.returncode != 0:
            _unavailable(f"could not start a private engine: {started.stderr[-500:]}")
        yield RealEngine(f"unix:///tmp/{name}/docker.sock", timeout=60)
    finally:
        subprocess.run([str(REAL_ENGINE_SCRIPT), "stop"], env=env, capture_output=True, timeout=180)


@pytest.mark.real
@pytest.mark.slow
def test_reset_removes_only_what_layerlab_created(
    private_engine: RealEngine,
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import layerlab.session

    engine = private_engine
    owner_name = f"test-{secrets.token_hex(3)}"
    monkeypatch.setenv("LAYERLAB_OWNER", owner_name)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", engine.base_url)
    monkeypatch.delenv("LAYERLAB_SAFE", raising=False)
    session = Session(engine_name="real")
    monkeypatch.setattr(layerlab.session, "_session", session)
    for name in ("ours", "plain", "pushed"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM busybox\nRUN echo {name} > /f\n")

    def docker(line: str) -> None:
        done = subprocess.run([docker_cli, *shlex.split(line)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)

    def ours(line: str) -> None:
        result = session.run(line, cwd=str(tmp_path))
        assert result.ok, (line, result.stderr)

    busybox = engine.inspect_image("busybox")["Id"]
    # Made by the plain docker CLI: nothing of this may go.
    docker("create --name plain busybox true")
    docker("build -q -t plain:1 plain")
    docker("tag busybox plain-tag")
    docker("build -q -t localhost:5000/pushed:1 pushed")
    docker("push localhost:5000/pushed:1")
    docker("rmi localhost:5000/pushed:1")
    docker("tag plain:1 loaded:1")
    docker("save -o loaded.tar loaded:1")
    docker("rmi loaded:1")
    # Made by LayerLab in safe mode.
    ours("run --name ours busybox true")
    ours("build -q -t ours:1 ours")
    ours("build -t ours:2 ours")  # the same image again, from the cache
    ours("build -q -t cached:1 plain")  # from the cache: the plain CLI's image, not ours
    ours("tag busybox ours-tag")
    ours("commit ours committed:1")  # a commit is always a new image: recorded
    ours("tag busybox busybox")  # no change: busybox:latest stays the CLI's
    ours("pull localhost:5000/pushed:1")
    ours("load -i loaded.tar")  # loaded:1 is new; its image is plain:1's
    ours("save -o busybox.tar busybox")
    ours("load -i busybox.tar")  # busybox:latest was there already
    docker("tag ours:1 kept:1")  # the plain CLI tags LayerLab's image: it stays
    ours("build -t dangling:1 pushed")  # then the plain CLI moves the tag elsewhere
    docker("tag plain:1 dangling:1")
    docker("create --name user-of-ours ours-tag")  # busybox's image: untagging ours-tag is fine
    assert engine.inspect_image("ours:1")["Config"]["Labels"] is None
    ours_id = engine.inspect_image("ours:1")["Id"]

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "layerlab")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        shell.run_line_magic("docker_reset", "")

    assert _names(engine) == {"plain", "user-of-ours"}
    assert _tags(engine) == {"busybox:latest", "plain:1", "plain-tag:latest", "kept:1",
                             "dangling:1"}  # fmt: skip
    assert engine.inspect_image("busybox")["Id"] == busybox
    assert engine.inspect_image("kept:1")["Id"] == ours_id
    summary = printed.getvalue()
    assert "removed 1 container(s)" in summary
    assert "kept dangling:1: it now names another image (tagged outside LayerLab)" in summary
    assert "tagged kept:1" in summary
    # Only what is still there and still LayerLab's stays in the ledger: nothing, here.
    assert not Ledger().entries(engine.base_url, owner_name)


@pytest.mark.real
@pytest.mark.slow
def test_reset_keeps_an_image_someone_uses_and_removes_it_later(
    private_engine: RealEngine,
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = private_engine
    owner_name = f"test-{secrets.token_hex(3)}"
    monkeypatch.setenv("LAYERLAB_OWNER", owner_name)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", engine.base_url)
    session = Session(engine_name="real", safe=True)
    (tmp_path / "Dockerfile").write_text(f"FROM busybox\nRUN echo {owner_name} > /f\n")
    assert session.run("build -q -t used:1 .", cwd=str(tmp_path)).ok
    engine.create_container("used:1", ["true"], name="user")  # someone else's container
    first = remove_managed(engine, owner_name)
    assert first.images == []
    assert any(k.startswith("used:1: conflict: unable to remove repository reference")
               for k in first.kept), first.kept  # fmt: skip
    assert "used:1" in _tags(engine)
    engine.remove_container("user")
    second = remove_managed(engine, owner_name)
    assert second.images == ["used:1"] and second.kept == []
    assert "used:1" not in _tags(engine)
    assert not Ledger().entries(engine.base_url, owner_name)


def test_docker_safe_magic(ip: InteractiveShell, capsys: pytest.CaptureFixture) -> None:
    from layerlab.session import current_session

    session = current_session()
    shell = ip
    shell.run_line_magic("docker_safe", "off")
    assert not session.safe
    shell.run_line_magic("docker_safe", "on")
    assert session.safe
    assert "safe mode: on (applies to the real engine)" in capsys.readouterr().out
