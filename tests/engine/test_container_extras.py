"""Following logs, detached exec, commit, rename and wait on the simulator: what the golden
transcripts cannot show (virtual time, endless programs, empty commits, Ctrl-C)."""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.errors import NotFound
from layerlab.engine.sim.engine import SimEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tarfiles import tar_of


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    sim = SimEngine(home=tmp_path / "home")
    yield sim
    sim.close()


def docker(engine: SimEngine, line: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(shlex.split(line), engine, out, err)
    return code, out.getvalue(), err.getvalue()


def test_logs_follow_waits_for_the_program_in_virtual_time(engine: SimEngine) -> None:
    docker(engine, "run -d --name slow busybox sh -c 'echo a; sleep 300; echo b'")
    before = engine.now()
    assert docker(engine, "logs -f slow") == (0, "a\nb\n", "")
    assert engine.now() - before > 299  # started a moment before `before`
    assert docker(engine, "ps -a --format '{{.Status}}'")[1].startswith("Exited (0)")


def test_logs_follow_of_an_endless_program_shows_the_logs_so_far_then_says_why(
    engine: SimEngine,
) -> None:
    docker(engine, "run -d --name loop busybox sh -c 'echo up; while true; do sleep 1; done'")
    code, out, err = docker(engine, "logs --follow loop")
    assert (code, out) == (1, "up\n")
    assert "never exits" in err and "logs so far are above" in err


def test_logs_follow_of_an_rm_container_reads_it_before_it_goes(engine: SimEngine) -> None:
    docker(engine, "run -d --rm --name gone busybox sh -c 'sleep 5; echo bye'")
    assert docker(engine, "logs -f gone") == (0, "bye\n", "")
    assert docker(engine, "ps -aq")[1] == ""


def test_logs_tail_counts_the_lines_of_both_streams(engine: SimEngine) -> None:
    docker(engine, "run --name tl busybox sh -c 'echo 1; echo 2 >&2; echo 3'")
    assert docker(engine, "logs --tail 2 tl") == (0, "3\n", "2\n")
    assert docker(engine, "logs --tail 0 tl") == (0, "", "")
    assert docker(engine, "logs --tail junk tl") == (0, "1\n3\n", "2\n")


def test_exec_detach_changes_files_without_waiting(engine: SimEngine) -> None:
    docker(engine, "run -d --name box busybox sleep 600")
    before = engine.now()
    assert docker(engine, "exec -d box sh -c 'sleep 100; echo hi > /hi; echo out'") == (0, "", "")
    assert engine.now() - before < 100
    assert docker(engine, "exec box cat /hi") == (0, "hi\n", "")
    code, _, err = docker(engine, "exec -d box nosuch")
    assert code == 1
    assert err.startswith("Error response from daemon: OCI runtime exec failed")


def test_commit_of_an_unchanged_container_adds_no_layer(engine: SimEngine) -> None:
    docker(engine, "create --name fresh busybox echo hi")
    code, image_id, _ = docker(engine, "commit fresh same:layers")
    assert code == 0 and image_id.startswith("sha256:")
    busybox = engine.inspect_image("busybox")
    committed = engine.inspect_image("same:layers")
    assert committed["RootFS"]["Layers"] == busybox["RootFS"]["Layers"]
    assert committed["Parent"] == busybox["Id"]
    assert committed["ContainerConfig"]["Cmd"] == ["echo", "hi"]
    history = engine.history("same:layers")
    assert history[0]["CreatedBy"] == "echo hi" and history[0]["Size"] == 0


def test_commit_changes_apply_like_dockerfile_lines(engine: SimEngine) -> None:
    docker(engine, "run -d --name cc -e KEEP=1 -w /tmp busybox sleep 600")
    docker(engine, 'commit -c \'CMD ["echo", "x"]\' -c \'ENTRYPOINT ["sh", "-c"]\' cc both')
    config = engine.inspect_image("both")["Config"]
    assert (config["Cmd"], config["Entrypoint"]) == (["echo", "x"], ["sh", "-c"])
    changes = "-c 'ENTRYPOINT [\"sh\"]' -c 'WORKDIR sub' -c 'ENV KEEP=2 NEW=$KEEP'"
    docker(engine, f"commit {changes} cc ep")
    config = engine.inspect_image("ep")["Config"]
    assert config["Cmd"] is None  # an ENTRYPOINT without a CMD drops the container's
    assert config["WorkingDir"] == "/tmp/sub"
    assert "KEEP=2" in config["Env"] and "NEW=1" in config["Env"]
    assert docker(engine, "commit -c 'ENV' cc bad")[2] == (
        "Error response from daemon: ENV requires at least one argument\n"
    )
    assert docker(engine, "commit -c '' cc bad")[2] == (
        "Error response from daemon: file with no instructions\n"
    )
    assert docker(engine, "commit -c 'COPY a b' cc bad")[2] == (
        "Error response from daemon: copy is not a valid change command\n"
    )
    assert docker(engine, "images -q bad")[1] == ""


def test_commit_keeps_the_writable_layer_and_records_author_and_message(
    engine: SimEngine,
) -> None:
    docker(engine, "run --name ww busybox sh -c 'mkdir /data && echo 42 > /data/answer'")
    docker(engine, "commit -a 'A Author' -m 'the answer' ww answer:1")
    assert docker(engine, "run --rm answer:1 cat /data/answer") == (0, "42\n", "")
    image = engine.inspect_image("answer:1")
    assert (image["Author"], image["Comment"]) == ("A Author", "the answer")
    assert len(image["RootFS"]["Layers"]) == 2


def test_rename_keeps_the_container_and_frees_the_old_name(engine: SimEngine) -> None:
    docker(engine, "run --name old busybox sh -c 'echo kept > /f'")
    container_id = engine.inspect_container("old")["Id"]
    assert docker(engine, "rename old new") == (0, "", "")
    assert engine.inspect_container("new")["Id"] == container_id
    assert engine.inspect_container("new")["Name"] == "/new"
    assert docker(engine, "diff new")[1] == "A /f\n"
    assert docker(engine, "create --name old busybox")[0] == 0
    code, _, err = docker(engine, "rename new '  '")
    assert (code, err) == (1, "Error: Neither old nor new names may be empty\n")


def test_wait_prints_each_exit_code_and_reports_errors_last(engine: SimEngine) -> None:
    docker(engine, "run -d --name first busybox sh -c 'sleep 30; exit 3'")
    docker(engine, "run -d --name second busybox true")
    code, out, err = docker(engine, "wait first nosuch second")
    assert (code, out) == (1, "3\n0\n")
    assert err == "Error response from daemon: No such container: nosuch\n"


def test_networks_given_twice_or_together(engine: SimEngine) -> None:
    code, _, err = docker(engine, "run --network none --net none busybox true")
    assert code == 125
    assert err.startswith('docker: network "none" is specified multiple times\n')
    code, _, err = docker(engine, "create --network none --network host busybox true")
    assert code == 1
    assert "Container cannot be connected to network endpoints: none, host" in err


class _Interrupted:
    """An engine whose every call is cut short by Ctrl-C."""

    name = "interrupted"

    def __getattr__(self, name: str) -> object:
        def interrupted(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt

        return interrupted


def test_ctrl_c_ends_a_command_quietly_with_status_130() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["wait", "c"], _Interrupted(), out, err)  # type: ignore[arg-type]
    assert (code, out.getvalue(), err.getvalue()) == (130, "", "")


def test_commit_config_is_stored_in_the_daemon_key_order(engine: SimEngine) -> None:
    docker(engine, "run --name ww busybox touch /x")
    docker(engine, "commit -a me ww ordered")
    raw = json.loads(engine.image_store.resolve("ordered").raw)
    assert list(raw) == sorted(raw)
    assert raw["history"][-1] == {
        "created": raw["created"], "author": "me", "created_by": "touch /x",
    }  # fmt: skip


def _status(engine: SimEngine, name: str) -> str:
    return docker(engine, f"ps -a --filter name={name} --format '{{{{.Status}}}}'")[1]


def test_a_reader_of_an_open_stdin_waits_until_stopped(engine: SimEngine) -> None:
    docker(engine, "run -di --name reader busybox sh -c 'echo ready; read line; echo never'")
    assert _status(engine, "reader").startswith("Up")
    assert docker(engine, "stop -t 1 reader") == (0, "reader\n", "")
    assert _status(engine, "reader").startswith("Exited (137)")
    assert docker(engine, "logs reader") == (0, "ready\n", "")


def test_start_i_hands_stdin_to_a_container_created_with_i(engine: SimEngine) -> None:
    docker(engine, "create -i --name counter busybox wc -l")
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["start", "-i", "counter"], engine, out, err, stdin=b"a\nb\n")
    assert (code, out.getvalue(), err.getvalue()) == (0, "2\n", "")
    # Without -i at create, the container never reads what the CLI is given.
    docker(engine, "create --name deaf busybox wc -l")
    code = run_cli(["start", "-i", "deaf"], engine, out := io.StringIO(), err, stdin=b"a\n")
    assert (code, out.getvalue()) == (0, "0\n")


