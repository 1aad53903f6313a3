"""Runs one submission notebook in a fresh kernel: ``python -m layerlab.grading.runner``.

The grader starts this in a process of its own, so nothing the learner's code does to its
parents (signals, exits) reaches the grader. It executes every cell (errors do not stop the
run: later tasks still count), stops at the deadline, and writes a small status file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from layerlab.grading._imports import skip_slow_optional_imports

skip_slow_optional_imports()

import nbformat  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: E402


def _cell_errors(nb: Any) -> list[str]:
    """One line per code cell that raised: its number and the exception's last line."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index + 1} raised {output['ename']}: {output['evalue']}"[:240])
    return found


def run(source: Path, target: Path, cwd: Path, timeout: float, pid_file: Path) -> dict[str, Any]:
    nb = nbformat.read(source, as_version=4)
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {"cell": 0}
    # IPC sockets in the submission's own runtime folder: no TCP ports to race for when
    # several submissions are graded at once.
    km = AsyncKernelManager(
        kernel_name="python3", transport="ipc", ip=str(cwd.parent / "runtime" / "kernel")
    )

    def remaining(cell: Any) -> int:
        return max(1, int(deadline - time.monotonic() + 0.999))

    def started(**_: Any) -> None:
        provisioner: Any = km.provisioner
        pid = getattr(getattr(provisioner, "process", None), "pid", None)
        if pid:
            pid_file.write_text(str(pid), encoding="utf-8")

    def cell_started(cell: Any, cell_index: int, **_: Any) -> None:
        state["cell"] = cell_index + 1

    client = NotebookClient(
        nb,
        km=km,
        timeout_func=remaining,
        allow_errors=True,
        interrupt_on_timeout=False,
        record_timing=False,
        shutdown_kernel="immediate",  # the grader reads the engine state, not the kernel
        resources={"metadata": {"path": str(cwd)}},
        on_notebook_start=started,
        on_cell_start=cell_started,
    )
    status: dict[str, Any] = {"status": "completed", "notes": []}
    try:
        client.execute(cwd=str(cwd))
    except CellTimeoutError:
        status = {
            "status": "timeout",
            "notes": [f"time limit of {timeout:g} s reached in cell {state['cell']}"],
        }
    except DeadKernelError as exc:
        status = {"status": "dead", "notes": [f"the kernel died in cell {state['cell']}: {exc}"]}
    except Exception as exc:  # a notebook nbclient cannot run: report, never crash the grader
        status = {"status": "error", "notes": [f"could not run the notebook: {exc}"[:300]]}
    status["notes"] = _cell_errors(nb) + status["notes"]
    nbformat.write(nb, target)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layerlab.grading.runner")
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--cwd", type=Path, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--status", type=Path, required=True)
    parser.add_argument("--pid-file", type=Path, required=True)
    args = parser.parse_args(argv)
    status = run(args.source, args.target, args.cwd, args.timeout, args.pid_file)
    args.status.write_text(json.dumps(status), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
