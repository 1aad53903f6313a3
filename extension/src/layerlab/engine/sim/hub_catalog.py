"""File trees of the simulated Docker Hub images: what each layer really holds.

Only what the images need to run their programs is stored (a shell, coreutils, a package
manager, node/npm, python/pip, nginx, hello); the sizes `docker images` shows are declared in
:mod:`hub`. Executables are simulated ones (:func:`process.executable_data`): the program name
after the marker picks the implementation (``coreutils`` dispatches on argv[0] like busybox).
"""

from __future__ import annotations

from .applets import busybox_applet_names
from .fs import Tree
from .process import executable_data
from .rootfs import LayoutItem, lay_down

COREUTILS = [
    "[",
    "basename",
    "cat",
    "chgrp",
    "chmod",
    "chown",
    "cp",
    "cut",
    "date",
    "dd",
    "df",
    "dirname",
    "du",
    "echo",
    "env",
    "expr",
    "false",
    "head",
    "id",
    "ln",
    "ls",
    "mkdir",
    "mktemp",
    "mv",
    "nproc",
    "printf",
    "pwd",
    "readlink",
    "rm",
    "rmdir",
    "seq",
    "sleep",
    "sort",
    "stat",
    "tail",
    "tee",
    "test",
    "touch",
    "tr",
    "true",
    "uname",
    "uniq",
    "wc",
    "whoami",
    "yes",
    "grep",
    "sed",
    "find",
    "xargs",
    "tar",
    "gzip",
    "gunzip",
    "hostname",
    "mount",
    "umount",
    "more",
    "su",
    "login",
]


def _exe(path: str, program: str, uid: int = 0, gid: int = 0) -> LayoutItem:
    return (path, "file", 0o755, executable_data(program), uid, gid)


def _file(
    path: str, text: str | bytes, mode: int = 0o644, uid: int = 0, gid: int = 0
) -> LayoutItem:
    return (path, "file", mode, text, uid, gid)


