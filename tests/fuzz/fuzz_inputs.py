"""What the fuzz harness feeds the simulator: command lines, Dockerfiles, Go templates, shell
scripts and byte strings, generated with Hypothesis.

Command lines come from LayerLab's own command table (every docker command and every flag it
accepts, modelled or not), so most of them get past the flag parser and reach the daemon.
Arguments are drawn from small pools that name things the state may hold (containers, images,
tags) mixed with mutations: text that is not UTF-8 (lone surrogates, as a terminal's bytes
arrive), very long words, quotes, templates.

Host paths are the one thing not drawn at random: a command that reads or writes the host
(``cp``, ``save -o``, ``load -i``, ``build``'s context and ``-f``) only ever gets a relative
name inside the harness's own folder, so a fuzz run cannot write over a file of the machine.
"""

from __future__ import annotations

from hypothesis import strategies as st

from layerlab.cli.flags import FlagSpec
from layerlab.cli.grammar import GROUPS, TOP_COMMANDS, Command

CONTAINERS = ["c1", "c2", "web", "c1x", "Up", "ab"]
IMAGES = [
    "busybox", "busybox:latest", "busybox:1.36", "python:3.12", "alpine", "node:14",
    "fz:1", "fz:2", "localhost:5000/fz", "nosuch", "scratch", "BUSYBOX", "busybox@sha256:0",
]  # fmt: skip
# Names the harness's folder holds (see ``DockerMachine``): the only host paths it passes.
HOST_NAMES = ["ctx", "ctx/Dockerfile", "out.tar", "in.tar", "f.txt", "-", "nodir/out.tar", "."]
CONTAINER_PATHS = ["/", "/etc/passwd", "/tmp", "/nosuch", "/etc/", "/tmp/f.txt", ".", "/proc"]

# Bytes a terminal may send that are not UTF-8 arrive as lone surrogates (surrogateescape).
odd_text = st.one_of(
    st.text(max_size=12),
    st.binary(max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.sampled_from(["", " ", "'", '"', "\\", "\n", "-", "--", "=", "a=b", "\x00", "é", "🐳"]),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "a" * n),
)

TEMPLATE_WORDS = [
    "{{", "}}", "{{-", "-}}", ".", ".ID", ".Names", ".Repository", ".Tag", ".Config",
    ".State.Status", ".Nope", "$", "$x", ":=", "=", "|", "(", ")", ",", "printf", "print",
    "println", "len", "index", "slice", "json", "join", "split", "upper", "lower", "title",
    "truncate", "pad", "table", "if", "else", "end", "range", "with", "define", "template",
    "block", "break", "continue", "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge",
    "html", "js", "urlquery", "call", "nil", "true", "false", '"%d"', '"%c"', '"%s"', '"%q"',
    '"%x"', '"%v"', '"%-5.2f"', '"%U"', '"%#v"', '"%[2]d"', '"%!"', '"%100000000d"', '"a"',
    '"\\u00zz"', '"\\xff"', "`raw`", "'a'", "'ab'", "'\\n'", "-1", "0", "1", "3.5", "1e9",
    "0x1F", "1_000", "99999999999999999999", "\t", "\n", " ", "/* c */",
]  # fmt: skip
_template_words = st.lists(st.sampled_from(TEMPLATE_WORDS), max_size=10)
# An action: mostly well formed ({{ words }}), so that templates reach the executor.
_action = st.one_of(
    _template_words.map(lambda words: "{{" + " ".join(words) + "}}"),
    st.tuples(_template_words, odd_text).map(lambda pair: "{{" + " ".join(pair[0]) + pair[1]),
)
templates = st.one_of(
    st.lists(st.one_of(_action, st.sampled_from(["x", " ", "\t", "\n", "table "])),
             min_size=1, max_size=5).map("".join),
    _template_words.map("".join),
    odd_text,
)  # fmt: skip

SHELL_SNIPPETS = [
    "echo hi", "echo $HOME", "ls /", "ls -l /etc", "cat /etc/passwd", "id", "whoami",
    "pwd", "cd /tmp", "touch f", "mkdir -p a/b", "rm -rf /tmp", "echo x > /f", "cat /f",
    "sleep 1", "exit 3", "false", "true", "yes | head -2", "seq 5", "seq 3 -1 1",
    "head -c 10 /dev/urandom | wc -c", "wc -l /etc/passwd", "grep root /etc/passwd",
    "sed s/a/b/ /etc/hostname", "x=$((1+2)); echo $x", "for i in 1 2 3; do echo $i; done",
    "while false; do :; done", "case a in a) echo A;; esac", "f() { echo $1; }; f z",
    "echo ${x:-d}", "echo $(echo sub)", "trap 'echo t' TERM", "kill -0 $$", "ps",
    "env", "export A=1; env | grep A", "printf '%s\\n' a b", "test -f /f && echo y",
    "[ 1 -lt 2 ]", "read v; echo $v", "cat", "tr a-z A-Z", "sort", "uniq", "date",
    "hostname", "df -h", "du -s /etc", "chmod 600 /f", "chown 1000 /f", "ln -s /f /g",
    "mv /f /h", "cp /etc/passwd /p", "tar cf /t.tar /etc", "gzip -c /etc/passwd",
    "dd if=/dev/zero of=/z bs=1k count=4", "find / -name passwd", "xargs echo",
    "while true; do :; done", "sleep infinity", "tail -f /dev/null", "python -c 'print(1+1)'",
    "python3 -c 'import sys; sys.exit(4)'", "echo 'unclosed", "((", "}", "if then fi",
    "${x", "$(", "`", "<<EOF", "cat <<EOF\nhi\nEOF", "echo a >&3", "exec 3>/f",
]  # fmt: skip
shell_scripts = st.one_of(
    st.lists(st.sampled_from(SHELL_SNIPPETS), min_size=1, max_size=5).flatmap(
        lambda parts: st.sampled_from(["; ", " && ", " || ", " | ", "\n", " & "]).map(
            lambda glue: glue.join(parts)
        )
    ),
    odd_text,
)

