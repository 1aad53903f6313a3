"""Registries in the simulated engine: the simulated Docker Hub, private registries, pull, push.

Expected messages were recorded from a Docker 20.10 daemon and a registry:2 on 127.0.0.1:5000.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from layerlab.engine.errors import NotFound
from layerlab.engine.sim.engine import SimEngine, state_path
from layerlab.engine.sim.programs.executable import program_of
from layerlab.engine.sim.registry import distribution as registry
from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.runtimes import nodejs
from layerlab.engine.sim.store import fs
from layerlab.engine.sim.store.database import Store


@pytest.fixture
def engine(tmp_path: Path) -> SimEngine:
    """An engine with an empty state (marking it initialised skips installing the baseline)."""
    store = Store(state_path(tmp_path, "default"))
    with store.transaction():
        store.set_meta("initialised", "1")
    store.close()
    sim = SimEngine(tmp_path)
    yield sim
    sim.close()


def statuses(messages: list[dict]) -> list[str]:
    """Messages as the non-TTY CLI prints them (progress bars dropped)."""
    lines = []
    for m in messages:
        if "progress" in m or "aux" in m:
            continue
        if "error" in m:
            lines.append("ERROR " + m["error"])
        elif m.get("id"):
            lines.append(f"{m['id']}: {m['status']}")
        else:
            lines.append(m["status"])
    return lines


def login(engine: SimEngine, user: str) -> None:
    with engine.store.transaction():
        registry.record_login(engine, None, user)


# -- blobs and message shapes ---------------------------------------------------------------------


def test_gzip_stored_is_fixed_and_readable() -> None:
    data = bytes(range(256)) * 1000  # more than one stored block
    blob = registry.gzip_stored(data)
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    assert gzip.decompress(blob) == data
    assert gzip.decompress(registry.gzip_stored(b"")) == b""
    assert registry.gzip_stored(data) == blob


def test_progress_bar_matches_the_daemon() -> None:
    recorded = "[========>                                          ]  33.28kB/200kB"
    assert registry.progress("Pushing", "x", 33280, 200000)["progress"] == recorded
    full = registry.progress("Loading layer", "x", 102400, 102400)["progress"]
    assert full == "[==================================================>]  102.4kB/102.4kB"


def test_manifest_layout_is_the_daemons() -> None:
    manifest = registry.manifest_for(b"{}", [b"tar"]).decode()
    assert manifest.startswith('{\n   "schemaVersion": 2,\n   "mediaType": ')
    assert '"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"' in manifest
    assert not manifest.endswith("\n")


# -- pull -----------------------------------------------------------------------------------------


def test_pull_official_image_then_up_to_date(engine: SimEngine) -> None:
    first = list(engine.pull("alpine"))
    image = hub.image("library/alpine", "latest")
    assert image is not None
    blob = registry.compressed_blob(image.layers[0].tar)[0][7:19]
    digest = statuses(first)[-2]
    assert statuses(first) == [
        "latest: Pulling from library/alpine",
        f"{blob}: Pulling fs layer",
        f"{blob}: Verifying Checksum",
        f"{blob}: Download complete",
        f"{blob}: Pull complete",
        digest,
        "Status: Downloaded newer image for alpine:latest",
    ]
    assert first[0] == {"status": "Pulling from library/alpine", "id": "latest"}
    assert statuses(list(engine.pull("alpine", "latest"))) == [
        "latest: Pulling from library/alpine",
        digest,
        "Status: Image is up to date for alpine:latest",
    ]
    pulled = engine.image_store.resolve("alpine")
    assert pulled.id == image.id
    assert engine.image_store.size(pulled) == 7_380_000
    manifest_digest = digest.removeprefix("Digest: ")
    assert engine.image_store.refs(pulled.id, "digest") == [
        f"docker.io/library/alpine@{manifest_digest}"
    ]
    assert pulled.last_tag_time == ""  # a pull sets no LastTagTime


def test_shared_layers_already_exist_and_waiting_after_three(engine: SimEngine) -> None:
    node = statuses(list(engine.pull("node", "20")))
    assert sum(line.endswith("Pulling fs layer") for line in node) == 8
    assert sum(line.endswith(": Waiting") for line in node) == 5
    python = statuses(list(engine.pull("python:3.12")))
    assert sum(line.endswith("Already exists") for line in python) == 4
    assert sum(line.endswith("Pull complete") for line in python) == 3


def test_pull_errors(engine: SimEngine) -> None:
    cases = {
        ("foo", None): "pull access denied for foo, repository does not exist or may require "
        "'docker login': denied: requested access to the resource is denied",
        ("busybox", "nosuch"): "manifest for busybox:nosuch not found: manifest unknown: "
        "manifest unknown",
        ("localhost:5000/nosuch", None): "manifest for localhost:5000/nosuch:latest not found: "
        "manifest unknown: manifest unknown",
    }
    for (repo, tag), message in cases.items():
        with pytest.raises(NotFound) as err:
            engine.pull(repo, tag)
        assert err.value.message == message
    with pytest.raises(NotFound, match="repository localhost:5000/nosuch not found: name unknown"):
        engine.pull("localhost:5000/nosuch", None, all_tags=True)


def test_pull_all_tags_and_by_digest(engine: SimEngine) -> None:
    lines = statuses(list(engine.pull("ubuntu", None, all_tags=True)))
    assert [line for line in lines if "Pulling from" in line] == [
        "20.04: Pulling from library/ubuntu",
        "22.04: Pulling from library/ubuntu",
        "latest: Pulling from library/ubuntu",
    ]
    assert lines[-1] == "Status: Downloaded newer image for ubuntu"
    digest = next(line for line in lines if line.startswith("Digest:")).removeprefix("Digest: ")
    again = statuses(list(engine.pull("ubuntu", digest)))
    assert again[0] == f"ubuntu@{digest}: Pulling from library/ubuntu"
    assert again[-1] == f"Status: Image is up to date for ubuntu@{digest}"


# -- push -----------------------------------------------------------------------------------------


def test_push_to_private_registry_and_pull_back(engine: SimEngine) -> None:
    list(engine.pull("node", "20-alpine"))
    engine.tag("node:20-alpine", "localhost:5000/web", "1.0")
    first = list(engine.push("localhost:5000/web", "1.0"))
    layers = engine.image_store.resolve("node:20-alpine").diff_ids[::-1]
    shorts = [d[7:19] for d in layers]
    assert statuses(first)[0] == "The push refers to repository [localhost:5000/web]"
    assert statuses(first)[1:5] == [f"{s}: Preparing" for s in shorts]
    assert statuses(first)[5:9] == [f"{s}: Pushed" for s in shorts]
    aux = first[-1]["aux"]
    assert statuses(first)[-1] == f"1.0: digest: {aux['Digest']} size: {aux['Size']}"
    assert first[-1] == {
        "progressDetail": {},
        "aux": {"Tag": "1.0", "Digest": aux["Digest"], "Size": aux["Size"]},
    }
    second = statuses(list(engine.push("localhost:5000/web", "1.0")))
    assert second[5:9] == [f"{s}: Layer already exists" for s in shorts]
    engine.tag("node:20-alpine", "localhost:5000/tools/node", "x")
    mounted = statuses(list(engine.push("localhost:5000/tools/node")))
    assert mounted[5:9] == [f"{s}: Mounted from web" for s in shorts]
    image_id = engine.image_store.resolve("localhost:5000/web:1.0").id
    assert f"localhost:5000/web@{aux['Digest']}" in engine.image_store.refs(image_id, "digest")
    for ref in ("localhost:5000/web:1.0", "localhost:5000/tools/node:x", "node:20-alpine"):
        engine.remove_image(ref)
    pulled = statuses(list(engine.pull("localhost:5000/web", "1.0")))
    assert pulled[0] == "1.0: Pulling from web"
    assert pulled[-1] == "Status: Downloaded newer image for localhost:5000/web:1.0"
    assert engine.image_store.resolve("localhost:5000/web:1.0").id == image_id


def test_push_errors(engine: SimEngine) -> None:
    list(engine.pull("hello-world"))
    engine.tag("hello-world", "localhost:5000/app", "v1")
    assert statuses(list(engine.push("localhost:5000/app", "nosuch"))) == [
        "The push refers to repository [localhost:5000/app]",
        "ERROR tag does not exist: localhost:5000/app:nosuch",
    ]
    assert statuses(list(engine.push("localhost:5000/nosuch"))) == [
        "The push refers to repository [localhost:5000/nosuch]",
        "ERROR An image does not exist locally with the tag: localhost:5000/nosuch",
    ]


def test_docker_hub_push_needs_login_and_own_namespace(engine: SimEngine) -> None:
    list(engine.pull("hello-world"))
    engine.tag("hello-world", "student/hello", "1")
    denied = statuses(list(engine.push("student/hello", "1")))
    assert denied[0] == "The push refers to repository [docker.io/student/hello]"
    assert denied[-1] == "ERROR denied: requested access to the resource is denied"
    login(engine, "student")
    assert statuses(list(engine.push("hello-world")))[-1].startswith("ERROR denied")
    pushed = statuses(list(engine.push("student/hello", "1")))
    assert pushed[2].endswith("Mounted from library/hello-world")
    engine.remove_image("student/hello:1")
    assert statuses(list(engine.pull("student/hello:1")))[0] == "1: Pulling from student/hello"


# -- the catalog ----------------------------------------------------------------------------------


def test_catalog_sizes_and_sharing() -> None:
    def size(name: str, tag: str) -> int:
        image = hub.image(f"library/{name}", tag)
        assert image is not None
        return sum(layer.size for layer in image.layers)

    assert size("node", "14") == 912_000_000
    assert size("alpine", "latest") == 7_380_000
    assert size("hello-world", "latest") == 13_256

    def diffs(name: str, tag: str) -> list[str]:
        image = hub.image(f"library/{name}", tag)
        assert image is not None
        return json.loads(image.config)["rootfs"]["diff_ids"]

    assert diffs("node", "20")[:4] == diffs("node", "18")[:4] == diffs("python", "3.12")[:4]
    assert not set(diffs("node", "14")) & set(diffs("node", "20"))
    assert diffs("node", "20-alpine")[0] == diffs("alpine", "3.19")[0]
    assert diffs("nginx", "latest")[0] == diffs("debian", "bookworm")[0]
    config = json.loads(hub.image("library/node", "14").config)  # type: ignore[union-attr]
    # Every node tag holds the Node.js that runs its programs (runtimes.nodejs).
    assert f"NODE_VERSION={nodejs.host_version()}" in config["config"]["Env"]
    assert config["config"]["Entrypoint"] == ["docker-entrypoint.sh"]
    nginx = json.loads(hub.image("library/nginx", "latest").config)  # type: ignore[union-attr]
    assert nginx["config"]["StopSignal"] == "SIGQUIT"
    assert nginx["config"]["ExposedPorts"] == {"80/tcp": {}}


def test_catalog_is_deterministic_across_processes() -> None:
    code = (
        "from layerlab.engine.sim.registry.hub import images as hub;"
        " print(hub.image('library/node', '14').id)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hub.image("library/node", "14").id  # type: ignore[union-attr]


def test_images_hold_their_programs() -> None:
    def tree(name: str, tag: str) -> fs.Tree:
        image = hub.image(f"library/{name}", tag)
        assert image is not None
        result: fs.Tree = {}
        for layer in image.layers:
            fs.apply_changes(result, fs.tar_to_changes(layer.tar))
        return result

    node = tree("node", "14")
    assert program_of(node["/usr/local/bin/node"].data) == "node"
    assert node["/usr/local/bin/docker-entrypoint.sh"].data.startswith(b"#!/bin/sh")
    assert program_of(tree("alpine", "3.18")["/sbin/apk"].data) == "apk"
    assert program_of(tree("python", "3.11-slim")["/usr/local/bin/python3.11"].data) == "python3"
    assert program_of(tree("nginx", "alpine")["/usr/sbin/nginx"].data) == "nginx"
    hello = tree("hello-world", "latest")["/hello"].data
    assert program_of(hello) == "hello"
    assert b"Hello from Docker!\nThis message shows that your installation" in hello
