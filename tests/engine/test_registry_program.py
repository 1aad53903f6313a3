"""``registry:2`` in the simulator runs a real registry: the Docker Registry HTTP API V2 on its
published port, what is pushed kept in the container's own files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement

pytestmark = pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here")

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    engine = SimEngine(home=tmp_path / "home")
    yield engine
    engine.reset("empty")


@pytest.fixture
def registry(engine: SimEngine) -> Iterator[str]:
    """The address (``127.0.0.1:PORT``) of a running registry container named ``registry``."""
    port = free_port()
    assert docker(engine, "run", "-d", "--name", "registry", "-p", f"{port}:5000",
                  "registry:2")[2] == 0  # fmt: skip
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if request("GET", address, "/v2/")[0] == 200:
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)
    yield address


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(
    method: str,
    address: str,
    path: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    call = urllib.request.Request(f"http://{address}{path}", data, headers or {}, method=method)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_image(address: str, name: str, tag: str, layer: bytes) -> tuple[str, bytes]:
    """Push a one-layer image as a client does (a chunked upload for the layer, a monolithic
    one for the config); (manifest digest, manifest)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {
        "type": "layers", "diff_ids": [digest(gzip.decompress(layer))]}}).encode()  # fmt: skip
    status, headers, _ = request("POST", address, f"/v2/{name}/blobs/uploads/", b"")
    assert status == 202 and headers["Range"] == "0-0"
    location = headers["Location"]
    half = len(layer) // 2
    status, headers, _ = request("PATCH", address, location, layer[:half])
    assert status == 202 and headers["Range"] == f"0-{half - 1}"
    status, headers, _ = request("PUT", address, f"{location}?digest={digest(layer)}",
                                 layer[half:])  # fmt: skip
    assert status == 201 and headers["Docker-Content-Digest"] == digest(layer)
    status, _, _ = request("POST", address, f"/v2/{name}/blobs/uploads/?digest={digest(config)}",
                           config)  # fmt: skip
    assert status == 201
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": digest(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": digest(layer)}],
    }).encode()  # fmt: skip
    status, headers, _ = request("PUT", address, f"/v2/{name}/manifests/{tag}", manifest,
                                 {"Content-Type": MANIFEST_TYPE})  # fmt: skip
    assert status == 201
    return headers["Docker-Content-Digest"], manifest


def test_the_registry_serves_the_distribution_api(engine: SimEngine, registry: str) -> None:
    status, headers, body = request("GET", registry, "/v2/")
    assert (status, body) == (200, b"{}\n")
    assert headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    layer = gzip.compress(b"a layer's tar")
    manifest_digest, manifest = push_image(registry, "team/app", "1.0", layer)
    assert manifest_digest == digest(manifest)
    assert json.loads(request("GET", registry, "/v2/_catalog")[2]) == {"repositories": ["team/app"]}
    assert json.loads(request("GET", registry, "/v2/team/app/tags/list")[2]) == {
        "name": "team/app", "tags": ["1.0"]}  # fmt: skip
    for reference in ("1.0", manifest_digest):
        status, headers, body = request("GET", registry, f"/v2/team/app/manifests/{reference}",
                                        headers={"Accept": MANIFEST_TYPE})  # fmt: skip
        assert (status, body, headers["Content-Type"]) == (200, manifest, MANIFEST_TYPE)
    assert request("GET", registry, f"/v2/team/app/blobs/{digest(layer)}")[2] == layer
    status, headers, body = request("HEAD", registry, f"/v2/team/app/blobs/{digest(layer)}")
    assert (status, headers["Content-Length"], body) == (200, str(len(layer)), b"")
    # Another repository mounts the layer instead of uploading it again.
    mount = f"/v2/other/app/blobs/uploads/?mount={digest(layer)}&from=team/app"
    assert request("POST", registry, mount, b"")[0] == 201
    # The registry's errors, as the registry words them.
    status, _, body = request("GET", registry, "/v2/team/app/manifests/2.0")
    assert status == 404 and json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    status, _, body = request("GET", registry, "/v2/team/nothing/tags/list")
    assert status == 404 and json.loads(body)["errors"][0]["message"] == (
        "repository name not known to registry"
    )
    # A manifest of a repository it does not know is just an unknown manifest (distribution's
    # answer, measured).
    status, _, body = request("GET", registry, "/v2/team/nothing/manifests/1.0")
    assert status == 404 and json.loads(body)["errors"][0] == {
        "code": "MANIFEST_UNKNOWN",
        "message": "manifest unknown",
        "detail": {"Tag": "1.0"},
    }
    status, _, body = request("HEAD", registry, f"/v2/team/app/blobs/sha256:{'0' * 64}")
    assert status == 404
    status, _, body = request("DELETE", registry, f"/v2/team/app/manifests/{manifest_digest}")
    assert status == 405 and json.loads(body)["errors"][0]["code"] == "UNSUPPORTED"
    status, _, body = request("PUT", registry, "/v2/team/app/manifests/bad", b"{}")
    assert status == 400 and json.loads(body)["errors"][0]["code"] == "MANIFEST_INVALID"
    stored = docker(engine, "exec", "registry", "find", "/var/lib/registry", "-name", "link")[0]
    assert (
        "/var/lib/registry/docker/registry/v2/repositories/team/app/_manifests/tags/1.0/current/"
        "link" in stored.splitlines()
    )


