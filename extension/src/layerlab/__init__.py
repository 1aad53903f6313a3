"""LayerLab: learn Docker images, layers and containers, on a simulated or a real engine.

In IPython: ``%load_ext layerlab``, then ``%%docker`` cells.
In Python: ``layerlab.docker("images")``.
"""

from __future__ import annotations

from layerlab.version import __version__

# Not ``typing.TYPE_CHECKING``: importing typing costs a terminal command about 10 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from layerlab.result import DockerResult

__all__ = ["__version__", "docker", "load_ipython_extension", "unload_ipython_extension"]


def docker(
    command: str | list[str], cwd: str | None = None, input: str | bytes | None = None
) -> DockerResult:
    """Run one docker command line against the current engine and return its result.
    ``input`` is what a terminal would pipe to it (``run -i``, ``load``, ``build -``...)."""
    from layerlab.session import current_session

    return current_session().run(command, cwd=cwd, input=input)


def load_ipython_extension(ipython: Any) -> None:
    from layerlab.grading.magic import GradingMagics
    from layerlab.magic import DockerMagics
    from layerlab.viz.magics import VizMagics

    ipython.register_magics(DockerMagics(ipython))
    ipython.register_magics(VizMagics(ipython))
    ipython.register_magics(GradingMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Magics stay registered until the kernel restarts; nothing else to undo."""
