"""Pure tests of the scenario parser, the runner's file steps and the normaliser."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import pytest

from .scenario import (
    GOLDEN_DIR,
    TABLE_SEPARATOR,
    Capture,
    Command,
    CommandResult,
    FileWrite,
    IdMap,
    ScenarioSyntaxError,
    Sleep,
    StdinFrom,
    TarCreate,
    load_golden,
    normalize,
    normalize_results,
    parse_scenario,
    parse_scenario_text,
    run_scenario,
    scenario_paths,
)

LONG_ID = "9ab97ad3453f50a6463ea383cbc7c72b62fe018fe388e715064ea59bf1fd5dc8"
OTHER_ID = "53f7da74aea7c2096f19c2312576ae151acefe293ed53f9305797aa73676836a"

# ---------------------------------------------------------------------------------------------
# Parser


def test_parses_commands_files_and_directives_with_line_numbers() -> None:
    text = """# a comment
$ docker run --name a busybox sh -c 'echo "hi there"'
@file app/Dockerfile
FROM busybox
  RUN echo indented
@end
@tar ctx.tar app
@sleep 0.5
$ docker build -q \\
    -t x app
@capture IMAGE
$ docker rmi ${IMAGE}
"""
    scenario = parse_scenario_text(text, "demo")
    assert scenario.name == "demo"
    kinds = [type(step) for step in scenario.steps]
    assert kinds == [Command, FileWrite, TarCreate, Sleep, Command, Capture, Command]
    run, file_write, tar, sleep, build, capture, rmi = scenario.steps
    assert run == Command(
        args=("run", "--name", "a", "busybox", "sh", "-c", 'echo "hi there"'),
        text="docker run --name a busybox sh -c 'echo \"hi there\"'",
        line=2,
    )
    assert file_write == FileWrite("app/Dockerfile", "FROM busybox\n  RUN echo indented\n", 3)
    assert tar == TarCreate("ctx.tar", "app", 7)
    assert sleep == Sleep(0.5, 8)
    assert build.args == ("build", "-q", "-t", "x", "app")
    assert build.line == 9
    assert capture == Capture("IMAGE", 11)
    assert rmi.args == ("rmi", "${IMAGE}")
    assert [command.line for command in scenario.commands()] == [2, 9, 12]


def test_empty_file_block_writes_empty_content() -> None:
    scenario = parse_scenario_text("@file empty.txt\n@end\n$ docker ps\n", "s")
    assert scenario.steps[0] == FileWrite("empty.txt", "", 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$ ls -l\n", "must start with 'docker'"),
        ("$ docker run 'unclosed\n", "No closing quotation"),
        ("@file a.txt\nno end\n", "without @end"),
        ("@file /etc/passwd\n@end\n$ docker ps\n", "stay in the work dir"),
        ("@file ../up.txt\n@end\n$ docker ps\n", "stay in the work dir"),
        ("@tar only-one\n$ docker ps\n", "@tar PATH FROM_DIR"),
        ("@sleep soon\n$ docker ps\n", "bad @sleep"),
        ("@capture X\n$ docker ps\n", "must follow a command"),
        ("$ docker ps\n@capture lower\n", "bad capture name"),
        ("$ docker rmi ${NEVER}\n", "not captured"),
        ("docker ps\n", "cannot parse line"),
        ("# nothing but a comment\n", "no commands"),
        ("@profile 25\n$ docker ps\n", "@profile comes first"),
        ("$ docker ps\n@profile 26.1\n", "@profile comes first"),
        ("$ docker ps\n@stdin ctx.tar\n", "@stdin must come before a command"),
        ("@stdin ctx.tar\n@sleep 1\n$ docker ps\n", "@stdin must come before a command"),
        ("@stdin /etc/passwd\n$ docker ps\n", "stay in the work dir"),
    ],
)
def test_rejects_malformed_scenarios_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(ScenarioSyntaxError, match=message):
        parse_scenario_text(text, "bad")


def test_every_shipped_scenario_parses_and_they_cover_enough_commands() -> None:
    paths = scenario_paths()
    assert paths, "no scenarios found"
    total = sum(len(parse_scenario(path).commands()) for path in paths)
    assert total >= 140


def test_every_golden_matches_its_scenario() -> None:
    for path in scenario_paths():
        scenario = parse_scenario(path)
        header, results = load_golden(scenario.name)
        assert header["scenario"] == scenario.name
        assert header["cli_version"] and header["daemon_version"]
        assert [result.command for result in results] == [c.text for c in scenario.commands()]
        raw = json.loads((GOLDEN_DIR / f"{scenario.name}.json").read_text())
        assert [entry["line"] for entry in raw["commands"]] == [c.line for c in scenario.commands()]


# ---------------------------------------------------------------------------------------------
# Runner (with a fake `docker` that echoes its arguments: no engine needed)


def test_run_scenario_prepares_files_substitutes_captures_and_collects_results(
    tmp_path: Path,
) -> None:
    fake_docker = [
        sys.executable,
        "-c",
        "import os, sys; print(' '.join(sys.argv[1:])); "
        "print(sorted(os.listdir('.')), file=sys.stderr); "
        "sys.exit(3 if 'fail' in sys.argv else 0)",
    ]
    text = """@file ctx/a.txt