def _dir(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> LayoutItem:
    return (path, "dir", mode, b"", uid, gid)


def _link(path: str, target: str) -> LayoutItem:
    return (path, "symlink", 0o777, target)


# ---------------------------------------------------------------------------------------------
# Debian and Ubuntu

DEBIAN_PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
DEBIAN_GROUP = "".join(
    f"{name}:x:{gid}:\n"
    for name, gid in [
        ("root", 0),
        ("daemon", 1),
        ("bin", 2),
        ("sys", 3),
        ("adm", 4),
        ("tty", 5),
        ("disk", 6),
        ("lp", 7),
        ("mail", 8),
        ("news", 9),
        ("uucp", 10),
        ("man", 12),
        ("proxy", 13),
        ("kmem", 15),
        ("dialout", 20),
        ("fax", 21),
        ("voice", 22),
        ("cdrom", 24),
        ("floppy", 25),
        ("tape", 26),
        ("sudo", 27),
        ("audio", 29),
        ("dip", 30),
        ("www-data", 33),
        ("backup", 34),
        ("operator", 37),
        ("list", 38),
        ("irc", 39),
        ("src", 40),
        ("shadow", 42),
        ("utmp", 43),
        ("video", 44),
        ("sasl", 45),
        ("plugdev", 46),
        ("staff", 50),
        ("games", 60),
        ("users", 100),
        ("nogroup", 65534),
    ]
)


def _shadow(passwd: str) -> str:
    return "".join(f"{line.split(':')[0]}:*:19000:0:99999:7:::\n" for line in passwd.splitlines())


def debian_rootfs(
    os_release: str, version_file: tuple[str, str], merged_usr: bool, apt_sources: tuple[str, str]
) -> list[LayoutItem]:
    """A minimal Debian-family root: bash/dash, coreutils, apt-get, dpkg and the usual dirs."""
    bindir = "/usr/bin" if merged_usr else "/bin"
    items: list[LayoutItem] = [
        _dir("/boot"),
        _dir("/dev"),
        _dir("/home"),
        _dir("/media"),
        _dir("/mnt"),
        _dir("/opt"),
        _dir("/proc"),
        _dir("/root", 0o700),
        _dir("/run"),
        _dir("/srv"),
        _dir("/sys"),
        _dir("/tmp", 0o1777),
        _dir("/usr/local/bin"),
        _dir("/usr/local/sbin"),
        _dir("/usr/sbin"),
        _dir("/usr/lib"),
        _dir("/usr/share"),
        _dir("/var/cache/apt"),
        _dir("/var/lib/apt/lists"),
        _dir("/var/log"),
        _dir("/var/mail", 0o2775, 0, 8),
        _dir("/var/tmp", 0o1777),
        _file("/usr/lib/os-release", os_release),
        _link("/etc/os-release", "../usr/lib/os-release"),
        _file(*version_file),
        _file("/etc/passwd", DEBIAN_PASSWD),
        _file("/etc/group", DEBIAN_GROUP),
        _file("/etc/shadow", _shadow(DEBIAN_PASSWD), 0o640, 0, 42),
        _file("/etc/hostname", ""),
        _file("/etc/profile", PROFILE),
        _file("/etc/bash.bashrc", "# System-wide .bashrc file\n"),
        _file("/root/.bashrc", "# ~/.bashrc: executed by bash(1) for non-login shells.\n"),
        _file("/root/.profile", "# ~/.profile: executed by Bourne-compatible login shells.\n"),
        _file(*apt_sources),
        _exe(f"{bindir}/bash", "bash"),
        _exe(f"{bindir}/dash", "dash"),
        _link(f"{bindir}/sh", "dash"),
        _exe("/usr/bin/apt-get", "apt-get"),
        _exe("/usr/bin/apt", "apt"),
        _exe(f"{bindir}/dpkg" if not merged_usr else "/usr/bin/dpkg", "dpkg"),
        _file("/var/lib/dpkg/status", ""),
    ]
    items += [_exe(f"{bindir}/{name}", "coreutils") for name in COREUTILS]
    if merged_usr:
        items += [_link("/bin", "usr/bin"), _link("/sbin", "usr/sbin"), _link("/lib", "usr/lib")]
    else:
        items += [_dir("/sbin"), _dir("/lib")]
    return items


PROFILE = """\
# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH
"""


def debian_os_release(version_id: str, codename: str) -> str:
    return (
        f'PRETTY_NAME="Debian GNU/Linux {version_id} ({codename})"\nNAME="Debian GNU/Linux"\n'
        f'VERSION_ID="{version_id}"\nVERSION="{version_id} ({codename})"\n'
        f'VERSION_CODENAME={codename}\nID=debian\nHOME_URL="https://www.debian.org/"\n'
        'SUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n'
    )


def debian_tree(version_id: str, point: str, codename: str) -> Tree:
    merged = codename == "bookworm"
    if merged:
        sources = (
            "/etc/apt/sources.list.d/debian.sources",
            f"Types: deb\nURIs: http://deb.debian.org/debian\nSuites: {codename} "
            f"{codename}-updates\n"
            "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        )
    else:
        sources = (
            "/etc/apt/sources.list",
            f"deb http://deb.debian.org/debian {codename} main\n"
            f"deb http://deb.debian.org/debian-security {codename}-security main\n"
            f"deb http://deb.debian.org/debian {codename}-updates main\n",
        )
    return lay_down(
        debian_rootfs(
            debian_os_release(version_id, codename),
            ("/etc/debian_version", point + "\n"),
            merged,
            sources,
        )
    )


def ubuntu_tree(version: str, full: str, codename: str) -> Tree:
    release = (
        f'PRETTY_NAME="Ubuntu {full} LTS"\nNAME="Ubuntu"\nVERSION_ID="{version}"\n'
        f'VERSION="{full} LTS ({codename.capitalize()} '
        f'{"Jellyfish" if codename == "jammy" else "Fossa"})"\n'
        f"VERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\n"
        'HOME_URL="https://www.ubuntu.com/"\nSUPPORT_URL="https://help.ubuntu.com/"\n'
        f"UBUNTU_CODENAME={codename}\n"
    )
    sources = (
        "/etc/apt/sources.list",
        f"deb http://archive.ubuntu.com/ubuntu/ {codename} main restricted\n"
        f"deb http://security.ubuntu.com/ubuntu/ {codename}-security main restricted\n",
    )
    items = debian_rootfs(release, ("/etc/debian_version", f"{codename}/sid\n"), True, sources)
    items.append(
        _file(
            "/etc/lsb-release",
            f"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE={version}\nDISTRIB_CODENAME={codename}\n"
            f'DISTRIB_DESCRIPTION="Ubuntu {full} LTS"\n',
        )
    )
    return lay_down(items)


def tools_tree(programs: dict[str, str], extra: list[LayoutItem] | None = None) -> Tree:
    """A layer that installs simulated programs (``{path: program}``) plus a few files."""
    return lay_down([_exe(path, program) for path, program in programs.items()] + (extra or []))


# ---------------------------------------------------------------------------------------------
# Alpine

ALPINE_PASSWD = """\
root:x:0:0:root:/root:/bin/ash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
man:x:13:15:man:/usr/man:/sbin/nologin
postmaster:x:14:12:postmaster:/var/mail:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
at:x:25:25:at:/var/spool/cron/atjobs:/sbin/nologin
squid:x:31:31:Squid:/var/cache/squid:/sbin/nologin
xfs:x:33:33:X Font Server:/etc/X11/fs:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
cyrus:x:85:12::/usr/cyrus:/sbin/nologin
vpopmail:x:89:89::/var/vpopmail:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
smmsp:x:209:209:smmsp:/var/spool/mqueue:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
"""
ALPINE_GROUP = "".join(
    f"{name}:x:{gid}:{members}\n"
    for name, gid, members in [
        ("root", 0, "root"),
        ("bin", 1, "root,bin,daemon"),
        ("daemon", 2, "root,bin,daemon"),
        ("sys", 3, "root,bin,adm"),
        ("adm", 4, "root,adm,daemon"),
        ("tty", 5, ""),
        ("disk", 6, "root,adm"),
        ("lp", 7, "lp"),
        ("mem", 8, ""),
        ("kmem", 9, ""),
        ("wheel", 10, "root"),
        ("floppy", 11, "root"),
        ("mail", 12, "mail"),
        ("news", 13, "news"),
        ("uucp", 14, "uucp"),
        ("man", 15, "man"),
        ("cron", 16, "cron"),
        ("console", 17, ""),
        ("audio", 18, ""),
        ("cdrom", 19, ""),
        ("dialout", 20, "root"),
        ("ftp", 21, ""),
        ("sshd", 22, ""),
        ("input", 23, ""),
        ("at", 25, "at"),
        ("tape", 26, "root"),
        ("video", 27, "root"),
        ("netdev", 28, ""),
        ("readproc", 30, ""),
        ("squid", 31, "squid"),
        ("xfs", 33, "xfs"),
        ("kvm", 34, "kvm"),
        ("games", 35, ""),
        ("shadow", 42, ""),
        ("cdrw", 80, ""),
        ("www-data", 82, ""),
        ("usb", 85, ""),
        ("vpopmail", 89, ""),
        ("users", 100, "games"),
        ("ntp", 123, ""),
        ("nofiles", 200, ""),
        ("smmsp", 209, "smmsp"),
        ("locate", 245, ""),
        ("abuild", 300, ""),
        ("utmp", 406, ""),
        ("ping", 999, ""),
        ("nogroup", 65533, ""),
        ("nobody", 65534, ""),
    ]
)


def alpine_tree(version: str) -> Tree:
    minor = ".".join(version.split(".")[:2])
    items: list[LayoutItem] = [
        _exe("/bin/busybox", "busybox"),
        _exe("/sbin/apk", "apk"),
        _file("/lib/ld-musl-x86_64.so.1", b"\x7fELF musl libc\n", 0o755),
        _link("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
        _file("/etc/alpine-release", version + "\n"),
        _file(
            "/etc/os-release",
            f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version}\nPRETTY_NAME="Alpine Linux v{minor}"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n',
        ),
        _file(
            "/etc/apk/repositories",
            f"https://dl-cdn.alpinelinux.org/alpine/v{minor}/main\nhttps://dl-cdn.alpinelinux.org/alpine/v{minor}/community\n",
        ),
        _file(
            "/etc/apk/world",
            "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nca-certificates-bundle\nlibc-utils\n",
        ),
        _file("/lib/apk/db/installed", ""),
        _file("/etc/passwd", ALPINE_PASSWD),
        _file("/etc/group", ALPINE_GROUP),
        _file("/etc/shadow", _shadow(ALPINE_PASSWD), 0o640, 0, 42),
        _file("/etc/hostname", "localhost\n"),
        _file("/etc/profile", PROFILE.replace("(sh(1))", "")),
        _dir("/dev"),
        _dir("/home"),
        _dir("/media"),
        _dir("/mnt"),
        _dir("/opt"),
        _dir("/proc"),
        _dir("/root", 0o700),
        _dir("/run"),
        _dir("/srv"),
        _dir("/sys"),
        _dir("/tmp", 0o1777),
        _dir("/usr/local/bin"),
        _dir("/usr/sbin"),
        _dir("/usr/bin"),
        _dir("/var/cache/apk"),
        _dir("/var/log"),
        _dir("/var/tmp", 0o1777),
    ]
    items += [
        _link(f"/bin/{name}", "/bin/busybox")
        for name in busybox_applet_names()
        if name != "busybox"
    ]
    return lay_down(items)


# ---------------------------------------------------------------------------------------------
# Node.js, Python, nginx, hello-world

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
            _file("/etc/passwd", passwd + f"node:x:1000:1000::/home/node:{shell}\n"),
            _file("/etc/group", group + "node:x:1000:\n"),
            _file("/etc/shadow", _shadow(passwd + "node:x\n"), 0o640, 0, 42),
            _dir("/home/node", 0o755, 1000, 1000),
            _file(
                "/home/node/.bashrc",
                "# ~/.bashrc: executed by bash(1) for non-login shells.\n",
                0o644,
                1000,
                1000,
            ),
            _file(
                "/home/node/.profile",
                "# ~/.profile: executed by the command interpreter for login shells.\n",
                0o644,
                1000,
                1000,
            ),
        ]
    )


