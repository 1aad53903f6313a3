"""``docker build`` with BuildKit (the 26.1 profile) against what Docker Engine 26.1 with buildx
0.13 printed for the same builds, recorded on this project's machine. Only times and IDs are
normalised: BuildKit prints how long each step took, and the base images differ."""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.cli.buildkit_progress import human_bytes, source_excerpt
from layerlab.cli.main import run_cli
from layerlab.engine.errors import EngineUnavailable
from layerlab.engine.sim.builder.transfer import transfer_size
from layerlab.engine.sim.engine import SimEngine
from layerlab.engine.sim.store import fs


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimEngine]:
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    sim = SimEngine(home=tmp_path / "home", profile="26.1")
    yield sim
    sim.close()


def docker(engine: SimEngine, cwd: Path, *args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), engine, out, err, cwd=cwd)
    return out.getvalue(), err.getvalue(), code


def normalised(text: str) -> str:
    text = re.sub(r"^(#\d+) \d+\.\d+ ", r"\1 <t> ", text, flags=re.M)
    text = re.sub(r" \d+\.\ds$", "", text, flags=re.M)  # DONE 0.1s
    text = re.sub(r" \d+\.\ds done$", " done", text, flags=re.M)
    return re.sub(r"sha256:[0-9a-f]{64}", "sha256:<id>", text)


HELLO = (
    "FROM busybox\nCOPY a.txt .\nENV X=1\nRUN echo hi $X && echo err >&2\nWORKDIR /app\n"
    'CMD ["sh"]\n'
)

# Engine 26.1, `docker build --progress=plain --network=none -t b1 .`, first and second time.
FIRST = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 126B done
#1 DONE

#2 [internal] load metadata for docker.io/library/busybox:latest
#2 DONE

#3 [internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE

#4 [1/4] FROM docker.io/library/busybox:latest
#4 DONE

#5 [internal] load build context
#5 transferring context: 38B done
#5 DONE

#6 [2/4] COPY a.txt .
#6 DONE

#7 [3/4] RUN echo hi 1 && echo err >&2
#7 <t> hi 1
#7 <t> err
#7 DONE

#8 [4/4] WORKDIR /app
#8 DONE

#9 exporting to image
#9 exporting layers done
#9 writing image sha256:<id> done
#9 naming to docker.io/library/b1 done
#9 DONE
"""

AGAIN = """\
#4 [1/4] FROM docker.io/library/busybox:latest
#4 CACHED

#5 [internal] load build context
#5 transferring context: 26B done
#5 DONE

#6 [2/4] COPY a.txt .
#6 CACHED

#7 [3/4] RUN echo hi 1 && echo err >&2
#7 CACHED

#8 [4/4] WORKDIR /app
#8 CACHED