alpha
@end
@tar ctx.tar ctx
$ docker first 'two words'
@capture FIRST
$ docker use ${FIRST}-x fail
"""
    scenario = parse_scenario_text(text, "runner")
    results = run_scenario(scenario, fake_docker, {}, tmp_path / "work")
    assert results == [
        CommandResult("docker first 'two words'", "first two words\n", "['ctx', 'ctx.tar']\n", 0),
        CommandResult(
            "docker use ${FIRST}-x fail",
            "use first two words-x fail\n",
            "['ctx', 'ctx.tar']\n",
            3,
        ),
    ]
    assert (tmp_path / "work" / "ctx" / "a.txt").read_text() == "alpha\n"
    with tarfile.open(tmp_path / "work" / "ctx.tar") as archive:
        members = archive.getmembers()
    assert [(m.name, m.uid, m.mtime) for m in members] == [("a.txt", 0, 0)]


def test_stdin_feeds_the_next_command_only(tmp_path: Path) -> None:
    reader = [sys.executable, "-c", "import sys; print(repr(sys.stdin.buffer.read()))"]
    text = "@file in.txt\nthe input\n@end\n@stdin in.txt\n$ docker build -\n$ docker ps\n"
    scenario = parse_scenario_text(text, "stdin")
    assert scenario.steps[1] == StdinFrom("in.txt", 4)
    first, second = run_scenario(scenario, reader, {}, tmp_path / "work")
    assert (first.stdout, second.stdout) == ("b'the input\\n'\n", "b''\n")


def test_run_scenario_reports_a_timeout_as_exit_code_minus_one(tmp_path: Path) -> None:
    scenario = parse_scenario_text("$ docker wait\n", "slow")
    sleeper = [sys.executable, "-c", "import time; time.sleep(5)"]
    [result] = run_scenario(scenario, sleeper, {}, tmp_path, timeout=0.2)
    assert result.exit_code == -1
    assert "timed out" in result.stderr


# ---------------------------------------------------------------------------------------------
# Normaliser


def test_ids_are_numbered_by_first_appearance_and_short_equals_long() -> None:
    ids = IdMap()
    first = normalize(f"{LONG_ID}\n", ids)
    second = normalize(f"{OTHER_ID[:12]} then {LONG_ID[:12]} and sha256:{OTHER_ID}\n", ids)
    assert first == "<id1>\n"
    assert second == "<id2> then <id1> and sha256:<id2>\n"


def test_id_rule_leaves_other_hex_like_words_alone() -> None:
    text = "deadbeef cafe 1983166 abcdefabcdef0 xabcdefabcdef image-abcdefabcdef\n"
    expected = "deadbeef cafe 1983166 abcdefabcdef0 xabcdefabcdef image-<id1>\n"
    assert normalize(text, IdMap()) == expected


def test_content_hashes_cut_short_in_history_share_a_number() -> None:
    ids = IdMap()
    full = normalize("COPY file:1040697a90f99d3000aa in /\n", ids)
    cut = normalize("ADD file:1040697a90f99d300…\n", ids)
    assert full == "COPY file:<id1> in /\n"
    assert cut == "ADD file:<id1>…\n"


def test_timestamps_and_durations() -> None:
    text = (
        "2026-11-27T20:01:10.967586412Z 2024-01-02T03:04:05+02:00 0001-01-01T00:00:00Z\n"
        "Less than a second ago | 3 minutes ago | About an hour ago\n"
        "Up Less than a second | Up 2 weeks (Paused) | Exited (137) 1 second ago\n"
        "sleeping 5 seconds\n"
    )
    assert normalize(text, IdMap()) == (
        "<time> <time> 0001-01-01T00:00:00Z\n"
        "<duration> ago | <duration> ago | <duration> ago\n"
        "Up <duration> | Up <duration> (Paused) | Exited (137) <duration> ago\n"
        "sleeping 5 seconds\n"
    )


def test_sizes_from_one_kilobyte_are_hidden_byte_sizes_kept() -> None:
    text = "1.98MB 4.26MB 1.983MB (100%) 3.072kB 12GB 6B 0B 999B v1.5MB2\n"
    assert normalize(text, IdMap()) == (
        "<size> <size> <size> (100%) <size> <size> 6B 0B 999B v1.5MB2\n"
    )


def test_builder_banner_and_context_size_are_dropped() -> None:
    stderr = (
        "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
        "            Install the buildx component to build images with BuildKit:\n"
        "            https://docs.docker.com/go/buildx/\n"
        "\n"
        "unknown flag: --nope\n"
    )
    assert normalize(stderr, IdMap()) == "unknown flag: --nope\n"
    stdout = "Sending build context to Docker daemon   5.12kB\nStep 1/2 : FROM busybox\n"
    assert normalize(stdout, IdMap()) == (
        "Sending build context to Docker daemon  <size>\nStep 1/2 : FROM busybox\n"
    )
    small = "Sending build context to Docker daemon  512B\n"
    assert normalize(small, IdMap()) == "Sending build context to Docker daemon  <size>\n"


def test_context_line_keeps_its_carriage_returns() -> None:
    text = "Sending build context to Docker daemon  2.048kB\r\r\nStep 1/2 : FROM busybox\n"
    assert normalize(text, IdMap()) == (
        "Sending build context to Docker daemon  <size>\r\r\nStep 1/2 : FROM busybox\n"
    )


def test_colour_seams_between_stderr_chunks_of_a_run_step_are_dropped() -> None:
    split = "\x1b[91m/bin/sh: \x1b[0m\x1b[91mnosuchcommand: not found\n\x1b[0m"
    joined = "\x1b[91m/bin/sh: nosuchcommand: not found\n\x1b[0m"
    assert normalize(split, IdMap()) == normalize(joined, IdMap()) == joined


def test_layer_progress_is_regrouped_per_layer_in_first_appearance_order() -> None:
    run_a = (
        "The push refers to repository [localhost:5000/web]\n"
        "2c6c0f43e23b: Preparing\n"
        "e2f371f77e20: Preparing\n"
        "e2f371f77e20: Waiting\n"
        "e2f371f77e20: Layer already exists\n"
        "2c6c0f43e23b: Layer already exists\n"
        "1.0: digest: sha256:" + OTHER_ID + " size: 735\n"
    )
    run_b = run_a.replace(
        "e2f371f77e20: Waiting\ne2f371f77e20: Layer already exists\n"
        "2c6c0f43e23b: Layer already exists\n",
        "2c6c0f43e23b: Layer already exists\ne2f371f77e20: Layer already exists\n",
    )
    expected = (
        "The push refers to repository [localhost:5000/web]\n"
        "<id1>: Preparing\n<id1>: Layer already exists\n"
        "<id2>: Preparing\n<id2>: Layer already exists\n"
        "1.0: digest: sha256:<id3> size: <size>\n"
    )
    assert normalize(run_a, IdMap()) == expected
    assert normalize(run_b, IdMap()) == expected


def test_pull_progress_drops_timing_dependent_statuses() -> None:
    with_checksum = (
        "a0859100ee3c: Pulling fs layer\na0859100ee3c: Verifying Checksum\n"
        "a0859100ee3c: Download complete\na0859100ee3c: Pull complete\n"
    )
    without = with_checksum.replace("a0859100ee3c: Verifying Checksum\n", "")
    assert normalize(with_checksum, IdMap()) == normalize(without, IdMap())


def test_diff_lines_are_sorted_by_path_within_a_block() -> None:
    run_a = "A /data\nA /data/x\nC /tmp\nA /tmp/note.txt\nC /etc\nD /etc/shadow\n"
    run_b = "A /data\nA /data/x\nC /etc\nD /etc/shadow\nC /tmp\nA /tmp/note.txt\n"
    expected = "A /data\nA /data/x\nC /etc\nD /etc/shadow\nC /tmp\nA /tmp/note.txt\n"
    assert normalize(run_a, IdMap()) == expected
    assert normalize(run_b, IdMap()) == expected
    assert normalize("B /not-a-change\nC /b\nC /a", IdMap()) == "B /not-a-change\nC /a\nC /b"


def test_table_rows_get_a_fixed_separator_and_no_trailing_padding() -> None:
    narrow = (
        "REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n"
        f"busybox      latest    {OTHER_ID[:12]}   3 minutes ago   1.98MB\n"
        "\n"
        "Usage:  docker images\n"
    )
    wide = (
        "REPOSITORY      TAG          IMAGE ID        CREATED            SIZE\n"
        f"busybox         latest       {OTHER_ID[:12]}    2 minutes ago      4.26MB   \n"
        "\n"
        "Usage:  docker images\n"
    )
    sep = TABLE_SEPARATOR
    expected = (
        f"REPOSITORY{sep}TAG{sep}IMAGE ID{sep}CREATED{sep}SIZE\n"
        f"busybox{sep}latest{sep}<id1>{sep}<duration> ago{sep}<size>\n"
        "\n"
        "Usage:  docker images\n"
    )
    assert normalize(narrow, IdMap()) == expected
    assert normalize(wide, IdMap()) == expected


def test_non_table_text_keeps_its_spaces() -> None:
    text = "Usage:  docker run [OPTIONS] IMAGE\nhello  world\n"
    assert normalize(text, IdMap()) == text


def test_normalize_results_shares_ids_across_commands_and_streams() -> None:
    results = [
        CommandResult("docker run -d busybox", f"{LONG_ID}\n", "", 0),
        CommandResult("docker rm x", "", f"container {LONG_ID[:12]} in use\n", 1),
    ]
    assert normalize_results(results) == [
        CommandResult("docker run -d busybox", "<id1>\n", "", 0),
        CommandResult("docker rm x", "", "container <id1> in use\n", 1),
    ]


def test_loaded_image_lines_are_compared_in_sorted_order() -> None:
    one = "Loaded image: shared:1\nLoaded image: busybox:latest\n"
    other = "Loaded image: busybox:latest\nLoaded image: shared:1\n"
    assert normalize(one, IdMap()) == normalize(other, IdMap())
    assert normalize("Loaded image: a:1\nother\nLoaded image: b:1\n", IdMap()).split("\n")[1] == (
        "other"
    )


def test_a_scenario_may_be_for_engine_26() -> None:
    assert parse_scenario_text("$ docker ps\n", "old").profile == "20.10"
    assert parse_scenario_text("@profile 26.1\n$ docker ps\n", "new").profile == "26.1"


def test_buildkit_progress_keeps_what_is_not_time_or_parallelism() -> None:
    """Two runs of one build on Engine 26.1: the context and FROM swap, cached steps finish in
    another order, a RUN's two streams interleave differently, and times differ."""
    first = (
        '#0 building with "default" instance using docker driver\n\n'
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 126B 0.0s done\n#1 DONE 0.1s\n\n"
        "#2 [internal] load build context\n#2 transferring context: 38B done\n#2 DONE 0.0s\n\n"
        "#3 [1/3] FROM docker.io/library/busybox:latest\n#3 CACHED\n\n"
        "#4 [3/3] RUN echo hi && echo err >&2\n#4 0.045 hi\n#4 0.046 err\n#4 DONE 0.1s\n\n"
        "#5 [2/3] COPY a.txt .\n#5 DONE 0.0s\n\n"
        "#6 exporting to image\n#6 exporting layers 0.0s done\n#6 DONE 0.0s\n"
    )
    second = (
        '#0 building with "default" instance using docker driver\n\n'
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 126B done\n#1 DONE 0.0s\n\n"
        "#2 [1/3] FROM docker.io/library/busybox:latest\n#2 CACHED\n\n"
        "#3 [internal] load build context\n#3 transferring context: 38B done\n#3 DONE 0.0s\n\n"
        "#4 [2/3] COPY a.txt .\n#4 DONE 0.0s\n\n"
        "#5 [3/3] RUN echo hi && echo err >&2\n#5 0.051 err\n#5 0.051 hi\n#5 DONE 0.2s\n\n"
        "#6 exporting to image\n#6 exporting layers done\n#6 DONE 0.0s\n"
    )
    assert normalize(first, IdMap()) == normalize(second, IdMap())
    assert "#2 [1/3] FROM docker.io/library/busybox:latest\n#2 DONE\n" in normalize(first, IdMap())
    changed = second.replace("38B", "39B")
    assert normalize(changed, IdMap()) != normalize(second, IdMap())


