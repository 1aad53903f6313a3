"""The official images of the simulated Docker Hub, as recipes: names, tags, dates and sizes.

Debian, Ubuntu, Alpine and busybox bases; buildpack-deps, node, python and nginx on top, like
docker-library's Dockerfiles, with layers shared where the real images share them. Dates,
versions and sizes are those of the real images around early 2024 (node:14 and node:16 from
their last builds); sizes are what ``docker images`` shows.
"""

from __future__ import annotations

import functools
import re

from layerlab.engine.sim.images.config import DEFAULT_PATH, parse_rfc3339
from layerlab.engine.sim.registry.hub import catalog as cat
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

BUSYBOX_CREATED = "2025-12-15T21:50:28Z"


def _debian(codename: str, version: str, point: str, created: str, size: int) -> Recipe:
    tree = functools.partial(cat.debian_tree, version, point, codename)
    return Recipe(f"debian:{codename}", created, (add_root(tree, size), cmd("bash")))


def _buildpack(base: Recipe, codename: str, created: str, sizes: tuple[int, int, int]) -> Recipe:
    curl = run(
        "set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\t"
        "ca-certificates \t\tcurl \t\tgnupg \t\tnetbase \t\twget \t; \trm -rf /var/lib/apt/lists/*",
        functools.partial(
            cat.tools_tree,
            {"/usr/bin/curl": "curl", "/usr/bin/wget": "wget", "/usr/bin/gpg": "gpg"},
        ),
        sizes[0],
    )
    scm = run(
        "apt-get update && apt-get install -y --no-install-recommends \t\tgit \t\tmercurial "
        "\t\topenssh-client \t\tsubversion \t\t\t\tprocps \t&& rm -rf /var/lib/apt/lists/*",
        functools.partial(
            cat.tools_tree, {"/usr/bin/git": "git", "/usr/bin/ssh": "ssh", "/usr/bin/ps": "ps"}
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
            cat.tools_tree, {"/usr/bin/gcc": "gcc", "/usr/bin/g++": "gcc", "/usr/bin/make": "make"}
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
        functools.partial(cat.yarn_tree, "1.22.19"),
        5_350_000,
    )
    entry = copy(
        functools.partial(
            cat.file_tree, "/usr/local/bin/docker-entrypoint.sh", cat.NODE_ENTRYPOINT
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
    return cat.node_tree(nodejs.npm_files())


def _node_user(codename: str) -> LayerStep:
    tree = functools.partial(cat.node_user_tree, cat.DEBIAN_PASSWD, cat.DEBIAN_GROUP, "/bin/bash")
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
            cat.tools_tree, {}, [("/etc/ssl/certs/ca-certificates.crt", "file", 0o644, "")]
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
        cat.python_links_tree,
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
    return cat.python_tree(version, pip_wheel(), site_dir())


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
        (cat.ALPINE_PASSWD, cat.ALPINE_GROUP) if alpine else (cat.DEBIAN_PASSWD, cat.DEBIAN_GROUP)
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
        functools.partial(cat.nginx_tree, passwd, group, nologin),
        REST,
    )
    steps: list[Step] = [
        label("maintainer", "NGINX Docker Maintainers <docker-maint@nginx.com>"),
        env("NGINX_VERSION", "1.25.4"),
        env("NJS_VERSION", "0.8.3"),
        env("PKG_RELEASE", "1"),
        install,
        copy(functools.partial(cat.file_tree, "/docker-entrypoint.sh", cat.NGINX_ENTRYPOINT), "/"),
    ]
    for script, text in cat.NGINX_SCRIPTS.items():
        tree = functools.partial(cat.file_tree, f"/docker-entrypoint.d/{script}", text)
        steps.append(copy(tree, "/docker-entrypoint.d"))
    steps += [
        entrypoint("/docker-entrypoint.sh"),
        expose("80"),
        stopsignal("SIGQUIT"),
        cmd("nginx", "-g", "daemon off;"),
    ]
    return Recipe(name, created, tuple(steps), base, size)


def _alpine(version: str, created: str, size: int) -> Recipe:
    tree = functools.partial(cat.alpine_tree, version)
    return Recipe(f"alpine:{version}", created, (add_root(tree, size), cmd("/bin/sh")))


def _busybox(created: str) -> Recipe:
    tree = functools.partial(busybox_rootfs, int(parse_rfc3339(created)))
    return Recipe(f"busybox@{created}", created, (add_root(tree), cmd("sh")))


def _ubuntu(version: str, full: str, codename: str, created: str, size: int) -> Recipe:
    tree = functools.partial(cat.ubuntu_tree, version, full, codename)
    steps = (
        MetaStep("/bin/sh -c #(nop)  ARG RELEASE"),
        MetaStep("/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH"),
        label("org.opencontainers.image.ref.name", "ubuntu"),
        label("org.opencontainers.image.version", version),
        add_root(tree, size),
        cmd("/bin/bash"),
    )
    return Recipe(f"ubuntu:{version}", created, steps)


def official_catalog() -> dict[str, dict[str, Recipe]]:
    bookworm = _debian("bookworm", "12", "12.5", "2024-03-12T01:21:06Z", 116_600_000)
    bullseye = _debian("bullseye", "11", "11.9", "2024-03-12T01:21:40Z", 124_000_000)
    buster = _debian("buster", "10", "10.13", "2023-05-23T01:20:17Z", 114_000_000)
    bp_bookworm = _buildpack(
        bookworm, "bookworm", "2024-03-12T03:25:10Z", (24_100_000, 63_900_000, 587_000_000)
    )
    bp_bullseye = _buildpack(
        bullseye, "bullseye", "2023-09-07T07:01:12Z", (17_600_000, 56_100_000, 539_000_000)
    )
    bp_buster = _buildpack(
        buster, "buster", "2023-05-23T06:43:51Z", (17_600_000, 49_400_000, 510_000_000)
    )
    alpine319 = _alpine("3.19.1", "2024-01-27T00:30:48Z", 7_380_000)
    alpine318 = _alpine("3.18.6", "2024-01-27T00:32:14Z", 7_330_000)
    alpine317 = _alpine("3.17.3", "2023-03-29T18:19:24Z", 7_050_000)
    busybox136 = _busybox(BUSYBOX_CREATED)
    jammy = _ubuntu("22.04", "22.04.4", "jammy", "2024-02-27T18:52:59Z", 77_900_000)
    user = _node_user("bookworm")
    node20 = _node(bp_bookworm, "node:20", "20.11.1", "2024-03-15T21:43:10Z", 1_100_000_000, user)
    python312 = _python(bp_bookworm, "python:3.12", "2024-03-12T06:05:23Z", 1_020_000_000, False)
    python311 = _python(bp_bookworm, "python:3.11", "2024-03-12T06:07:31Z", 1_010_000_000, False)
    python311_slim = _python(
        bookworm, "python:3.11-slim", "2024-03-12T05:22:01Z", 131_000_000, True
    )
    nginx = _nginx(bookworm, "nginx:1.25", "2024-02-14T18:16:55Z", 187_000_000, alpine=False)
    return {
        "busybox": {
            "latest": busybox136,
            "1.36": busybox136,
            "1.35": _busybox("2024-01-18T19:11:13Z"),
        },
        "alpine": {"latest": alpine319, "3.19": alpine319, "3.18": alpine318},
        "ubuntu": {
            "latest": jammy,
            "22.04": jammy,
            "20.04": _ubuntu("20.04", "20.04.6", "focal", "2024-02-23T05:02:24Z", 72_800_000),
        },
        "debian": {"latest": bookworm, "bookworm": bookworm, "bullseye": bullseye},
        "node": {
            "latest": node20,
            "20": node20,
            "18": _node(
                bp_bookworm,
                "node:18",
                "18.19.1",
                "2024-03-15T21:30:02Z",
                1_090_000_000,
                user,
            ),
            "16": _node(
                bp_bullseye,
                "node:16",
                "16.20.2",
                "2023-09-08T04:13:15Z",
                909_000_000,
                _node_user("bullseye"),
            ),
            "14": _node(
                bp_buster,
                "node:14",
                "14.21.3",
                "2023-04-12T02:50:07Z",
                912_000_000,
                _node_user("buster"),
            ),
            "14-alpine": _node(
                alpine317,
                "node:14-alpine",
                "14.21.3",
                "2023-04-12T03:10:44Z",
                119_000_000,
                None,
            ),
            "20-alpine": _node(
                alpine319,
                "node:20-alpine",
                "20.11.1",
                "2024-03-15T21:28:43Z",
                135_000_000,
                None,
            ),
        },
        "python": {
            "latest": python312,
            "3": python312,
            "3.12": python312,
            "3.11": python311,
            "3.11-slim": python311_slim,
            "3.9": _python(bp_bookworm, "python:3.9", "2024-03-12T06:24:48Z", 997_000_000, False),
        },
        "nginx": {
            "latest": nginx,
            "1.25": nginx,
            "alpine": _nginx(
                alpine318, "nginx:alpine", "2024-02-15T03:05:03Z", 43_200_000, alpine=True
            ),
        },
        "hello-world": {
            "latest": Recipe(
                "hello-world",
                "2023-05-02T16:49:27Z",
                (copy(cat.hello_tree, "/", 13_256), cmd("/hello")),
            )
        },
    }


CATALOG: dict[str, dict[str, Recipe]] = official_catalog()
