"""LayerLab's speed goals, measured: ``python benchmarks/run.py [--write BENCHMARKS.md]``.

In-process numbers go through the ``%%docker`` magic of a real IPython shell on the simulated
engine, each the median of several runs after a warm-up; the fresh-process number starts a new
``layerlab docker images`` each time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import median_seconds


def median_ms(action: Callable[[], None], runs: int, warmup: int = 2) -> float:
    return median_seconds(action, runs, warmup) * 1000


class Magic:
    """A real IPython shell with the extension loaded; output is swallowed."""

    def __init__(self) -> None:
        from IPython.testing.globalipapp import start_ipython

        self.shell = start_ipython()
        self.shell.run_line_magic("load_ext", "layerlab")

    def __call__(self, cell: str) -> None:
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            self.shell.run_cell_magic("docker", "", cell)
        if "Error" in sink.getvalue() or "error" in sink.getvalue():
            raise RuntimeError(sink.getvalue())


def write_context(root: Path, files: int, total_bytes: int) -> None:
    per_file = total_bytes // files
    for i in range(files):
        sub = root / "src" / f"d{i % 20:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:04d}.txt").write_bytes(bytes([65 + i % 26]) * per_file)
    (root / "Dockerfile").write_text("FROM busybox\nCOPY src /src\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", help="write the results table to this Markdown file")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="layerlab-bench-")
    os.environ["LAYERLAB_HOME"] = home
    os.environ["LAYERLAB_ENGINE"] = "sim"
    magic = Magic()
    rows: list[tuple[str, float, float]] = []

    rows.append(
        (
            "`docker run --rm busybox echo hi`",
            median_ms(lambda: magic("run --rm busybox echo hi"), args.runs),
            5,
        )
    )

    # 100 distinct images (each its own config, sharing busybox's layer), as a class would make.
    many = Path(tempfile.mkdtemp(prefix="layerlab-many-"))
    for i in range(99):
        (many / "Dockerfile").write_text(f"FROM busybox\nLABEL n={i}\n")
        magic(f"build -q -t bench/img{i}:v1 {many}")
    rows.append(
        ("`docker images` with 100 images", median_ms(lambda: magic("images"), args.runs), 5)
    )
    magic("rmi " + " ".join(f"bench/img{i}:v1" for i in range(99)))

    work = Path(tempfile.mkdtemp(prefix="layerlab-build-"))
    (work / "Dockerfile").write_text(
        "FROM busybox\nENV APP=demo\nWORKDIR /app\nRUN echo built > /app/built.txt\n"
        'CMD ["cat", "/app/built.txt"]\n'
    )
    counter = iter(range(10**6))

    def uncached_build() -> None:
        (work / "Dockerfile").write_text(
            f"FROM busybox\nENV APP=demo{next(counter)}\nWORKDIR /app\n"
            'RUN echo built > /app/built.txt\nCMD ["cat", "/app/built.txt"]\n'
        )
        magic(f"build -q {work}")

    rows.append(("5-step build, uncached", median_ms(uncached_build, args.runs), 30))
    rows.append(
        ("5-step build, cached", median_ms(lambda: magic(f"build -q {work}"), args.runs), 10)
    )

    big = Path(tempfile.mkdtemp(prefix="layerlab-context-"))
    write_context(big, 1000, 10_000_000)
    marker = big / "src" / "d00" / "f0000.txt"

    def big_uncached() -> None:
        marker.write_bytes(os.urandom(8) + b"x" * 9992)
        magic(f"build -q {big}")

    rows.append(("1,000-file 10 MB context build, uncached", median_ms(big_uncached, 7, 1), 300))
    rows.append(
        (
            "1,000-file 10 MB context build, cached",
            median_ms(lambda: magic(f"build -q {big}"), 7, 1),
            150,
        )
    )

    # A process of its own, without the fork server (benchmarks/terminal.py measures that).
    env = {**os.environ, "LAYERLAB_HOME": home, "LAYERLAB_FORKSERVER": "0"}
    # As on a learner's machine: modules load from bytecode (written by the warm-up run).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    fresh = median_ms(
        lambda: subprocess.run(
            [sys.executable, "-m", "layerlab", "docker", "images"],
            env=env,
            check=True,
            capture_output=True,
        ),
        10,
        1,
    )
    rows.append(("`layerlab docker images`, fresh process", fresh, 150))

    table = ["| what | median (ms) | goal (ms) | met |", "| --- | ---: | ---: | --- |"]
    for name, value, goal in rows:
        table.append(f"| {name} | {value:.1f} | {goal} | {'yes' if value <= goal else 'no'} |")
    text = "\n".join(table)
    print(text)
    if args.write:
        Path(args.write).write_text(
            "# Benchmarks\n\nMeasured by `benchmarks/run.py` on the simulated engine "
            f"(Python {sys.version.split()[0]}, {os.cpu_count()} cores).\n\n{text}\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
