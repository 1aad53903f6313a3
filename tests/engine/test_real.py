"""RealEngine: error translation (no daemon needed), a few calls on a real engine, and the
CLI details that depend on what the adapter sends (``run --rm`` waits, attach config, --net)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import docker.errors
import pytest
import requests

from layerlab.cli.grammar import TOP_COMMANDS
from layerlab.cli.main import run_cli
from layerlab.engine.errors import Conflict, EngineError, EngineUnavailable, NotFound
from layerlab.engine.real.engine import RealEngine, translate
from layerlab.engine.sim.engine import SimEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import docker_cli, real_engine  # noqa: F401
from tarfiles import tar_of


def _api_error(status: int, message: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"message": message}).encode()
    return docker.errors.APIError("x", response=response, explanation=message)


def test_api_errors_keep_the_daemon_message() -> None:
    error = translate(_api_error(404, "No such container: web"), "unix:///x")
    assert isinstance(error, NotFound)
    assert error.message == "No such container: web" and error.status == 404
    assert isinstance(translate(_api_error(409, "Conflict. x"), "unix:///x"), Conflict)


def test_unreachable_daemon_says_how_to_recover(tmp_path: Path) -> None:
    engine = RealEngine(f"unix://{tmp_path}/nothing.sock", timeout=2)
    assert engine.ping() is False
    with pytest.raises(EngineUnavailable) as caught:
        engine.images()
    text = caught.value.message
    assert "Cannot connect to the Docker daemon" in text
    assert "%docker_engine sim" in text and "LAYERLAB_ENGINE=sim" in text


def test_from_env_uses_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/layerlab-nowhere.sock")
    assert RealEngine.from_env().base_url == "unix:///tmp/layerlab-nowhere.sock"


def _context(dockerfile: str) -> bytes:
    return tar_of({"Dockerfile": dockerfile.encode()})


@pytest.mark.real
def test_build_with_several_tags_and_remove(real_engine: RealEngine) -> None:  # noqa: F811
    tags = ["layerlab-real-test:a", "layerlab-real-test:b"]
    messages = list(real_engine.build(_context("FROM busybox\nLABEL t=1\n"), tags=tags))
    streams = "".join(m.get("stream", "") for m in messages)
    assert "Successfully tagged layerlab-real-test:a" in streams
    assert "Successfully tagged layerlab-real-test:b" in streams
    removed = real_engine.remove_image("layerlab-real-test:a")
    assert removed == [{"Untagged": "layerlab-real-test:a"}]
    removed = real_engine.remove_image("layerlab-real-test:b")
    assert removed[0] == {"Untagged": "layerlab-real-test:b"}
    assert any("Deleted" in entry for entry in removed)


@pytest.mark.real
def test_run_cycle_with_attach_and_auto_remove(real_engine: RealEngine) -> None:  # noqa: F811
    created = real_engine.create_container(
        "busybox", command=["sh", "-c", "echo out; echo err >&2; exit 7"],
        host_config={"AutoRemove": True}, ports=["8080/tcp"],
    )  # fmt: skip
    chunks = real_engine.attach(created["Id"], logs=False)
    real_engine.start(created["Id"])
    out = b"".join(o or b"" for o, _ in chunks)
    assert out == b"out\n"
    assert real_engine.wait(created["Id"])["StatusCode"] == 7
    with pytest.raises(NotFound):
        real_engine.inspect_container(created["Id"] + "-gone")


def _cli(engine: RealEngine, line: str, cwd: Path | None = None) -> tuple[str, str, int]:
    """``line`` through LayerLab's docker CLI on ``engine``: (stdout, stderr, exit code)."""
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(shlex.split(line), engine, out, err, cwd=cwd or Path.cwd())
    return out.getvalue(), err.getvalue(), code


@pytest.mark.real
@pytest.mark.slow
def test_run_rm_returns_once_the_container_is_gone(real_engine: RealEngine) -> None:  # noqa: F811
    """As with the docker CLI, `rmi` right after `run --rm` never finds the container still
    using the image: `run --rm` waits for the removal, not only for the exit."""
    prefix = f"llrm{secrets.token_hex(3)}"
    try:
        for attempt in range(20):
            image = f"{prefix}:{attempt}"
            context = _context(f"FROM busybox\nLABEL attempt={prefix}{attempt}\n")
            list(real_engine.build(context, tags=[image]))  # its only reference: rmi deletes it
            assert _cli(real_engine, f"run --rm {image} true") == ("", "", 0)
            out, err, code = _cli(real_engine, f"rmi {image}")
            assert (err, code) == ("", 0), f"attempt {attempt}"
            assert f"Untagged: {image}\nDeleted: sha256:" in out
    finally:
        for attempt in range(20):
            with contextlib.suppress(EngineError):
                real_engine.remove_image(f"{prefix}:{attempt}", force=True)


def _attach_config(inspected: dict) -> tuple[bool, bool, bool]:
    config = inspected["Config"]
    return config["AttachStdin"], config["AttachStdout"], config["AttachStderr"]


ATTACH_LINES = {
    "run": "run --name {n} busybox true",
    "run-d": "run -d --name {n} busybox true",
    "run-d-i": "run -d -i --name {n} busybox true",
    "create": "create --name {n} busybox true",
}


