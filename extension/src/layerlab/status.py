"""A short description of the current engine and what it holds, for ``%docker_status``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .engine.errors import EngineError

if TYPE_CHECKING:
    from .session import Session


def describe(session: Session) -> str:
    try:
        engine = session.engine()
        info = engine.info()
    except EngineError as err:
        return f"engine: {session.engine_name} (not reachable)\n{err}"
    lines = [f"engine: {session.engine_name}"]
    store = getattr(engine, "store", None)
    if store is not None:
        deterministic = getattr(getattr(engine, "clock", None), "deterministic", False)
        lines.append(
            f"state: {session.state} ({store.path})" + (", deterministic" if deterministic else "")
        )
    lines.append(f"server: {info.get('OperatingSystem', '')} {info.get('ServerVersion', '')}")
    lines.append(
        f"images: {info.get('Images', 0)}, containers: {info.get('Containers', 0)} "
        f"({info.get('ContainersRunning', 0)} running)"
    )
    return "\n".join(lines)