def node_tree(npm_version: str) -> Tree:
    return lay_down(
        [
            _exe("/usr/local/bin/node", "node"),
            _exe("/usr/local/bin/npm", "npm"),
            _exe("/usr/local/bin/npx", "npx"),
            _exe("/usr/local/bin/corepack", "corepack"),
            _file(
                "/usr/local/lib/node_modules/npm/package.json",
                f'{{"name":"npm","version":"{npm_version}"}}\n',
            ),
            _dir("/usr/local/include/node"),
            _dir("/usr/local/share/doc/node"),
        ]
    )


def yarn_tree(version: str) -> Tree:
    home = f"/opt/yarn-v{version}"
    return lay_down(
        [
            _exe(f"{home}/bin/yarn", "yarn"),
            _exe(f"{home}/bin/yarnpkg", "yarn"),
            _file(f"{home}/package.json", f'{{"name":"yarn","version":"{version}"}}\n'),
            _link("/usr/local/bin/yarn", f"{home}/bin/yarn"),
            _link("/usr/local/bin/yarnpkg", f"{home}/bin/yarnpkg"),
        ]
    )


def file_tree(path: str, text: str, mode: int = 0o755) -> Tree:
    return lay_down([_file(path, text, mode)])


def python_tree(version: str, pip_version: str) -> Tree:
    short = ".".join(version.split(".")[:2])
    return lay_down(
        [
            _exe(f"/usr/local/bin/python{short}", "python3"),
            _link("/usr/local/bin/python3", f"python{short}"),
            _exe(f"/usr/local/bin/pip{short}", "pip"),
            _exe("/usr/local/bin/pip3", "pip"),
            _file(f"/usr/local/lib/python{short}/os.py", '"""OS routines for NT or Posix."""\n'),
            _file(
                f"/usr/local/lib/python{short}/site-packages/pip-{pip_version}.dist-info/METADATA",
                f"Metadata-Version: 2.1\nName: pip\nVersion: {pip_version}\n",
            ),
        ]
    )