def test_what_it_stores_stays_with_the_container(engine: SimEngine, registry: str) -> None:
    push_image(registry, "kept", "1", gzip.compress(b"kept"))
    # The registry logs a request once it has answered it: the line may come a moment later.
    deadline = time.monotonic() + 10
    logs = docker(engine, "logs", "registry")
    while '"PUT /v2/kept/manifests/1 HTTP/1.1" 201' not in logs[0]:
        assert time.monotonic() < deadline, logs
        time.sleep(0.1)
        logs = docker(engine, "logs", "registry")
    assert 'msg="listening on [::]:5000"' in logs[1]
    assert docker(engine, "stop", "registry")[2] == 0
    status = docker(engine, "ps", "-a", "--format", "{{.Status}}")[0]
    assert status.startswith("Exited (2) ")  # Go's way of ending on SIGTERM as PID 1
    assert (
        "A /var/lib/registry/docker/registry/v2/repositories/kept"
        in docker(engine, "diff", "registry")[0].splitlines()
    )
    assert docker(engine, "start", "registry")[2] == 0
    port = docker(engine, "ps", "--format", "{{.Ports}}")[0].split(":")[1].split("-")[0]
    deadline = time.monotonic() + 15
    while True:
        try:
            body = request("GET", f"127.0.0.1:{port}", "/v2/_catalog")[2]
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert json.loads(body) == {"repositories": ["kept"]}


DISTRIBUTION = "127.0.0.1:5000"  # the real engine's own registry (scripts/real-engine)


def _answers(address: str) -> bool:
    try:
        return request("GET", address, "/v2/")[0] == 200
    except OSError:
        return False


@pytest.mark.skipif(not os.environ.get("DOCKER_HOST"), reason="no real engine")
def test_a_real_docker_daemon_sees_it_as_it_sees_distributions_registry(
    engine: SimEngine, registry: str
) -> None:
    """The same pushes and pulls by a real Docker daemon, through LayerLab's registry and
    through distribution's (the real engine's, on port 5000): the same output, word for word."""
    if not _answers(DISTRIBUTION):
        pytest.skip("the real engine's registry is not running")
    repository = f"real{os.getpid()}x{time.monotonic_ns()}"  # new in both registries

    def real(*args: str, data: bytes | None = None) -> tuple[str, str, int]:
        done = subprocess.run(["docker", *args], input=data, capture_output=True, timeout=60)
        return done.stdout.decode(), done.stderr.decode(), done.returncode

    # An image whose one layer the daemon has never pushed anywhere: what it remembers of
    # earlier pushes (and so "Mounted from") is the same for both sessions.
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        entry = tarfile.TarInfo("id")
        entry.size = len(repository)
        tar.addfile(entry, io.BytesIO(repository.encode()))
    image = f"{repository}-image"
    assert real("import", "-", image, data=layer.getvalue())[2] == 0

    def session(address: str) -> list[tuple[str, str, int]]:
        name, other = f"{address}/{repository}/box:1", f"{address}/{repository}/copy:2"
        outputs = [
            real("tag", image, name),
            real("push", name),
            real("push", name),
            real("tag", image, other),
            real("push", other),
            real("rmi", name, other),
            real("pull", name),
            real("pull", f"{address}/{repository}/box:nope"),
            real("pull", f"{address}/{repository}/nothing:1"),
            real("rmi", name),
        ]
        return [(out.replace(address, "REGISTRY"), err.replace(address, "REGISTRY"), code)
                for out, err, code in outputs]  # fmt: skip

    try:
        ours = session(registry)
        theirs = session(DISTRIBUTION)
    finally:
        real("rmi", image)
    assert ours == theirs
    assert any(": Mounted from " in out for out, _, _ in ours)


