"""On the simulated Docker Hub, pushing needs a login, and logout takes it away again."""

from __future__ import annotations

import io
from pathlib import Path

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine


def docker(engine: SimEngine, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".")
    return out.getvalue(), err.getvalue(), code


def test_push_to_hub_follows_login_and_logout(tmp_path: Path) -> None:
    engine = SimEngine(home=tmp_path / "home")
    docker(engine, "tag", "busybox", "learner/box:1")
    _, err, code = docker(engine, "push", "learner/box:1")
    assert code == 1 and "denied: requested access to the resource is denied" in err

    out, _, code = docker(engine, "login", "-u", "learner", "-p", "secret")
    assert code == 0 and out.endswith("Login Succeeded\n")
    out, err, code = docker(engine, "push", "learner/box:1")
    assert code == 0, err
    assert "1: digest: sha256:" in out

    out, _, code = docker(engine, "logout")
    assert (out, code) == ("Removing login credentials for https://index.docker.io/v1/\n", 0)
    docker(engine, "tag", "busybox", "learner/box:2")
    _, err, code = docker(engine, "push", "learner/box:2")
    assert code == 1 and "denied" in err
