"""The simulated classic builder against what Docker Engine 20.10 was measured to do.

The engine under test starts from a small busybox-like image (built here, so each test takes
milliseconds); the expected texts and cache sums were recorded from the real daemon.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layerlab.engine.errors import EngineError
from layerlab.engine.reference import parse_normalized
from layerlab.engine.sim.builder import events
from layerlab.engine.sim.builder.classic import run_build
from layerlab.engine.sim.builder.context import BuildContext
from layerlab.engine.sim.builder.dockerfile import DockerfileError, parse_dockerfile
from layerlab.engine.sim.builder.job import Build
from layerlab.engine.sim.engine import SimEngine, state_path
from layerlab.engine.sim.images.config import DEFAULT_PATH, go_json, rfc3339
from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.registry.hub.rootfs import GROUP, PASSWD, lay_down
from layerlab.engine.sim.store.database import Store

Json = dict[str, Any]


def _open_engine(home: Path) -> SimEngine:
    store = Store(state_path(home, "default"))
    with store.transaction():  # skip the full baseline: the tests bring a small base image
        store.set_meta("initialised", "1")
    store.close()
    return SimEngine(home=home)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SimEngine]:
    eng = _open_engine(tmp_path)
    busybox = executable_data("busybox")
    tree = lay_down(
        [
            ("/bin/busybox", "file", 0o755, busybox),
            ("/bin/sh", "file", 0o755, busybox),
            ("/etc/passwd", "file", 0o644, PASSWD),
            ("/etc/group", "file", 0o644, GROUP),
            ("/home", "dir", 0o755, b"", 65534, 65534),
            ("/root", "dir", 0o700, b""),
            ("/tmp", "dir", 0o1777, b""),
            ("/usr/local/bin/node", "file", 0o755, executable_data("node")),
            ("/usr/local/bin/npm", "file", 0o755, executable_data("npm")),
        ]
    )
    with eng.store.transaction():
        image_id = _store_base_image(eng, tree)
        eng.image_store.set_ref(parse_normalized("busybox:latest"), image_id, rfc3339(0))
    yield eng
    eng.close()


def _store_base_image(engine: SimEngine, tree: dict[str, Any]) -> str:
    """An image with no local parent, shaped like busybox's (one layer, CMD ["sh"])."""
    layer = engine.layers.add_changes("", dict(tree))
    created = rfc3339(engine.clock.now() - 86400)
    config = {"Env": [DEFAULT_PATH], "Cmd": ["sh"], "Image": "", "WorkingDir": "", "Labels": None}
    doc = {
        "architecture": "amd64",
        "config": config,
        "created": created,
        "history": [
            {"created": created, "created_by": "/bin/sh -c #(nop) ADD file:0 in / "},
            {
                "created": created,
                "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
                "empty_layer": True,
            },
        ],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
    }
    return engine.image_store.put(go_json(doc).encode(), "", engine.clock.now() - 86400)


