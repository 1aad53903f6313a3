"""Running a scenario against a docker CLI, and bringing the real engine back to its baseline.

The runner does not know which engine it talks to: callers pass the argv prefix that stands
for ``docker`` and the environment. Each run gets a private client config dir and a work dir
prepared by the file steps; a command that hangs is cut at a timeout and reported as such.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .scenario_model import (
    BASELINE_IMAGE,
    CAPTURE_REFERENCE,
    DEFAULT_TIMEOUT,
    REAL_ENGINE_SCRIPT,
    REGISTRY_ADDRESS,
    Capture,
    Command,
    CommandResult,
    FileWrite,
    Scenario,
    Sleep,
    StdinFrom,
    TarCreate,
    UsesImage,
)

# How a scenario's extra image (`@image`) reaches an engine that lacks it: (reference, the
# docker argv prefix, env). The default pulls it (the simulator's Hub has it).
ImageProvider = Callable[[str, list[str], dict[str, str]], None]


def run_scenario(
    scenario: Scenario,
    docker: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout: float = DEFAULT_TIMEOUT,
    provide_image: ImageProvider | None = None,
) -> list[CommandResult]:
    """Run every step in order; file steps prepare the work dir, commands produce results."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[CommandResult] = []
    captures: dict[str, str] = {}
    stdin: Path | None = None  # what the next command reads (`@stdin`)
    # A private client config dir: `login`/`logout` and the CLI's config never depend on the
    # host user's ~/.docker, and nothing lands in a build context under the work dir.
    with tempfile.TemporaryDirectory(prefix="docker-config-") as config_dir:
        env = {**env, "DOCKER_CONFIG": config_dir}
        # The CLI's plugins (buildx, for Engine 26.1's CLI) are part of the client, not its config.
        if env.get("LAYERLAB_CLI_PLUGINS"):
            os.symlink(env["LAYERLAB_CLI_PLUGINS"], os.path.join(config_dir, "cli-plugins"))
        try:
            for step in scenario.steps:
                if isinstance(step, Capture):
                    captures[step.name] = results[-1].stdout.strip()
                elif isinstance(step, StdinFrom):
                    stdin = workdir / step.path
                elif isinstance(step, Command):
                    results.append(
                        _run_command(step, captures, docker, env, workdir, timeout, stdin)
                    )
                    stdin = None
                elif isinstance(step, UsesImage):
                    _ensure_image(step.reference, docker, env, provide_image or _pull_quietly)
                else:
                    _prepare(step, workdir)
        finally:
            _stop_fork_server(env)
    return results


def with_fork_server(env: dict[str, str]) -> dict[str, str]:
    """``env`` for ``layerlab docker`` commands served by LayerLab's fork server, as in a
    learner's terminal: a scenario's commands then cost a fork each instead of a Python start
    (about 2.5 times quicker over the scenarios). ``run_scenario`` stops the server at the end.
    What the clients and the server's children did is traced in the home's ``forkserver.log``."""
    traced = {"LAYERLAB_FORKSERVER_TRACE": str(Path(env["LAYERLAB_HOME"], "forkserver.log"))}
    return {**env, "LAYERLAB_FORKSERVER": "1", **(traced if env.get("LAYERLAB_HOME") else {})}


def _stop_fork_server(env: dict[str, str]) -> None:
    """A fork server leaves when its socket is gone (``layerlab.forkserver``)."""
    if env.get("LAYERLAB_FORKSERVER") == "1" and env.get("LAYERLAB_HOME"):
        Path(env["LAYERLAB_HOME"], "cli.sock").unlink(missing_ok=True)


def _ensure_image(
    reference: str, docker: list[str], env: dict[str, str], provide: ImageProvider
) -> None:
    present = subprocess.run(
        [*docker, "image", "inspect", reference], env=env, capture_output=True, timeout=120
    )
    if present.returncode != 0:
        provide(reference, docker, env)


def _pull_quietly(reference: str, docker: list[str], env: dict[str, str]) -> None:
    subprocess.run([*docker, "pull", "-q", reference], env=env, check=True, capture_output=True,
                   timeout=300)  # fmt: skip


def _prepare(step: FileWrite | TarCreate | Sleep, workdir: Path) -> None:
    if isinstance(step, FileWrite):
        target = workdir / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.content, encoding="utf-8")
    elif isinstance(step, TarCreate):
        _write_tar(workdir / step.path, workdir / step.from_dir)
    else:
        time.sleep(step.seconds)


