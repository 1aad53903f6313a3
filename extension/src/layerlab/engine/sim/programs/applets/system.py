"""System applets: env, sleep, id, date, uname, ps, kill, which, xargs, sums, base64...

``test``/``[`` and ``expr`` have modules of their own (:mod:`conditions`, :mod:`expr`); this
module's ``APPLETS`` lists them with the rest.
"""

from __future__ import annotations

import base64 as b64
import hashlib
import re
import time

from layerlab.engine.sim.programs.applets.base import BUSYBOX_VERSION, Io, RunsForever, prog_name
from layerlab.engine.sim.programs.applets.cmdline import read_inputs, split_options
from layerlab.engine.sim.programs.applets.conditions import test
from layerlab.engine.sim.programs.applets.expr import expr
from layerlab.engine.sim.programs.applets.fileio import read_file
from layerlab.engine.sim.programs.applets.users import group_name, groups_of, user_name
from layerlab.engine.sim.programs.executable import ExecError, find_in_path

KERNEL_RELEASE = "5.15.0-layerlab"
KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Thu Jan  1 00:00:00 UTC 1970"
CPU_COUNT = 2


def true(argv: list[str], io: Io) -> int:
    return 0


def false(argv: list[str], io: Io) -> int:
    return 1


# -- environment and identity ---------------------------------------------------------------


def env(argv: list[str], io: Io) -> int:
    args = argv[1:]
    environment = dict(io.env)
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-i", "-"):
            environment = {}
        elif flag == "-u" and args:
            environment.pop(args.pop(0), None)
        elif flag == "--":
            break
    while args and "=" in args[0] and not args[0].startswith("="):
        name, _, value = args.pop(0).partition("=")
        environment[name] = value
    if not args:
        io.out("".join(f"{k}={v}\n" for k, v in environment.items()))
        return 0
    try:
        return io.sys.launcher.spawn(args, io.child(env=environment), from_shell=False)
    except ExecError:
        io.err(f"env: can't execute '{args[0]}': No such file or directory\n")
        return 127


def printenv(argv: list[str], io: Io) -> int:
    if len(argv) == 1:
        io.out("".join(f"{k}={v}\n" for k, v in io.env.items()))
        return 0
    status = 0
    for name in argv[1:]:
        if name in io.env:
            io.out(io.env[name] + "\n")
        else:
            status = 1
    return status


def id_(argv: list[str], io: Io) -> int:
    options, operands, _ = split_options(argv[1:])
    uid, gid = io.uid, io.gid
    if operands:
        from layerlab.engine.sim.programs.applets.users import passwd_row

        row = passwd_row(io.tree, operands[0])
        if row is None:
            io.err(f"id: unknown user {operands[0]}\n")
            return 1
        uid, gid = int(row[2]), int(row[3])
    user = user_name(io.tree, uid)
    group = group_name(io.tree, gid)
    if "u" in options:
        io.out((user if "n" in options and user else str(uid)) + "\n")
        return 0
    if "g" in options:
        io.out((group if "n" in options and group else str(gid)) + "\n")
        return 0

    def label(number: int, name: str | None) -> str:
        return f"{number}({name})" if name else str(number)

    groups = groups_of(io.tree, user or "", gid) if user else [gid]
    text = f"uid={label(uid, user)} gid={label(gid, group)}"
    text += " groups=" + ",".join(label(g, group_name(io.tree, g)) for g in groups)
    io.out(text + "\n")
    return 0


def whoami(argv: list[str], io: Io) -> int:
    name = user_name(io.tree, io.uid)
    if name is None:
        io.err(f"whoami: unknown uid {io.uid}\n")
        return 1
    io.out(name + "\n")
    return 0


def hostname(argv: list[str], io: Io) -> int:
    io.out(io.sys.hostname + "\n")
    return 0


def uname(argv: list[str], io: Io) -> int:
    options, _, _ = split_options(argv[1:])
    parts = {"s": "Linux", "n": io.sys.hostname, "r": KERNEL_RELEASE, "v": KERNEL_VERSION,
             "m": "x86_64", "o": "GNU/Linux"}  # fmt: skip
    chosen = "snrvmo" if "a" in options else "".join(k for k in "snrvmo" if k in options) or "s"
    io.out(" ".join(parts[k] for k in chosen) + "\n")
    return 0


def nproc(argv: list[str], io: Io) -> int:
    io.out(f"{CPU_COUNT}\n")
    return 0


