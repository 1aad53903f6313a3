"""Real CPython in simulated containers: it runs the program, sees only the container's files
(and the interpreter's own, at the image's paths), and what it writes lands in the container."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.runtimes import confinement, tools
from layerlab.engine.sim.runtimes.interpreter import site_dir

pytestmark = pytest.mark.skipif(
    confinement.probe()[0] is None, reason=f"no confinement here: {confinement.describe()}"
)

SHORT = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> SimEngine:
    """One engine for the module, with python:3.12 pulled (each test names its own things)."""
    engine = SimEngine(home=tmp_path_factory.mktemp("cpython") / "home")
    assert docker(engine, "pull", "-q", "python:3.12")[2] == 0
    return engine


def docker(engine: SimEngine, *args: str, stdin: bytes | None = None) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=".", stdin=stdin)
    return out.getvalue(), err.getvalue(), code


def python(engine: SimEngine, code: str, *more: str, stdin: bytes | None = None) -> tuple:
    return docker(engine, "run", "--rm", *(["-i"] if stdin else []), "python:3.12", "python",
                  "-c", code, *more, stdin=stdin)  # fmt: skip


def test_the_three_answers_a_new_user_expects(engine: SimEngine) -> None:
    assert python(engine, "print(1+1)") == ("2\n", "", 0)
    out, err, code = python(engine, "1/0")
    assert (out, code) == ("", 1)
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("ZeroDivisionError: division by zero\n")


def test_computed_output_is_not_read_from_the_source(engine: SimEngine) -> None:
    """Nothing in the program text says what it prints: only running it tells."""
    assert python(engine, "x = 'ab'; print(x * 3, len(x) ** 5)")[0] == "ababab 32\n"
    assert python(engine, "import sys; print('no'); sys.exit(7)")[::2] == ("no\n", 7)
    assert python(engine, "raise SystemExit('bye')")[1:] == ("bye\n", 1)


def test_argv_env_cwd_and_hostname_are_the_containers(engine: SimEngine) -> None:
    code = "import os, sys; print(sys.argv[1:], os.environ['GREETING'], os.getcwd(), os.uname()[1])"
    out, err, status = docker(engine, "run", "--rm", "-e", "GREETING=hej", "-w", "/tmp", "-h",
                              "box", "python:3.12", "python", "-c", code, "a", "b c")  # fmt: skip
    assert (out, err, status) == ("['a', 'b c'] hej /tmp box\n", "", 0)


def test_stdin_input_and_a_script_on_stdin(engine: SimEngine) -> None:
    ask = "a = int(input()); b = int(input()); print(a + b)"
    assert python(engine, ask, stdin=b"3\n4\n")[0] == "7\n"
    out, _, code = docker(engine, "run", "--rm", "-i", "python:3.12", "python",
                          stdin=b"import sys\nprint(sys.argv)\n")  # fmt: skip
    assert (out, code) == ("['']\n", 0)


def test_module_and_script_file(engine: SimEngine) -> None:
    out, _, code = docker(engine, "run", "--rm", "python:3.12", "sh", "-c",
                          "echo 'print(6 * 7)' > /tmp/a.py && python3 /tmp/a.py && "
                          "python -m json.tool --help | head -1")  # fmt: skip
    assert code == 0
    assert out.startswith("42\nusage: python -m json.tool")


def test_in_a_shell_pipeline(engine: SimEngine) -> None:
    line = "echo 5 | python -c 'print(int(input()) + 1)' | sed 's/^/got /'"
    assert docker(engine, "run", "--rm", "python:3.12", "sh", "-c", line)[::2] == ("got 6\n", 0)


def test_a_signal_is_docker_exit_code(engine: SimEngine) -> None:
    # As PID 1 a program cannot kill itself (the kernel protects a namespace's init), as in
    # Docker; from a shell it can, and ash says which signal ended it (an exit code of 143
    # alone says nothing).
    line = (
        "python -c 'import os; os.kill(os.getpid(), 9)'; echo $?; "
        "python -c 'import os; os.kill(os.getpid(), 15)'; echo $?; "
        "python -c 'import sys; sys.exit(143)'; echo $?"
    )
    out, err, _ = docker(engine, "run", "--rm", "python:3.12", "sh", "-c", line)
    assert (out, err) == ("137\n143\n143\n", "Killed\nTerminated\n")


def test_sees_the_images_paths_only(engine: SimEngine) -> None:
    code = (
        "import sys, os; print(sys.executable, sys.prefix); print(sys.path); print(os.listdir('/'))"
    )
    out, err, status = python(engine, code)
    assert status == 0, err
    first, path, listing = out.splitlines()
    assert first == "/usr/local/bin/python /usr/local"
    assert all(p == "" or p.startswith("/usr/local/lib/") for p in eval(path))
    assert f"/usr/local/{site_dir()}" in eval(path)
    assert sys.prefix not in out and str(Path.home()) + "/" not in out
    assert {"etc", "usr", "tmp", "proc", "dev", ".dockerenv"} <= set(eval(listing))


def test_host_files_are_out_of_reach(engine: SimEngine, tmp_path: Path) -> None:
    secret = tmp_path / "host-only.txt"
    secret.write_text("secret")
    escaped = Path(f"/tmp/layerlab-escape-{tmp_path.name}.txt")  # /tmp: in both worlds
    code = (
        "import os, sys\n"
        f"for path in ({str(secret)!r}, {__file__!r}, {sys.executable!r}):\n"
        "    print(os.path.exists(path))\n"
        f"open({str(escaped)!r}, 'w').write('x')\n"
    )
    out, err, status = python(engine, code)
    assert out == "False\nFalse\nFalse\n"
    assert status == 0, err  # it wrote a file of that name inside the container...
    assert not escaped.exists()  # ...never on the host
    # The interpreter's own files are read-only.
    _, err, status = python(engine, "import os; open(os.__file__, 'a')")
    assert status == 1 and "Read-only file system" in err


def test_writes_land_in_the_writable_layer(engine: SimEngine) -> None:
    program = (
        "import os\n"
        "os.makedirs('/app/data')\n"
        "open('/app/data/out.txt', 'w').write('kept\\n')\n"
        "os.remove('/etc/hostname') if False else None\n"
        "os.unlink('/etc/debian_version')\n"
    )
    _, err, code = docker(engine, "run", "--name", "writer", "python:3.12", "python", "-c", program)
    assert code == 0, err
    diff = docker(engine, "diff", "writer")[0].splitlines()
    assert {"A /app", "A /app/data", "A /app/data/out.txt", "D /etc/debian_version"} <= set(diff)
    assert docker(engine, "commit", "writer", "kept")[2] == 0
    out = docker(
        engine, "run", "--rm", "kept", "sh", "-c", "cat /app/data/out.txt; ls -l /app/data"
    )
    assert re.match(r"kept\ntotal 4\n-rw-r--r-- +1 root +root +5 .* out.txt\n$", out[0])


def test_a_run_step_makes_a_layer(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nWORKDIR /app\n"
        "RUN python -c \"open('made.txt', 'w').write(str(6 * 7))\"\n"
        'CMD ["python", "-c", "print(open(\'made.txt\').read())"]\n'
    )
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["build", "-q", "-t", "made", str(tmp_path)], engine, out, err)
    assert code == 0, err.getvalue()
    assert docker(engine, "run", "--rm", "made")[0] == "42\n"
    history = docker(engine, "history", "--format", "{{.Size}} {{.CreatedBy}}", "made")[0]
    assert any(line.startswith("2B ") and "made.txt" in line for line in history.splitlines())
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nRUN python -c 'import sys; sys.exit(4)'\n"
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", str(tmp_path)], engine, out, err) == 4
    assert "returned a non-zero code: 4" in err.getvalue()


def test_no_python_runner_reads_program_text() -> None:
    """No program of the simulator pulls output out of a Python program's source."""
    package = Path(confinement.__file__).parents[1]
    # A string holding "print(" (or its regex, "print\\("), or a literal picker fed "print".
    pattern = re.compile(r"""(["'])[^"'\n]*\bprint\\?\(|_literals\(\s*\w+\s*,\s*["']print""")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []


