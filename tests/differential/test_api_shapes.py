"""The Engine API's JSON on both engines: the same keys (recursively; in the daemon's order for
inspect documents) and the same value types.

The same image is built and the same containers are created and run on the simulator and on the
real engine at ``DOCKER_HOST`` (unique names, removed afterwards, so a shared engine is fine).
Values differ (IDs, times, paths); shapes must not, except for the differences listed in
``ALLOWED`` with the reason for each.
"""

from __future__ import annotations

import contextlib
import fnmatch
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layerlab.cli.context import build_context_tar
from layerlab.engine.api import Engine, Json
from layerlab.engine.errors import EngineError
from layerlab.engine.real.engine import RealEngine
from layerlab.engine.sim.engine import SimEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import real_engine  # noqa: F401

pytestmark = pytest.mark.real

DOCKERFILE = """FROM busybox
ENV GREETING=hello
LABEL stage=demo
WORKDIR /app
RUN echo hello > /app/greeting
EXPOSE 8080
CMD ["cat", "/app/greeting"]
"""

# Path patterns (fnmatch over "document.Key.Sub[0]") -> why the shapes may differ there.
ALLOWED: dict[str, str] = {
    "inspect_container_[er]*.Config.NetworkDisabled": "the test engines run with "
    "`--bridge=none`, so the daemon disables a started container's network and inspect shows "
    "`NetworkDisabled: true`; on a normal engine the false value is left out, as in the sim",
}
# The keys of info() that the CLI reads (`docker info`), compared for presence and type.
INFO_KEYS = [
    "ID", "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images",
    "Driver", "OperatingSystem", "OSType", "Architecture", "NCPU", "MemTotal", "DockerRootDir",
    "Name", "ServerVersion", "LoggingDriver", "CgroupDriver", "CgroupVersion", "KernelVersion",
    "Debug", "ExperimentalBuild", "LiveRestoreEnabled",
]  # fmt: skip
# Maps whose keys are data (label names, ports), not schema: only their values' types count.
DATA_KEYED = ("Labels", "ExposedPorts", "Volumes", "PortBindings", "Ports")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def shape_differences(real: Any, sim: Any, path: str, ordered: bool) -> list[str]:
    """Every place where the two documents differ in keys, key order (when ``ordered``) or
    value type, as "path: what" lines."""
    if _kind(real) != _kind(sim):
        return [f"{path}: real {_kind(real)}, sim {_kind(sim)}"]
    found: list[str] = []
    if isinstance(real, dict):
        if path.rsplit(".", 1)[-1] in DATA_KEYED:
            pairs = list(zip(real.values(), sim.values(), strict=False))
            return [d for r, s in pairs[:1] for d in shape_differences(r, s, path + ".*", ordered)]
        for key in real.keys() - sim.keys():
            found.append(f"{path}.{key}: missing in sim")
        for key in sim.keys() - real.keys():
            found.append(f"{path}.{key}: only in sim")
        common_real = [k for k in real if k in sim]
        common_sim = [k for k in sim if k in real]
        if ordered and common_real != common_sim:
            found.append(f"{path}: key order real {common_real}, sim {common_sim}")
        for key in common_real:
            found += shape_differences(real[key], sim[key], f"{path}.{key}", ordered)
    elif isinstance(real, list):
        for index, (r, s) in enumerate(zip(real, sim, strict=False)):
            found += shape_differences(r, s, f"{path}[{index}]", ordered)
        if len(real) != len(sim) and not (real and sim):
            found.append(f"{path}: real has {len(real)} items, sim {len(sim)}")
    return found


def _allowed(difference: str) -> bool:
    path = difference.split(":", 1)[0]
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in ALLOWED)


def _build(engine: Engine, context: Path, tag: str) -> None:
    for message in engine.build(build_context_tar(context), tags=[tag]):
        assert "error" not in message, message