def test_a_from_shared_by_stages_may_be_named_after_either() -> None:
    """Two runs of one multi-stage build on Engine 26.1: the FROM both stages share is named
    after one stage in the first run and the other in the second, and the steps come out in
    another order."""
    head = (
        '#0 building with "default" instance using docker driver\n\n'
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 213B done\n#1 DONE 0.0s\n\n"
    )
    first = head + (
        "#2 [build 1/3] FROM docker.io/library/busybox:latest\n#2 DONE 0.0s\n\n"
        "#3 [build 2/3] WORKDIR /src\n#3 DONE 0.0s\n\n"
        "#4 [build 3/3] RUN echo built > out.txt\n#4 DONE 0.1s\n\n"
        "#5 [stage-2 2/2] COPY --from=build /src/out.txt /\n#5 DONE 0.0s\n\n"
        "#6 exporting to image\n#6 exporting layers done\n#6 DONE 0.0s\n"
    )
    second = head + (
        "#2 [stage-2 1/2] FROM docker.io/library/busybox:latest\n#2 DONE 0.0s\n\n"
        "#3 [stage-2 2/2] COPY --from=build /src/out.txt /\n#3 DONE 0.0s\n\n"
        "#4 [build 2/3] WORKDIR /src\n#4 DONE 0.0s\n\n"
        "#5 [build 3/3] RUN echo built > out.txt\n#5 DONE 0.1s\n\n"
        "#6 exporting to image\n#6 exporting layers done\n#6 DONE 0.0s\n"
    )
    assert normalize(first, IdMap()) == normalize(second, IdMap())
    assert "#2 [<stage>] FROM docker.io/library/busybox:latest\n" in normalize(first, IdMap())
    assert normalize(first.replace("WORKDIR /src", "WORKDIR /app"), IdMap()) != normalize(
        second, IdMap()
    )


