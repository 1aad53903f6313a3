"""The simulated Docker Hub: official images, generated deterministically and lazily.

Each official image is a *recipe*: its base image's steps plus its own, like the Dockerfiles of
docker-library (classic-builder history, ``created_by`` texts like the real images'). Layers are
step objects shared between recipes, so images share exactly the layers the real ones share
(node:20 and python:3.12 share the buildpack-deps layers, nginx the debian:bookworm one, and
node:20-alpine the alpine:3.19 one). Layer tars are built on first use and cached per process:
importing this module is cheap. Declared sizes make `docker images` show the real sizes while
the stored files stay small (see :mod:`hub_catalog` for what the files are).

``busybox`` is the baseline image itself (:func:`rootfs.busybox_rootfs` at a fixed mtime), so a
`docker pull busybox` in the baseline state finds it up to date.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from . import fs
from . import hub_catalog as cat
from .config import DEFAULT_PATH, container_config, image_config, parse_rfc3339, rfc3339
from .reference import parse_normalized
from .rootfs import busybox_rootfs

if TYPE_CHECKING:
    from .engine import SimEngine

REST = -1  # a layer whose declared size makes the image total what the real image shows
BUSYBOX_CREATED = "2025-12-15T21:50:28Z"


@dataclass(frozen=True, eq=False)
class LayerStep:
    created_by: str  # "{hash}" is replaced by the layer tar's sha256
    tree: Callable[[], fs.Tree]
    size: int | None = None  # declared size; None: the files' own size; REST: see above


@dataclass(frozen=True, eq=False)
class MetaStep:
    created_by: str
    change: dict[str, Any] = field(default_factory=dict)


Step = LayerStep | MetaStep


@dataclass(frozen=True, eq=False)
class Recipe:
    name: str
    created: str
    steps: tuple[Step, ...]
    base: Recipe | None = None
    size: int | None = None  # the total `docker images` shows (needed with a REST layer)


@dataclass(frozen=True)
class HubLayer:
    tar: bytes
    size: int


@dataclass(frozen=True)
class HubImage:
    config: bytes
    layers: list[HubLayer]

    @property
    def id(self) -> str:
        return fs.digest(self.config)


# -- step helpers (history texts as the classic builder writes them) ------------------------------


def _argv(values: list[str]) -> str:
    return "[" + " ".join(json.dumps(v) for v in values) + "]"


def add_root(tree: Callable[[], fs.Tree], size: int | None = None) -> LayerStep:
    return LayerStep("/bin/sh -c #(nop) ADD file:{hash} in / ", tree, size)


def run(command: str, tree: Callable[[], fs.Tree], size: int | None = None) -> LayerStep:
    return LayerStep(f"/bin/sh -c {command}", tree, size)


def copy(tree: Callable[[], fs.Tree], dest: str, size: int | None = None) -> LayerStep:
    return LayerStep(f"/bin/sh -c #(nop) COPY file:{{hash}} in {dest} ", tree, size)


def env(name: str, value: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  ENV {name}={value}", {"Env": (name, value)})


def cmd(*argv: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  CMD {_argv(list(argv))}", {"Cmd": list(argv)})


def entrypoint(*argv: str) -> MetaStep:
    return MetaStep(
        f"/bin/sh -c #(nop)  ENTRYPOINT {_argv(list(argv))}", {"Entrypoint": list(argv)}
    )


def workdir(path: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop) WORKDIR {path}", {"WorkingDir": path})


def expose(port: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  EXPOSE {port}", {"ExposedPorts": port})


def stopsignal(signal: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  STOPSIGNAL {signal}", {"StopSignal": signal})


def label(name: str, value: str) -> MetaStep:
    return MetaStep(f"/bin/sh -c #(nop)  LABEL {name}={value}", {"Labels": (name, value)})


# -- building an image from its recipe ------------------------------------------------------------


@functools.cache
def _layer_tar(step: LayerStep, mtime: int) -> bytes:
    # One replacement per Entry object, so hard links (a shared Entry) stay shared.
    moved: dict[int, fs.Entry] = {}
    tree = {
        path: moved.setdefault(id(entry), replace(entry, mtime=mtime))
        for path, entry in step.tree().items()
    }
    return fs.changes_to_tar(tree)


def _unique_size(tree: fs.Tree) -> int:
    """The size the daemon measures: files (a hard-linked file, one shared Entry, counted once)
    plus the length of each symlink's target."""
    seen: dict[int, int] = {}
    for entry in tree.values():
        seen[id(entry)] = len(entry.target.encode()) if entry.kind == "symlink" else entry.size
    return sum(seen.values())