def _documents(engine: Engine, prefix: str, context: Path) -> dict[str, Any]:
    """The JSON the CLI reads, after the same build and the same container operations."""
    tag = f"{prefix}-shape:1"
    _build(engine, context, tag)
    ran = engine.create_container(
        tag, name=f"{prefix}-ran", labels={"team": "a"}, environment=["X=1"],
        ports=["9090/tcp"],
    )  # fmt: skip
    engine.start(ran["Id"])
    engine.wait(ran["Id"])
    engine.create_container("busybox", command=["true"], name=f"{prefix}-created")
    running = engine.create_container("busybox", command=["sleep", "30"], name=f"{prefix}-up")
    engine.start(running["Id"])
    listed = {c["Names"][0]: c for c in engine.containers(all=True)}
    images = [i for i in engine.images() if tag in (i.get("RepoTags") or [])]
    info = engine.info()
    return {
        "create": ran,
        "inspect_image": engine.inspect_image(tag),
        "inspect_container_exited": engine.inspect_container(f"{prefix}-ran"),
        "inspect_container_created": engine.inspect_container(f"{prefix}-created"),
        "inspect_container_running": engine.inspect_container(f"{prefix}-up"),
        "images": images[0],
        "containers_exited": listed[f"/{prefix}-ran"],
        "containers_created": listed[f"/{prefix}-created"],
        "containers_running": listed[f"/{prefix}-up"],
        "history": engine.history(tag),
        "version": engine.version(),
        "info": {key: value for key, value in info.items() if key in INFO_KEYS},
    }


@contextlib.contextmanager
def _cleanup(engine: Engine, prefix: str) -> Iterator[None]:
    try:
        yield
    finally:
        for suffix in ("ran", "created", "up"):
            with contextlib.suppress(EngineError):
                engine.remove_container(f"{prefix}-{suffix}", force=True)
        with contextlib.suppress(EngineError):
            engine.remove_image(f"{prefix}-shape:1", force=True)


@pytest.fixture(scope="module")
def documents(
    real_engine: RealEngine,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    prefix = f"llshape{secrets.token_hex(3)}"
    context = tmp_path_factory.mktemp("context")
    (context / "Dockerfile").write_text(DOCKERFILE)
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAYERLAB_HOME", str(home))
        sim = SimEngine(state="shapes")
    engines: dict[str, Engine] = {"real": real_engine, "sim": sim}
    found: dict[str, dict[str, Any]] = {}
    for name, engine in engines.items():
        with _cleanup(engine, prefix):
            found[name] = _documents(engine, prefix, context)
    sim.close()
    return found


def test_same_documents(documents: dict[str, dict[str, Any]]) -> None:
    assert documents["real"].keys() == documents["sim"].keys()


@pytest.mark.parametrize(
    "document",
    ["create", "inspect_image", "inspect_container_exited", "inspect_container_created",
     "inspect_container_running", "images", "containers_exited", "containers_created",
     "containers_running", "history", "version", "info"],
)  # fmt: skip
def test_same_shape(document: str, documents: dict[str, dict[str, Any]]) -> None:
    real, sim = documents["real"][document], documents["sim"][document]
    ordered = document.startswith("inspect")  # the CLI prints inspect documents whole
    differences = shape_differences(real, sim, document, ordered)
    unexpected = [d for d in differences if not _allowed(d)]
    assert not unexpected, "\n".join(unexpected)


def test_every_allowed_difference_is_still_needed(documents: dict[str, dict[str, Any]]) -> None:
    """An allowance that no longer matches anything must go (so the list stays honest)."""
    differences = [
        d
        for name in documents["real"]
        for d in shape_differences(
            documents["real"][name], documents["sim"][name], name, name.startswith("inspect")
        )
    ]
    paths = [d.split(":", 1)[0] for d in differences]
    unused = [p for p in ALLOWED if not any(fnmatch.fnmatchcase(x, p) for x in paths)]
    assert not unused, f"allowed differences that no longer occur: {unused}"


def test_shape_differences_sees_keys_order_and_types() -> None:
    real: Json = {"A": 1, "B": {"C": [1], "D": None}, "Labels": {"x": "1"}}
    sim: Json = {"B": {"C": ["1"], "E": 2}, "A": 1, "Labels": {"y": 2}}
    assert sorted(shape_differences(real, sim, "doc", ordered=True)) == [
        "doc.B.C[0]: real int, sim str",
        "doc.B.D: missing in sim",
        "doc.B.E: only in sim",
        "doc.Labels.*: real str, sim int",
        "doc: key order real ['A', 'B', 'Labels'], sim ['B', 'A', 'Labels']",
    ]
    assert shape_differences(real, real, "doc", ordered=True) == []