def _run_command(
    command: Command,
    captures: dict[str, str],
    docker: list[str],
    env: dict[str, str],
    workdir: Path,
    timeout: float,
    stdin: Path | None = None,
) -> CommandResult:
    args = [
        CAPTURE_REFERENCE.sub(lambda match: captures[match.group(1)], arg) for arg in command.args
    ]
    # Nothing to read is /dev/null, as the scenarios were recorded; `@stdin` a file's bytes.
    reads: dict[str, object] = (
        {"input": stdin.read_bytes()} if stdin is not None else {"stdin": subprocess.DEVNULL}
    )
    try:
        completed = subprocess.run(
            [*docker, *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
            **reads,  # type: ignore[call-overload]
        )
    except subprocess.TimeoutExpired as expired:
        return CommandResult(
            command=command.text,
            stdout=_decode(expired.stdout),
            stderr=_decode(expired.stderr) + f"\n[timed out after {timeout:g}s]\n",
            exit_code=-1,
        )
    return CommandResult(
        command=command.text,
        stdout=_decode(completed.stdout),
        stderr=_decode(completed.stderr),
        exit_code=completed.returncode,
    )


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def _write_tar(target: Path, source: Path) -> None:
    # Sorted names, fixed owner and mtime: the same tar bytes on every run.
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(source.rglob("*")):
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(source)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isfile():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)


# Real engine baseline


def _docker_lines(env: dict[str, str], *args: str) -> list[str]:
    completed = subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return [line for line in completed.stdout.splitlines() if line.strip()]


def reset_real_engine(env: dict[str, str]) -> None:
    """Bring the real engine back to the baseline: only busybox:latest, no containers or
    volumes, and an empty registry (restarted on empty storage by `scripts/real-engine`)."""
    # A `run --rm` whose start failed is removed by the daemon after the CLI returned, so a
    # listed container may vanish before `rm -f` gets to it: retry until none is left.
    for _attempt in range(50):
        containers = _docker_lines(env, "ps", "-aq")
        if not containers:
            break
        subprocess.run(["docker", "rm", "-f", *containers], env=env, capture_output=True)
        time.sleep(0.1)
    else:
        raise RuntimeError(f"containers left after reset: {containers}")
    # BuildKit's cache: a first build after the reset prints what a first build prints.
    subprocess.run(["docker", "builder", "prune", "-af"], env=env, capture_output=True, check=False)
    # `system df` counts volumes: anything left by an earlier user of the engine goes too.
    volumes = _docker_lines(env, "volume", "ls", "-q")
    if volumes:
        _docker_lines(env, "volume", "rm", "-f", *volumes)
    baseline_id = _docker_lines(env, "image", "inspect", "-f", "{{.Id}}", BASELINE_IMAGE)[0]
    # Every tag that is not busybox:latest, then every image that is not the baseline.
    for reference in _docker_lines(env, "images", "-a", "--format", "{{.Repository}}:{{.Tag}}"):
        if reference != BASELINE_IMAGE and "<none>" not in reference:
            _docker_lines(env, "rmi", "-f", reference)
    for image_id in _docker_lines(env, "images", "-aq", "--no-trunc"):
        if image_id != baseline_id:
            subprocess.run(
                ["docker", "rmi", "-f", image_id], env=env, capture_output=True, check=False
            )
    # An empty catalog means nothing was ever uploaded (an upload creates the repository).
    if _registry_repositories():
        subprocess.run(
            [str(REAL_ENGINE_SCRIPT), "reset-registry"],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )
        if _registry_repositories():
            raise RuntimeError("registry not empty after reset-registry")


def _registry_repositories() -> list[str]:
    with urllib.request.urlopen(f"http://{REGISTRY_ADDRESS}/v2/_catalog", timeout=5) as response:
        return list(json.load(response).get("repositories") or [])


def real_engine_26() -> tuple[list[str], dict[str, str]]:
    """The docker argv and environment for Engine 26.1 with buildx (``LAYERLAB_REAL_VERSION=26.1
    scripts/real-engine start``): its own CLI, its socket, and the buildx plugin."""
    completed = subprocess.run(
        [str(REAL_ENGINE_SCRIPT), "env"],
        env={**os.environ, "LAYERLAB_REAL_VERSION": "26.1"},
        capture_output=True,
        text=True,
        check=True,
    )
    exported: dict[str, str] = {}
    for line in completed.stdout.splitlines():
        for word in shlex.split(line.removeprefix("export ")):
            key, _, value = word.partition("=")
            exported[key] = value
    env = dict(os.environ)
    env.pop("DOCKER_BUILDKIT", None)
    env["DOCKER_HOST"] = exported["DOCKER_HOST"]
    env["LAYERLAB_CLI_PLUGINS"] = os.path.join(exported["DOCKER_CONFIG"], "cli-plugins")
    return [exported["LAYERLAB_DOCKER_CLI"]], env


def real_engine_env() -> dict[str, str]:
    """The environment for the real CLI: DOCKER_HOST of `scripts/real-engine`, no BuildKit
    override (the machine's default: the classic builder, as there is no buildx)."""
    completed = subprocess.run(
        [str(REAL_ENGINE_SCRIPT), "env"], capture_output=True, text=True, check=True
    )
    env = dict(os.environ)
    env.pop("DOCKER_BUILDKIT", None)
    env["DOCKER_HOST"] = completed.stdout.strip().removeprefix("export DOCKER_HOST=")
    return env
