"""A short description of the current engine and what it holds, for ``%docker_status``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.errors import EngineError
from layerlab.engine.real.labels import owner

if TYPE_CHECKING:
    from layerlab.session import Session


def safe_mode_line(session: Session) -> str:
    """Whether safe mode is on; it only ever acts on the real engine."""
    if not session.safe:
        return "safe mode: off (applies to the real engine only; %docker_safe on turns it on)"
    return (
        f"safe mode: on for {owner()} (applies to the real engine only: refuses host access, "
        "%docker_reset removes only what LayerLab created)"
    )


def describe(session: Session) -> str:
    try:
        engine = session.engine()
        info = engine.info()
    except EngineError as err:
        return f"engine: {session.engine_name} (not reachable)\n{safe_mode_line(session)}\n{err}"
    lines = [f"engine: {session.engine_name}", safe_mode_line(session)]
    store = getattr(engine, "store", None)
    if store is not None:
        deterministic = getattr(getattr(engine, "clock", None), "deterministic", False)
        lines.append(
            f"state: {session.state} ({store.path})" + (", deterministic" if deterministic else "")
        )
    lines.append(f"server: {info.get('OperatingSystem', '')} {info.get('ServerVersion', '')}")
    if "ProgramConfinement" in info:
        lines.append(f"programs confined by: {info['ProgramConfinement']}")
    lines.append(
        f"images: {info.get('Images', 0)}, containers: {info.get('Containers', 0)} "
        f"({info.get('ContainersRunning', 0)} running)"
    )
    return "\n".join(lines)
