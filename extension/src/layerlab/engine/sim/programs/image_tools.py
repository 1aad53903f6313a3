"""Programs of the simulated Docker Hub images: node, npm, apk, apt-get, nginx.

They do what a lesson needs and nothing more: print what the real tools print in the common
cases, change the filesystem the way they would (so layers and `docker diff` show the right
files), and never depend on real time or randomness.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re

from layerlab.engine.sim.programs.applets.base import FsError, Io, Program, RunsForever
from layerlab.engine.sim.programs.applets.fileio import read_file, write_file
from layerlab.engine.sim.programs.applets.paths import exists
from layerlab.engine.sim.programs.executable import ExecError, executable_data, resolve_executable
from layerlab.engine.sim.store.fs import directory


def _mkdirs(io: Io, path: str) -> None:
    current = ""
    for part in io.abspath(path).strip("/").split("/"):
        current += "/" + part
        if current not in io.tree:
            io.tree[current] = directory(mtime=int(io.now()), uid=io.uid, gid=io.gid)


def _put(io: Io, path: str, data: bytes | str, mode: int = 0o644) -> None:
    _mkdirs(io, posixpath.dirname(io.abspath(path)))
    write_file(io, path, data.encode() if isinstance(data, str) else data, mode=mode)


def _padding(name: str, size: int) -> bytes:
    """Deterministic filler standing for a package's real content."""
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def _string_literals(source: str, call: str) -> list[str]:
    pattern = re.escape(call) + r"\(\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|`([^`]*)`)"
    found = []
    for match in re.finditer(pattern, source):
        text = next(g for g in match.groups() if g is not None)
        found.append(text.encode().decode("unicode_escape", "replace"))
    return found


# -- node and npm ---------------------------------------------------------------------------


def _run_js(io: Io, source: str) -> int:
    for text in _string_literals(source, "console.log"):
        io.out(text + "\n")
    for text in _string_literals(source, "console.error"):
        io.err(text + "\n")
    if ".listen(" in source or "setInterval(" in source:
        raise RunsForever(sigterm_exit=None)  # node as PID 1 has no SIGTERM handler
    match = re.search(r"process\.exit\((\d+)\)", source)
    return int(match.group(1)) if match else 0


def node(argv: list[str], io: Io) -> int:
    args = argv[1:]
    if args and args[0] in ("-v", "--version"):
        io.out(f"v{io.env.get('NODE_VERSION', '20.11.1')}\n")
        return 0
    if args and args[0] in ("-e", "--eval", "-p") and len(args) > 1:
        return _run_js(io, args[1])
    if not args:
        return _run_js(io, io.stdin.decode("utf-8", "replace"))
    script = (
        args[0]
        if args[0].endswith(".js") or "." in posixpath.basename(args[0])
        else args[0] + ".js"
    )
    try:
        source = read_file(io, script).decode("utf-8", "replace")
    except FsError:
        path = io.abspath(script)
        io.err(
            "node:internal/modules/cjs/loader:1147\n  throw err;\n  ^\n\n"
            f"Error: Cannot find module '{path}'\n"
            "    at Module._resolveFilename (node:internal/modules/cjs/loader:1144:15)\n"
            "    at node:internal/main/run_main_module:28:49 {\n"
            "  code: 'MODULE_NOT_FOUND',\n  requireStack: []\n}\n\n"
            f"Node.js v{io.env.get('NODE_VERSION', '20.11.1')}\n"
        )
        return 1
    return _run_js(io, source)


def _pinned(spec: str) -> str:
    match = re.search(r"\d+(\.\d+){0,2}", spec)
    version = match.group(0) if match else "1.0.0"
    return ".".join([*version.split("."), "0", "0"][:3])