def _all_steps(recipe: Recipe) -> list[tuple[Step, str]]:
    own = [(step, recipe.created) for step in recipe.steps]
    return (_all_steps(recipe.base) if recipe.base else []) + own


@functools.cache
def build(recipe: Recipe) -> HubImage:
    steps = _all_steps(recipe)
    layers: list[HubLayer] = []
    history: list[dict[str, Any]] = []
    conf: dict[str, Any] = {
        "Env": [DEFAULT_PATH],
        "Cmd": None,
        "Entrypoint": None,
        "WorkingDir": "",
        "ExposedPorts": None,
        "StopSignal": None,
        "Labels": None,
    }
    rest_index = None
    for index, (step, created) in enumerate(steps):
        when = rfc3339(parse_rfc3339(created) + index)
        if isinstance(step, LayerStep):
            tar = _layer_tar(step, int(parse_rfc3339(created)))
            size = step.size if step.size is not None else _unique_size(step.tree())
            if size == REST:
                rest_index, size = len(layers), 0
            layers.append(HubLayer(tar, size))
            text = step.created_by.replace("{hash}", hashlib.sha256(tar).hexdigest())
            history.append({"created": when, "created_by": text})
        else:
            _apply(conf, step.change)
            history.append({"created": when, "created_by": step.created_by, "empty_layer": True})
    if rest_index is not None and recipe.size is not None:
        rest = recipe.size - sum(layer.size for layer in layers)
        layers[rest_index] = HubLayer(layers[rest_index].tar, max(rest, 0))
    return HubImage(_config_bytes(recipe, conf, history, layers), layers)


def _apply(conf: dict[str, Any], change: dict[str, Any]) -> None:
    for key, value in change.items():
        if key == "Env":
            name, val = value
            conf["Env"] = [e for e in conf["Env"] if e.split("=", 1)[0] != name] + [f"{name}={val}"]
        elif key == "ExposedPorts":
            conf["ExposedPorts"] = {**(conf["ExposedPorts"] or {}), f"{value}/tcp": {}}
        elif key == "Labels":
            conf["Labels"] = {**(conf["Labels"] or {}), value[0]: value[1]}
        else:
            conf[key] = value


def _config_bytes(
    recipe: Recipe, conf: dict[str, Any], history: list[dict[str, Any]], layers: list[HubLayer]
) -> bytes:
    container = hashlib.sha256(f"container:{recipe.name}".encode()).hexdigest()
    parent = "sha256:" + hashlib.sha256(f"parent:{recipe.name}".encode()).hexdigest()
    last = history[-1]["created_by"]
    nop = "/bin/sh -c #(nop) "
    build_cmd = (
        ["/bin/sh", "-c", "#(nop) ", last[len(nop) :].lstrip()]
        if last.startswith(nop)
        else ["/bin/sh", "-c", last[len("/bin/sh -c ") :]]
    )
    common = {
        "exposed_ports": conf["ExposedPorts"],
        "env": conf["Env"],
        "image": parent,
        "working_dir": conf["WorkingDir"],
        "entrypoint": conf["Entrypoint"],
        "stop_signal": conf["StopSignal"],
    }
    return image_config(
        config=container_config(cmd=conf["Cmd"], labels=conf["Labels"], **common),
        container=container,
        container_config_doc=container_config(
            hostname=container[:12], cmd=build_cmd, labels=conf["Labels"] or {}, **common
        ),
        created=history[-1]["created"],
        history=history,
        diff_ids=[fs.digest(layer.tar) for layer in layers],
    )


# -- public lookups -------------------------------------------------------------------------------


def is_official(path: str) -> bool:
    return path.startswith("library/") and path[len("library/") :] in CATALOG


def tags(path: str) -> list[str]:
    return sorted(CATALOG.get(path.removeprefix("library/"), {}))


def image(path: str, tag: str) -> HubImage | None:
    recipe = CATALOG.get(path.removeprefix("library/"), {}).get(tag)
    return None if recipe is None else build(recipe)


def busybox_image() -> HubImage:
    """The Hub's busybox:latest, which is also the baseline's busybox:latest."""
    found = image("library/busybox", "latest")
    assert found is not None
    return found