def context(files: dict[str, bytes | None]) -> bytes:
    """A build context tar like the CLI's; a None value is a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build(engine: SimEngine, files: dict[str, bytes | None], **options: Any) -> list[Json]:
    settings: Json = {
        "tags": ["app:latest"], "dockerfile": "Dockerfile", "nocache": False, "quiet": False,
        "buildargs": {}, "labels": {}, "pull": False,
    }  # fmt: skip
    settings.update(options)
    return list(engine.build(context(files), **settings))


def streams(messages: list[Json]) -> list[str]:
    return [m["stream"] for m in messages if "stream" in m]


def normalised(messages: list[Json]) -> list[str]:
    text = [m.get("stream") or m.get("error") or f"aux {m['aux']['ID'][:7]}" for m in messages]
    return [re.sub(r"[0-9a-f]{12}", "<id>", t) for t in text]


def history(engine: SimEngine, name: str = "app") -> list[Json]:
    return engine.image_store.resolve(name).config["history"]


HELLO = {
    "Dockerfile": b"FROM busybox\nCOPY hello.txt /app/\nWORKDIR /app\n"
    b'RUN echo hi && cat hello.txt\nENV A=b\nCMD ["cat", "hello.txt"]\n',
    "hello.txt": b"hello\n",
}


def test_stream_is_the_daemons_message_for_message(engine: SimEngine) -> None:
    messages = build(engine, HELLO)
    assert normalised(messages) == [
        "Step 1/6 : FROM busybox", "\n", " ---> <id>\n",
        "Step 2/6 : COPY hello.txt /app/", "\n", " ---> <id>\n",
        "Step 3/6 : WORKDIR /app", "\n", " ---> Running in <id>\n",
        "Removing intermediate container <id>\n", " ---> <id>\n",
        "Step 4/6 : RUN echo hi && cat hello.txt", "\n", " ---> Running in <id>\n", "hi\n",
        "hello\n", "Removing intermediate container <id>\n", " ---> <id>\n",
        "Step 5/6 : ENV A=b", "\n", " ---> Running in <id>\n",
        "Removing intermediate container <id>\n", " ---> <id>\n",
        'Step 6/6 : CMD ["cat", "hello.txt"]', "\n", " ---> Running in <id>\n",
        "Removing intermediate container <id>\n", " ---> <id>\n",
        "aux sha256:", "Successfully built <id>\n", "Successfully tagged app:latest\n",
    ]  # fmt: skip
    final = engine.image_store.resolve("app:latest")
    assert messages[-3] == {"aux": {"ID": final.id}}
    assert messages[-4]["stream"] == f" ---> {final.id[7:19]}\n"


def test_a_build_tells_what_it_does_as_events(engine: SimEngine) -> None:
    """The events every builder's progress is made from: steps, cache, containers, output."""
    dockerfile = b"FROM busybox\nRUN echo out && echo err >&2\nENV A=b\n"
    files = {"Dockerfile": dockerfile}

    def events_of_a_build() -> list[events.Event]:
        seen: list[events.Event] = []
        ctx = BuildContext.from_tar(context(files))
        session = Build(engine, ctx, "\\", False, {}, False, seen.append)
        with engine.store.transaction():
            assert run_build(session, parse_dockerfile(dockerfile.decode()), {}) is not None
        return seen

    first = events_of_a_build()
    kinds = [type(event).__name__ for event in first]
    assert kinds == [
        "StepStarted", "StepDone",
        "StepStarted", "ContainerStarted", "Output", "Output", "ContainerRemoved", "StepDone",
        "StepStarted", "ContainerStarted", "ContainerRemoved", "StepDone", "StageDone",
    ]  # fmt: skip
    assert first[0] == events.StepStarted(1, 3, "FROM busybox")
    assert [e for e in first if isinstance(e, events.Output)] == [
        events.Output(1, "out\n"), events.Output(2, "err\n")
    ]  # fmt: skip
    again = [type(event).__name__ for event in events_of_a_build()]
    assert again == [
        "StepStarted", "StepDone", "StepStarted", "CacheUsed", "StepDone",
        "StepStarted", "CacheUsed", "StepDone", "StageDone",
    ]  # fmt: skip


