"""`docker save` / `docker load` in the simulated engine, checked against the real format.

The last tests need a real engine (``DOCKER_HOST``, see tests/realengine.py) and are skipped
with the reason when there is none.
"""

from __future__ import annotations

import calendar
import io
import json
import sys
import tarfile
import time
from pathlib import Path

import pytest

# tests/ is not a package; make the shared fixture module importable from here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from layerlab.engine.errors import NotFound
from layerlab.engine.sim.engine import SimEngine, state_path
from layerlab.engine.sim.registry.hub import images as hub
from layerlab.engine.sim.store.database import Store
from realengine import real_engine  # noqa: F401
from tarfiles import tar_of


def fresh_engine(home: Path) -> SimEngine:
    """An engine with an empty state (marking it initialised skips installing the baseline)."""
    store = Store(state_path(home, "default"))
    with store.transaction():
        store.set_meta("initialised", "1")
    store.close()
    return SimEngine(home)


@pytest.fixture
def engine(tmp_path: Path) -> SimEngine:
    sim = fresh_engine(tmp_path / "a")
    yield sim
    sim.close()


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def read(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


def test_save_layout(engine: SimEngine) -> None:
    list(engine.pull("node", "20-alpine"))
    image = engine.image_store.resolve("node:20-alpine")
    data = engine.get_image(["node:20-alpine"])
    manifest = json.loads(read(data, "manifest.json"))
    layer_dirs = [path.split("/")[0] for path in manifest[0]["Layers"]]
    assert manifest == [
        {
            "Config": f"{image.id[7:]}.json",
            "RepoTags": ["node:20-alpine"],
            "Layers": [f"{d}/layer.tar" for d in layer_dirs],
        }
    ]
    assert read(data, "manifest.json").endswith(b"]\n")
    assert json.loads(read(data, "repositories")) == {"node": {"20-alpine": layer_dirs[-1]}}
    assert read(data, f"{image.id[7:]}.json") == image.raw
    names = list(members(data))
    assert names == sorted(names, key=lambda n: n.split("/"))
    created = calendar.timegm(time.strptime(image.config["created"], "%Y-%m-%dT%H:%M:%SZ"))
    for name, member in members(data).items():
        assert (member.uname, member.gname, member.uid) == ("root", "root", 0)
        assert member.mtime == (0 if name in ("manifest.json", "repositories") else created)
    top = json.loads(read(data, f"{layer_dirs[-1]}/json"))
    assert list(top)[:2] == ["id", "parent"] and top["parent"] == layer_dirs[-2]
    assert top["config"]["Entrypoint"] == ["docker-entrypoint.sh"]
    base = json.loads(read(data, f"{layer_dirs[0]}/json"))
    assert base["created"] == "1970-01-01T00:00:00Z" and "parent" not in base
    assert read(data, f"{layer_dirs[0]}/VERSION") == b"1.0"
    for index, diff_id in enumerate(image.diff_ids):
        assert read(data, f"{layer_dirs[index]}/layer.tar") == engine.layers.tar(diff_id)


def test_round_trip(engine: SimEngine, tmp_path: Path) -> None:
    list(engine.pull("python", "3.11-slim"))
    engine.tag("python:3.11-slim", "mine", "1")
    data = engine.get_image(["mine:1", "python:3.11-slim"])
    assert json.loads(read(data, "manifest.json"))[0]["RepoTags"] == ["mine:1", "python:3.11-slim"]
    other = fresh_engine(tmp_path / "b")
    assert list(other.load_image(data, quiet=True)) == [
        {"stream": "Loaded image: mine:1\n"},
        {"stream": "Loaded image: python:3.11-slim\n"},
    ]
    image = engine.image_store.resolve("mine:1")
    loaded = other.image_store.resolve("mine:1")
    assert loaded.id == image.id
    assert other.image_store.size(loaded) == engine.image_store.size(image) == 131_000_000
    assert other.get_image(["mine:1", "python:3.11-slim"]) == data
    progress = list(fresh_engine(tmp_path / "c").load_image(data, quiet=False))
    assert progress[0]["status"] == "Loading layer"
    assert progress[0]["id"] == image.diff_ids[0][7:19]


def test_load_untagged_and_renaming(engine: SimEngine, tmp_path: Path) -> None:
    list(engine.pull("hello-world"))
    image_id = engine.image_store.resolve("hello-world").id
    untagged = engine.get_image([image_id[7:19]])
    assert json.loads(read(untagged, "manifest.json"))[0]["RepoTags"] is None
    assert "repositories" not in members(untagged)
    assert list(engine.load_image(untagged)) == [{"stream": f"Loaded image ID: {image_id}\n"}]
    tagged = engine.get_image(["hello-world"])
    list(engine.pull("alpine"))
    engine.tag("alpine", "hello-world", "latest")
    alpine_id = engine.image_store.resolve("alpine").id
    assert list(engine.load_image(tagged)) == [
        {
            "stream": "The image hello-world:latest already exists, renaming the old one with ID "
            f"{alpine_id} to empty string\n"
        },
        {"stream": "Loaded image: hello-world:latest\n"},
    ]


def test_save_errors(engine: SimEngine) -> None:
    with pytest.raises(NotFound, match=r"^reference does not exist$"):
        engine.get_image(["nosuch:1"])
    with pytest.raises(NotFound, match=r"^No such image: nosuch$"):
        engine.get_image(["nosuch"])
    with pytest.raises(NotFound, match="failed to get digest sha256:abab"):
        engine.get_image(["sha256:" + "ab" * 32])


def test_load_errors(engine: SimEngine) -> None:
    def error(data: bytes) -> str:
        messages = list(engine.load_image(data))
        assert list(messages[-1]) == ["errorDetail", "error"]
        return str(messages[-1]["error"])

    archive = tar_of

    assert error(b"").endswith("/repositories: no such file or directory")
    assert error(b"garbage\n") == "Error processing tar file(exit status 1): unexpected EOF"
    assert error(b"not a tar" * 100) == (
        "Error processing tar file(exit status 1): archive/tar: invalid tar header"
    )
    assert error(archive({"manifest.json": b"{not json"})) == (
        "invalid character 'n' looking for beginning of object key string"
    )
    assert error(archive({"manifest.json": b'[{"Config":"abc.json","Layers":[]}]'})).endswith(
        "/abc.json: no such file or directory"
    )
    assert list(engine.load_image(archive({"manifest.json": b"[]"}))) == []
    image = hub.image("library/hello-world", "latest")
    assert image is not None
    config_name = f"{image.id[7:]}.json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["h:1"], "Layers": ["l/layer.tar"]}])
    files = {"manifest.json": manifest.encode(), config_name: image.config}
    assert error(archive(files)).endswith("/l/layer.tar: no such file or directory")
    wrong = archive({"x": b"y"})
    message = error(archive({**files, "l/layer.tar": wrong}))
    assert message.startswith('invalid diffID for layer 0: expected "sha256:')
    assert engine.image_store.find("h:1") is None


# -- against a real engine ------------------------------------------------------------------------


def run_in(engine: object, image: str) -> bytes:
    container = engine.create_container(image)["Id"]  # type: ignore[attr-defined]
    try:
        engine.start(container)  # type: ignore[attr-defined]
        engine.wait(container)  # type: ignore[attr-defined]
        return bytes(engine.logs(container))  # type: ignore[attr-defined]
    finally:
        engine.remove_container(container, force=True)  # type: ignore[attr-defined]


def sim_image_on_real_busybox(sim: SimEngine, real: object) -> bytes:
    """Load the real busybox into the simulator and build `shared:1` on it there."""
    real_busybox = real.get_image(["busybox:latest"])  # type: ignore[attr-defined]
    list(sim.load_image(real_busybox, quiet=True))
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in {
            "Dockerfile": 'FROM busybox\nCOPY msg.txt /\nCMD ["cat", "/msg.txt"]\n',
            "msg.txt": "saved and loaded\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    list(sim.build(context.getvalue(), tags=["layerlab-archive-test:1"]))
    return real_busybox


def test_real_save_loads_into_sim_and_saves_back_identically(
    engine: SimEngine,
    real_engine: object,  # noqa: F811
) -> None:
    real_busybox = real_engine.get_image(["busybox:latest"])  # type: ignore[attr-defined]
    assert list(engine.load_image(real_busybox, quiet=True)) == [
        {"stream": "Loaded image: busybox:latest\n"}
    ]
    real_inspect = real_engine.inspect_image("busybox:latest")  # type: ignore[attr-defined]
    assert engine.image_store.resolve("busybox").id == real_inspect["Id"]
    assert engine.image_store.size(engine.image_store.resolve("busybox")) == real_inspect["Size"]
    assert engine.get_image(["busybox:latest"]) == real_busybox


def test_sim_saved_image_runs_in_real_engine(
    engine: SimEngine,
    real_engine: object,  # noqa: F811
) -> None:
    sim_image_on_real_busybox(engine, real_engine)
    data = engine.get_image(["layerlab-archive-test:1"])
    loaded = list(real_engine.load_image(data, quiet=True))  # type: ignore[attr-defined]
    assert loaded == [{"stream": "Loaded image: layerlab-archive-test:1\n"}]
    try:
        assert run_in(real_engine, "layerlab-archive-test:1") == b"saved and loaded\n"
        real_id = real_engine.inspect_image("layerlab-archive-test:1")["Id"]  # type: ignore[attr-defined]
        assert real_id == engine.image_store.resolve("layerlab-archive-test:1").id
    finally:
        real_engine.remove_image("layerlab-archive-test:1")  # type: ignore[attr-defined]


def test_real_busybox_runs_in_sim(engine: SimEngine, real_engine: object) -> None:  # noqa: F811
    sim_image_on_real_busybox(engine, real_engine)
    assert run_in(engine, "layerlab-archive-test:1") == b"saved and loaded\n"
