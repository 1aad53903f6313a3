"""The terminal command against Docker's, side by side.

    python benchmarks/terminal.py --private-engine [--runs 21]

Times ``layerlab docker images`` and ``layerlab docker run --rm busybox echo hi`` as a learner
types them (the installed console script, modules loaded from bytecode, the fork server up)
against ``docker images`` and ``docker run --rm busybox echo hi`` on a real engine, alternating
the two so that the machine's drift touches both alike; and, for reference, LayerLab without
its fork server (``LAYERLAB_FORKSERVER=0``). Prints the medians and ratios as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (["images"], ["run", "--rm", "busybox", "echo", "hi"])


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--private-engine", action="store_true")
    args = parser.parse_args(argv)
    docker = shutil.which("docker")
    if not args.private_engine or not os.environ.get("DOCKER_HOST") or docker is None:
        parser.error("needs docker, DOCKER_HOST pointing at a private engine and --private-engine")
    layerlab = str(Path(sys.executable).parent / "layerlab")
    home = Path(tempfile.mkdtemp(prefix="ll-bench-")) / "home"
    env = {**os.environ, "LAYERLAB_HOME": str(home), "LAYERLAB_ENGINE": "sim"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from bytecode
    served = {**env, "LAYERLAB_FORKSERVER": "1"}
    alone = {**env, "LAYERLAB_FORKSERVER": "0"}
    try:
        subprocess.run([layerlab, "docker", "pull", "-q", "busybox"], env=served, check=True,
                       capture_output=True)  # fmt: skip  (starts the fork server)
        deadline = time.monotonic() + 60
        while not (home / "cli.sock").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        rows = []
        for command in COMMANDS:
            ours, theirs, without = [], [], []
            for _ in range(3):  # warm-up: bytecode, caches, the image on both engines
                timed([layerlab, "docker", *command], served)
                timed([docker, *command], dict(os.environ))
            for _ in range(args.runs):
                ours.append(timed([layerlab, "docker", *command], served))
                theirs.append(timed([docker, *command], dict(os.environ)))
                without.append(timed([layerlab, "docker", *command], alone))
            rows.append((command, *(statistics.median(t) * 1000 for t in (ours, theirs, without))))
    finally:
        shutil.rmtree(home.parent, ignore_errors=True)  # the fork server leaves with its home
    print("| command | layerlab (ms) | docker, real engine (ms) | layerlab / docker | "
          "layerlab without its fork server (ms) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: |")
    for command, ours_ms, theirs_ms, without_ms in rows:
        print(f"| `docker {' '.join(command)}` | {ours_ms:.1f} | {theirs_ms:.1f} | "
              f"{ours_ms / theirs_ms:.2f}x | {without_ms:.1f} |")  # fmt: skip
    print(f"\n{args.runs} runs of each, alternating, after 3 warm-up runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