def test_stdin_is_read_only_by_commands_that_use_it(engine: SimEngine) -> None:
    def unexpected() -> bytes:
        raise AssertionError("stdin was read")

    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["images", "-q"], engine, out, err, stdin=unexpected) == 0
    assert run_cli(["run", "--rm", "busybox", "true"], engine, out, err, stdin=unexpected) == 0


def test_exec_t_writes_one_crlf_stream(engine: SimEngine) -> None:
    docker(engine, "run -d --name term busybox sleep 600")
    assert docker(engine, "exec -t term sh -c 'echo out; echo err >&2'") == (
        0, "out\r\nerr\r\n", "",
    )  # fmt: skip


def test_exec_i_hands_stdin_to_the_program(engine: SimEngine) -> None:
    docker(engine, "run -d --name feed busybox sleep 600")
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(shlex.split("exec -i feed wc -w"), engine, out, err, stdin=b"one two\n")
    assert (code, out.getvalue()) == (0, "2\n")
    assert docker(engine, "exec feed wc -w") == (0, "0\n", "")  # without -i: no input
    assert docker(engine, "exec -dit feed sh") == (0, "", "")


def test_cp_lands_in_the_writable_layer_and_ids_are_root_unless_archive(
    engine: SimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "note.txt").write_text("kept\n")
    monkeypatch.chdir(tmp_path)
    docker(engine, "create --name target busybox sleep 600")
    code, _, err = docker(engine, f"cp {tmp_path / 'note.txt'} target:/note.txt")
    assert (code, err) == (0, "")
    assert docker(engine, "diff target")[1] == "A /note.txt\n"
    data, stat = engine.get_archive("target", "/note.txt")
    assert stat["name"] == "note.txt" and stat["size"] == 5 and stat["mode"] == 0o644
    assert b"kept\n" in data
    docker(engine, "commit target noted")
    assert docker(engine, "run --rm noted cat /note.txt") == (0, "kept\n", "")
    with pytest.raises(NotFound, match="Could not find the file /nope in container target"):
        engine.stat_path("target", "/nope")


def test_cp_a_keeps_owners(engine: SimEngine) -> None:
    docker(engine, "create --name owned busybox")
    data = tar_of({"mine.txt": b""}, owner=1000)
    engine.put_archive("owned", "/tmp", data)
    engine.put_archive("owned", "/", data, copy_uid_gid=True)
    tree = engine.containers_store.tree(engine.containers_store.resolve("owned"))
    assert (tree["/tmp/mine.txt"].uid, tree["/mine.txt"].uid) == (0, 1000)
