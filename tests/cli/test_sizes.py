"""`docker ps -s` and `docker system df -v` on the simulator, compared byte for byte with what
docker CLI 28.2.2 printed against Engine 20.10 for the same commands (sizes of 1 kB and more,
IDs and ages normalised)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from layerlab.cli.main import run_cli
from layerlab.engine.sim.engine import SimEngine

# Real output after: run --name c1 busybox sh -c 'echo hello > /f'; run -d --name c2 busybox
# sleep 3600; build -t mine:1 (RUN echo hi > /x; RUN head -c 4000 /dev/zero > /y);
# build -t mine:2 (FROM mine:1, RUN echo more > /z); run --name c3 mine:2 true.
# (The daemon orders images created in the same second arbitrarily: mine:1 came first there.)
REAL_DF_V = (
    "Images space usage:\n\n"
    "REPOSITORY   TAG       IMAGE ID       CREATED          SIZE      SHARED SIZE   UNIQUE SIZE"
    "   CONTAINERS\n"
    "mine         1         801792bfb242   1 second ago     1.99MB    1.987MB       0B"
    "            0\n"
    "mine         2         2e6f8f1aa4b3   1 second ago     1.99MB    1.987MB       5B"
    "            1\n"
    "busybox      latest    e4e5427cac4d   32 seconds ago   1.98MB    1.983MB       0B"
    "            2\n"
    "\nContainers space usage:\n\n"
    "CONTAINER ID   IMAGE     COMMAND                  LOCAL VOLUMES   SIZE      CREATED"
    "         STATUS                              NAMES\n"
    'ade39da04a5f   mine:2    "true"                   0               0B        1 second ago'
    "    Exited (0) Less than a second ago   c3\n"
    'a39f6da15fae   busybox   "sleep 3600"             0               0B        1 second ago'
    "    Up Less than a second               c2\n"
    'c987ebf0e041   busybox   "sh -c \'echo hello >…"   0               6B        2 seconds ago'
    "   Exited (0) 1 second ago             c1\n"
    "\nLocal Volumes space usage:\n\n"
    "VOLUME NAME   LINKS     SIZE\n"
    "\nBuild cache usage: 0B\n\n"
    "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n"
)
REAL_DF = """TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          3         2         1.987MB   1.987MB (99%)
Containers      3         1         6B        6B (100%)
Local Volumes   0         0         0B        0B
Build Cache     0         0         0B        0B
"""
REAL_PS_S = (
    "CONTAINER ID   IMAGE     COMMAND        CREATED        STATUS                  PORTS     NAMES"
    "       SIZE\n"
    '7dec86add5df   busybox   "sleep 3600"   1 second ago   Up Less than a second             '
    "llfid5-s1   0B (virtual 1.98MB)\n"
).replace("llfid5-s1", "c2")


def normalise(text: str) -> str:
    """IDs, ages, statuses and sizes of 1 kB or more become placeholders; columns re-aligned."""
    text = re.sub(r"\b[0-9a-f]{12}\b", "<id>", text)
    text = re.sub(r"(Less than a second|\d+ \w+) ago", "<age>", text)
    text = re.sub(r"Exited \(0\) <age>|Up (Less than a second|\d+ \w+)", "<status>", text)
    text = re.sub(r"\d+(\.\d+)?[kMG]B", "<kB>", text)
    lines = [re.sub(r" {2,}", "  ", line) for line in text.split("\n")]
    mine = [i for i, line in enumerate(lines) if line.startswith("mine  ")]
    for index, line in zip(mine, sorted(lines[i] for i in mine), strict=True):
        lines[index] = line  # equal creation times: any order
    return "\n".join(lines)


def docker(engine: SimEngine, line: str, cwd: Path) -> str:
    import shlex

    out, err = io.StringIO(), io.StringIO()
    code = run_cli(shlex.split(line), engine, out, err, cwd=cwd)
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimEngine, Path]:
    home = tmp_path_factory.mktemp("sizes")
    engine = SimEngine(home / "state")
    (home / "one").mkdir()
    (home / "one" / "Dockerfile").write_text(
        "FROM busybox\nRUN echo hi > /x\nRUN head -c 4000 /dev/zero > /y\n"
    )
    (home / "two").mkdir()
    (home / "two" / "Dockerfile").write_text("FROM mine:1\nRUN echo more > /z\n")
    for line in [
        "run --name c1 busybox sh -c 'echo hello > /f'",
        "run -d --name c2 busybox sleep 3600",
        "build -q -t mine:1 one",
        "build -q -t mine:2 two",
        "run --name c3 mine:2 true",
    ]:
        docker(engine, line, home)
    return engine, home


def test_system_df_verbose_matches_the_real_cli(engine: tuple[SimEngine, Path]) -> None:
    sim, home = engine
    assert normalise(docker(sim, "system df -v", home)) == normalise(REAL_DF_V)
    assert normalise(docker(sim, "system df", home)) == normalise(REAL_DF)


def test_ps_size_column_matches_the_real_cli(engine: tuple[SimEngine, Path]) -> None:
    sim, home = engine
    assert normalise(docker(sim, "ps -s", home)) == normalise(REAL_PS_S)
    # Measured: `--format '{{.Size}}'` turns sizes on; `--size=false` and `json` do not.
    assert docker(sim, "ps -a --format '{{.Names}} {{.Size}}'", home) == (
        "c3 0B (virtual 1.99MB)\nc2 0B (virtual 1.98MB)\nc1 6B (virtual 1.98MB)\n"
    )
    assert docker(sim, "ps -a --size=false --format '{{.Names}} [{{.Size}}]'", home) == (
        "c3 [0B]\nc2 [0B]\nc1 [0B]\n"
    )
    assert '"Size":"0B"' in docker(sim, "ps -a --format json", home)
    assert '"Size":"6B (virtual 1.98MB)"' in docker(sim, "ps -a --format '{{json .}}'", home)


def test_engine_sizes_follow_the_daemon_shapes(engine: tuple[SimEngine, Path]) -> None:
    sim, _home = engine
    by_name = {c["Names"][0]: c for c in sim.containers(all=True, size=True)}
    assert "SizeRw" not in by_name["/c2"]  # omitted when 0, as the daemon does
    busybox_size = by_name["/c2"]["SizeRootFs"]
    assert (by_name["/c1"]["SizeRw"], by_name["/c1"]["SizeRootFs"]) == (6, busybox_size + 6)
    assert "SizeRootFs" not in sim.containers(all=True)[0]
    df = sim.df()
    assert df["BuildCache"] is None and df["Volumes"] == [] and df["BuilderSize"] == 0
    shared = {
        tuple(i["RepoTags"]): (i["Size"] - i["SharedSize"], i["Containers"]) for i in df["Images"]
    }
    assert shared == {("mine:2",): (5, 1), ("mine:1",): (0, 0), ("busybox:latest",): (0, 2)}


def test_ps_validates_the_format_like_the_cli(engine: tuple[SimEngine, Path]) -> None:
    sim, home = engine
    out, err = io.StringIO(), io.StringIO()
    # The CLI runs the format once on an empty container first: slicing its empty ID fails.
    assert run_cli(["ps", "-a", "--format", "{{slice .ID 0 5}}"], sim, out, err) == 1
    assert err.getvalue() == (
        'failed to execute template: template: :1:2: executing "" at <slice .ID 0 5>: '
        "error calling slice: index out of range: 5\n"
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["ps", "--format", "{{.Foo}}"], sim, out, err) == 1
    assert err.getvalue() == (
        'failed to execute template: template: :1:2: executing "" at <.Foo>: '
        "can't evaluate field Foo in type *formatter.ContainerContext\n"
    )
    assert docker(sim, "images --format '{{slice .ID 0 5}}' busybox", home) == (
        docker(sim, "images -q busybox", home)[:5] + "\n"
    )