def python_links_tree() -> Tree:
    links = {
        "idle": "idle3",
        "pydoc": "pydoc3",
        "python": "python3",
        "python-config": "python3-config",
        "pip": "pip3",
    }
    return lay_down([_link(f"/usr/local/bin/{name}", target) for name, target in links.items()])


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
            _exe("/usr/sbin/nginx", "nginx"),
            _exe("/usr/sbin/nginx-debug", "nginx"),
            _file("/etc/nginx/nginx.conf", NGINX_CONF),
            _file("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF),
            _file("/etc/nginx/mime.types", "types {\n    text/html  html htm shtml;\n}\n"),
            _file("/usr/share/nginx/html/index.html", NGINX_INDEX),
            _file(
                "/usr/share/nginx/html/50x.html",
                "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n"
                "<h1>An error occurred.</h1>\n</body>\n</html>\n",
            ),
            _link("/var/log/nginx/access.log", "/dev/stdout"),
            _link("/var/log/nginx/error.log", "/dev/stderr"),
            _dir("/var/cache/nginx"),
            _dir("/docker-entrypoint.d"),
            _file("/etc/passwd", passwd + f"nginx:x:101:101:nginx user:/nonexistent:{nologin}\n"),
            _file("/etc/group", group + "nginx:x:101:\n"),
            _exe("/usr/bin/envsubst", "envsubst"),
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
    return lay_down([_file("/hello", executable_data("hello") + HELLO_MESSAGE.encode(), 0o775)])