def _npm_error_enoent(io: Io, path: str) -> int:
    io.err(
        "npm ERR! code ENOENT\nnpm ERR! syscall open\n"
        f"npm ERR! path {path}\nnpm ERR! errno -2\n"
        f"npm ERR! enoent ENOENT: no such file or directory, open '{path}'\n"
        "npm ERR! enoent This is related to npm not being able to find a file.\nnpm ERR! enoent \n"
    )
    return 254


def npm(argv: list[str], io: Io) -> int:
    args = argv[1:]
    if not args or args[0] in ("-v", "--version"):
        io.out(f"{io.env.get('NPM_VERSION', '10.2.4')}\n")
        return 0
    command, rest = args[0], [a for a in args[1:] if not a.startswith("-")]
    manifest_path = posixpath.join(io.cwd, "package.json")
    try:
        manifest = json.loads(read_file(io, manifest_path) or b"{}")
    except FsError:
        manifest = None
    except ValueError:
        io.err(f"npm ERR! code EJSONPARSE\nnpm ERR! JSON.parse Failed to parse {manifest_path}\n")
        return 1
    if command in ("install", "i", "ci", "add"):
        if manifest is None and not rest:
            return _npm_error_enoent(io, manifest_path)
        return _npm_install(io, manifest or {}, rest, manifest_path)
    if manifest is None:
        return _npm_error_enoent(io, manifest_path)
    script_name = rest[0] if command in ("run", "run-script") and rest else command
    scripts = manifest.get("scripts", {})
    script = scripts.get(script_name)
    if script is None and script_name == "start" and exists(io.tree, "server.js", io.cwd):
        script = "node server.js"
    if script is None:
        io.err(f'npm ERR! Missing script: "{script_name}"\nnpm ERR! \n'
               "npm ERR! To see a list of scripts, run:\nnpm ERR!   npm run\n")  # fmt: skip
        return 1
    io.out(
        f"\n> {manifest.get('name', 'app')}@{manifest.get('version', '1.0.0')} {script_name}\n"
        f"> {script}\n\n"
    )
    return io.sys.launcher.spawn(["sh", "-c", script], io, from_shell=False)


def _npm_install(io: Io, manifest: dict, extra: list[str], manifest_path: str) -> int:
    dependencies = dict(manifest.get("dependencies", {}))
    for name in extra:
        package, _, version = name.rpartition("@") if name.rfind("@") > 0 else (name, "", "")
        dependencies[package] = f"^{_pinned(version)}"
    if extra:
        manifest["dependencies"] = dependencies
        _put(io, manifest_path, json.dumps(manifest, indent=2) + "\n")
    io.sleep(1)
    lock = {"name": manifest.get("name", "app"), "version": manifest.get("version", "1.0.0"),
            "lockfileVersion": 3, "requires": True, "packages": {}}  # fmt: skip
    for name, spec in sorted(dependencies.items()):
        version = _pinned(str(spec))
        base = posixpath.join(io.cwd, "node_modules", name)
        _put(
            io,
            base + "/package.json",
            json.dumps({"name": name, "version": version}, indent=2) + "\n",
        )
        _put(io, base + "/index.js", f"// {name}@{version} (LayerLab simulated package)\n"
             "module.exports = {};\n")  # fmt: skip
        lock["packages"][f"node_modules/{name}"] = {"version": version}
    _put(io, posixpath.join(io.cwd, "package-lock.json"), json.dumps(lock, indent=2) + "\n")
    count = len(dependencies)
    if count:
        io.out(f"\nadded {count} package{'s' if count != 1 else ''}, and audited {count + 1} "
               f"packages in 1s\n\nfound 0 vulnerabilities\n")  # fmt: skip
    else:
        io.out("\nup to date, audited 1 package in 1s\n\nfound 0 vulnerabilities\n")
    return 0


# -- apk and apt-get ------------------------------------------------------------------------


def _alpine_branch(io: Io) -> str:
    try:
        release = read_file(io, "/etc/alpine-release").decode().strip()
    except FsError:
        release = "3.19.1"
    return "v" + ".".join(release.split(".")[:2])