def test_cache_records_in_a_prune_report_are_compared_without_ids_or_order() -> None:
    """Two prunes of the same records on Engine 26.1: other IDs, another order, and only the
    first row (written with the header) padded to it."""
    first = (
        "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
        f"{'8dz0m077f6bhyneucqrgcfmms*':<40}\ttrue \t\t0B        \t11 seconds ago\n"
        f"{'iy5b29oac5ghj1kuuavljnxan':<40}\ttrue \t3B        \t12 seconds ago\n"
        "Total:\t3B\n"
    )
    second = (
        "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n"
        f"{'s857o9ayn3qdjhqcbv9epxdey':<40}\ttrue \t\t3B        \t2 seconds ago\n"
        f"{'08v48a74gbmst4fy7pr2rfxtk*':<40}\ttrue \t0B        \t2 seconds ago\n"
        "Total:\t3B\n"
    )
    assert normalize(first, IdMap()) == normalize(second, IdMap())
    assert normalize(first.replace("3B  ", "5B  "), IdMap()) != normalize(second, IdMap())
    listed = "Deleted build cache objects:\n{}\n{}\n\nTotal reclaimed space: 8B\n"
    assert normalize(listed.format("a" * 25, "b" * 25), IdMap()) == normalize(
        listed.format("c" * 25, "d" * 25), IdMap()
    )


