"""Programs of the simulated Hub images: node, npm, apk, apt-get, nginx."""

from __future__ import annotations

import json

from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.programs.process import ProcessContext, ProgramResult, run_process
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs
from layerlab.engine.sim.store.fs import directory, regular

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "NODE_VERSION": "20.11.1",
       "PYTHON_VERSION": "3.12.1"}  # fmt: skip
PROGRAMS = ["node", "npm", "apk", "apt-get", "nginx"]


def image() -> dict:
    tree = busybox_rootfs(0)
    tree["/usr/local"] = directory()
    tree["/usr/local/bin"] = directory()
    tree["/app"] = directory()
    for name in PROGRAMS:
        tree[f"/usr/local/bin/{name}"] = regular(executable_data(name), 0o755)
    return tree


def run(argv: list[str], tree: dict, cwd: str = "/") -> ProgramResult:
    return run_process(argv, ProcessContext(tree=tree, env=dict(ENV), cwd=cwd, now=1e9))


def out(result: ProgramResult, fd: int = 1) -> str:
    return b"".join(data for f, data, _ in result.output if f == fd).decode()


def test_node_version_eval_and_server() -> None:
    tree = image()
    assert out(run(["node", "--version"], tree)) == "v20.11.1\n"
    assert out(run(["node", "-e", "console.log('hi')"], tree)) == "hi\n"
    tree["/app/server.js"] = regular(
        b"const http = require('http');\nconsole.log(\"listening on 3000\");\n"
        b"http.createServer((q, s) => s.end('ok')).listen(3000);\n"
    )
    result = run(["node", "server.js"], tree, cwd="/app")
    assert out(result) == "listening on 3000\n"
    assert result.runs_forever and result.exits_on_sigterm is None
    missing = run(["node", "nope.js"], tree, cwd="/app")
    assert missing.exit_code == 1 and "Cannot find module '/app/nope.js'" in out(missing, 2)


def test_npm_install_writes_node_modules_and_lock_deterministically() -> None:
    manifest = {"name": "web", "version": "1.0.0", "dependencies": {"express": "^4.18.2"},
                "scripts": {"start": "node server.js"}}  # fmt: skip
    trees = []
    for _ in range(2):
        tree = image()
        tree["/app/package.json"] = regular(json.dumps(manifest).encode())
        result = run(["npm", "install"], tree, cwd="/app")
        assert "added 1 package, and audited 2 packages in 1s" in out(result)
        trees.append(tree)
    assert (
        json.loads(trees[0]["/app/node_modules/express/package.json"].data)["version"] == "4.18.2"
    )
    assert trees[0]["/app/package-lock.json"] == trees[1]["/app/package-lock.json"]
    trees[0]["/app/server.js"] = regular(b"console.log('started')\n")
    started = run(["npm", "start"], trees[0], cwd="/app")
    assert out(started) == "\n> web@1.0.0 start\n> node server.js\n\nstarted\n"
    assert run(["npm", "install"], image(), cwd="/").exit_code == 254


def test_apk_add_records_packages() -> None:
    tree = image()
    result = run(["apk", "add", "--no-cache", "curl"], tree)
    assert "(1/1) Installing curl (" in out(result)
    assert out(result).endswith("OK: 8 MiB in 1 packages\n")
    assert "P:curl" in tree["/lib/apk/db/installed"].data.decode()
    assert tree["/usr/bin/curl"].mode == 0o755
    assert "/var/cache/apk/APKINDEX.main.tar.gz" not in tree


def test_apt_get_needs_update_and_yes() -> None:
    tree = image()
    failed = run(["apt-get", "install", "-y", "curl"], tree)
    assert failed.exit_code == 100 and out(failed, 2) == "E: Unable to locate package curl\n"
    assert run(["apt-get", "update"], tree).exit_code == 0
    assert run(["apt-get", "install", "curl"], tree).exit_code == 1
    done = run(["apt-get", "install", "-y", "curl"], tree)
    assert done.exit_code == 0 and "Setting up curl" in out(done)
    assert "Package: curl" in tree["/var/lib/dpkg/status"].data.decode()


def test_nginx_foreground_stops_cleanly_on_sigterm() -> None:
    tree = image()
    result = run(["nginx", "-g", "daemon off;"], tree)
    assert result.runs_forever and result.exits_on_sigterm == 0
    assert not run(["nginx"], tree).runs_forever


def test_hello_prints_the_message_stored_after_its_marker() -> None:
    tree = {"/hello": regular(executable_data("hello") + b"\nHello from Docker!\n", 0o775)}
    assert out(run(["/hello"], tree)) == "\nHello from Docker!\n"
