"""pip in the simulated python images is the real pip of the interpreter that runs: it installs
into the container's site-packages (layers keep it), and with no index it fails as pip does.
The tests make their own wheel: nothing comes from the network."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement
from layerlab.engine.sim.runtimes.interpreter import (
    choose_site_dir,
    host_version,
    pip_wheel,
    site_dir,
)

pytestmark = [
    pytest.mark.skipif(confinement.probe()[0] is None, reason="no confinement here"),
    pytest.mark.skipif(pip_wheel() is None, reason="this interpreter has no pip wheel"),
]

SHORT = f"{sys.version_info[0]}.{sys.version_info[1]}"


def make_wheel(folder: Path, name: str = "greeting", version: str = "1.0") -> Path:
    """A minimal pure-Python wheel, as a build backend would make it."""
    files = {
        f"{name}/__init__.py": b"def hello(who):\n    return f'Hello, {who}!'\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: layerlab-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    lines.append(f"{name}-{version}.dist-info/RECORD,,")
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{name}-{version}.dist-info/RECORD", "\n".join(lines) + "\n")
    return wheel


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    engine = SimEngine(home=tmp_path_factory.mktemp("pip") / "home")
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    return engine


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def test_versions_agree_with_the_interpreter_that_runs(engine: SimEngine) -> None:
    wheel_version = Path(pip_wheel() or "").name.split("-")[1]
    line = (
        "python --version; pip --version; echo $PYTHON_VERSION; "
        "python -c 'import sys; print(sys.version.split()[0])'; ls /usr/local/bin | grep pip"
    )
    out, err, code = docker(engine, "run", "--rm", "python:3.12", "sh", "-c", line)
    assert code == 0, err
    site = f"/usr/local/{site_dir()}"  # where the interpreter looks (Debian's: dist-packages)
    assert out == (
        f"Python {host_version()}\n"
        f"pip {wheel_version} from {site}/pip (python {SHORT})\n"
        f"{host_version()}\n{host_version()}\n"
        f"pip\npip3\npip{SHORT}\n"
    )


def test_a_tag_for_another_version_says_which_interpreter_stands_in(engine: SimEngine) -> None:
    other = "3.9" if SHORT != "3.9" else "3.12"
    out, _, code = docker(engine, "pull", f"python:{other}")
    assert code == 0
    assert (
        f"LayerLab: python:{other} holds Python {host_version()}, the interpreter LayerLab "
        f"runs on: no Python {other} is available here\n"
    ) in out
    assert "LayerLab:" not in docker(engine, "pull", f"python:{SHORT}")[0]


def test_requirements_install_into_a_layer_and_import(engine: SimEngine, tmp_path: Path) -> None:
    make_wheel(tmp_path / "wheels")
    (tmp_path / "requirements.txt").write_text("greeting==1.0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nWORKDIR /app\nCOPY wheels /wheels\nCOPY requirements.txt .\n"
        "RUN pip install --no-index --find-links /wheels -r requirements.txt\n"
        'CMD ["python", "-c", "import greeting; print(greeting.hello(\'layers\'))"]\n'
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-t", "greeter", str(tmp_path)], engine, out, err) == 0, err
    assert "Successfully installed greeting-1.0\n" in out.getvalue()
    assert docker(engine, "run", "--rm", "greeter")[0] == "Hello, layers!\n"
    history = docker(engine, "history", "--format", "{{.Size}}\t{{.CreatedBy}}", "greeter")[0]
    pip_layer = next(line for line in history.splitlines() if "pip install" in line)
    assert not pip_layer.startswith("0B")
    # The same build again reuses the layer.
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-t", "greeter", str(tmp_path)], engine, out, err) == 0
    assert out.getvalue().count("Using cache") == 5


def test_python_m_pip_in_a_container_and_docker_diff(engine: SimEngine, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels", "other", "2.0")
    assert docker(engine, "create", "--name", "pipper", "python:3.12", "python", "-m", "pip",
                  "install", "--no-index", "/tmp/" + wheel.name)[2] == 0  # fmt: skip
    assert docker(engine, "cp", str(wheel), "pipper:/tmp/")[2] == 0
    out, err, code = docker(engine, "start", "-a", "pipper")
    assert code == 0, err
    assert "Successfully installed other-2.0" in out
    diff = docker(engine, "diff", "pipper")[0].splitlines()
    # Where the interpreter's own scheme installs (Debian's: a dist-packages folder).
    installed = [line for line in diff if line.endswith("-packages/other/__init__.py")]
    assert len(installed) == 1 and installed[0].startswith("A /usr/local/")


def test_without_an_index_pip_fails_as_pip_does(engine: SimEngine) -> None:
    out, err, code = docker(engine, "run", "--rm", "python:3.12", "pip", "install",
                            "--retries", "0", "flask")  # fmt: skip
    assert code == 1
    assert err.endswith(
        "ERROR: Could not find a version that satisfies the requirement flask "
        "(from versions: none)\nERROR: No matching distribution found for flask\n"
    )
    assert "Successfully installed" not in out


def test_the_image_keeps_packages_where_the_interpreter_looks() -> None:
    """CPython as the official images build it looks in site-packages; Debian's looks in
    dist-packages folders, of which the image uses one outside the standard library."""
    official = [f"/p/lib/python{SHORT}/site-packages"]
    assert choose_site_dir(official, "/p") == f"lib/python{SHORT}/site-packages"
    debian = [
        f"/p/local/lib/python{SHORT}/dist-packages",
        "/p/lib/python3/dist-packages",
        f"/p/lib/python{SHORT}/dist-packages",
    ]
    assert choose_site_dir(debian, "/p") == "lib/python3/dist-packages"
