"""RealEngine: error translation (no daemon needed) and a few calls on a real engine."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import docker.errors
import pytest
import requests

from layerlab.engine.errors import Conflict, EngineUnavailable, NotFound
from layerlab.engine.real import RealEngine, translate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import real_engine  # noqa: F401


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
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


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