def test_the_simulator_pushes_to_it_and_pulls_from_it(engine: SimEngine, registry: str) -> None:
    port = registry.split(":")[1]
    name = f"localhost:{port}/team/box:1.0"
    before = docker(engine, "images", "--format", "{{.ID}} {{.Size}}", "busybox")[0]
    assert docker(engine, "tag", "busybox", name)[2] == 0
    out, err, code = docker(engine, "push", name)
    assert (code, err) == (0, "")
    assert out.splitlines()[-2].endswith(": Pushed")
    assert ": Layer already exists" in docker(engine, "push", name)[0]
    other = f"localhost:{port}/other/box:2"
    assert docker(engine, "tag", "busybox", other)[2] == 0
    assert ": Mounted from team/box" in docker(engine, "push", other)[0]
    # It is in the container's registry, as any client sees it.
    catalog = json.loads(request("GET", registry, "/v2/_catalog")[2])
    assert catalog == {"repositories": ["other/box", "team/box"]}
    # Everything local gone, the image comes back from there, the same image.
    assert docker(engine, "rmi", name, other, "busybox")[2] == 0
    out, err, code = docker(engine, "pull", name)
    assert code == 0, err
    assert ": Pull complete" in out
    assert docker(engine, "images", "--format", "{{.ID}} {{.Size}}", name)[0] == before


def test_sigint_ends_the_registry_as_go_ends_it(engine: SimEngine, registry: str) -> None:
    """Go's runtime ends a program on SIGINT too (a Ctrl-C that `docker run` forwards), and
    as PID 1 with exit code 2."""
    assert docker(engine, "kill", "-s", "INT", "registry")[2] == 0
    assert docker(engine, "wait", "registry")[0] == "2\n"


def test_a_stopped_registry_answers_nothing(engine: SimEngine, registry: str) -> None:
    port = registry.split(":")[1]
    name = f"localhost:{port}/team/box:1.0"
    assert docker(engine, "tag", "busybox", name)[2] == 0
    assert docker(engine, "stop", "registry")[2] == 0
    refused = (
        f'Get "http://localhost:{port}/v2/": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )
    assert docker(engine, "push", name) == (
        f"The push refers to repository [localhost:{port}/team/box]\n",
        refused + "\n",
        1,
    )
    _, err, code = docker(engine, "pull", name)
    assert (code, err) == (1, f"Error response from daemon: {refused}\n")


def test_a_manifest_the_simulator_cannot_pull_is_refused_clearly(
    engine: SimEngine, registry: str
) -> None:
    _, manifest = push_image(registry, "multi/app", "1", gzip.compress(b"one platform"))
    index = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [{"mediaType": MANIFEST_TYPE, "size": len(manifest),
                       "digest": digest(manifest), "platform": {"architecture": "amd64",
                                                                 "os": "linux"}}],
    }).encode()  # fmt: skip
    status, _, _ = request("PUT", registry, "/v2/multi/app/manifests/list", index, {
        "Content-Type": "application/vnd.docker.distribution.manifest.list.v2+json"})  # fmt: skip
    assert status == 201
    port = registry.split(":")[1]
    _, err, code = docker(engine, "pull", f"localhost:{port}/multi/app:list")
    assert code == 1
    assert "is not an image manifest the simulator can pull" in err