def test_cache_records_in_system_df_v_are_compared_without_ids_or_order() -> None:
    """`system df -v` on Engine 26.1 twice: other IDs, another order; the counts still count."""
    table = (
        "Build cache usage: 45B\n\n"
        "CACHE ID       CACHE TYPE     SIZE      CREATED        LAST USED      USAGE     SHARED\n"
        "{}   regular        5B        1 second ago   1 second ago   1         true\n"
        "{}   source.local   40B       1 second ago   1 second ago   3         false\n"
    )
    first = table.format("ynjk9j5gqikt", "sxx3nnvnpadp")
    lines = table.format("r6fiw0f229hy", "eh4kd0heqsbu").split("\n")
    second = "\n".join([*lines[:3], lines[4], lines[3], *lines[5:]])
    assert normalize(first, IdMap()) == normalize(second, IdMap())
    assert normalize(first.replace("1         true", "2         true"), IdMap()) != normalize(
        second, IdMap()
    )


def test_cache_records_of_the_same_size_sort_alike_whatever_their_ages() -> None:
    """Two 0 B records a second apart on one engine and made in the same second on the other:
    the rows still pair up by what they count."""
    header = "CACHE ID       CACHE TYPE   SIZE   CREATED   LAST USED   USAGE   SHARED\n"

    def row(cache_id: str, age: str, usage: int) -> str:  # padded as the CLI pads its columns
        return (
            f"{cache_id}   regular      0B     {age + ' ago':<25}{age + ' ago':<25}{usage}   true\n"
        )

    first = header + row("ynjk9j5gqikt", "10 seconds", 2) + row("sxx3nnvnpadp", "9 seconds", 1)
    second = header + row("r6fiw0f229hy", "9 seconds", 1) + row("eh4kd0heqsbu", "9 seconds", 2)
    assert normalize(first, IdMap()) == normalize(second, IdMap())
    third = header + row("ynjk9j5gqikt", "7 seconds", 2)
    third += row("sxx3nnvnpadp", "Less than a second", 1)
    assert normalize(third, IdMap()) == normalize(second, IdMap())


