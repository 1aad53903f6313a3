"""The official images of the simulated Docker Hub, as recipes built from ``catalog.toml``.

Debian, Ubuntu, Alpine and busybox bases; buildpack-deps, node, python, nginx and the registry
on top, like docker-library's Dockerfiles, with layers shared where the real images share them.
Which images exist, their tags, dates, versions and sizes are data (``catalog.toml``, read by
:mod:`data`); each family's steps are here.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from layerlab.engine.sim.images.config import DEFAULT_PATH, parse_rfc3339
from layerlab.engine.sim.registry.hub import trees
from layerlab.engine.sim.registry.hub.data import catalog_table
from layerlab.engine.sim.registry.hub.recipes import (
    REST,
    LayerStep,
    MetaStep,
    Recipe,
    Step,
    add_root,
    cmd,
    copy,
    entrypoint,
    env,
    expose,
    label,
    run,
    stopsignal,
)
from layerlab.engine.sim.registry.hub.rootfs import busybox_rootfs
from layerlab.engine.sim.runtimes import nodejs
from layerlab.engine.sim.runtimes.interpreter import host_version, pip_wheel, site_dir
from layerlab.engine.sim.store.fs import Tree
from layerlab.i18n import tr


def _debian(codename: str, version: str, point: str, created: str, size: int) -> Recipe:
    tree = functools.partial(trees.debian_tree, version, point, codename)
    return Recipe(f"debian:{codename}", created, (add_root(tree, size), cmd("bash")))


def _buildpack(base: Recipe, codename: str, sizes: tuple[int, int, int]) -> Recipe:
    curl = run(
        "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\t"
        "ca-certificates \t\tcurl \t\tgnupg \t\tnetbase \t\twget \t; \trm -rf /var/lib/apt/lists/*",
        functools.partial(
            trees.tools_tree,
            {"/usr/bin/curl": "curl", "/usr/bin/wget": "wget", "/usr/bin/gpg": "gpg"},
        ),
        sizes[0],
    )
    scm = run(
        "apt-get update && apt-get install -y --no-install-recommends \t\tgit \t\tmercurial "
        "\t\topenssh-client \t\tsubversion \t\t\t\tprocps \t&& rm -rf /var/lib/apt/lists/*",
        functools.partial(
            trees.tools_tree, {"/usr/bin/git": "git", "/usr/bin/ssh": "ssh", "/usr/bin/ps": "ps"}
        ),
        sizes[1],
    )
    full = run(
        "set -ex; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tautoconf "
        "\t\tautomake \t\tbzip2 \t\tdpkg-dev \t\tfile \t\tg++ \t\tgcc \t\timagemagick "
        "\t\tlibbz2-dev"
        " \t\tlibc6-dev \t\tlibcurl4-openssl-dev \t\tlibssl-dev \t\tmake \t\tpatch \t\tunzip "
        "\t\txz-utils \t\tzlib1g-dev \t; \trm -rf /var/lib/apt/lists/*",
        functools.partial(
            trees.tools_tree,
            {"/usr/bin/gcc": "gcc", "/usr/bin/g++": "gcc", "/usr/bin/make": "make"},
        ),
        sizes[2],
    )
    return Recipe(f"buildpack-deps:{codename}", base.created, (curl, scm, full), base)


def _node(
    base: Recipe, name: str, version: str, created: str, size: int, user: LayerStep | None
) -> Recipe:
    alpine = user is None
    install = run(
        (
            "addgroup -g 1000 node     && adduser -u 1000 -G node -s /bin/sh -D node     && "
            "apk add "
            "--no-cache         libstdc++     && apk add --no-cache --virtual .build-deps     "
            "    curl"
            if alpine
            else 'ARCH= && dpkgArch="$(dpkg --print-architecture)"   && case '
            '"${dpkgArch##*-}" in     '
            "amd64) ARCH='x64';;     *) echo \"unsupported architecture\"; exit 1 ;;   esac   "
            "&& set"
            ' -ex   && curl -fsSLO --compressed "https://nodejs.org/dist/v$NODE_VERSION/node-v$NODE'
            '_VERSION-linux-$ARCH.tar.xz"   && tar -xJf "node-v$NODE_VERSION-linux-$ARCH.tar.xz" -C'
            " /usr/local --strip-components=1 --no-same-owner   && node --version   && npm "
            "--version"
        ),
        _node_tree,
        REST,
    )
    yarn = run(
        "set -ex   && for key in     6A010C5166006599AA17F08146C2130DFD2497F5   ; do     gpg "
        '--batch --keyserver hkps://keys.openpgp.org --recv-keys "$key" ;   done   && curl -fsSLO '
        '--compressed "https://yarnpkg.com/downloads/$YARN_VERSION/yarn-v$YARN_VERSION.tar.gz"   '
        "&& tar -xzf yarn-v$YARN_VERSION.tar.gz -C /opt/   && ln -s /opt/yarn-v$YARN_VERSION/bin/"
        "yarn /usr/local/bin/yarn   && yarn --version",
        functools.partial(trees.yarn_tree, "1.22.19"),
        5_350_000,
    )
    entry = copy(
        functools.partial(
            trees.file_tree, "/usr/local/bin/docker-entrypoint.sh", trees.NODE_ENTRYPOINT
        ),
        "/usr/local/bin/",
    )
    steps: tuple[Step, ...] = (
        *([user] if user else []),
        env("NODE_VERSION", nodejs.node_version(version)),
        install,
        env("YARN_VERSION", "1.22.19"),
        yarn,
        entry,
        entrypoint("docker-entrypoint.sh"),
        cmd("node"),
    )
    return Recipe(name, created, steps, base, size)


def _node_tree() -> Tree:
    # Asked when the image is first made, not when the catalog is: it reads npm's files.
    return trees.node_tree(nodejs.npm_files())


@functools.cache  # one step per release: the node images of a release share its layer
def _node_user(codename: str) -> LayerStep:
    tree = functools.partial(
        trees.node_user_tree, trees.DEBIAN_PASSWD, trees.DEBIAN_GROUP, "/bin/bash"
    )
    return run(
        "groupadd --gid 1000 node   && useradd --uid 1000 --gid node --shell /bin/bash "
        "--create-home node",
        tree,
        333_000,
    )


def _python(base: Recipe, name: str, created: str, size: int, slim: bool) -> Recipe:
    """A python image, whatever its tag, holds the interpreter that really runs its programs:
    the host's (see ``runtimes.interpreter``), so PYTHON_VERSION, the file names, ``python
    --version`` and ``sys.version`` agree. ``stand_in_notice`` says so when the tag differs."""
    version = host_version()
    packages = (
        "ca-certificates \t\tnetbase \t\ttzdata"
        if slim
        else "libbluetooth-dev \t\ttk-dev \t\tuuid-dev"
    )
    deps = run(
        f"set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\t{packages} "
        "\t; \trm -rf /var/lib/apt/lists/*",
        functools.partial(
            trees.tools_tree, {}, [("/etc/ssl/certs/ca-certificates.crt", "file", 0o644, "")]
        ),
        9_300_000 if slim else 19_100_000,
    )
    short = ".".join(version.split(".")[:2])
    build_step = run(
        'set -eux; \t\twget -O python.tar.xz "https://www.python.org/ftp/python/${PYTHON_VERSION%%'
        '[a-z]*}/Python-$PYTHON_VERSION.tar.xz"; \tmkdir -p /usr/src/python; \ttar --extract '
        "--directory /usr/src/python --strip-components=1 --file python.tar.xz; \tcd /usr/src/"
        'python; \t./configure \t\t--build="$gnuArch" \t\t--enable-loadable-sqlite-extensions '
        "\t\t--enable-optimizations \t\t--enable-option-checking=fatal \t\t--enable-shared "
        f'\t\t--with-ensurepip \t; \tmake -j "$nproc"; \tmake install; \t\tpython{short} --version',
        functools.partial(_python_tree, version),
        REST,
    )
    links = run(
        'set -eux; \tfor src in idle3 pydoc3 python3 python3-config; do \t\tdst="$(echo "$src" | '
        'tr -d 3)"; \t\t[ -s "/usr/local/bin/$src" ]; \t\t[ ! -e "/usr/local/bin/$dst" ]; '
        "\t\tln -svT "
        '"$src" "/usr/local/bin/$dst"; \tdone',
        trees.python_links_tree,
    )
    steps: tuple[Step, ...] = (
        env("PATH", "/usr/local/bin:" + DEFAULT_PATH.removeprefix("PATH=")),
        env("LANG", "C.UTF-8"),
        deps,
        env("GPG_KEY", "7169605F62C751356D054A26A821E680E5FA6305"),
        env("PYTHON_VERSION", version),
        build_step,
        links,
        cmd("python3"),
    )
    return Recipe(name, created, steps, base, size)


def _python_tree(version: str) -> Tree:
    # Asked when the image is first made, not when the catalog is: it runs the interpreter.
    return trees.python_tree(version, pip_wheel(), site_dir())


def stand_in_notice(repository: str, tag: str) -> str | None:
    """What a pull of a python or node tag for another version says: which runtime stands in."""
    if repository == "library/node":
        return nodejs.stand_in_notice(tag)
    wanted = re.match(r"(\d+)\.(\d+)", tag)
    host = host_version()
    if repository != "library/python" or wanted is None:
        return None
    if host.split(".")[:2] == [wanted.group(1), wanted.group(2)]:
        return None
    return tr(
        "LayerLab: python:{tag} holds Python {version}, the interpreter LayerLab runs on: "
        "no Python {wanted} is available here",
        tag=tag,
        version=host,
        wanted=f"{wanted.group(1)}.{wanted.group(2)}",
    )


def _nginx(base: Recipe, name: str, created: str, size: int, alpine: bool) -> Recipe:
    passwd, group = (
        (trees.ALPINE_PASSWD, trees.ALPINE_GROUP)
        if alpine
        else (trees.DEBIAN_PASSWD, trees.DEBIAN_GROUP)
    )
    nologin = "/sbin/nologin" if alpine else "/bin/false"
    install = run(
        (
            "set -x     && addgroup -g 101 -S nginx     && adduser -S -D -H -u 101 -h "
            "/var/cache/nginx"
            " -s /sbin/nologin -G nginx -g nginx nginx     && apk add --no-cache "
            "nginx=${NGINX_VERSION}"
            if alpine
            else "set -x     && groupadd --system --gid 101 nginx     && useradd --system "
            "--gid nginx "
            '--no-create-home --home /nonexistent --comment "nginx user" --shell /bin/false --uid '
            "101 nginx     && apt-get update     && apt-get install --no-install-recommends "
            "--no-install-suggests -y nginx=${NGINX_VERSION}-${PKG_RELEASE}"
        )
        + "     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr "
        "/var/log/nginx/error.log     && mkdir /docker-entrypoint.d",
        functools.partial(trees.nginx_tree, passwd, group, nologin),
        REST,
    )
    steps: list[Step] = [
        label("maintainer", "NGINX Docker Maintainers <docker-maint@nginx.com>"),
        env("NGINX_VERSION", "1.25.4"),
        env("NJS_VERSION", "0.8.3"),
        env("PKG_RELEASE", "1"),
        install,
        copy(
            functools.partial(trees.file_tree, "/docker-entrypoint.sh", trees.NGINX_ENTRYPOINT), "/"
        ),
    ]
    for script, text in trees.NGINX_SCRIPTS.items():
        tree = functools.partial(trees.file_tree, f"/docker-entrypoint.d/{script}", text)
        steps.append(copy(tree, "/docker-entrypoint.d"))
    steps += [
        entrypoint("/docker-entrypoint.sh"),
        expose("80"),
        stopsignal("SIGQUIT"),
        cmd("nginx", "-g", "daemon off;"),
    ]
    return Recipe(name, created, tuple(steps), base, size)


def _registry(base: Recipe, name: str, version: str, created: str, size: int) -> Recipe:
    # The image declares VOLUME /var/lib/registry; the simulator has no volumes, so that folder
    # stays in the container's writable layer (and goes with the container, as an anonymous
    # volume goes with `docker rm -v`).
    install = run(
        "set -eux;     apk add --no-cache ca-certificates;     wget -O registry.tar.gz "
        f'"https://github.com/distribution/distribution/releases/download/v{version}/'
        f'registry_{version}_linux_amd64.tar.gz";     tar --extract --file registry.tar.gz '
        "--directory /bin/ registry;     rm registry.tar.gz;     registry --version",
        trees.registry_tree,
        REST,
    )
    config = functools.partial(
        trees.file_tree, "/etc/docker/registry/config.yml", trees.REGISTRY_CONFIG, 0o644
    )
    steps: tuple[Step, ...] = (
        install,
        copy(config, "/etc/docker/registry/config.yml"),
        expose("5000"),
        copy(functools.partial(trees.file_tree, "/entrypoint.sh", trees.REGISTRY_ENTRYPOINT), "/"),
        entrypoint("/entrypoint.sh"),
        cmd("/etc/docker/registry/config.yml"),
    )
    return Recipe(name, created, steps, base, size)


def _alpine(version: str, created: str, size: int) -> Recipe:
    tree = functools.partial(trees.alpine_tree, version)
    return Recipe(f"alpine:{version}", created, (add_root(tree, size), cmd("/bin/sh")))


def _busybox(created: str) -> Recipe:
    tree = functools.partial(busybox_rootfs, int(parse_rfc3339(created)))
    return Recipe(f"busybox@{created}", created, (add_root(tree), cmd("sh")))


def _ubuntu(version: str, full: str, codename: str, created: str, size: int) -> Recipe:
    tree = functools.partial(trees.ubuntu_tree, version, full, codename)
    steps = (
        MetaStep("/bin/sh -c #(nop)  ARG RELEASE"),
        MetaStep("/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH"),
        label("org.opencontainers.image.ref.name", "ubuntu"),
        label("org.opencontainers.image.version", version),
        add_root(tree, size),
        cmd("/bin/bash"),
    )
    return Recipe(f"ubuntu:{version}", created, steps)


def _recipe(row: dict[str, Any], base: Recipe | None) -> Recipe:
    """The recipe of one image of ``catalog.toml``, by its family."""
    match row["family"]:
        case "debian":
            return _debian(
                row["codename"], row["version"], row["point"], row["created"], row["size"]
            )
        case "buildpack-deps":
            assert base is not None
            return _buildpack(base, row["codename"], tuple(row["sizes"]))
        case "alpine":
            return _alpine(row["version"], row["created"], row["size"])
        case "busybox":
            return _busybox(row["created"])
        case "ubuntu":
            return _ubuntu(
                row["version"], row["full"], row["codename"], row["created"], row["size"]
            )
        case "node":
            assert base is not None
            user = _node_user(row["user"]) if "user" in row else None
            return _node(base, row["name"], row["version"], row["created"], row["size"], user)
        case "python":
            assert base is not None
            return _python(base, row["name"], row["created"], row["size"], row.get("slim", False))
        case "nginx":
            assert base is not None
            return _nginx(base, row["name"], row["created"], row["size"], row.get("alpine", False))
        case "registry":
            assert base is not None
            return _registry(base, row["name"], row["version"], row["created"], row["size"])
        case "hello-world":
            return Recipe(
                "hello-world",
                row["created"],
                (copy(trees.hello_tree, "/", row["size"]), cmd("/hello")),
            )
    raise ValueError(f"catalog.toml: unknown image family {row['family']!r}")


def official_catalog() -> dict[str, dict[str, Recipe]]:
    """``{repository: {tag: recipe}}`` from ``catalog.toml``; an image named by several tags (or
    built on by several images) is one recipe, so they share its layers."""
    table = catalog_table()
    rows: dict[str, dict[str, Any]] = table["images"]
    made: dict[str, Recipe] = {}

    def recipe(key: str) -> Recipe:
        if key not in made:
            row = rows[key]
            made[key] = _recipe(row, recipe(row["base"]) if "base" in row else None)
        return made[key]

    return {
        repository: {tag: recipe(key) for tag, key in tags.items()}
        for repository, tags in table["tags"].items()
    }