def apk(argv: list[str], io: Io) -> int:
    args = argv[1:]
    if not args:
        io.out("usage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n")
        return 1
    command = args[0]
    options = [a for a in args[1:] if a.startswith("-")]
    names = [a for a in args[1:] if not a.startswith("-")]
    branch = _alpine_branch(io)
    db_path = "/lib/apk/db/installed"
    try:
        db = read_file(io, db_path).decode()
    except FsError:
        db = ""
    if io.uid != 0:
        io.err("ERROR: Unable to lock database: Permission denied\n"
               "ERROR: Failed to open apk database: Permission denied\n")  # fmt: skip
        return 99
    fetch = "".join(f"fetch https://dl-cdn.alpinelinux.org/alpine/{branch}/{repo}/x86_64/APKINDEX.tar.gz\n"
                    for repo in ("main", "community"))  # fmt: skip
    if command == "update":
        io.out(fetch + f"{branch}.1 [https://dl-cdn.alpinelinux.org/alpine/{branch}/main]\n"
               f"{branch}.1 [https://dl-cdn.alpinelinux.org/alpine/{branch}/community]\n"
               "OK: 23459 distinct packages available\n")  # fmt: skip
        _put(io, "/var/cache/apk/APKINDEX.main.tar.gz", _padding("main", 480_000))
        return 0
    if command not in ("add", "del"):
        io.err(f"apk: applet '{command}' not supported in LayerLab's simulator\n")
        return 1
    present = re.findall(r"^P:(.+)$", db, re.MULTILINE)
    if command == "add":
        io.out(fetch)
        if "--no-cache" not in options:
            _put(io, "/var/cache/apk/APKINDEX.main.tar.gz", _padding("main", 480_000))
        new = [n for n in names if n not in present]
        for index, name in enumerate(new, 1):
            version = f"{1 + len(name) % 7}.{len(name) % 10}.0-r0"
            io.out(f"({index}/{len(new)}) Installing {name} ({version})\n")
            _put(io, f"/usr/bin/{name}", _executable(name, 150_000 + 1000 * len(name)), mode=0o755)
            checksum = hashlib.sha1(name.encode()).hexdigest()[:26]
            db += f"C:Q1{checksum}=\nP:{name}\nV:{version}\nA:x86_64\n\n"
        _put(io, db_path, db)
        count = len(re.findall(r"^P:", db, re.MULTILINE))
    else:
        for name in names:
            db = re.sub(rf"(?ms)^C:[^\n]*\nP:{re.escape(name)}\n.*?\n\n", "", db)
            try:
                from layerlab.engine.sim.programs.applets.fileio import remove_path

                remove_path(io, f"/usr/bin/{name}")
            except FsError:
                pass
        _put(io, db_path, db)
        count = len(re.findall(r"^P:", db, re.MULTILINE))
    io.out(f"OK: {7 + count} MiB in {count} packages\n")
    return 0


def _executable(name: str, size: int) -> bytes:
    return executable_data(name, size)


APT_LISTS = "/var/lib/apt/lists"