#9 exporting to image
#9 exporting layers done
#9 writing image sha256:<id> done
#9 naming to docker.io/library/b1 done
#9 DONE
"""

HISTORY = """\
CMD ["sh"]|0B|buildkit.dockerfile.v0
WORKDIR /app|0B|buildkit.dockerfile.v0
RUN /bin/sh -c echo hi $X && echo err >&2 # buildkit|0B|buildkit.dockerfile.v0
ENV X=1|0B|buildkit.dockerfile.v0
COPY a.txt . # buildkit|6B|buildkit.dockerfile.v0
"""


def test_a_build_and_its_cached_rebuild_print_what_buildx_prints(
    engine: SimEngine, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text(HELLO)
    out, err, code = docker(engine, tmp_path, "build", "-t", "b1", ".")
    assert (out, code) == ("", 0)
    assert normalised(err) == FIRST
    first_id = engine.image_store.resolve("b1").id
    out, err, code = docker(engine, tmp_path, "build", "-t", "b1", ".")
    assert normalised(err).split("\n\n", 4)[4] == AGAIN
    # Every step came from the cache, so the image is the same one (its times are the layers').
    assert engine.image_store.resolve("b1").id == first_id
    rows = docker(engine, tmp_path, "history", "--no-trunc", "--format",
                  "{{.CreatedBy}}|{{.Size}}|{{.Comment}}", "b1")[0]  # fmt: skip
    assert rows.startswith(HISTORY)
    # No intermediate image: the base's rows and the new ones are <missing> under the top.
    ids = docker(engine, tmp_path, "history", "-q", "b1")[0].split()
    assert ids[1:] == ["<missing>"] * (len(ids) - 1)
    assert docker(engine, tmp_path, "images", "-a", "-q")[0].count("\n") == 2  # busybox, b1


EVERY_KIND = """\
FROM busybox
ARG V=1
LABEL k=v
ENV X=1 Y="two words"
COPY --chown=1:1 a.txt /data/
ADD a.txt b.txt
EXPOSE 80/tcp
USER nobody
VOLUME /v
WORKDIR /w
RUN echo "v=$V" && printf 'a\\nb\\n' && echo e >&2
ENTRYPOINT ["sh", "-c"]
CMD echo hi
"""

# Engine 26.1: the steps' names, and `docker history --no-trunc` of the image above.
EVERY_KIND_STEPS = [
    "#4 [1/5] FROM docker.io/library/busybox:latest",
    "#6 [2/5] COPY --chown=1:1 a.txt /data/",
    "#7 [3/5] ADD a.txt b.txt",
    "#8 [4/5] WORKDIR /w",
    "#9 [5/5] RUN echo \"v=1\" && printf 'a\\nb\\n' && echo e >&2",
]
EVERY_KIND_HISTORY = """\
CMD ["/bin/sh" "-c" "echo hi"]|0B
ENTRYPOINT ["sh" "-c"]|0B
RUN |1 V=1 /bin/sh -c echo "v=$V" && printf 'a\\nb\\n' && echo e >&2 # buildkit|0B
WORKDIR /w|0B
VOLUME [/v]|0B
USER nobody|0B
EXPOSE map[80/tcp:{}]|0B
ADD a.txt b.txt # buildkit|6B
COPY --chown=1:1 a.txt /data/ # buildkit|6B
ENV X=1 Y=two words|0B
LABEL k=v|0B
ARG V=1|0B
"""


def test_each_instruction_leaves_the_row_buildkit_writes(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text(EVERY_KIND)
    _, err, code = docker(engine, tmp_path, "build", "-t", "b6", "-t", "b6:two", ".")
    assert code == 0, err
    steps = [line for line in err.splitlines() if re.match(r"#\d+ \[ ?\d/", line)]
    assert steps == EVERY_KIND_STEPS
    assert "#10 naming to docker.io/library/b6 done\n#10 naming to docker.io/library/b6:two" in err
    rows = docker(engine, tmp_path, "history", "--no-trunc", "--format",
                  "{{.CreatedBy}}|{{.Size}}", "b6")[0]  # fmt: skip
    assert rows.startswith(EVERY_KIND_HISTORY)
    # The WORKDIR made by USER nobody is nobody's; the layer of each step is there.
    listing = docker(engine, tmp_path, "run", "--rm", "b6", "ls -ldn /w /data/a.txt")[0]
    assert re.search(r"^drwxr-xr-x +2 65534 +65534 .* /w$", listing, re.M)
    assert re.search(r"^-rw-r--r-- +1 1 +1 +6 .* /data/a.txt$", listing, re.M)


# Engine 26.1, a RUN that fails: the step's lines, the account, the Dockerfile, the last line.
FAILED = """\
#6 [3/4] RUN echo out && echo err >&2 && exit 3
#6 <t> out
#6 <t> err
#6 ERROR: process "/bin/sh -c echo out && echo err >&2 && exit 3" did not complete successfully: exit code: 3
------
 > [3/4] RUN echo out && echo err >&2 && exit 3:
<t> out
<t> err
------
Dockerfile:3
--------------------
   1 |     FROM busybox
   2 |     RUN echo before
   3 | >>> RUN echo out && echo err >&2 && exit 3
   4 |     RUN echo never
   5 |     <end>
