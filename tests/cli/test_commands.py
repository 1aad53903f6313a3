"""Command output over a scripted engine: tables, streams, JSON and partial failures."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from layerlab.cli.main import run_cli
from layerlab.engine.errors import NotFound

NOW = 1_700_000_000.0
CID = "4f29a7c70e7d186405e2504e7098cdd37a9ba8e091aeb96b4881da5a67ee93b8"
IID = "sha256:53f7da74aea7c2096f19c2312576ae151acefe293ed53f9305797aa73676836a"


class ScriptedEngine:
    """Just enough of the Engine protocol, with fixed answers, to check rendering."""

    name = "scripted"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def now(self) -> float:
        return NOW

    def containers(
        self, all: bool = False, filters: Any = None, size: bool = False
    ) -> list[dict[str, Any]]:
        self.calls.append(("containers", (all, filters)))
        return [{
            "Id": CID, "Names": ["/web"], "Image": "busybox", "ImageID": IID,
            "Command": "sh -c 'echo hello world'", "Created": int(NOW) - 125,
            "Ports": [{"PrivatePort": 80, "PublicPort": 8080, "Type": "tcp", "IP": "0.0.0.0"}],
            "Labels": {}, "State": "running", "Status": "Up 2 minutes",
        }]  # fmt: skip

    def images(self, name: Any = None, all: bool = False, filters: Any = None) -> list[Any]:
        return [
            {"Id": IID, "RepoTags": ["busybox:latest"], "RepoDigests": [],
             "Created": int(NOW) - 3 * 86400, "Size": 1983166},
            {"Id": "sha256:" + "ab" * 32, "RepoTags": [], "RepoDigests": [],
             "Created": int(NOW) - 30, "Size": 0},
        ]  # fmt: skip

    def start(self, container: str) -> None:
        if container.startswith("no"):
            raise NotFound(f"No such container: {container}")

    def remove_image(self, image: str, force: bool = False, noprune: bool = False) -> list[Any]:
        return [{"Untagged": f"{image}:latest"}, {"Deleted": IID}]

    def inspect_container(self, container: str) -> dict[str, Any]:
        if container != "web":
            raise NotFound(f"No such container: {container}")
        return {"Id": CID, "Config": {"Cmd": ["sh", "-c", "a && b <c>"]}}

    def inspect_image(self, image: str) -> dict[str, Any]:
        raise NotFound(f"no such image: {image}: No such image: {image}:latest")

    def pull(self, repository: str, tag: Any = None, all_tags: bool = False) -> Iterator[Any]:
        yield {"status": f"Pulling from library/{repository}", "id": tag}
        yield {"status": "Pulling fs layer", "progressDetail": {}, "id": "aa11"}
        yield {"status": "Downloading", "progressDetail": {"current": 5, "total": 9}, "id": "aa11"}
        yield {"status": "Pull complete", "progressDetail": {}, "id": "aa11"}
        yield {"status": "Digest: sha256:" + "cd" * 32}
        yield {"status": f"Status: Downloaded newer image for {repository}:{tag}"}

    def build(self, fileobj: bytes, tags: list[str], **kwargs: Any) -> Iterator[Any]:
        self.calls.append(("build", (len(fileobj), tags, kwargs)))
        yield {"stream": "Step 1/2 : FROM busybox\n"}
        if kwargs.get("dockerfile") == "Dockerfile.bad":
            yield {"error": "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
                   "errorDetail": {"message": "The command '/bin/sh -c exit 3' returned a "
                                   "non-zero code: 3", "code": 3}}  # fmt: skip
            return
        yield {"aux": {"ID": IID}}
        yield {"stream": "Successfully built 53f7da74aea7\n"}


def _cli(engine: Any, *argv: str, cwd: Path | str = ".") -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(argv), engine, out, err, cwd=cwd)
    return out.getvalue(), err.getvalue(), code


def test_ps_table() -> None:
    out, _, _ = _cli(ScriptedEngine(), "ps")
    assert out == (
        "CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS"
        "         PORTS                  NAMES\n"
        '4f29a7c70e7d   busybox   "sh -c \'echo hello w…"   2 minutes ago   Up 2 minutes'
        "   0.0.0.0:8080->80/tcp   web\n"
    )


def test_ps_last_means_all_and_limits() -> None:
    engine = ScriptedEngine()
    out, _, _ = _cli(engine, "ps", "-n", "1", "-q", "--filter", "name=web")
    assert out == "4f29a7c70e7d\n"
    assert engine.calls == [("containers", (True, {"name": ["web"]}))]


def test_images_table_with_dangling_row() -> None:
    out, _, _ = _cli(ScriptedEngine(), "images")
    assert out == (
        "REPOSITORY   TAG       IMAGE ID       CREATED          SIZE\n"
        "busybox      latest    53f7da74aea7   3 days ago       1.98MB\n"
        "<none>       <none>    abababababab   30 seconds ago   0B\n"
    )


def test_start_partial_failure() -> None:
    out, err, code = _cli(ScriptedEngine(), "start", "web", "nosuch")
    assert (out, code) == ("web\n", 1)
    assert err == (
        "Error response from daemon: No such container: nosuch\n"
        "Error: failed to start containers: nosuch\n"
    )


def test_rmi_lines() -> None:
    out, _, code = _cli(ScriptedEngine(), "rmi", "busybox")
    assert out == f"Untagged: busybox:latest\nDeleted: {IID}\n" and code == 0


def test_inspect_json_like_go() -> None:
    out, err, code = _cli(ScriptedEngine(), "inspect", "web", "nope")
    assert out == (
        "[\n    {\n"
        f'        "Id": "{CID}",\n'
        '        "Config": {\n            "Cmd": [\n                "sh",\n                "-c",\n'
        '                "a \\u0026\\u0026 b \\u003cc\\u003e"\n            ]\n        }\n    }\n]\n'
    )
    assert (err, code) == ("Error: No such object: nope\n", 1)


def test_pull_without_tty_skips_progress() -> None:
    out, _, _ = _cli(ScriptedEngine(), "pull", "alpine")
    assert out == (
        "Using default tag: latest\n"
        "latest: Pulling from library/alpine\n"
        "aa11: Pulling fs layer\n"
        "aa11: Pull complete\n"
        f"Digest: sha256:{'cd' * 32}\n"
        "Status: Downloaded newer image for alpine:latest\n"
        "docker.io/library/alpine:latest\n"
    )


def test_build_quiet_and_failure(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    (tmp_path / "Dockerfile.bad").write_text("FROM busybox\nRUN exit 3\n")
    (tmp_path / "skip.log").write_text("x" * 100)
    (tmp_path / ".dockerignore").write_text("*.log\n")
    engine = ScriptedEngine()
    out, err, code = _cli(engine, "build", "-q", "-t", "a:1", "-t", "b:2", ".", cwd=tmp_path)
    assert (out, code) == (IID + "\n", 0)
    size, tags, _ = engine.calls[-1][1]
    assert tags == ["a:1", "b:2"] and size == 3 * 1024 + 1024  # 2 files, no skip.log
    out, err, code = _cli(engine, "build", "-f", "Dockerfile.bad", ".", cwd=tmp_path)
    assert out.startswith("Sending build context to Docker daemon  4.096kB\r\r\nStep 1/2")
    assert err.endswith("The command '/bin/sh -c exit 3' returned a non-zero code: 3\n")
    assert code == 3
    _, err, code = _cli(engine, "build", "nosuchdir", cwd=tmp_path)
    assert err.endswith('unable to prepare context: path "nosuchdir" not found\n')


def test_version_is_honest_about_the_client() -> None:
    class Versioned(ScriptedEngine):
        def version(self) -> dict[str, Any]:
            return {"Components": [{"Name": "Engine", "Version": "20.10.24", "Details": {
                "ApiVersion": "1.41", "MinAPIVersion": "1.12", "GoVersion": "go1.19",
                "GitCommit": "5d6db84", "BuildTime": "2023-05-07T21:09:36.000000000+00:00",
                "Os": "linux", "Arch": "amd64", "Experimental": "false"}}]}  # fmt: skip

    out, _, code = _cli(Versioned(), "version")
    assert out.startswith("Client: LayerLab") and code == 0
    assert "\nServer:\n Engine:\n  Version:          20.10.24\n" in out
    assert "  Built:            Sun May  7 21:09:36 2023\n" in out