def apt_get(argv: list[str], io: Io) -> int:
    args = argv[1:]
    command = next((a for a in args if not a.startswith("-")), "")
    yes = any(a in ("-y", "--yes", "-qy", "-yq", "--assume-yes") for a in args)
    names = [a for a in args if not a.startswith("-")][1:]
    if io.uid != 0:
        io.err(
            "E: Could not open lock file /var/lib/dpkg/lock-frontend - "
            "open (13: Permission denied)\n"
        )
        return 100
    if command == "update":
        io.out("Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\n"
               "Get:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]\n"
               "Get:3 http://deb.debian.org/debian-security bookworm-security InRelease [48.0 kB]\n"
               "Get:4 http://deb.debian.org/debian bookworm/main amd64 "
               "Packages [8787 kB]\n")  # fmt: skip
        io.sleep(2)
        io.out("Fetched 9041 kB in 2s (4520 kB/s)\nReading package lists...\n")
        _put(io, f"{APT_LISTS}/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
             _padding("bookworm-main", 8_787_000))  # fmt: skip
        return 0
    if command in ("clean", "autoclean"):
        return 0
    if command != "install":
        io.err(f"E: Invalid operation {command}\n")
        return 100
    io.out("Reading package lists...\n")
    if not any(p.startswith(APT_LISTS + "/") and p.endswith("Packages.lz4") for p in io.tree):
        io.out("Building dependency tree...\nReading state information...\n")
        io.err(f"E: Unable to locate package {names[0] if names else ''}\n")
        return 100
    io.out("Building dependency tree...\nReading state information...\n"
           "The following NEW packages will be installed:\n  " + " ".join(names) + "\n"
           f"0 upgraded, {len(names)} newly installed, 0 to remove and 0 not upgraded.\n"
           f"Need to get {315 * len(names)} kB of archives.\n"
           f"After this operation, {1024 * len(names)} kB of additional disk "
           "space will be used.\n")  # fmt: skip
    if not yes:
        io.out("Do you want to continue? [Y/n] Abort.\n")
        return 1
    status_path = "/var/lib/dpkg/status"
    try:
        status = read_file(io, status_path).decode()
    except FsError:
        status = ""
    for index, name in enumerate(names, 1):
        version = f"{1 + len(name) % 7}.{len(name) % 10}.0-1"
        io.out(
            f"Get:{index} http://deb.debian.org/debian bookworm/main amd64 {name} amd64 "
            f"{version} [315 kB]\n"
        )
    io.err("debconf: delaying package configuration, since apt-utils is not installed\n")
    io.out(f"Fetched {315 * len(names)} kB in 0s ({315 * len(names)} kB/s)\n")
    for name in names:
        version = f"{1 + len(name) % 7}.{len(name) % 10}.0-1"
        io.out(f"Selecting previously unselected package {name}.\n"
               "(Reading database ... 6090 files and directories currently installed.)\n"
               f"Preparing to unpack .../{name}_{version}_amd64.deb ...\n"
               f"Unpacking {name} ({version}) ...\n")  # fmt: skip
        _put(io, f"/usr/bin/{name}", _executable(name, 200_000 + 1000 * len(name)), mode=0o755)
        _put(io, f"/usr/share/doc/{name}/copyright", f"{name}: simulated package\n")
        status += (f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
                   f"Version: {version}\n\n")  # fmt: skip
    for name in names:
        version = f"{1 + len(name) % 7}.{len(name) % 10}.0-1"
        io.out(f"Setting up {name} ({version}) ...\n")
    _put(io, status_path, status)
    return 0


# -- nginx ----------------------------------------------------------------------------------


def nginx(argv: list[str], io: Io) -> int:
    args = argv[1:]
    if "-v" in args or "-V" in args:
        io.err(f"nginx version: nginx/{io.env.get('NGINX_VERSION', '1.25.3')}\n")
        return 0
    if "-t" in args:
        io.err("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
               "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")  # fmt: skip
        return 0
    foreground = any("daemon off" in a for a in args)
    if not foreground:
        return 0  # nginx forks into the background; the container's main process has ended
    raise RunsForever(sigterm_exit=0)  # nginx stops gracefully on SIGTERM (fast shutdown)


# -- hello-world ----------------------------------------------------------------------------


def hello(argv: list[str], io: Io) -> int:
    """hello-world's /hello: prints the message stored after its executable marker line."""
    try:
        _, entry = resolve_executable(io, argv[0])
    except ExecError:
        return 1
    io.out(entry.data.split(b"\n", 1)[1].rstrip(b"\0") if b"\n" in entry.data else b"")
    return 0


PROGRAMS: dict[str, Program] = {
    "hello": hello,
    "node": node,
    "npm": npm,
    "apk": apk,
    "apt-get": apt_get,
    "apt": apt_get,
    "nginx": nginx,
}