def install_local(
    engine: SimEngine, name: str, tag: str = "latest", with_digest: bool = False
) -> str:
    """Put an official image in the local store as if it were there already (no messages):
    layers, image and tag; the repo digest only when ``with_digest`` (a pulled image has one,
    the real test engine's locally built busybox has none). Returns the image ID."""
    from .registry import Registries

    ref = parse_normalized(f"{name}:{tag}")
    hub_image = image(ref.path, tag)
    if hub_image is None:
        raise KeyError(f"{name}:{tag} is not in the simulated Docker Hub")
    parent = ""
    for layer in hub_image.layers:
        parent = engine.layers.add(parent, layer.tar, size=layer.size).chain_id
    created = parse_rfc3339(json.loads(hub_image.config)["created"])
    image_id = engine.image_store.put(hub_image.config, "", created)
    engine.image_store.set_ref(ref, image_id, "")
    if with_digest:
        remote = Registries(engine).find(ref.domain, ref.path, tag, None)
        assert remote is not None
        engine.image_store.set_ref(replace(ref, tag=None, digest=remote.digest), image_id, "")
    return image_id


# -- the catalog ----------------------------------------------------------------------------------
# Dates, versions and sizes are those of the real images around early 2024 (node:14 and
# node:16 from their last builds). Sizes are what `docker images` shows.


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
    base: Recipe, name: str, version: str, npm: str, created: str, size: int, user: LayerStep | None
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
        functools.partial(cat.node_tree, npm),
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
        env("NODE_VERSION", version),
        install,
        env("YARN_VERSION", "1.22.19"),
        yarn,
        entry,
        entrypoint("docker-entrypoint.sh"),
        cmd("node"),
    )
    return Recipe(name, created, steps, base, size)


def _node_user(codename: str) -> LayerStep:
    tree = functools.partial(cat.node_user_tree, cat.DEBIAN_PASSWD, cat.DEBIAN_GROUP, "/bin/bash")
    return run(
        "groupadd --gid 1000 node   && useradd --uid 1000 --gid node --shell /bin/bash "
        "--create-home node",
        tree,
        333_000,
    )


def _python(
    base: Recipe, name: str, version: str, pip: str, created: str, size: int, slim: bool
) -> Recipe:
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
        functools.partial(cat.python_tree, version, pip),
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


def _catalog() -> dict[str, dict[str, Recipe]]:
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
    node20 = _node(
        bp_bookworm, "node:20", "20.11.1", "10.2.4", "2024-03-15T21:43:10Z", 1_100_000_000, user
    )
    python312 = _python(
        bp_bookworm, "python:3.12", "3.12.2", "24.0", "2024-03-12T06:05:23Z", 1_020_000_000, False
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
                "10.2.4",
                "2024-03-15T21:30:02Z",
                1_090_000_000,
                user,
            ),
            "16": _node(
                bp_bullseye,
                "node:16",
                "16.20.2",
                "8.19.4",
                "2023-09-08T04:13:15Z",
                909_000_000,
                _node_user("bullseye"),
            ),
            "14": _node(
                bp_buster,
                "node:14",
                "14.21.3",
                "6.14.18",
                "2023-04-12T02:50:07Z",
                912_000_000,
                _node_user("buster"),
            ),
            "14-alpine": _node(
                alpine317,
                "node:14-alpine",
                "14.21.3",
                "6.14.18",
                "2023-04-12T03:10:44Z",
                119_000_000,
                None,
            ),
            "20-alpine": _node(
                alpine319,
                "node:20-alpine",
                "20.11.1",
                "10.2.4",
                "2024-03-15T21:28:43Z",
                135_000_000,
                None,
            ),
        },
        "python": {
            "latest": python312,
            "3.12": python312,
            "3.11": _python(
                bp_bookworm,
                "python:3.11",
                "3.11.8",
                "24.0",
                "2024-03-12T06:07:31Z",
                1_010_000_000,
                False,
            ),
            "3.11-slim": _python(
                bookworm,
                "python:3.11-slim",
                "3.11.8",
                "24.0",
                "2024-03-12T05:22:01Z",
                131_000_000,
                True,
            ),
            "3.9": _python(
                bp_bookworm,
                "python:3.9",
                "3.9.18",
                "23.0.1",
                "2024-03-12T06:24:48Z",
                997_000_000,
                False,
            ),
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


CATALOG: dict[str, dict[str, Recipe]] = _catalog()