@pytest.mark.real
@pytest.mark.parametrize("kind", list(ATTACH_LINES))
def test_attach_config_as_the_docker_cli_sets_it(
    kind: str,
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run -d` attaches nothing (Config.Attach* false); plain `run` and `create` attach stdout
    and stderr. The same on the real engine through LayerLab and on the simulator."""
    names = {side: f"llat{side}{secrets.token_hex(3)}" for side in ("cli", "ours")}
    line = ATTACH_LINES[kind]
    try:
        done = subprocess.run(
            [docker_cli, *shlex.split(line.format(n=names["cli"]))],
            env={**os.environ, "DOCKER_HOST": real_engine.base_url},
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        expected = _attach_config(real_engine.inspect_container(names["cli"]))
        assert _cli(real_engine, line.format(n=names["ours"]))[2] == 0
        assert _attach_config(real_engine.inspect_container(names["ours"])) == expected
    finally:
        for name in names.values():
            with contextlib.suppress(EngineError):
                real_engine.remove_container(name, force=True)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    simulator = SimEngine()
    try:
        assert _cli(simulator, line.format(n="box"))[2] == 0
        assert _attach_config(simulator.inspect_container("box")) == expected
    finally:
        simulator.close()
    assert expected == ((False,) * 3 if kind.startswith("run-d") else (False, True, True))


NET_LINES = [
    "create --name {n} --net none busybox true",
    "create --name {n} --net=none --label k=v busybox true",
    "container create --name {n} --net none busybox true",
    "run --name {n} --net none busybox true",
    "create --name {n} --net",
    "run --rm --net nosuch{n} busybox true",
]


@pytest.mark.real
@pytest.mark.parametrize("line", NET_LINES)
def test_net_is_the_hidden_alias_of_network(
    line: str,
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
) -> None:
    """docker accepts --net for --network (hidden from --help): same output, same result."""
    names = {side: f"llnet{side}{secrets.token_hex(3)}" for side in ("cli", "our")}
    results = {}
    try:
        for side, name in names.items():
            argv = shlex.split(line.format(n=name))
            if side == "cli":
                done = subprocess.run(
                    [docker_cli, *argv], env={**os.environ, "DOCKER_HOST": real_engine.base_url},
                    capture_output=True, timeout=60,
                )  # fmt: skip
                out, err, code = done.stdout.decode(), done.stderr.decode(), done.returncode
            else:
                out, err, code = _cli(real_engine, shlex.join(argv))
            mode = None
            if code == 0:
                mode = real_engine.inspect_container(name)["HostConfig"]["NetworkMode"]
            normalise = re.compile(r"[0-9a-f]{64}")
            results[side] = (normalise.sub("<ID>", out.replace(name, "<n>")),
                             err.replace(name, "<n>"), code, mode)  # fmt: skip
    finally:
        for name in names.values():
            with contextlib.suppress(EngineError):
                real_engine.remove_container(name, force=True)
    assert results["our"] == results["cli"]
    assert "--net " not in TOP_COMMANDS["run"].help_text  # hidden from --help, as in docker


INPUT_LINES = [
    ("run -i --rm busybox cat", b"hello\n"),
    ("run -i --rm busybox sh -c 'read x; echo got $x; wc -l'", b"one\ntwo\nthree\n"),
    ("run -i --rm busybox cat", b""),
    ("run --rm busybox cat", b"not attached\n"),
    ("run -t --rm busybox sh -c 'echo out; echo err >&2; exit 3'", b""),
    ("build -", b""),
    ("build -f - -", b"FROM busybox\n"),
]


@pytest.mark.real
@pytest.mark.parametrize(("line", "data"), INPUT_LINES)
def test_stdin_and_terminal_as_the_docker_cli(
    line: str,
    data: bytes,
    real_engine: RealEngine,  # noqa: F811
    docker_cli: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """-i hands the CLI's stdin to the container, then its end; -t gives one CRLF stream.
    The real CLI with piped input, LayerLab on the real engine and on the simulator agree."""
    done = subprocess.run(
        [docker_cli, *shlex.split(line)], input=data, capture_output=True, timeout=60,
        env={**os.environ, "DOCKER_HOST": real_engine.base_url},
    )  # fmt: skip
    expected = (done.stdout.decode(), done.stderr.decode(), done.returncode)
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    simulator = SimEngine()
    try:
        for engine in (real_engine, simulator):
            out, err = io.StringIO(), io.StringIO()
            code = run_cli(shlex.split(line), engine, out, err, stdin=data)
            assert (out.getvalue(), err.getvalue(), code) == expected, engine.name
    finally:
        simulator.close()


@pytest.mark.real
@pytest.mark.parametrize("flags", ["-dit", "-di", "-dt", "-d"])
def test_a_shell_waits_on_a_terminal_or_an_open_stdin(
    flags: str,
    real_engine: RealEngine,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`run -dit busybox sh` keeps running (and greets its terminal); `run -d busybox sh` ends
    at once. The same on the simulator."""
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path))
    simulator = SimEngine()
    seen = {}
    try:
        for engine in (real_engine, simulator):
            name = f"llsh{secrets.token_hex(3)}"
            try:
                assert _cli(engine, f"run {flags} --name {name} busybox sh")[2] == 0
                if engine is real_engine:
                    _cli(engine, "run --rm busybox sleep 1")  # let the shell start and greet
                running = engine.inspect_container(name)["State"]["Running"]
                seen[engine.name] = (running, _cli(engine, f"logs {name}")[:2])
            finally:
                with contextlib.suppress(EngineError):
                    engine.remove_container(name, force=True)
    finally:
        simulator.close()
    assert seen["real"] == seen["sim"]
    assert seen["sim"][0] == (flags != "-d")