def test_an_address_of_this_machine_where_nothing_listens_refuses(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No registry is imagined at ``localhost:PORT``: without a container or another program
    listening there, push and pull fail as the daemon's do (the test suite's switch that stands
    the simulator in for the reference machine's registry is off here, as for a learner)."""
    monkeypatch.delenv("LAYERLAB_SIMULATED_REGISTRIES", raising=False)
    port = free_port()
    for host in ("localhost", "127.0.0.1"):
        name = f"{host}:{port}/team/box:1.0"
        assert docker(engine, "tag", "busybox", name)[2] == 0
        refused = (
            f'Get "http://{host}:{port}/v2/": dial tcp 127.0.0.1:{port}: connect: '
            "connection refused"
        )
        assert docker(engine, "push", name) == (
            f"The push refers to repository [{host}:{port}/team/box]\n",
            refused + "\n",
            1,
        )
        _, err, code = docker(engine, "pull", name)
        assert (code, err) == (1, f"Error response from daemon: {refused}\n")


def test_a_registry_program_no_container_publishes_is_reached_too(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever serves the registry API at an address of this machine is the registry there:
    here the real engine's own (distribution's, started by scripts/real-engine)."""
    if not _answers(DISTRIBUTION):
        pytest.skip("the real engine's registry is not running")
    monkeypatch.delenv("LAYERLAB_SIMULATED_REGISTRIES", raising=False)
    repository = f"sim{os.getpid()}x{time.monotonic_ns()}"
    name = f"{DISTRIBUTION}/{repository}/box:1"
    assert docker(engine, "tag", "busybox", name)[2] == 0
    out, err, code = docker(engine, "push", name)
    assert code == 0, err
    assert ": Pushed" in out
    tags = json.loads(request("GET", DISTRIBUTION, f"/v2/{repository}/box/tags/list")[2])
    assert tags == {"name": f"{repository}/box", "tags": ["1"]}
    assert docker(engine, "rmi", name)[2] == 0
    out, err, code = docker(engine, "pull", name)
    assert code == 0, err
    assert "Downloaded newer image" in out


def test_a_published_registry_answers_on_every_loopback_address(
    engine: SimEngine, registry: str
) -> None:
    """docker-proxy listens on every address, so 127.0.0.2:PORT reaches the registry too."""
    port = registry.rpartition(":")[2]
    name = f"127.0.0.2:{port}/team/box:1"
    assert docker(engine, "tag", "busybox", name)[2] == 0
    _, err, code = docker(engine, "push", name)
    assert code == 0, err
    tags = json.loads(request("GET", registry, "/v2/team/box/tags/list")[2])
    assert tags == {"name": "team/box", "tags": ["1"]}


def test_at_ipv6_loopback_the_daemon_would_speak_https(engine: SimEngine, registry: str) -> None:
    """The daemon's default insecure registries are 127.0.0.0/8 only: at [::1] it speaks
    HTTPS. Where nothing listens that is its refusal; where a registry does, LayerLab says it
    does not speak HTTPS to it rather than pretend (Engine 26.1: the 20.10 daemon refuses the
    name itself)."""
    engine = SimEngine(home=engine.home, profile="26.1")  # the same daemon's state, as 26.1
    nothing = free_port()
    name = f"[::1]:{nothing}/team/box:1"
    assert docker(engine, "tag", "busybox", name)[2] == 0
    _, err, code = docker(engine, "push", name)
    assert (code, err) == (1, f'Get "https://[::1]:{nothing}/v2/": dial tcp [::1]:{nothing}: '
                              "connect: connection refused\n")  # fmt: skip
    port = registry.rpartition(":")[2]
    name = f"[::1]:{port}/team/box:1"
    assert docker(engine, "tag", "busybox", name)[2] == 0
    _, err, code = docker(engine, "push", name)
    assert code == 1
    assert err.startswith(f"LayerLab: the daemon would reach the registry at [::1]:{port} over")


def test_a_port_past_65535_is_refused_by_the_dialer(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAYERLAB_SIMULATED_REGISTRIES", raising=False)
    assert docker(engine, "tag", "busybox", "localhost:99999/box")[2] == 0
    _, err, code = docker(engine, "pull", "localhost:99999/box")
    assert (code, err) == (1, 'Error response from daemon: Get "http://localhost:99999/v2/": '
                              "dial tcp: address 99999: invalid port\n")  # fmt: skip