def date(argv: list[str], io: Io) -> int:
    args = argv[1:]
    when = io.now()
    fmt = "%a %b %e %H:%M:%S UTC %Y"
    while args:
        arg = args.pop(0)
        if arg.startswith("+"):
            fmt = arg[1:]
        elif arg in ("-d", "--date") and args:
            value = args.pop(0)
            if value.startswith("@") and re.fullmatch(r"-?\d+", value[1:]):
                when = int(value[1:])
            else:
                io.err(f"date: invalid date '{value}'\n")
                return 1
        elif arg in ("-u", "-R", "-I"):
            if arg == "-R":
                fmt = "%a, %d %b %Y %H:%M:%S +0000"
            elif arg == "-I":
                fmt = "%Y-%m-%d"
        else:
            io.err(f"date: invalid date '{arg}'\n")
            return 1
    stamp = time.gmtime(int(when))
    fmt = fmt.replace("%Z", "UTC").replace("%s", str(int(when))).replace("%N", "000000000")
    io.out(time.strftime(fmt, stamp) + "\n")
    return 0


def sleep(argv: list[str], io: Io) -> int:
    if len(argv) < 2:
        io.err("Usage: sleep [N]...\n")
        return 1
    total = 0.0
    for arg in argv[1:]:
        if arg in ("inf", "infinity"):
            raise RunsForever(interruptible=False)
        match = re.fullmatch(r"(\d*\.?\d+)([smhd]?)", arg)
        if not match:
            io.err(f"sleep: invalid number '{arg}'\n")
            return 1
        total += (
            float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        )
    io.sleep(total)
    return 0


def usleep(argv: list[str], io: Io) -> int:
    if len(argv) > 1 and argv[1].isdigit():
        io.sleep(int(argv[1]) / 1_000_000)
    return 0


# `ps -o` columns: (header, width); the last column is never padded. From busybox 1.35.
PS_COLUMNS = {
    "user": ("USER", 8), "group": ("GROUP", 8), "comm": ("COMMAND", 16), "args": ("COMMAND", 0),
    "pid": ("PID", 5), "ppid": ("PPID", 5), "pgid": ("PGID", 5), "nice": ("NI", 5),
    "rgroup": ("RGROUP", 8), "ruser": ("RUSER", 8), "tty": ("TT", 6), "vsz": ("VSZ", 6),
    "sid": ("SID", 5), "stat": ("STAT", 4), "rss": ("RSS", 5),
}  # fmt: skip
PS_USAGE = (
    f"{BUSYBOX_VERSION} multi-call binary.\n\n"
    "Usage: ps [-o COL1,COL2=HEADER] [-T]\n\nShow list of processes\n\n"
    "\t-o COL1,COL2=HEADER\tSelect columns for display\n\t-T\t\t\tShow threads\n"
)


def _ps_columns(argv: list[str], io: Io) -> list[tuple[str, str]] | None:
    columns: list[tuple[str, str]] = []
    args = argv[1:]
    while args:
        arg = args.pop(0)
        if not arg.startswith("-") or arg == "-":
            continue  # BSD-style `ps aux`: busybox ignores it
        letters = arg[1:]
        while letters:
            letter, letters = letters[0], letters[1:]
            if letter == "o":
                spec = letters or (args.pop(0) if args else "")
                letters = ""
                for item in spec.split(","):
                    name, _, header = item.partition("=")
                    if name not in PS_COLUMNS:
                        supported = ",".join(PS_COLUMNS)
                        io.err(f"ps: bad -o argument '{name}', supported arguments: {supported}\n")
                        return None
                    columns.append((name, header or PS_COLUMNS[name][0]))
            elif letter not in "TAaedflx":
                io.err(f"ps: invalid option -- '{letter}'\n{PS_USAGE}")
                return None
    return columns or [("pid", "PID"), ("user", "USER"), ("args", "COMMAND")]


def _ps_cell(name: str, pid: int, uid: int, comm: str, cmdline: str, io: Io) -> str:
    if name in ("user", "ruser"):
        return user_name(io.tree, uid) or str(uid)
    if name in ("group", "rgroup"):
        return group_name(io.tree, uid) or str(uid)
    if name == "comm":
        return comm
    if name == "args":
        shown = cmdline.split(" ", 1)[0].rsplit("/", 1)[-1]
        return cmdline if shown == comm else f"{{{comm}}} {cmdline}"
    if name == "ppid":
        return "0" if pid == 1 else "1"
    if name in ("pid", "pgid", "sid"):
        return str(pid if name == "pid" else 1)
    return {"tty": "?", "stat": "S", "nice": "0"}.get(name, "0")


def ps(argv: list[str], io: Io) -> int:
    """busybox ps: the container's processes (PID 1, exec'd programs, their children)."""
    columns = _ps_columns(argv, io)
    if columns is None:
        return 1
    last = len(columns) - 1

    def line(cells: list[str], numeric: bool) -> str:
        out = []
        for index, ((name, _), cell) in enumerate(zip(columns, cells, strict=True)):
            width = PS_COLUMNS[name][1]
            if index == last:
                out.append(cell)
            elif numeric and name in ("pid", "ppid", "pgid", "sid", "nice", "vsz", "rss"):
                out.append(f"{cell:>{width}}")
            else:
                out.append(f"{cell:<{width}}")
        return " ".join(out) + "\n"

    io.out(line([header for _, header in columns], numeric=False))
    for pid, (uid, comm, cmdline) in sorted(io.sys.procs.items()):
        cells = [_ps_cell(name, pid, uid, comm, cmdline, io) for name, _ in columns]
        io.out(line(cells, numeric=True))
    return 0


