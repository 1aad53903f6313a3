"""The simulated `sh`: language features, virtual time, forever-running and SIGTERM outcomes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerlab.engine.sim.programs.process import ProcessContext, ProgramResult, run_process
from layerlab.engine.sim.programs.shell.parser import ShellSyntaxError, parse_all
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
BASE = busybox_rootfs(0)


def sh(script: str, now: float = 1_700_000_000.0, **context: object) -> ProgramResult:
    tree = context.pop("tree", None) or dict(BASE)
    ctx = ProcessContext(tree=tree, env=dict(ENV), now=now, hostname="c0ffee", **context)
    return run_process(["sh", "-c", script], ctx)


def out(result: ProgramResult, fd: int = 1) -> str:
    return b"".join(data for f, data, _ in result.output if f == fd).decode()


def test_quoting_expansion_and_status() -> None:
    result = sh('x=\'a b\'; set -- "$x" c; echo $# "$1" ${x:-no} $((2*21)) $(echo sub)')
    assert out(result) == "2 a b a b 42 sub\n"
    assert result.exit_code == 0


def test_pipeline_and_control_flow() -> None:
    script = "for i in 3 1 2; do echo $i; done | sort | tr '\\n' ' '; echo; false || echo recovered"
    assert out(sh(script)) == "1 2 3 \nrecovered\n"


def test_exit_code_and_unknown_command() -> None:
    result = sh("nosuch; exit 7")
    assert result.exit_code == 7
    assert out(result, 2) == "sh: nosuch: not found\n"


def test_syntax_error_after_running_earlier_lines() -> None:
    result = sh("echo first\nfi")
    assert out(result) == "first\n"
    assert out(result, 2) == 'sh: syntax error: unexpected "fi"\n'
    assert result.exit_code == 2


def test_sleep_moves_the_virtual_clock_and_stamps_output() -> None:
    result = sh("echo a; sleep 5; date +%s; sleep 2.5")
    assert result.output[0][2] == 0.0
    assert result.output[1] == (1, b"1700000005\n", 5.0)
    assert result.duration == 7.5
    assert not result.runs_forever


def test_sleep_infinity_runs_forever_and_ignores_sigterm() -> None:
    result = sh("echo up; sleep infinity")
    assert result.runs_forever
    assert result.exits_on_sigterm is None
    assert out(result) == "up\n"


def test_trap_in_a_sleep_loop_decides_the_sigterm_exit() -> None:
    result = sh("trap 'echo bye; exit 0' TERM; while true; do sleep 1; done")
    assert result.runs_forever
    assert result.exits_on_sigterm == 0


def test_trap_does_not_run_while_a_foreground_child_blocks() -> None:
    result = sh("trap 'exit 0' TERM; sleep infinity")
    assert result.runs_forever
    assert result.exits_on_sigterm is None


def test_background_job_and_wait() -> None:
    result = sh("(sleep 3; echo late) & echo early; wait; echo done")
    assert out(result) == "early\nlate\ndone\n"
    assert result.duration == 3.0


def test_files_written_by_redirection_land_in_the_tree() -> None:
    tree = dict(BASE)
    sh("echo hello > /tmp/a.txt; echo again >> /tmp/a.txt", tree=tree)
    assert tree["/tmp/a.txt"].data == b"hello\nagain\n"
    assert tree["/tmp/a.txt"].mtime == 1_700_000_000


def test_cd_and_relative_paths() -> None:
    assert (
        out(sh("cd /etc && cat passwd | head -1; pwd")) == "root:x:0:0:root:/root:/bin/sh\n/etc\n"
    )


def test_set_e_and_functions() -> None:
    result = sh("f() { return 4; }; f; echo $?; set -e; f; echo never")
    assert out(result) == "4\n"
    assert result.exit_code == 4


def test_script_file_errors_carry_line_numbers() -> None:
    tree = dict(BASE)
    sh("printf 'echo one\\nnosuch\\n' > /s.sh", tree=tree)
    result = run_process(["sh", "/s.sh"], ProcessContext(tree=tree, env=dict(ENV)))
    assert out(result, 2) == "/s.sh: line 2: nosuch: not found\n"
    assert result.exit_code == 127


def test_shebang_script_runs_its_interpreter() -> None:
    tree = dict(BASE)
    sh("printf '#!/bin/sh\\necho script $1\\n' > /run.sh; chmod +x /run.sh", tree=tree)
    result = run_process(["/run.sh", "arg"], ProcessContext(tree=tree, env=dict(ENV)))
    assert out(result) == "script arg\n"


def test_infinite_loop_without_sleep_is_cut_and_runs_forever() -> None:
    result = sh("while :; do :; done")
    assert result.runs_forever


def test_parser_reports_busybox_messages() -> None:
    with pytest.raises(ShellSyntaxError, match='unexpected end of file \\(expecting "done"\\)'):
        parse_all("while true; do")
    assert len(parse_all("a; b\nc | d && e\n")) == 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=40))
def test_random_scripts_give_results_never_python_errors(script: str) -> None:
    result = sh(script)
    assert 0 <= result.exit_code <= 255
    assert "LayerLab simulator bug" not in out(result, 2)
