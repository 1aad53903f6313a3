"""How LayerLab marks what it creates on a real engine, so that a reset on a shared engine
removes one learner's containers and nobody else's."""

from __future__ import annotations

import getpass
import os
import re

MANAGED_LABEL = "io.layerlab.managed"
# The value says what was created and for whom: ``container:alice``. The kind matters because
# a container inherits its image's labels (a container made from an image labelled by hand is
# not LayerLab's); the owner keeps one learner's reset away from another's work on the same
# engine.
CONTAINER = "container"


def owner() -> str:
    """Whose resources these are: ``LAYERLAB_OWNER``, else the login name."""
    name = os.environ.get("LAYERLAB_OWNER", "")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no login name in some containers
            name = "unknown"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def managed_value(kind: str, who: str) -> str:
    """The value of ``MANAGED_LABEL`` on a resource of ``kind`` created for ``who``."""
    return f"{kind}:{who}"
