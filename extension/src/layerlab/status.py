"""A short description of the current engine and what it holds, for ``%docker_status``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.errors import EngineError
from layerlab.engine.profiles import PROFILES
from layerlab.engine.real.labels import owner
from layerlab.i18n import language, tr

if TYPE_CHECKING:
    from layerlab.session import Session


def safe_mode_line(session: Session) -> str:
    """Whether safe mode is on; it only ever acts on the real engine."""
    if not session.safe:
        return tr("safe mode: off (applies to the real engine only; %docker_safe on turns it on)")
    return tr(
        "safe mode: on for {owner} (applies to the real engine only: refuses host access, "
        "%docker_reset removes only what LayerLab created)",
        owner=owner(),
    )


def describe(session: Session) -> str:
    try:
        engine = session.engine()
        info = engine.info()
    except EngineError as err:
        unreachable = tr("engine: {name} (not reachable)", name=session.engine_name)
        return f"{unreachable}\n{safe_mode_line(session)}\n{err}"
    lines = [tr("engine: {name}", name=session.engine_name), safe_mode_line(session)]
    store = getattr(engine, "store", None)
    profile = getattr(engine, "profile", "")
    if store is not None and profile in PROFILES:  # a real engine is what it is
        lines.append(tr("profile: {name} ({what})", name=profile, what=tr(PROFILES[profile])))
    if store is not None:
        deterministic = getattr(getattr(engine, "clock", None), "deterministic", False)
        state = tr("state: {name} ({path})", name=session.state, path=store.path)
        lines.append(state + (tr(", deterministic") if deterministic else ""))
    server = f"{info.get('OperatingSystem', '')} {info.get('ServerVersion', '')}"
    lines.append(tr("server: {server}", server=server))
    if "ProgramConfinement" in info:
        lines.append(tr("programs confined by: {how}", how=info["ProgramConfinement"]))
    lines.append(
        tr(
            "images: {images}, containers: {containers} ({running} running)",
            images=info.get("Images", 0),
            containers=info.get("Containers", 0),
            running=info.get("ContainersRunning", 0),
        )
    )
    lines.append(tr("language: {name}", name=language()))
    return "\n".join(lines)