def kill(argv: list[str], io: Io) -> int:
    name = prog_name(argv, io)
    args = argv[1:]
    if args and args[0] == "-l":
        io.out(" 1) HUP\n 2) INT\n 3) QUIT\n 9) KILL\n15) TERM\n")
        return 0
    if args and args[0].startswith("-"):
        args = args[1:]
        if args and args[0] == "--":
            args = args[1:]
    if not args:
        io.err(f"{name}: you need to specify whom to kill\n")
        return 1
    status = 0
    for pid in args:
        if not re.fullmatch(r"-?\d+", pid):
            io.err(f"{name}: bad pid '{pid}'\n")
            status = 1
        elif not 0 < int(pid) < io.sys.next_pid:
            io.err(f"{name}: can't kill pid {pid}: No such process\n")
            status = 1
    return status


def which(argv: list[str], io: Io) -> int:
    status = 0
    for name in argv[1:]:
        path = find_in_path(io, name, io.env.get("PATH", ""))
        if path is None:
            status = 1
        else:
            io.out(path + "\n")
    return status if len(argv) > 1 else 1


def xargs(argv: list[str], io: Io) -> int:
    options, command, _ = split_options(argv[1:], "nIs")
    command = command or ["echo"]
    words = re.findall(r"\"[^\"]*\"|'[^']*'|\S+", io.stdin.decode("utf-8", "surrogateescape"))
    words = [w[1:-1] if w[:1] in "'\"" else w for w in words]
    if "I" in options:
        lines = [line for line in io.stdin.decode().splitlines() if line.strip()]
        batches = [[part.replace(options["I"], line) for part in command] for line in lines]
    else:
        size = int(options["n"]) if options.get("n", "").isdigit() else max(len(words), 1)
        groups = [words[i : i + size] for i in range(0, len(words), size)] or [[]]
        batches = [command + group for group in groups]
    status = 0
    for batch in batches:
        try:
            code = io.sys.launcher.spawn(batch, io.child(stdin=b""), from_shell=False)
        except ExecError:
            io.err(f"xargs: {batch[0]}: No such file or directory\n")
            return 127
        status = 123 if code else status
    return status


# -- checksums and encodings ----------------------------------------------------------------


def _hasher(algorithm: str):
    def run(argv: list[str], io: Io) -> int:
        inputs, status = read_inputs(argv[1:], io, f"{algorithm}sum")
        for name, data in inputs:
            io.out(f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n")
        return status

    return run


def base64(argv: list[str], io: Io) -> int:
    options, files, _ = split_options(argv[1:], "w")
    data = read_file(io, files[0]) if files else io.stdin
    if "d" in options:
        try:
            io.out(b64.b64decode(b"".join(data.split())))
        except ValueError:
            io.err("base64: invalid input\n")
            return 1
        return 0
    encoded = b64.b64encode(data).decode()
    width = int(options.get("w", "76") or 76)
    lines = [encoded[i : i + width] for i in range(0, len(encoded), width)] if width else [encoded]
    io.out("".join(line + "\n" for line in lines))
    return 0


def pwd(argv: list[str], io: Io) -> int:
    io.out(io.cwd + "\n")
    return 0


def uptime(argv: list[str], io: Io) -> int:
    clock = time.strftime("%H:%M:%S", time.gmtime(int(io.now())))
    minutes = int(io.clock.t // 60)
    io.out(f" {clock} up {minutes} min,  0 users,  load average: 0.00, 0.00, 0.00\n")
    return 0


def noop(argv: list[str], io: Io) -> int:
    return 0


def tty(argv: list[str], io: Io) -> int:
    io.out("not a tty\n")
    return 1


APPLETS = {
    "true": true, "false": false, "test": test, "[": test, "[[": test, "env": env,
    "printenv": printenv, "id": id_, "whoami": whoami, "hostname": hostname, "uname": uname,
    "nproc": nproc, "date": date, "sleep": sleep, "usleep": usleep, "ps": ps, "kill": kill,
    "which": which, "xargs": xargs, "expr": expr, "md5sum": _hasher("md5"),
    "sha1sum": _hasher("sha1"), "sha256sum": _hasher("sha256"), "sha512sum": _hasher("sha512"),
    "base64": base64, "pwd": pwd, "uptime": uptime, "sync": noop, "tty": tty,
}  # fmt: skip
