"""The magics, run through a real IPython shell against the simulated engine."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

import layerlab
from layerlab import session as session_module
from layerlab.magic import cell_commands
from layerlab.result import DockerCommandError, DockerResult
from layerlab.session import split_command


def test_cell_runs_each_line_and_stops_at_the_first_failure(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ip.run_cell_magic(
        "docker",
        "",
        "# a comment\n"
        "docker run --name web busybox sh -c 'echo hello > /hi.txt; cat /hi.txt'\n"
        "diff web\n"
        "rm nosuch\n"
        "ps -a\n",
    )
    out, err = capsys.readouterr()
    # Docker's stderr in the cell's one stream, in order, as a terminal shows it; then the
    # failed command's exit status. `ps -a` never ran.
    assert out == "hello\nA /hi.txt\nError response from daemon: No such container: nosuch\n" + (
        "[exit status 1]\n"
    )
    assert err == ""


def test_failures_print_without_a_traceback(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ip.run_cell_magic("docker", "", "run --badflag busybox\n")
    out, err = capsys.readouterr()
    assert "unknown flag: --badflag" in out and out.endswith("[exit status 125]\n")
    assert "Traceback" not in out + err


def test_an_unclosed_quote_gets_the_shells_message(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ``bash -c`` says it, status 2, nothing run; in the magics and the Python API."""
    capsys.readouterr()
    expected = "layerlab: unexpected EOF while looking for matching `''\n"
    result = ip.run_line_magic("docker", "run busybox echo 'hi")
    assert (result.stdout, result.stderr, result.exit_code) == ("", expected, 2)
    ip.run_cell_magic("docker", "", 'run busybox echo "hi\nps\n')
    shown = capsys.readouterr().out
    assert shown == f"{expected}[exit status 2]\n" + expected.replace("`'", '`"') + (
        "[exit status 2]\n"
    )
    api = layerlab.docker("run busybox echo 'hi")
    assert (api.stderr, api.exit_code) == (expected, 2)
    assert split_command("echo a\\") == ["echo", "a\\"]  # bash keeps a final backslash


def test_line_magic_returns_a_result(ip: InteractiveShell) -> None:
    result = ip.run_line_magic("docker", "images --format '{{.Repository}}:{{.Tag}}'")
    assert isinstance(result, DockerResult)
    assert (result.stdout, result.stderr, result.exit_code) == ("busybox:latest\n", "", 0)


def test_expansion_keeps_go_templates_whole(ip: InteractiveShell) -> None:
    ip.user_ns["name"] = "box"
    ip.run_line_magic("docker", "run --name $name busybox true")
    result = ip.run_line_magic("docker", "inspect -f '{{.Name}} {{json .Config.Cmd}}' {name}")
    assert result.stdout == '/box ["true"]\n'


def test_continuation_lines_join() -> None:
    commands = cell_commands("run --rm \\\n  busybox \\\n  echo hi\n\n# c\nps")
    assert [c.split() for c in commands] == [["run", "--rm", "busybox", "echo", "hi"], ["ps"]]


def test_raise_mode_raises_on_failure(ip: InteractiveShell) -> None:
    ip.run_line_magic("docker_raise", "on")
    with pytest.raises(DockerCommandError) as caught:
        ip.run_line_magic("docker", "rmi nosuch")
    assert caught.value.result.exit_code == 1


def test_state_survives_a_kernel_restart(ip: InteractiveShell) -> None:
    ip.run_line_magic("docker", "run --name keep busybox sh -c 'echo kept > /k'")
    session_module.current_session().close()
    session_module._session = None  # what a new kernel starts with
    assert ip.run_line_magic("docker", "diff keep").stdout == "A /k\n"


def test_named_states_are_separate(ip: InteractiveShell) -> None:
    ip.run_line_magic("docker", "tag busybox only-in-default:1")
    ip.run_line_magic("docker_state", "other")
    ip.run_line_magic("docker_reset", "empty")
    assert ip.run_line_magic("docker", "images -q").stdout == ""
    ip.run_line_magic("docker_state", "default")
    assert "only-in-default" in ip.run_line_magic("docker", "images").stdout


def test_the_simulator_takes_a_profile(
    ip: InteractiveShell, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`%docker_engine sim --profile 26.1`: Engine 26.1 with buildx, whose builds use BuildKit;
    the state stays the same, and `%docker_status` says which Docker the simulator is."""
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    ip.run_line_magic("docker_engine", "sim --profile 26.1")
    ip.run_line_magic("docker_status", "")
    status = capsys.readouterr().out
    assert "profile: 26.1 (Docker Engine 26.1 with buildx, BuildKit)" in status
    built = ip.run_line_magic("docker", f"build -t with-buildkit {tmp_path}")
    assert built.stderr.startswith('#0 building with "default" instance using docker driver')
    assert "#5 [2/2] RUN echo hi\n#5 0.000 hi\n" in built.stderr
    ip.run_line_magic("docker_engine", "sim --profile 20.10")
    built = ip.run_line_magic("docker", f"build -q -t classic {tmp_path}")
    assert built.stderr.startswith("DEPRECATED: The legacy builder is deprecated")
    assert "with-buildkit" in ip.run_line_magic("docker", "images").stdout


def test_deterministic_mode_gives_the_same_bytes(ip: InteractiveShell) -> None:
    cell = "run --name a busybox sh -c 'echo 1 > /x'\nps -a\nimages\ninspect a\n"

    def run_once() -> str:
        ip.run_line_magic("docker_reset", "baseline --deterministic")
        return "".join(ip.run_line_magic("docker", line).stdout for line in cell_commands(cell))

    assert run_once() == run_once()


def test_python_api(ip: InteractiveShell) -> None:
    import layerlab

    assert layerlab.docker("ps -a -q").stdout == ""
    assert layerlab.docker(["run", "--rm", "busybox", "echo", "hi there"]).stdout == "hi there\n"


def test_python_api_takes_standard_input(ip: InteractiveShell) -> None:
    import layerlab

    swap = "run -i --rm busybox sh -c 'read a; read b; echo $b $a'"
    piped = layerlab.docker(swap, input="1\n2\n")
    assert (piped.stdout, piped.exit_code) == ("2 1\n", 0)
    assert layerlab.docker("run --rm busybox cat", input=b"ignored without -i\n").stdout == ""
