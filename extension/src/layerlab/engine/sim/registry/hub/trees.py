"""File trees of the simulated Docker Hub images: what each layer really holds.

Only what the images need to run their programs is stored (a shell, coreutils, a package
manager, node/npm, python/pip, nginx, hello); the sizes `docker images` shows are declared in
``catalog.toml``. Executables are simulated ones (:func:`process.executable_data`): the program
name after the marker picks the implementation (``coreutils`` dispatches on argv[0] like
busybox).

The trees are grouped by image family: :mod:`trees_debian` (Debian, Ubuntu),
:mod:`trees_alpine`, :mod:`trees_apps` (Node.js, Python, nginx, hello-world), with shared
building blocks in :mod:`trees_layout`; the files the images hold verbatim are under ``files/``
(:mod:`data`). This module gathers what the recipes in :mod:`official` use.
"""

from __future__ import annotations

from layerlab.engine.sim.registry.hub.trees_alpine import ALPINE_GROUP, ALPINE_PASSWD, alpine_tree
from layerlab.engine.sim.registry.hub.trees_apps import (
    NGINX_ENTRYPOINT,
    NGINX_SCRIPTS,
    NODE_ENTRYPOINT,
    REGISTRY_CONFIG,
    REGISTRY_ENTRYPOINT,
    hello_tree,
    nginx_tree,
    node_tree,
    node_user_tree,
    python_links_tree,
    python_tree,
    registry_tree,
    yarn_tree,
)
from layerlab.engine.sim.registry.hub.trees_debian import (
    DEBIAN_GROUP,
    DEBIAN_PASSWD,
    debian_tree,
    ubuntu_tree,
)
from layerlab.engine.sim.registry.hub.trees_layout import file_tree, tools_tree

__all__ = [
    "ALPINE_GROUP",
    "ALPINE_PASSWD",
    "DEBIAN_GROUP",
    "DEBIAN_PASSWD",
    "NGINX_ENTRYPOINT",
    "NGINX_SCRIPTS",
    "NODE_ENTRYPOINT",
    "REGISTRY_CONFIG",
    "REGISTRY_ENTRYPOINT",
    "alpine_tree",
    "debian_tree",
    "file_tree",
    "hello_tree",
    "nginx_tree",
    "node_tree",
    "node_user_tree",
    "python_links_tree",
    "python_tree",
    "registry_tree",
    "tools_tree",
    "ubuntu_tree",
    "yarn_tree",
]