def test_history_config_and_layers_match_the_daemon(engine: SimEngine) -> None:
    build(engine, HELLO)
    base = engine.image_store.resolve("busybox")
    image = engine.image_store.resolve("app")
    rows = history(engine)[len(base.config["history"]) :]
    # The COPY sum is the one the daemon computed for this file.
    assert [(r["created_by"], r.get("empty_layer", False)) for r in rows] == [
        ("/bin/sh -c #(nop) COPY file:"
         "c50ecf0f8081044924e199cfe6cfd18d0c9dd4d16be07790bb24f7088112b98e in /app/ ", False),
        ("/bin/sh -c #(nop) WORKDIR /app", True),  # /app exists already: no layer
        ("/bin/sh -c echo hi && cat hello.txt", True),  # changed nothing: no layer
        ("/bin/sh -c #(nop)  ENV A=b", True),
        ('/bin/sh -c #(nop)  CMD ["cat" "hello.txt"]', True),
    ]  # fmt: skip
    assert len(image.diff_ids) == len(base.diff_ids) + 1
    config = image.config
    assert config["config"]["Env"][-1] == "A=b" and config["config"]["WorkingDir"] == "/app"
    assert config["config"]["Cmd"] == ["cat", "hello.txt"]
    assert config["container_config"]["Cmd"] == [
        "/bin/sh",
        "-c",
        "#(nop) ",
        'CMD ["cat" "hello.txt"]',
    ]
    assert config["container_config"]["Hostname"] == config["container"][:12]
    assert config["container_config"]["Labels"] == {}
    # Every step is an image whose parent is the previous step's image.
    chain = []
    current = image
    while current.parent:
        chain.append(current)
        current = engine.image_store.require(current.parent)
    assert len(chain) == 5 and current.id == base.id
    assert chain[-1].config["config"]["Image"] == base.id
    rows = engine.history("app")
    assert rows[4]["Size"] == 6 and rows[0]["Tags"] == ["app:latest"]


def test_rebuild_hits_the_cache_even_from_another_process(engine: SimEngine) -> None:
    first = build(engine, HELLO)
    engine.close()
    again = _open_engine(engine.home)
    second = build(again, HELLO)
    assert streams(second).count(" ---> Using cache\n") == 5
    assert "Running in" not in "".join(streams(second))
    assert first[-3] == second[-3]
    again.close()


def test_changed_file_misses_from_that_step_on(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b"FROM busybox\nRUN echo prepare > /p\nCOPY hello.txt /\n"
        b"RUN cat /hello.txt\n",
        "hello.txt": b"one\n",
    }
    build(engine, files)
    changed = build(engine, {**files, "hello.txt": b"two\n"})
    text = streams(changed)
    assert text.count(" ---> Using cache\n") == 1  # only RUN echo prepare
    assert "two\n" in text  # the last RUN ran again
    # The mtime is no part of the sum: the same content hits again.
    third = build(engine, {**files, "hello.txt": b"two\n"})
    assert streams(third).count(" ---> Using cache\n") == 3


def test_no_cache_rebuilds_every_step(engine: SimEngine) -> None:
    first = build(engine, HELLO)
    second = build(engine, HELLO, nocache=True)
    assert " ---> Using cache\n" not in streams(second)
    assert first[-3]["aux"]["ID"] != second[-3]["aux"]["ID"]


def test_dependencies_first_keeps_the_install_step_cached(engine: SimEngine) -> None:
    install = b"mkdir -p deps && cp package.json deps/ && echo installed"
    files = {
        "Dockerfile": b"FROM busybox\nWORKDIR /app\nCOPY package.json .\nRUN " + install + b"\n"
        b'COPY . .\nCMD ["cat", "server.txt"]\n',
        "package.json": b'{"name": "app", "dependencies": {"express": "^4.18.2"}}',
        "server.txt": b"v1\n",
    }
    first = streams(build(engine, files))
    assert "installed\n" in first
    second = streams(build(engine, {**files, "server.txt": b"v2\n"}))
    assert second.count(" ---> Using cache\n") == 3  # WORKDIR, COPY package.json, the install
    assert "installed\n" not in second
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/app/server.txt"].data == b"v2\n"
    assert "/app/deps/package.json" in tree


