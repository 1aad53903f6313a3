"""Time each course notebook, run top to bottom in a fresh kernel on the simulator.

    .venv/bin/python benchmarks/notebooks.py [--limit SECONDS]

Prints one line per notebook and exits 1 if any took longer than the limit (default 15 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def time_notebook(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=float, default=15.0, help="seconds allowed per notebook")
    args = parser.parse_args()
    os.environ["LAYERLAB_ENGINE"] = "sim"
    os.environ["LAYERLAB_HOME"] = tempfile.mkdtemp(prefix="layerlab-bench-")
    slow = []
    for path in sorted([*NOTEBOOKS.glob("ko/*.ipynb"), *NOTEBOOKS.glob("en/*.ipynb")]):
        seconds = time_notebook(path)
        name = f"{path.parent.name}/{path.name}"
        print(f"{name:40} {seconds:6.2f} s")
        if seconds > args.limit:
            slow.append(name)
    if slow:
        print(f"over {args.limit:g} s: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
