"""File trees of the application images in the simulated Docker Hub: Node.js, Python, nginx,
the registry, hello-world.

Each tree holds what the image's own layers add on top of its base: the runtime's simulated
executables and package metadata, entrypoint scripts (verbatim from the official images),
nginx's configuration and pages, and ``/hello`` with its message.
"""

from __future__ import annotations

import zipfile

from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.registry.hub.data import file_names, file_text
from layerlab.engine.sim.registry.hub.rootfs import lay_down
from layerlab.engine.sim.registry.hub.trees_layout import (
    dir_item,
    exe_item,
    file_item,
    link_item,
    shadow_for,
)
from layerlab.engine.sim.store.fs import Tree

NODE_ENTRYPOINT = file_text("node/docker-entrypoint.sh")


def node_user_tree(passwd: str, group: str, shell: str) -> Tree:
    return lay_down(
        [
            file_item("/etc/passwd", passwd + f"node:x:1000:1000::/home/node:{shell}\n"),
            file_item("/etc/group", group + "node:x:1000:\n"),
            file_item("/etc/shadow", shadow_for(passwd + "node:x\n"), 0o640, 0, 42),
            dir_item("/home/node", 0o755, 1000, 1000),
            file_item(
                "/home/node/.bashrc",
                "# ~/.bashrc: executed by bash(1) for non-login shells.\n",
                0o644,
                1000,
                1000,
            ),
            file_item(
                "/home/node/.profile",
                "# ~/.profile: executed by the command interpreter for login shells.\n",
                0o644,
                1000,
                1000,
            ),
        ]
    )


def node_tree(npm: dict[str, bytes] | None) -> Tree:
    """Node.js as the official image installs it: the binary (the host's, bound in when a
    program runs; see ``runtimes.nodejs``) and npm in ``/usr/local/lib/node_modules/npm`` with
    ``npm`` and ``npx`` linking to its scripts. ``npm`` holds the files of the npm that really
    runs (its package.json and scripts); without one, ``npm`` and ``npx`` are refused and no
    package.json claims a version of an npm that is not there."""
    home = "/usr/local/lib/node_modules/npm"
    if npm is not None:
        modes = {name: 0o755 if name.startswith("bin/") else 0o644 for name in npm}
        tools = [
            *(file_item(f"{home}/{name}", data, modes[name]) for name, data in sorted(npm.items())),
            link_item("/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js"),
            link_item("/usr/local/bin/npx", "../lib/node_modules/npm/bin/npx-cli.js"),
        ]
    else:
        tools = [
            exe_item("/usr/local/bin/npm", "npm"),
            exe_item("/usr/local/bin/npx", "npm"),
        ]
    return lay_down(
        [
            exe_item("/usr/local/bin/node", "node"),
            *tools,
            exe_item("/usr/local/bin/corepack", "corepack"),
            dir_item("/usr/local/include/node"),
            dir_item("/usr/local/share/doc/node"),
        ]
    )


def yarn_tree(version: str) -> Tree:
    home = f"/opt/yarn-v{version}"
    return lay_down(
        [
            exe_item(f"{home}/bin/yarn", "yarn"),
            exe_item(f"{home}/bin/yarnpkg", "yarn"),
            file_item(f"{home}/package.json", f'{{"name":"yarn","version":"{version}"}}\n'),
            link_item("/usr/local/bin/yarn", f"{home}/bin/yarn"),
            link_item("/usr/local/bin/yarnpkg", f"{home}/bin/yarnpkg"),
        ]
    )


# The launcher pip's installer writes for a console script (as in the official images).
PIP_SCRIPT = file_text("python/pip-launcher.template")


def python_tree(version: str, pip_wheel: str | None, site_dir: str) -> Tree:
    """What the official image's build step leaves: the interpreter (the host's, bound in when
    a program runs; see ``runtimes.interpreter``) and pip installed from its wheel, as
    ``ensurepip`` would, in the folder the interpreter looks in (``site_dir``, below
    ``/usr/local``), so ``pip``, ``pip3`` and ``python -m pip`` are the real pip."""
    short = ".".join(version.split(".")[:2])
    site = f"/usr/local/{site_dir}"
    items = [
        exe_item(f"/usr/local/bin/python{short}", "python3"),
        link_item("/usr/local/bin/python3", f"python{short}"),
        dir_item(site),
    ]
    if pip_wheel is not None:
        with zipfile.ZipFile(pip_wheel) as wheel:
            members = sorted(info.filename for info in wheel.infolist() if not info.is_dir())
            items += [file_item(f"{site}/{name}", wheel.read(name)) for name in members]
            info_dir = next(n.split("/")[0] for n in members if n.endswith(".dist-info/WHEEL"))
        items.append(file_item(f"{site}/{info_dir}/INSTALLER", "pip\n"))
        script = PIP_SCRIPT.format(short=short)
        for name in ("pip", "pip3", f"pip{short}"):
            items.append(file_item(f"/usr/local/bin/{name}", script, 0o755))
    return lay_down(items)


def python_links_tree() -> Tree:
    links = {
        "idle": "idle3",
        "pydoc": "pydoc3",
        "python": "python3",
        "python-config": "python3-config",
    }
    return lay_down([link_item(f"/usr/local/bin/{name}", target) for name, target in links.items()])


NGINX_ENTRYPOINT = file_text("nginx/docker-entrypoint.sh")

NGINX_SCRIPTS = {
    name: file_text(f"nginx/docker-entrypoint.d/{name}")
    for name in file_names("nginx/docker-entrypoint.d")
}


def nginx_tree(passwd: str, group: str, nologin: str) -> Tree:
    return lay_down(
        [
            exe_item("/usr/sbin/nginx", "nginx"),
            exe_item("/usr/sbin/nginx-debug", "nginx"),
            *(
                file_item(path, file_text(f"nginx{path}"))
                for path in (
                    "/etc/nginx/nginx.conf",
                    "/etc/nginx/conf.d/default.conf",
                    "/etc/nginx/mime.types",
                    "/usr/share/nginx/html/index.html",
                    "/usr/share/nginx/html/50x.html",
                )
            ),
            link_item("/var/log/nginx/access.log", "/dev/stdout"),
            link_item("/var/log/nginx/error.log", "/dev/stderr"),
            dir_item("/var/cache/nginx"),
            dir_item("/docker-entrypoint.d"),
            file_item(
                "/etc/passwd", passwd + f"nginx:x:101:101:nginx user:/nonexistent:{nologin}\n"
            ),
            file_item("/etc/group", group + "nginx:x:101:\n"),
            exe_item("/usr/bin/envsubst", "envsubst"),
        ]
    )


REGISTRY_ENTRYPOINT = file_text("registry/entrypoint.sh")
REGISTRY_CONFIG = file_text("registry/config.yml")


def registry_tree() -> Tree:
    """What the registry image's install step adds: its CA certificates' folder and the
    ``registry`` binary (a real registry when it runs: ``runtimes.registry``)."""
    return lay_down([dir_item("/etc/ssl/certs"), exe_item("/bin/registry", "registry")])


def hello_tree() -> Tree:
    """/hello: the program ``hello`` prints what follows its marker line (the message)."""
    return lay_down(
        [
            file_item(
                "/hello", executable_data("hello") + file_text("hello/message.txt").encode(), 0o775
            )
        ]
    )