def test_copy_from_a_stage_keeps_hard_links(engine: SimEngine) -> None:
    """Files that are one under several names stay one when copied, as the tar Docker copies
    through keeps them (busybox's applets, one file under 269 names, made a 500 MB layer and
    took 1.5 GB of memory when each name got a copy; the real engine's layer is 2 MB)."""
    files = {
        "Dockerfile": b"FROM busybox AS base\n"
        b"RUN mkdir /h && head -c 100000 /dev/zero > /h/a && ln /h/a /h/b && ln /h/a /h/c\n"
        b"FROM busybox\nCOPY --from=base /h /b\n",
    }
    build(engine, files)
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/b/a"] is tree["/b/b"] is tree["/b/c"]
    assert history(engine)[-1]["created_by"].startswith("/bin/sh -c #(nop) COPY dir:")
    layer = engine.inspect_image("app")["Size"] - engine.inspect_image("busybox")["Size"]
    assert 100_000 <= layer < 200_000  # one file's data, not three


def test_build_args_defaults_scope_and_unused_warning(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b'ARG BASE=busybox\nARG X=1\nFROM $BASE\nRUN echo "x=$X"\nARG X\n'
        b'ARG V=dflt\nRUN echo "x=$X v=$V" > /out\n',
    }
    text = streams(build(engine, files, buildargs={"V": "given", "EXTRA": "e", "HTTP_PROXY": "p"}))
    assert "Step 3/7 : FROM $BASE" in text
    assert "x=\n" in text  # an ARG before FROM is not visible in the stage until redeclared
    assert "[Warning] One or more build-args [EXTRA] were not consumed\n" in text
    rows = history(engine)
    assert rows[-1]["created_by"] == '|2 V=given X=1 /bin/sh -c echo "x=$X v=$V" > /out'
    assert rows[-2]["created_by"] == "/bin/sh -c #(nop)  ARG V=dflt"
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/out"].data == b"x=1 v=given\n"
    assert "V=given" not in engine.image_store.resolve("app").config["config"]["Env"]


def test_multi_stage_copy_from_and_aux_per_stage(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b"FROM busybox AS build\nRUN mkdir /out && echo built > /out/a.txt\n"
        b"FROM busybox\nCOPY --from=build /out/a.txt /final.txt\nCOPY --from=0 /out /outdir\n",
    }
    messages = build(engine, files)
    auxes = [i for i, m in enumerate(messages) if "aux" in m]
    assert len(auxes) == 2
    assert messages[auxes[0] + 1] == {"stream": "Step 3/5 : FROM busybox"}
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/final.txt"].data == b"built\n" and tree["/outdir/a.txt"].data == b"built\n"
    assert history(engine)[-2]["created_by"].startswith("/bin/sh -c #(nop) COPY file:")
    assert history(engine)[-1]["created_by"].startswith("/bin/sh -c #(nop) COPY dir:")
    base = engine.image_store.resolve("busybox")
    assert len(engine.image_store.resolve("app").diff_ids) == len(base.diff_ids) + 2


def test_copy_sums_are_the_daemons(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b"FROM busybox\nCOPY a.txt b.txt ./\nCOPY d /dd\nCOPY *.txt /g/\n"
        b"COPY --chown=nobody:nogroup a.txt /own.txt\n",
        "a.txt": b"A\n", "b.txt": b"B\n", "d": None, "d/c.txt": b"C\n", "d/e": None,
        "d/e/e.txt": b"E\n",
    }  # fmt: skip
    build(engine, files)
    rows = [r["created_by"] for r in history(engine)[-4:]]
    # Sums recorded from Docker 20.10 for a context tar with these headers.
    multi = "multi:45610053e726cbbc8db4345937274b723fcc966bdcd698d5d6e7cca3dc12d0e4"
    assert rows == [
        f"/bin/sh -c #(nop) COPY {multi} in ./ ",
        "/bin/sh -c #(nop) COPY dir:"
        "97df2e43739b9fed8e1beb1b54e7d2e5a4629896cb9ea39af23f468a5a72591a in /dd ",
        f"/bin/sh -c #(nop) COPY {multi} in /g/ ",
        "/bin/sh -c #(nop) COPY --chown=nobody:nogroupfile:"
        "aec08426edefc75f205424b22fe8c93576ea0fd9822f7721f72d73f3aae898ea in /own.txt ",
    ]
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/a.txt"].data == b"A\n" and tree["/dd/e/e.txt"].data == b"E\n"
    assert "/dd/c.txt" in tree and "/g/b.txt" in tree and "/g/d" not in tree
    own = tree["/own.txt"]
    assert (own.uid, own.gid) == (65534, 65534)