DOCKERFILE_LINES = [
    "FROM busybox", "FROM busybox AS base", "FROM scratch", "FROM nosuch", "FROM base",
    "FROM ${IMG}", "FROM python:3.12", "FROM --platform=linux/arm64 busybox", "ARG IMG=busybox",
    "ARG A", "ENV A=1 B=2", "ENV A", "LABEL a=b", "LABEL", "WORKDIR /app", "WORKDIR rel",
    "USER 1000", "USER nobody:nogroup", "USER", "CMD echo hi", 'CMD ["echo", "hi"]',
    'CMD ["unclosed', 'ENTRYPOINT ["sh", "-c"]', "EXPOSE 80", "EXPOSE 80/udp 99999",
    "VOLUME /data", 'VOLUME ["/a", "/b"]', "STOPSIGNAL SIGKILL", "STOPSIGNAL 99",
    'SHELL ["/bin/sh", "-c"]', "SHELL /bin/sh", "HEALTHCHECK CMD true", "HEALTHCHECK NONE",
    "ONBUILD RUN echo x", "ONBUILD ONBUILD RUN x", "MAINTAINER me", "COPY f.txt /", "COPY . /",
    "COPY nosuch /", "COPY *.txt /dir/", "COPY --chown=1000:1000 f.txt /o", "COPY --from=base / /b",
    "COPY --from=nosuch /x /", "ADD f.txt /a", "ADD in.tar /t", "ADD http://example.com/x /",
    "RUN echo hi", "RUN exit 2", "RUN echo x > /f", "RUN rm -rf /bin", "RUN \\\n echo cont",
    "RUN [\"sh\", \"-c\", \"echo json\"]", "RUN while true; do :; done", "RUN cat",
    "RUN python -c 'print(2)'", "# comment", "# escape=`", "# syntax=docker/dockerfile:1", "",
    "   ", "\\", "NOPE x", "run lower", "RUN <<EOF\necho heredoc\nEOF",
]  # fmt: skip


def _with_one_mutation(lines: list[str], mutation: str | None, where: int) -> list[str]:
    return lines if mutation is None else [*lines[:where], mutation, *lines[where:]]


# Mostly lines Docker knows, so that a build gets past the parser; now and then a mutation.
_dockerfile_lines = st.builds(
    _with_one_mutation,
    st.lists(st.sampled_from(DOCKERFILE_LINES), max_size=8),
    st.one_of(st.none(), st.none(), st.none(), odd_text),
    st.integers(min_value=0, max_value=8),
)
_first_lines = st.sampled_from([
    "FROM busybox", "FROM busybox AS base", "ARG IMG=busybox\nFROM $IMG",
    "# escape=`\nFROM busybox", "FROM scratch",
])  # fmt: skip
_well_begun = st.tuples(_first_lines, _dockerfile_lines).map(
    lambda pair: "\n".join([pair[0], *pair[1]])
)
dockerfiles = st.one_of(_well_begun, _well_begun, _well_begun, _dockerfile_lines.map("\n".join))

context_files = st.dictionaries(
    st.sampled_from(["f.txt", "a.txt", ".dockerignore", "sub/x.txt", "Dockerfile.alt"]),
    st.one_of(st.binary(max_size=64), st.sampled_from([b"*\n", b"!f.txt\n", b"\xff\xfe\n"])),
    max_size=4,
)