def test_a_vertex_printed_before_its_status_is_kept_once() -> None:
    """Engine 26.1 sometimes prints the Dockerfile's vertex done, then again with its
    transfer."""
    once = (
        '#0 building with "default" instance using docker driver\n\n'
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 75B done\n#1 DONE 0.0s\n\n"
        "#2 exporting to image\n#2 exporting layers done\n#2 DONE 0.0s\n"
    )
    twice = once.replace(
        "\n\n#1 [internal]",
        "\n\n#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n\n#1 [internal]",
        1,
    )
    assert twice != once
    assert normalize(twice, IdMap()) == normalize(once, IdMap())


def test_a_transfer_shown_under_way_is_kept_once_done() -> None:
    """When a redraw falls during the Dockerfile's transfer, buildx prints its status before the
    size is known, then again done."""
    done = (
        '#0 building with "default" instance using docker driver\n\n'
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 102B done\n#1 DONE 0.0s\n\n"
        "#2 exporting to image\n#2 exporting layers done\n#2 DONE 0.0s\n"
    )
    under_way = done.replace(
        "#1 transferring dockerfile: 102B done",
        "#1 transferring dockerfile:\n#1 transferring dockerfile: 102B done",
    )
    assert under_way != done
    assert normalize(under_way, IdMap()) == normalize(done, IdMap())
    other_size = done.replace("102B done", "103B done")
    assert normalize(other_size, IdMap()) != normalize(done, IdMap())