def test_add_extracts_local_archives_and_refuses_urls(engine: SimEngine) -> None:
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w") as tar:
        info = tarfile.TarInfo("t.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"T\n"))
    files = {
        "Dockerfile": b"FROM busybox\nADD arch.tar.gz /x/\nADD plain.txt /p.txt\n",
        "arch.tar.gz": gzip.compress(inner.getvalue()),
        "plain.txt": b"P\n",
    }
    build(engine, files)
    tree = engine.image_store.tree(engine.image_store.resolve("app"))
    assert tree["/x/t.txt"].data == b"T\n" and tree["/p.txt"].data == b"P\n"
    failed = build(engine, {"Dockerfile": b"FROM busybox\nADD http://example.com/x /x\n"})
    assert failed[-1]["error"].startswith('ADD failed: Get "http://example.com/x"')
    assert "no network" in failed[-1]["error"]
    copy_url = build(engine, {"Dockerfile": b"FROM busybox\nCOPY http://example.com/x /x\n"})
    assert copy_url[-1]["error"] == "COPY failed: source can't be a URL for COPY"


def test_failing_run_reports_the_code_and_leaves_its_traces(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b"FROM busybox\nRUN echo one > /one\nRUN echo out; echo err >&2; exit 3\n"
    }
    messages = build(engine, files)
    message = "The command '/bin/sh -c echo out; echo err >&2; exit 3' returned a non-zero code: 3"
    assert messages[-1] == {"errorDetail": {"code": 3, "message": message}, "error": message}
    assert {"stream": "out\n"} in messages
    assert {"stream": "\x1b[91merr\n\x1b[0m"} in messages
    assert "Successfully built" not in "".join(streams(messages))
    assert engine.image_store.find("app") is None
    kept = [i for i in engine.image_store.all() if not i.config["history"][-1].get("empty_layer")]
    assert kept[-1].config["history"][-1]["created_by"] == "/bin/sh -c echo one > /one"
    failed = engine.containers(all=True)
    assert len(failed) == 1 and failed[0]["State"] == "exited"
    assert failed[0]["Status"].startswith("Exited (3)")
    assert engine.logs(failed[0]["Id"]) == b"out\nerr\n"
    # The next build reuses the step that worked.
    again = streams(build(engine, files))
    assert again.count(" ---> Using cache\n") == 1


def test_quiet_prints_only_the_id_unless_it_fails(engine: SimEngine) -> None:
    ok = build(engine, HELLO, quiet=True)
    assert ok == [{"stream": engine.image_store.resolve("app").id + "\n"}]
    bad = build(engine, {"Dockerfile": b"FROM busybox\nRUN exit 4\n"}, quiet=True)
    assert bad[0] == {"stream": "Step 1/2 : FROM busybox"}
    assert bad[-1]["errorDetail"]["code"] == 4


def test_errors_before_any_output_are_raised(engine: SimEngine) -> None:
    with pytest.raises(EngineError, match=r"^Cannot locate specified Dockerfile: Nope$"):
        build(engine, HELLO, dockerfile="Nope")
    with pytest.raises(DockerfileError, match="dockerfile parse error line 2: unknown instruction"):
        build(engine, {"Dockerfile": b"FROM busybox\nRUNN x\n"})
    missing = build(engine, {"Dockerfile": b"FROM busybox\nCOPY nosuch.txt /\n"})
    assert missing[-1]["error"] == (
        "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat nosuch.txt: file does not exist"
    )
    several = build(engine, {"Dockerfile": b"FROM busybox\nCOPY a b /x\n", "a": b"", "b": b""})
    assert several[-1]["error"].startswith("When using COPY with more than one source file")


def test_workdir_that_creates_a_directory_makes_a_layer(engine: SimEngine) -> None:
    build(engine, {"Dockerfile": b"FROM busybox\nWORKDIR /w\nWORKDIR sub\nWORKDIR /tmp\n"})
    rows = history(engine)[-3:]
    assert [r["created_by"] for r in rows] == [
        "/bin/sh -c #(nop) WORKDIR /w", "/bin/sh -c #(nop) WORKDIR /w/sub",
        "/bin/sh -c #(nop) WORKDIR /tmp",
    ]  # fmt: skip
    assert [r.get("empty_layer", False) for r in rows] == [False, False, True]


def test_metadata_instructions_and_labels_option(engine: SimEngine) -> None:
    files = {
        "Dockerfile": b'FROM busybox\nLABEL a=b "c d"=e\nEXPOSE 80 443/udp\nUSER nobody\n'
        b"VOLUME /data\nSTOPSIGNAL SIGINT\nMAINTAINER me@x\nHEALTHCHECK --interval=5s CMD true\n"
        b'ONBUILD RUN echo hi\nSHELL ["/bin/sh", "-xc"]\nENTRYPOINT ["cat"]\nCMD /f\n',
    }
    messages = build(engine, files, labels={"zz": "1", "aa": "two"}, tags=["app", "app:v2"])
    text = streams(messages)
    assert "Step 13/14 : LABEL aa=two" in text and "Step 14/14 : LABEL zz=1" in text
    assert text[-2:] == ["Successfully tagged app:latest\n", "Successfully tagged app:v2\n"]
    image = engine.image_store.resolve("app:v2")
    config = image.config["config"]
    assert config["Labels"] == {"a": "b", "c d": "e", "aa": "two", "zz": "1"}
    assert config["ExposedPorts"] == {"443/udp": {}, "80/tcp": {}}
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}
    assert config["OnBuild"] == ["RUN echo hi"] and config["Shell"] == ["/bin/sh", "-xc"]
    assert config["Entrypoint"] == ["cat"] and config["Cmd"] == ["/bin/sh", "-xc", "/f"]
    assert image.config["author"] == "me@x"
    by = [r["created_by"] for r in image.config["history"][-13:]]
    assert by[:4] == [
        "/bin/sh -c #(nop)  LABEL a=b c d=e", "/bin/sh -c #(nop)  EXPOSE 443/udp 80",
        "/bin/sh -c #(nop)  USER nobody", "/bin/sh -c #(nop)  VOLUME [/data]",
    ]  # fmt: skip
    assert by[6] == (
        '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" \'\\x00\'}'
    )
    assert by[8] == "/bin/sh -xc #(nop)  SHELL [/bin/sh -xc]"
    assert by[10] == '/bin/sh -xc #(nop)  CMD ["/bin/sh" "-xc" "/f"]'


def test_onbuild_triggers_run_in_the_child_build(engine: SimEngine) -> None:
    build(engine, {"Dockerfile": b"FROM busybox\nONBUILD RUN echo triggered\n"}, tags=["parent"])
    text = streams(build(engine, {"Dockerfile": b"FROM parent\nRUN echo after\n"}))
    start = text.index("# Executing 1 build trigger")
    assert text[start + 1] == "\n" and "triggered\n" in text
    assert engine.image_store.resolve("app").config["config"]["OnBuild"] is None


def test_scratch_and_a_server_in_run(engine: SimEngine) -> None:
    messages = build(engine, {"Dockerfile": b"FROM scratch\nCOPY a /\n", "a": b"x"})
    assert messages[2] == {"stream": " ---> \n"}
    assert engine.image_store.resolve("app").config["config"]["Env"] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ]
    forever = build(engine, {"Dockerfile": b"FROM busybox\nRUN sleep infinity\n"})
    assert "never finished" in forever[-1]["error"]