def _value(spec: FlagSpec) -> st.SearchStrategy[str]:
    """A value for a flag of pflag type ``spec.kind``, or of its meaning where the name says."""
    if spec.long in ("format",):
        return templates
    if spec.long in ("output", "input", "file", "iidfile", "cidfile"):
        return st.sampled_from(HOST_NAMES)
    if spec.long in ("filter",):
        return st.one_of(
            st.sampled_from(["dangling=true", "status=running", "label=a=b", "before=busybox",
                             "reference=bus*", "until=1h", "name=c1", "nope=1", "=", "exited=0",
                             "since=c1", "id=abc", "ancestor=busybox", "dangling=maybe"]),
            odd_text,
        )  # fmt: skip
    if spec.kind in ("int", "uint", "int64", "duration", "bytes"):
        return st.one_of(
            st.sampled_from(["0", "1", "-1", "10", "99999999999999999999", "1s", "x", ""]),
            st.integers(min_value=-(2**40), max_value=2**40).map(str),
        )
    if spec.long in ("name",):
        return st.one_of(st.sampled_from(CONTAINERS), odd_text)
    if spec.long in ("tag",):
        return st.one_of(st.sampled_from(IMAGES), odd_text)
    if spec.long in ("env", "build-arg", "label", "change"):
        return st.one_of(
            st.sampled_from(["A=1", "A", "=x", "IMG=python:3.12", "CMD echo x", "ENV A=b",
                             "EXPOSE 80", "USER 1000", "FROM x"]),
            odd_text,
        )  # fmt: skip
    if spec.long in ("user", "workdir", "entrypoint", "hostname"):
        return st.one_of(st.sampled_from(["root", "1000", "1000:1000", "nobody", "/tmp", "sh"]),
                         odd_text)  # fmt: skip
    if spec.long in ("publish", "expose"):
        return st.one_of(
            st.sampled_from(["80", "8080:80", "127.0.0.1:80:80/tcp", "x", "70000:80", "80-70000",
                             "18000-18002:80", "0:80", "[::1]:80:80", "::1:80:80", "1.2.3:80:80",
                             "80/udp", "80/xyz", "5-3:80", ":", "/tcp"]),
            odd_text,
        )  # fmt: skip
    return odd_text


def _flags(command: Command) -> st.SearchStrategy[list[str]]:
    specs = command.flagset().specs if hasattr(command.flagset(), "specs") else []
    if not specs:
        return st.just([])

    def one(spec: FlagSpec) -> st.SearchStrategy[list[str]]:
        names = [f"--{spec.long}"] + ([f"-{spec.short}"] if spec.short else [])
        name = st.sampled_from(names)
        if spec.kind == "bool":
            return st.one_of(
                name.map(lambda n: [n]),
                st.tuples(name, st.sampled_from(["true", "false", "x"])).map(
                    lambda pair: [f"{pair[0]}={pair[1]}"]
                ),
            )
        return st.tuples(name, _value(spec)).map(list)

    return st.lists(st.sampled_from(specs).flatmap(one), max_size=4).map(
        lambda groups: [word for group in groups for word in group]
    )


def _positionals(command: Command) -> st.SearchStrategy[list[str]]:
    leaf = command.path[-1]
    container = st.one_of(st.sampled_from(CONTAINERS), odd_text)
    image = st.one_of(st.sampled_from(IMAGES), odd_text)
    if leaf == "cp":
        inside = st.tuples(st.sampled_from(CONTAINERS), st.sampled_from(CONTAINER_PATHS)).map(
            lambda pair: f"{pair[0]}:{pair[1]}"
        )
        host = st.sampled_from(HOST_NAMES)
        return st.one_of(st.tuples(inside, host), st.tuples(host, inside)).map(list)
    if leaf == "build":
        return st.sampled_from(["ctx", "-", "nosuch"]).map(lambda c: [c])
    if leaf in ("run", "create"):
        program = st.one_of(
            st.just([]),
            shell_scripts.map(lambda s: ["sh", "-c", s]),
            st.lists(st.one_of(st.sampled_from(["echo", "true", "ls", "nosuch", "/bin/sh",
                                                "python", "-c", "print(1)"]), odd_text),
                     min_size=1, max_size=3),
        )  # fmt: skip
        return st.tuples(image, program).map(lambda pair: [pair[0], *pair[1]])
    if leaf == "exec":
        return st.tuples(container, shell_scripts).map(lambda pair: [pair[0], "sh", "-c", pair[1]])
    if leaf in ("images", "ls", "rmi", "rm", "history", "save", "pull", "push", "inspect"):
        pool = image if leaf in ("images", "rmi", "history", "save", "pull", "push") else container
        if command.path[0] == "image" or leaf == "inspect":
            pool = st.one_of(image, container)
        return st.lists(pool, max_size=3)
    if leaf in ("tag", "commit"):
        return st.lists(st.one_of(container, image), min_size=1, max_size=2)
    return st.lists(st.one_of(container, image, odd_text), max_size=3)


def _command_lines() -> st.SearchStrategy[list[str]]:
    commands: list[Command] = list(TOP_COMMANDS.values())
    for group in GROUPS.values():
        commands.extend(group.commands.values())
    unique = {command.path: command for command in commands}
    by_path = [unique[path] for path in sorted(unique)]

    def line(command: Command) -> st.SearchStrategy[list[str]]:
        return st.tuples(_flags(command), _positionals(command)).map(
            lambda pair: [*command.path, *pair[0], *pair[1]]
        )

    return st.sampled_from(by_path).flatmap(line)


command_lines = _command_lines()
garbage_lines = st.lists(st.one_of(odd_text, st.sampled_from(HOST_NAMES[4:])), max_size=6)