def test_a_runaway_program_is_stopped_with_a_message(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(confinement, "WALL_SECONDS", 1.0)
    out, err, code = python(engine, "print('start', flush=True)\nwhile True: pass")
    assert (out, code) == ("start\n", 137)
    assert err == (
        "LayerLab: python ran for more than 1 seconds (simulated containers have no network: a "
        "program waiting for one waits until this limit), a limit of the simulator, and was "
        "stopped (exit code 137).\n"
    )
    monkeypatch.setattr(confinement, "OUTPUT_BYTES", 1 << 20)
    out, err, code = python(engine, "while True: print('x' * 1000)")
    assert code == 137 and "wrote more than 1 MiB of output" in err


def test_without_confinement_it_refuses_clearly(
    engine: SimEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = (None, "none: user namespaces are refused here (Operation not permitted)")
    monkeypatch.setattr(confinement, "probe", lambda: refused)
    assert python(engine, "print(1)") == (
        "",
        "LayerLab: cannot run python in this container: user namespaces are refused here "
        "(Operation not permitted)\n",
        126,
    )
    assert "Program Confinement: none: user namespaces are refused" in docker(engine, "info")[0]


def test_docker_info_says_how_programs_are_confined(engine: SimEngine) -> None:
    how = r"\((namespaces, the container's owners|user namespaces, one uid)\)"
    line = r"\n Program Confinement: bubblewrap [0-9.]+ " + how + r"\n"
    assert re.search(line, docker(engine, "info")[0])


def test_kernel_settings_are_out_of_reach(engine: SimEngine) -> None:
    code = (
        "for path in ('/proc/sys/kernel/core_pattern', '/proc/sys/vm/drop_caches'):\n"
        "    try:\n"
        "        open(path, 'a').close()\n"
        "        print('writable', path)\n"
        "    except OSError as error:\n"
        "        print(error.strerror)\n"
    )
    assert python(engine, code)[0] == "Read-only file system\nRead-only file system\n"


APP_IMAGE = """\
FROM python:3.12
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd \\
 && echo 'app:x:1000:' >> /etc/group && echo 'staff:x:50:app' >> /etc/group \\
 && mkdir /home/app && chown app:app /home/app
USER app
WORKDIR /home/app
RUN python -c "open('made-by-app.txt', 'w').write('app')"
"""

needs_root = pytest.mark.skipif(
    not confinement.as_root(), reason="the container's owners need LayerLab to run as root"
)


@needs_root
def test_users_and_permissions_as_docker_has_them(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(APP_IMAGE)
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-q", "-t", "appuser", str(tmp_path)], engine, out, err) == 0, err
    ids = "import os; print(os.getuid(), os.getgid(), sorted(os.getgroups()))"
    run = ("run", "--rm", "appuser", "python", "-c")
    assert docker(engine, *run, ids)[0] == "1000 1000 [50, 1000]\n"
    assert docker(engine, "run", "--rm", "--user", "1234", "appuser", "python", "-c", ids)[0] == (
        "1234 0 [0]\n"
    )
    # A user cannot write root's files: Docker's PermissionError.
    _, err_text, code = docker(engine, *run, "open('/etc/passwd', 'a')")
    assert code == 1
    assert err_text.endswith("PermissionError: [Errno 13] Permission denied: '/etc/passwd'\n")
    # What the user made at build time is theirs, in the layer and on disk.
    listing = docker(engine, "run", "--rm", "appuser", "ls", "-l", "made-by-app.txt")[0]
    assert re.match(r"-rw-r--r-- +1 app +app +3 ", listing)
    # Root may write anything in the container, the user's files too, and chown them.
    program = (
        "import os\n"
        "open('/etc/motd', 'w').write('hi')\n"
        "open('/home/app/made-by-app.txt', 'a').write('+root')\n"
        "os.chown('/etc/motd', 1000, 50)\n"
    )
    rooted = ("run", "--name", "rooted", "--user", "root", "appuser", "python", "-c", program)
    assert docker(engine, *rooted)[2] == 0
    assert {"C /home/app/made-by-app.txt", "A /etc/motd"} <= set(
        docker(engine, "diff", "rooted")[0].splitlines()
    )
    assert docker(engine, "commit", "rooted", "rooted")[2] == 0
    listing = docker(engine, "run", "--rm", "rooted", "ls", "-l", "/etc/motd", "made-by-app.txt")[0]
    assert re.match(r"-rw-r--r-- +1 app +staff +2 .*/etc/motd\n-rw-r--r-- +1 app +app +8 ", listing)


def test_without_root_a_user_has_the_rights_docker_gives_it(
    engine: SimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without root one uid is mapped: every file is the user's, and its owner bits carry what
    Docker would let the user do (rootfs.Access). What the run changes is recorded with the
    modes the files really have, not the ones shown."""
    (tmp_path / "Dockerfile").write_text(APP_IMAGE)
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["build", "-q", "-t", "appnoroot", str(tmp_path)], engine, out, err) == 0, err
    monkeypatch.setattr(confinement, "as_root", lambda: False)
    assert python(engine, "import os; print(os.getuid())") == ("0\n", "", 0)
    program = (
        "import os\n"
        "print(os.getuid(), os.getgid())\n"
        "for path in ('/etc/passwd', '/usr/new-file', '/root/x'):\n"
        "    try:\n"
        "        open(path, 'a').close()\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__, error.strerror, path)\n"
        "print(open('/etc/passwd').read().splitlines()[-1])\n"
        "open('/tmp/scratch', 'w').write('t')\n"
        "open('made-by-app.txt', 'a').write('+more')\n"
        "os.mkdir('notes')\n"
        "open('notes/a.txt', 'w').write('a')\n"
    )
    run = ("run", "--name", "noroot", "appnoroot", "python", "-c", program)
    out, err, code = docker(engine, *run)
    assert (err, code) == ("", 0)
    assert out == (
        "1000 1000\n"
        "PermissionError Permission denied /etc/passwd\n"
        "PermissionError Permission denied /usr/new-file\n"
        "PermissionError Permission denied /root/x\n"
        "app:x:1000:1000::/home/app:/bin/sh\n"
    )
    assert sorted(docker(engine, "diff", "noroot")[0].splitlines()) == [
        "A /home/app/notes",
        "A /home/app/notes/a.txt",
        "A /tmp/scratch",
        "C /home",
        "C /home/app",
        "C /home/app/made-by-app.txt",
        "C /tmp",
    ]
    assert docker(engine, "commit", "noroot", "noroot")[2] == 0
    monkeypatch.undo()
    listing = docker(engine, "run", "--rm", "noroot", "ls", "-ld", "/etc/passwd", "/tmp",
                     "/root", "notes/a.txt", "made-by-app.txt")[0]  # fmt: skip
    assert re.search(r"^-rw-r--r-- +1 root +root .* /etc/passwd$", listing, re.M)
    assert re.search(r"^drwx------ +2 root +root .* /root$", listing, re.M)
    assert re.search(r"^drwxrwxrwt +2 root +root .* /tmp$", listing, re.M)
    assert re.search(r"^-rw-r--r-- +1 app +app +1 .* notes/a.txt$", listing, re.M)
    assert re.search(r"^-rw-r--r-- +1 app +app +8 .* made-by-app.txt$", listing, re.M)


def test_the_confinement_check_binds_only_what_the_interpreter_needs() -> None:
    """Binding all of / takes every host mount along; one that changes meanwhile (a real
    engine's container layer) made the check fail and python refuse to run."""
    command = confinement.trial_command("bwrap")
    binds = [tuple(command[i + 1 : i + 3]) for i, arg in enumerate(command) if "bind" in arg]
    assert ("/", "/") not in binds
    assert all(source == target for source, target in binds)


def test_child_processes_run_in_a_real_shell(engine: SimEngine) -> None:
    """subprocess and os.system start the image's shell and tools: inside the confined run a
    real BusyBox stands in for the simulated ones (runtimes/tools.py)."""
    if tools.host_busybox() is None:
        pytest.skip("needs a static BusyBox on this machine")
    code = (
        "import os, subprocess\n"
        "print(subprocess.run(['ls', '/etc/os-release'], capture_output=True, text=True).stdout,"
        " end='', flush=True)\n"
        "status = os.system('echo shell says $((6 * 7)); exit 3')\n"
        "print(os.waitstatus_to_exitcode(status))\n"
        "print(subprocess.run('bash -c true', shell=True).returncode)\n"
    )
    out, err, code_ = python(engine, code)
    assert out == "/etc/os-release\nshell says 42\n3\n127\n"
    assert err == "bash: applet not found\n" and code_ == 0


def test_a_terminal_is_a_terminal(engine: SimEngine) -> None:
    # run -t: stdin, stdout and stderr are one pseudo-terminal, so what the program writes
    # keeps its order across the two streams, and newlines come out as CRLF.
    code = (
        "import sys\n"
        "print([f.isatty() for f in (sys.stdin, sys.stdout, sys.stderr)])\n"
        "sys.stderr.write('to stderr\\n')\n"
        "print('after')\n"
    )
    out, err, code_ = docker(engine, "run", "--rm", "-t", "python:3.12", "python", "-c", code)
    assert (out, err, code_) == ("[True, True, True]\r\nto stderr\r\nafter\r\n", "", 0)
    # A pipe or a redirection inside the container's shell is no terminal.
    piped = "python -c 'import sys; print(sys.stdout.isatty())' | cat; echo end"
    assert docker(engine, "run", "--rm", "-t", "python:3.12", "sh", "-c", piped)[0] == (
        "False\r\nend\r\n"
    )
    # Without -t, pipes.
    assert python(engine, "import sys; print(sys.stdout.isatty())")[0] == "False\n"