--------------------
ERROR: failed to solve: process "/bin/sh -c echo out && echo err >&2 && exit 3" did not complete successfully: exit code: 3
""".replace("<end>", "")  # noqa: E501 (the last line has the excerpt's trailing blank)


def test_a_failing_step_is_accounted_for_as_buildx_does(engine: SimEngine, tmp_path: Path) -> None:
    dockerfile = (
        "FROM busybox\nRUN echo before\nRUN echo out && echo err >&2 && exit 3\nRUN echo never\n"
    )
    (tmp_path / "Dockerfile").write_text(dockerfile)
    out, err, code = docker(engine, tmp_path, "build", "-t", "b7", ".")
    assert (out, code) == ("", 1)
    text = re.sub(r"^(\d+\.\d+) ", "<t> ", normalised(err), flags=re.M)
    assert text.endswith(FAILED)
    assert docker(engine, tmp_path, "images", "-q", "b7")[0] == ""
    # -q: no progress and no account, the Dockerfile and the last line only.
    out, err, code = docker(engine, tmp_path, "build", "-q", ".")
    assert (out, code) == ("", 1)
    assert err == FAILED.split("------\nDockerfile", 1)[1].join(["Dockerfile", ""])


def test_a_missing_source_fails_as_buildkit_says(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY nope /\n")
    _, err, code = docker(engine, tmp_path, "build", ".")
    assert code == 1
    assert "#6 [2/2] COPY nope /\n#6 ERROR: failed to calculate checksum of ref" in err
    # The context's snapshot is named by a session UUID and an ID, as BuildKit names it.
    text = re.sub(
        r"ref [0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}::[0-9a-z]{25}:", "ref <ref>:", err
    )
    assert text.endswith(
        '"/nope": not found\n------\n > [2/2] COPY nope /:\n------\nDockerfile:2\n'
        "--------------------\n   1 |     FROM busybox\n   2 | >>> COPY nope /\n   3 |     \n"
        "--------------------\nERROR: failed to solve: failed to compute cache key: failed to "
        'calculate checksum of ref <ref>: "/nope": not found\n'
    )


MULTI_STAGE = """\
FROM busybox
RUN echo a > /a
FROM busybox AS two
RUN echo b > /b
FROM two
COPY --from=0 /a /
RUN cat /a /b
"""


def test_stages_are_built_as_buildkit_builds_them(engine: SimEngine, tmp_path: Path) -> None:
    """Measured on Engine 26.1: steps named by stage (`stage-N` when unnamed), one FROM
    vertex for the stages that share it, only the stages the target needs, and a COPY --from
    whose history row leaves the stage out."""
    (tmp_path / "Dockerfile").write_text(MULTI_STAGE)
    _, err, code = docker(engine, tmp_path, "build", "--no-cache", "-t", "ms2", ".")
    assert code == 0, err
    lines = normalised(err).splitlines()
    assert [line for line in lines if re.match(r"#\d+ (\[|<t> )", line)] == [
        "#1 [internal] load build definition from Dockerfile",
        "#2 [internal] load metadata for docker.io/library/busybox:latest",
        "#3 [internal] load .dockerignore",
        "#4 [stage-0 1/2] FROM docker.io/library/busybox:latest",
        "#5 [stage-0 2/2] RUN echo a > /a",
        "#6 [two 2/2] RUN echo b > /b",
        "#7 [stage-2 1/2] COPY --from=0 /a /",
        "#8 [stage-2 2/2] RUN cat /a /b",
        "#8 <t> a",
        "#8 <t> b",
    ]
    rows = docker(engine, tmp_path, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "ms2")
    assert rows[0].startswith(
        "RUN /bin/sh -c cat /a /b # buildkit\nCOPY /a / # buildkit\n"
        "RUN /bin/sh -c echo b > /b # buildkit\n"
    )
    _, err, code = docker(engine, tmp_path, "build", "--target", "two", "-t", "ms3", ".")
    assert code == 0, err
    steps = [line for line in err.splitlines() if re.match(r"#\d+ \[", line)]
    assert steps[3:] == ["#4 [two 1/2] FROM docker.io/library/busybox:latest",
                         "#5 [two 2/2] RUN echo b > /b"]  # fmt: skip
    _, err, code = docker(engine, tmp_path, "build", "--target", "nope", ".")
    assert code == 1
    assert err.endswith('ERROR: failed to solve: target stage "nope" could not be found\n')


def test_copy_from_an_image_reads_its_files(engine: SimEngine, tmp_path: Path) -> None:
    """Measured on Engine 26.1: the image's metadata loads after the base's, it gets a FROM
    vertex named by no stage (the base's, when it is the same image), the steps are named by
    stage, and the history row leaves the image out."""
    assert docker(engine, tmp_path, "tag", "busybox", "other:1")[2] == 0
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nWORKDIR /w\nCOPY --from=other:1 /bin/busybox /copied\n"
    )
    _, err, code = docker(engine, tmp_path, "build", "-t", "copied", ".")
    assert code == 0, err
    assert [line for line in err.splitlines() if re.match(r"#\d+ [\[F]", line)] == [
        "#1 [internal] load build definition from Dockerfile",
        "#2 [internal] load metadata for docker.io/library/busybox:latest",
        "#3 [internal] load metadata for docker.io/library/other:1",
        "#4 [internal] load .dockerignore",
        "#5 [stage-0 1/3] FROM docker.io/library/busybox:latest",
        "#6 FROM docker.io/library/other:1",
        "#7 [stage-0 2/3] WORKDIR /w",
        "#8 [stage-0 3/3] COPY --from=other:1 /bin/busybox /copied",
    ]
    sizes = "wc -c < /copied; wc -c < /bin/busybox"
    out, _, _ = docker(engine, tmp_path, "run", "--rm", "copied", "sh", "-c", sizes)
    first, second = out.split()
    assert first == second and int(first) > 0
    rows, _, _ = docker(engine, tmp_path, "history", "--format", "{{.CreatedBy}}", "copied")
    assert rows.startswith("COPY /bin/busybox /copied # buildkit\nWORKDIR /w\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nCOPY --from=busybox:latest /bin/busybox /copied\n"
    )
    _, err, code = docker(engine, tmp_path, "build", "--no-cache", "-t", "copied", ".")
    assert code == 0, err
    assert [line for line in err.splitlines() if re.match(r"#\d+ [\[F]", line)][3:] == [
        "#4 FROM docker.io/library/busybox:latest",
        "#5 [stage-0 2/2] COPY --from=busybox:latest /bin/busybox /copied",
    ]


def test_docker_buildkit_0_gives_the_classic_builder_with_its_notice(
    engine: SimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    out, err, code = docker(engine, tmp_path, "build", "-q", ".")
    assert code == 0
    # Engine 26.1's CLI, with buildx installed and BuildKit turned off.
    assert err == (
        "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
        "            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n"
        "            environment-variable.\n\n"
    )
    assert out.startswith("sha256:")


def test_the_profile_is_chosen_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYERLAB_PROFILE", raising=False)
    assert SimEngine(home=tmp_path / "a").profile == "26.1"  # what learners meet today
    monkeypatch.setenv("LAYERLAB_PROFILE", "20.10")
    assert SimEngine(home=tmp_path / "b").profile == "20.10"
    with pytest.raises(
        EngineUnavailable, match=re.escape("unknown engine profile '25': choose 20.10 or 26.1")
    ):
        SimEngine(home=tmp_path / "c", profile="25")


def _tree(files: dict[str, tuple[str, bytes | None]]) -> fs.Tree:
    tree: fs.Tree = {}
    for path, (kind, data) in files.items():
        if kind == "dir":
            tree[path] = fs.directory(mode=0o755, mtime=1_700_000_000)
        else:
            tree[path] = fs.regular(data or b"", mode=0o644, mtime=1_700_000_000)
    return tree


def test_transfer_sizes_are_those_fsutil_counts() -> None:
    """Measured on Engine 26.1: the bytes of fsutil's packets, not of the files."""
    tree = _tree({
        "/Dockerfile": ("file", b"x" * 26), "/Dockerfile89": ("file", b"x" * 89),
        "/a.txt": ("file", b"hello\n"), "/a": ("file", b""), "/.dockerignore": ("file", b"b.txt\n"),
        "/sub": ("dir", None), "/sub/c.txt": ("file", b"xy\n"), "/big": ("file", bytes(40000)),
    })  # fmt: skip
    assert transfer_size(tree, ["/Dockerfile"], {}) == 63
    assert transfer_size(tree, [], {}) == 2  # no .dockerignore
    assert transfer_size(tree, ["/.dockerignore"], {}) == 46
    assert transfer_size(tree, ["/a.txt"], {}) == 38
    assert transfer_size(tree, ["/a"], {}) == 22
    assert transfer_size(tree, ["/sub", "/sub/c.txt"], {}) == 66
    assert human_bytes(transfer_size(tree, ["/big"], {})) == "40.04kB"
    from layerlab.engine.sim.builder.transfer import signature

    known = {"/a.txt": signature(tree["/a.txt"])}
    assert transfer_size(tree, ["/a.txt"], known) == 26  # the daemon has it already


def test_the_dockerfile_excerpt_is_padded_as_buildkit_pads_it() -> None:
    text = "".join(f"L{n}\n" for n in range(1, 7))
    excerpt = source_excerpt({"filename": "Dockerfile", "data": text, "lines": [4, 4]})
    # Engine 26.1: an error on line 4 of 6 shows lines 2 to 6.
    assert excerpt.splitlines()[2:7] == [
        "   2 |     L2", "   3 |     L3", "   4 | >>> L4", "   5 |     L5", "   6 |     L6"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "stdout", "stderr", "code"),
    [  # Engine 26.1 with buildx 0.13, in a pipe
        (["--progress=bogus"], "", "ERROR: invalid progress mode bogus\n", 1),
        (["--progress=plain", "-q"], "",
         "ERROR: progress=plain and quiet cannot be used together\n", 1),
        (["--progress=tty"], "",
         "ERROR: failed to get console: provided file is not a console\n", 1),
        (["--progress=quiet"], "sha256:", "", 0),
        (["--network=foo"], "", 'ERROR: network mode "foo" not supported by buildkit - you can '
         "define a custom network for your builder using the network driver-opt in buildx "
         "create\n", 1),
    ],
)  # fmt: skip
def test_progress_and_network_are_checked_as_buildx_checks_them(
    engine: SimEngine, tmp_path: Path, flags: list[str], stdout: str, stderr: str, code: int
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    out, err, exit_code = docker(engine, tmp_path, "build", *flags, ".")
    assert (out[: len(stdout)], err, exit_code) == (stdout, stderr, code)


def test_the_legacy_builder_of_26_1_has_no_progress_flag(
    engine: SimEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    _, err, code = docker(engine, tmp_path, "build", "--progress=plain", ".")
    assert code == 125
    assert err.endswith(
        "environment-variable.\n\nunknown flag: --progress\nSee 'docker build --help'.\n"
    )


def test_the_profile_decides_what_the_daemon_says_of_itself(
    engine: SimEngine, tmp_path: Path
) -> None:
    """Engine 26.1 speaks API 1.45: version says so, and image inspect has lost the fields
    1.44 and 1.45 dropped (Container, ContainerConfig, VirtualSize)."""
    form = "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}"
    assert docker(engine, tmp_path, "version", "--format", form)[0] == "26.1.5+dfsg1 1.45 1.24\n"
    keys = docker(engine, tmp_path, "image", "inspect", "--format", "{{json .}}", "busybox")[0]
    assert '"ContainerConfig"' not in keys and '"VirtualSize"' not in keys
    assert '"DockerVersion"' in keys
    older = SimEngine(home=tmp_path / "old", profile="20.10")
    assert docker(older, tmp_path, "version", "--format", form)[0] == "20.10.24+dfsg1 1.41 1.12\n"
    keys = docker(older, tmp_path, "image", "inspect", "--format", "{{json .}}", "busybox")[0]
    assert '"ContainerConfig"' in keys and '"VirtualSize"' in keys
    older.close()


def test_a_base_image_that_is_not_here_comes_from_its_registry(
    engine: SimEngine, tmp_path: Path
) -> None:
    """Engine 26.1's docker driver resolves the base in its registry and fetches what is
    missing; the base itself does not become a local image. Measured with a private
    registry: a base whose layers are all here shows only its resolve line."""
    for command in (
        "tag busybox 127.0.0.1:5000/bk/base:1",
        "push -q 127.0.0.1:5000/bk/base:1",
        "rmi 127.0.0.1:5000/bk/base:1",
    ):
        assert docker(engine, tmp_path, *command.split())[2] == 0
    (tmp_path / "Dockerfile").write_text("FROM 127.0.0.1:5000/bk/base:1\nRUN echo hi\n")
    _, err, code = docker(engine, tmp_path, "build", "-t", "pf", ".")
    assert code == 0, err
    digest = re.search(r"FROM 127\.0\.0\.1:5000/bk/base:1@(sha256:[0-9a-f]{64})\n", err)
    assert digest is not None
    assert f"#4 resolve 127.0.0.1:5000/bk/base:1@{digest.group(1)} done\n#4 DONE" in err
    assert docker(engine, tmp_path, "images", "--format", "{{.Repository}}")[0] == "pf\nbusybox\n"
    again = docker(engine, tmp_path, "build", "-t", "pf", ".")[1]
    assert "resolve" not in again
    # A base the registry lacks: the message Engine 26.1 gives.
    (tmp_path / "Dockerfile").write_text("FROM 127.0.0.1:5000/bk/nope:1\nRUN true\n")
    _, err, code = docker(engine, tmp_path, "build", ".")
    assert code == 1
    assert "#2 [internal] load metadata for 127.0.0.1:5000/bk/nope:1\n#2 ERROR: " in err
    assert err.endswith(
        "------\n > [internal] load metadata for 127.0.0.1:5000/bk/nope:1:\n------\n"
        "Dockerfile:1\n--------------------\n   1 | >>> FROM 127.0.0.1:5000/bk/nope:1\n"
        "   2 |     RUN true\n   3 |     \n--------------------\n"
        "ERROR: failed to solve: 127.0.0.1:5000/bk/nope:1: failed to resolve source metadata "
        "for 127.0.0.1:5000/bk/nope:1: 127.0.0.1:5000/bk/nope:1: not found\n"
    )


def test_a_hub_base_is_fetched_with_its_layers_and_runs(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nRUN python -c "print(6*7)"\n')
    _, err, code = docker(engine, tmp_path, "build", "-t", "p", ".")
    assert code == 0, err
    assert re.search(r"^#4 extracting sha256:[0-9a-f]{64} done$", err, re.M)
    assert re.search(r"^#4 sha256:[0-9a-f]{64} [0-9.]+[kM]?B / [0-9.]+[kM]?B done$", err, re.M)
    assert '#5 [2/2] RUN python -c "print(6*7)"\n#5 0.' in err and " 42\n" in err
    assert "python" not in docker(engine, tmp_path, "images")[0]


def test_the_build_cache_is_counted_and_pruned(engine: SimEngine, tmp_path: Path) -> None:
    """Measured on Engine 26.1: a record per transfer, base layer and step; a transfer's record
    keeps the size first worked out for it; `builder prune` keeps what images stand on."""
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi > /a\n")
    assert docker(engine, tmp_path, "build", "-q", "-t", "t1", ".")[2] == 0

    def build_cache() -> str:
        out = docker(engine, tmp_path, "system", "df")[0]
        return next(line for line in out.splitlines() if line.startswith("Build Cache"))

    # The Dockerfile (30 B) and the .dockerignore (none), busybox's layer, the RUN's layer.
    assert build_cache().split() == ["Build", "Cache", "4", "0", "30B", "30B"]
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi > /a\nRUN echo x\n")
    assert docker(engine, tmp_path, "build", "-q", "-t", "t1", ".")[2] == 0
    assert build_cache().split()[2:] == ["5", "0", "30B", "30B"]  # still 30 B: as measured
    docker(engine, tmp_path, "rmi", "t1")
    docker(engine, tmp_path, "image", "prune", "-f")
    assert build_cache().split()[2:] == ["5", "0", "33B", "33B"]  # the RUN's 3 B, unshared
    out, err, code = docker(engine, tmp_path, "builder", "prune", "-af")
    assert (err, code) == ("", 0)
    assert out.startswith("ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED\n")
    assert out.count("\ttrue \t") == 5 and out.endswith("Total:\t33B\n")
    assert build_cache().split()[2:] == ["0", "0", "0B", "0B"]
    assert docker(engine, tmp_path, "builder", "prune", "-f") == ("Total:\t0B\n", "", 0)


def test_the_classic_cli_prunes_the_build_cache_in_its_own_words(tmp_path: Path) -> None:
    """Engine 20.10 with the docker CLI 28.2.2 (no buildx): its notice, then the total."""
    sim = SimEngine(home=tmp_path / "home", profile="20.10")
    try:
        out, err, code = docker(sim, tmp_path, "builder", "prune", "-f")
        assert (out, code) == ("Total reclaimed space: 0B\n", 0)
        assert err.startswith("DEPRECATED: The legacy builder is deprecated")
        out, _, code = docker(sim, tmp_path, "builder", "prune")
        assert out == (
            "WARNING! This will remove all dangling build cache. Are you sure you want to "
            "continue? [y/N] "
        )
    finally:
        sim.close()


def test_what_the_simulator_does_not_build_is_said_in_the_learners_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYERLAB_LANG", "ko")
    (tmp_path / "Dockerfile").write_text("FROM busybox AS one\nRUN true\n")
    sim = SimEngine(home=tmp_path / "home", profile="20.10")
    try:
        _, err, code = docker(sim, tmp_path, "build", "--target", "one", ".")
        assert code != 0
        assert "LayerLab의 클래식 빌더는 아직 --target을 빌드하지 못합니다" in err
    finally:
        sim.close()


def test_buildx_answers_docker_build_in_its_own_words(engine: SimEngine, tmp_path: Path) -> None:
    """Measured with Engine 26.1's CLI and buildx 0.13: with BuildKit on, `docker build` is
    `docker buildx build`, with its help, its flags (the legacy ones kept hidden) and errors."""
    assert docker(engine, tmp_path, "build") == (
        "",
        'ERROR: "docker buildx build" requires exactly 1 argument.\n'
        "See 'docker buildx build --help'.\n\n"
        "Usage:  docker buildx build [OPTIONS] PATH | URL | -\n\nStart a build\n",
        1,
    )
    assert docker(engine, tmp_path, "build", "--foo", ".") == (
        "",
        "unknown flag: --foo\nSee 'docker buildx build --help'.\n",
        125,
    )
    out, err, code = docker(engine, tmp_path, "build", "-h")
    assert (err, code) == ("", 0)
    assert out.startswith(
        "Flag shorthand -h has been deprecated, please use --help\nStart a build\n\n"
        "Usage:  docker buildx build [OPTIONS] PATH | URL | -\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    out, err, code = docker(engine, tmp_path, "build", "--rm", "-q", "-t", "a", "-t", "b", ".")
    assert code == 0, err
    tags = docker(engine, tmp_path, "images", "--format", "{{.Repository}}")[0].split()
    assert {"a", "b"} <= set(tags)


def test_buildx_answers_docker_builder(engine: SimEngine, tmp_path: Path) -> None:
    """Measured with Engine 26.1's CLI and buildx 0.13: `docker builder` is `docker buildx`."""
    out, err, code = docker(engine, tmp_path, "builder", "nonsense")
    assert (err, code) == ("", 0)
    assert out.startswith(
        "Extended build capabilities with BuildKit\n\nUsage:  docker buildx [OPTIONS] COMMAND\n"
    )
    assert docker(engine, tmp_path, "builder", "prune", "x") == (
        "",
        'ERROR: "docker buildx prune" accepts no arguments.\n'
        "See 'docker buildx prune --help'.\n\n"
        "Usage:  docker buildx prune\n\nRemove build cache\n",
        1,
    )
    assert docker(engine, tmp_path, "builder", "prune", "--foo")[1:] == (
        "unknown flag: --foo\nSee 'docker buildx prune --help'.\n",
        125,
    )
    out, err, code = docker(engine, tmp_path, "builder", "ls")
    assert code != 0 and "'docker buildx ls' is not supported by LayerLab" in err


def test_buildx_reports_a_bad_tag_or_context_in_its_own_words(
    engine: SimEngine, tmp_path: Path
) -> None:
    """Measured on Engine 26.1 with buildx 0.13 (the legacy CLI says it otherwise)."""
    assert docker(engine, tmp_path, "build", "-t", "Bad:Tag", ".") == (
        "",
        'ERROR: invalid tag "Bad:Tag": repository name must be lowercase\n',
        1,
    )
    assert docker(engine, tmp_path, "build", "-t", "a b", ".")[1] == (
        'ERROR: invalid tag "a b": invalid reference format\n'
    )
    assert docker(engine, tmp_path, "build", "nonexist") == (
        "",
        'ERROR: unable to prepare context: path "nonexist" not found\n',
        1,
    )


def test_copy_from_a_stage_further_down_is_refused_as_buildkit_refuses_it(
    engine: SimEngine, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS first\nCOPY --from=later /a /a\nFROM busybox AS later\nRUN echo a > /a\n"
    )
    _, err, code = docker(engine, tmp_path, "build", "--target", "first", ".")
    assert code == 1
    assert ">>> COPY --from=later /a /a" in err
    assert err.endswith(
        'ERROR: failed to solve: cannot copy from stage "later", it needs to be defined before '
        'current stage "first"\n'
    )


def test_an_uploaded_context_is_cached_until_the_build_cache_is_pruned(
    engine: SimEngine, tmp_path: Path
) -> None:
    """A tar on stdin is the context as it is (`buildkit_stdin` compares the text with Engine
    26.1); the same upload comes from the cache until `builder prune` takes its records."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in (("Dockerfile", b"FROM busybox\nCOPY . /c\n"), (".dockerignore", b"x\n"),
                           ("x", b"kept\n")):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

    def build() -> str:
        out, err = io.StringIO(), io.StringIO()
        args = ["build", "--network=none", "-t", "up", "-"]
        code = run_cli(args, engine, out, err, cwd=tmp_path, stdin=buffer.getvalue())
        assert code == 0, err.getvalue()
        return err.getvalue()

    first = build()
    assert "#1 [internal] load remote build context\n#1 DONE" in first
    assert "load .dockerignore" not in first and "load build context" not in first
    assert "#2 copy /context /\n#2 CACHED" in build()
    assert docker(engine, tmp_path, "run", "--rm", "up", "cat", "/c/x")[0] == "kept\n"
    assert docker(engine, tmp_path, "builder", "prune", "-af")[2] == 0
    assert "#1 [internal] load remote build context\n#1 DONE" in build()


def test_a_simulated_build_has_no_host_network(engine: SimEngine, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    out, err, code = docker(engine, tmp_path, "build", "--network=host", ".")
    assert (out, code) == ("", 1)
    assert err.startswith("layerlab: a build on network 'host' is not modelled by LayerLab")
