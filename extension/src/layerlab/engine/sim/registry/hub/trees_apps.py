"""File trees of the application images in the simulated Docker Hub: Node.js, Python, nginx,
hello-world.

Each tree holds what the image's own layers add on top of its base: the runtime's simulated
executables and package metadata, entrypoint scripts (verbatim from the official images),
nginx's configuration and pages, and ``/hello`` with its message.
"""

from __future__ import annotations

import zipfile

from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.registry.hub.rootfs import lay_down
from layerlab.engine.sim.registry.hub.trees_layout import (
    dir_item,
    exe_item,
    file_item,
    link_item,
    shadow_for,
)
from layerlab.engine.sim.store.fs import Tree

NODE_ENTRYPOINT = """\
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
"""  # noqa: E501


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
PIP_SCRIPT = """\
#!/usr/local/bin/python{short}
# -*- coding: utf-8 -*-
import re
import sys
from pip._internal.cli.main import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


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


NGINX_ENTRYPOINT = """\
#!/bin/sh
# vim:sw=4:ts=4:et

set -e

entrypoint_log() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    if /usr/bin/find "/docker-entrypoint.d/" -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read v; then
        entrypoint_log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"

        entrypoint_log "$0: Looking for shell scripts in /docker-entrypoint.d/"
        find "/docker-entrypoint.d/" -follow -type f -print | sort -V | while read -r f; do
            case "$f" in
                *.envsh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Sourcing $f";
                        . "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *.sh)
                    if [ -x "$f" ]; then
                        entrypoint_log "$0: Launching $f";
                        "$f"
                    else
                        # warn on shell scripts without exec bit
                        entrypoint_log "$0: Ignoring $f, not executable";
                    fi
                    ;;
                *) entrypoint_log "$0: Ignoring $f";;
            esac
        done

        entrypoint_log "$0: Configuration complete; ready for start up"
    else
        entrypoint_log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi

exec "$@"
"""  # noqa: E501

NGINX_SCRIPTS = {
    "10-listen-on-ipv6-by-default.sh": """\
#!/bin/sh
# vim:sw=4:ts=4:et

set -e

ME=$(basename "$0")
DEFAULT_CONF_FILE="etc/nginx/conf.d/default.conf"

echo "$ME: info: Getting the checksum of /$DEFAULT_CONF_FILE"
echo "$ME: info: Enabled listen on IPv6 in /$DEFAULT_CONF_FILE"

exit 0
""",
    "15-local-resolvers.envsh": """\
#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

[ "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ] || return 0

NGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=" "} $1=="nameserver" {print $2}' /etc/resolv.conf)
export NGINX_LOCAL_RESOLVERS
""",
    "20-envsubst-on-templates.sh": """\
#!/bin/sh

set -e

ME=$(basename "$0")

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
[ -d "$template_dir" ] || exit 0
echo "$ME: info: templates are not supported by LayerLab's simulated nginx"
exit 0
""",
    "30-tune-worker-processes.sh": """\
#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

[ "${NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE:-}" ] || exit 0
exit 0
""",
}

NGINX_INDEX = """\
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_DEFAULT_CONF = """\
server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""

NGINX_CONF = """\

user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
"""


def nginx_tree(passwd: str, group: str, nologin: str) -> Tree:
    return lay_down(
        [
            exe_item("/usr/sbin/nginx", "nginx"),
            exe_item("/usr/sbin/nginx-debug", "nginx"),
            file_item("/etc/nginx/nginx.conf", NGINX_CONF),
            file_item("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF),
            file_item("/etc/nginx/mime.types", "types {\n    text/html  html htm shtml;\n}\n"),
            file_item("/usr/share/nginx/html/index.html", NGINX_INDEX),
            file_item(
                "/usr/share/nginx/html/50x.html",
                "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n"
                "<h1>An error occurred.</h1>\n</body>\n</html>\n",
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


HELLO_MESSAGE = """
Hello from Docker!
This message shows that your installation appears to be working correctly.

To generate this message, Docker took the following steps:
 1. The Docker client contacted the Docker daemon.
 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.
    (amd64)
 3. The Docker daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The Docker daemon streamed that output to the Docker client, which sent it
    to your terminal.

To try something more ambitious, you can run an Ubuntu container with:
 $ docker run -it ubuntu bash

Share images, automate workflows, and more with a free Docker ID:
 https://hub.docker.com/

For more examples and ideas, visit:
 https://docs.docker.com/get-started/

"""


def hello_tree() -> Tree:
    """/hello: the program ``hello`` prints what follows its marker line (the message)."""
    return lay_down([file_item("/hello", executable_data("hello") + HELLO_MESSAGE.encode(), 0o775)])
