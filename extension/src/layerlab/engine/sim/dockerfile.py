"""The classic builder's Dockerfile parser and variable expansion (Docker Engine 20.10).

Behaviour follows moby v20.10.24, which vendors buildkit's ``frontend/dockerfile`` packages
(``parser``, ``instructions``, ``shell`` at v0.8.4-0.20221020190723-eeb7b65ab7d6) and reads the
Dockerfile in ``builder/remotecontext/detect.go``. Messages verified against those sources:

- ``the Dockerfile (Dockerfile) cannot be empty`` (zero bytes, before parsing);
- parser errors, wrapped as ``failed to parse Dockerfile: <err>``: ``file with no
  instructions``, ``ENV must have two arguments``, ``Syntax error - can't find = in "x". Must be
  of the form: name=value``, the JSON string-array error, the escape directive errors;
- instruction errors, wrapped as ``dockerfile parse error line N: <err>`` (lower-case ``d``):
  ``unknown instruction: RUNN``, ``FROM requires either one or three arguments``, ``ENV names can
  not be blank``, ``Unknown flag: x``, ``<CMD> requires exactly one argument`` and so on;
- an instruction before any FROM (other than ARG): ``no build stage in current context``,
  unwrapped. The old ``Please provide a source image with `from` prior to commit`` is gone.
- variable expansion errors: ``failed to process "${x": missing ':' in substitution`` etc.

``Instruction.original`` is what ``Step N/M : <original>`` prints: continuation lines are joined
without a separator (the escape character and the line break are removed, indentation kept),
comment lines inside a continuation are dropped, and the result is trimmed.
Not modelled: heredocs (not in this parser version), ``RUN --mount`` field validation (the
classic builder refuses any RUN flag at dispatch anyway, see :func:`buildkit_required`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from layerlab.engine.errors import InvalidArgument

NO_IMAGE_GENERATED = "No image was generated. Is your Dockerfile empty?"
NO_BUILD_STAGE = "no build stage in current context"

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*"
)
_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)
_NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"
_EMPTY_CONTINUATION_END = (
    "[WARNING]: Empty continuation lines will become errors in a future release."
)
_STRINGS, _STRING = "strings", "string"
_SPECIAL_PARAMS = "@*#?-$!0"


class DockerfileError(InvalidArgument):
    """A Dockerfile the daemon refuses (HTTP 400); the message is the daemon's exact text."""


def buildkit_required(option: str) -> str:
    """The classic builder's refusal of a flag only BuildKit implements (e.g. ``chmod``)."""
    return (
        f"the --{option} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/"
        " to learn how to build images with BuildKit enabled"
    )


def go_quote(s: str) -> str:
    """Go's ``%q`` for ordinary text (JSON string escaping is identical for printable text)."""
    return json.dumps(s, ensure_ascii=False)


@dataclass
class Instruction:
    """One Dockerfile instruction as the classic builder sees it before variable expansion.

    ``args``: RUN/CMD/ENTRYPOINT/SHELL hold the JSON list, or one string in shell form;
    ENV/LABEL hold ``key, value, key, value...`` (quotes still in place: :func:`expand` removes
    them); HEALTHCHECK holds ``TYPE`` then the command like CMD; ONBUILD holds the trigger text
    (parsed into ``trigger``); the others hold their words.
    """

    keyword: str
    original: str
    args: list[str]
    json_form: bool = False
    flags: dict[str, str] = field(default_factory=dict)
    line: int = 0
    end_line: int = 0
    trigger: Instruction | None = None

    @property
    def pairs(self) -> list[tuple[str, str | None]]:
        """ENV/LABEL ``(key, value)`` pairs; ARG ``(name, default or None)``."""
        if self.keyword == "ARG":
            split = [arg.partition("=") for arg in self.args]
            return [(name, value if eq else None) for name, eq, value in split]
        return list(zip(self.args[::2], self.args[1::2], strict=True))

    @property
    def stage_name(self) -> str | None:
        """The lower-cased ``AS`` name of a FROM, if any."""
        if self.keyword == "FROM" and len(self.args) == 3:
            return self.args[2].lower()
        return None

    def __str__(self) -> str:
        return self.original


@dataclass
class ParsedDockerfile:
    instructions: list[Instruction]
    warnings: list[str]
    escape_token: str


@dataclass
class _Node:
    keyword: str  # lower case, as the parser stores it
    line: str
    flags: list[str]
    args: list[str]
    json_form: bool
    start: int
    end: int
    trigger: _Node | None = None


class _ParseError(Exception):
    """An error inside the parser proper (reported as ``failed to parse <name>: ...``)."""


class _InstructionError(Exception):
    """An error of one instruction (reported as ``dockerfile parse error line N: ...``)."""


# ---- the line parser (buildkit frontend/dockerfile/parser) ----------------------------------


class _Directives:
    def __init__(self) -> None:
        self.escape = "\\"
        self.done = False
        self.seen: set[str] = set()
        self._set_escape("\\")

    def _set_escape(self, token: str) -> None:
        if token not in ("`", "\\"):
            raise _ParseError(f"invalid escape token '{token}' does not match ` or \\")
        self.escape = token
        e = re.escape(token)
        self.continuation = re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")

    def check(self, line: str) -> None:
        """Directives are only honoured before any other line, comment or blank line."""
        if self.done:
            return
        match = _DIRECTIVE.fullmatch(line)
        key = match.group(1).lower() if match else ""
        if match is None or key not in ("escape", "syntax"):
            self.done = True
            return
        if key in self.seen:
            raise _ParseError(f"only one {key} parser directive can be used")
        self.seen.add(key)
        if key == "escape":
            self._set_escape(match.group(2))

    def process(self, raw: str, strip_left: bool) -> str:
        token = raw.lstrip() if strip_left else raw
        self.check(token)
        return "" if token.startswith("#") else token

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        if self.continuation.search(line):
            return self.continuation.sub(r"\1", line), False
        return line, True


def _split_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # like bufio.Scanner, a final newline does not start a line
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _parse_lines(text: str) -> tuple[list[_Node], list[str], str]:
    d = _Directives()
    lines = _split_lines(text.removeprefix("\ufeff"))
    nodes: list[_Node] = []
    warnings: list[str] = []
    index = 0
    while index < len(lines):
        processed = d.process(lines[index], strip_left=True)
        index += 1
        start = index
        line, end_of_line = d.trim_continuation(processed)
        if end_of_line and line == "":
            continue
        empty_continuation = False
        while not end_of_line and index < len(lines):
            raw = lines[index]
            processed = d.process(raw, strip_left=False)
            index += 1
            if raw.lstrip().startswith("#"):
                continue  # a comment inside a continuation vanishes
            if processed.lstrip() == "":
                empty_continuation = True
                continue
            continuation, end_of_line = d.trim_continuation(processed)
            line += continuation
        if empty_continuation:
            warnings.append("[WARNING]: Empty continuation line found in:\n    " + line)
        nodes.append(_node_from_line(line, d, start, index))
    if warnings:
        warnings.append(_EMPTY_CONTINUATION_END)
    if not nodes:
        raise _ParseError("file with no instructions")
    return nodes, warnings, d.escape


def _node_from_line(line: str, d: _Directives, start: int, end: int) -> _Node:
    parts = _WHITESPACE.split(line.strip(), maxsplit=1)
    keyword = parts[0].lower()
    rest, flags = "", list[str]()
    if len(parts) == 2:
        rest, flags = _extract_builder_flags(parts[1])
    rest = rest.strip()
    node = _Node(keyword, line, flags, [], False, start, end)
    if keyword in ("run", "cmd", "entrypoint", "shell"):
        node.args, node.json_form = _maybe_json(rest)
    elif keyword in ("add", "copy", "volume"):
        parsed = _parse_json(rest)
        node.args, node.json_form = (
            (parsed, True) if parsed is not None else (_split_ws(rest), False)
        )
    elif keyword in ("expose", "from"):
        node.args = _split_ws(rest)
    elif keyword in ("maintainer", "stopsignal", "user", "workdir"):
        node.args = [rest] if rest else []
    elif keyword in ("env", "label"):
        node.args = _parse_name_val(rest, keyword.upper(), d.escape)
    elif keyword == "arg":
        node.args = _parse_words(rest, d.escape)
    elif keyword == "healthcheck":
        kind = re.split(r"\s", rest, maxsplit=1)[0]
        command = rest[len(kind) :].lstrip()
        if kind:
            more, node.json_form = _maybe_json(command)
            node.args = [kind, *more]
    elif keyword == "onbuild" and rest:
        node.trigger = _node_from_line(rest, d, start, end)
        node.args = [node.trigger.keyword, *node.trigger.args]
    return node


def _split_ws(rest: str) -> list[str]:
    return _WHITESPACE.split(rest) if rest else []


def _parse_json(rest: str) -> list[str] | None:
    """The exec form: a JSON array of strings; ``None`` when ``rest`` is not JSON at all."""
    rest = rest.lstrip()
    if not rest.startswith("["):
        return None
    try:
        # Go's json.Decoder reads one value and ignores what follows it; so does raw_decode.
        value, _ = _JSON.raw_decode(rest)
    except ValueError:
        return None
    if not all(isinstance(item, str) for item in value):
        raise _ParseError(_NOT_STRING_ARRAY)
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(name)  # Go's JSON has no NaN or Infinity


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def _maybe_json(rest: str) -> tuple[list[str], bool]:
    if rest == "":
        return [], False
    parsed = _parse_json(rest)
    return (parsed, True) if parsed is not None else ([rest], False)


def _parse_name_val(rest: str, key: str, escape: str) -> list[str]:
    words = _parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:  # legacy form: KEY name value...
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise _ParseError(f"{key} must have two arguments")
        return parts
    args: list[str] = []
    for word in words:
        if "=" not in word:
            raise _ParseError(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value"
            )
        args.extend(word.split("=", 1))
    return args


def _parse_words(rest: str, escape: str) -> list[str]:
    """Split on whitespace, keeping quotes and escapes in the words (expansion removes them)."""
    words: list[str] = []
    word, quote, in_word, in_quote, blank_ok = "", "", False, False, False
    i = 0
    while i < len(rest):
        ch = rest[i]
        if not in_word and not in_quote:
            if ch.isspace():
                i += 1
                continue
            in_word = True
        if in_word:
            if ch.isspace():
                if blank_ok or word:
                    words.append(word)
                word, blank_ok, in_word = "", False, False
                i += 1
                continue
            if ch in "'\"":
                quote, blank_ok, in_word, in_quote = ch, True, False, True
            if ch == escape:
                if i + 1 == len(rest):
                    i += 1
                    continue
                word += ch
                i += 1
                ch = rest[i]
            word += ch
        else:  # in a quote
            if ch == quote:
                in_word, in_quote = True, False
            if ch == escape and quote != "'":
                if i + 1 == len(rest):
                    in_word, in_quote = True, False
                    i += 1
                    continue
                word += ch
                i += 1
                ch = rest[i]
            word += ch
        i += 1
    if (in_word or in_quote) and (blank_ok or word):
        words.append(word)
    return words


def _extract_builder_flags(line: str) -> tuple[str, list[str]]:
    """Leading ``--name=value`` words; returns the rest of the line and the flags."""
    words: list[str] = []
    word, quote, phase, blank_ok = "", "", "spaces", False
    pos = 0
    while pos <= len(line):
        ch = line[pos] if pos < len(line) else ""
        if phase == "spaces":
            if pos == len(line):
                break
            if ch.isspace():
                pos += 1
                continue
            if not line.startswith("--", pos):
                return line[pos:], words
            phase = "word"
        if pos == len(line):
            if word != "--" and (blank_ok or word):
                words.append(word)
            break
        if phase == "word":
            if ch.isspace():
                phase = "spaces"
                if word == "--":
                    return line[pos:], words
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
            elif ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
            elif ch == "\\" and pos + 1 == len(line):
                pass  # a trailing backslash is dropped
            else:
                if ch == "\\":
                    pos += 1
                    ch = line[pos]
                word += ch
        elif ch == quote or (ch == "\\" and pos + 1 == len(line)):
            phase = "word"
        else:
            if ch == "\\":
                pos += 1
                ch = line[pos]
            word += ch
        pos += 1
    return "", words


# ---- instruction checks (buildkit frontend/dockerfile/instructions) -------------------------

_FLAG_SPECS: dict[str, dict[str, str]] = {
    "add": {"chown": _STRING, "chmod": _STRING},
    "copy": {"chown": _STRING, "from": _STRING, "chmod": _STRING},
    "from": {"platform": _STRING},
    "run": {"mount": _STRINGS},
    "healthcheck": {
        "interval": _STRING,
        "timeout": _STRING,
        "start-period": _STRING,
        "retries": _STRING,
    },
}
_EXACTLY_ONE = ("maintainer", "workdir", "user", "stopsignal")
_AT_LEAST_ONE = ("onbuild", "healthcheck", "expose", "volume", "arg")


def _parse_flags(node: _Node) -> dict[str, str]:
    """BFlags.Parse: only the flags the instruction declares, each given as ``--name=value``."""
    spec = _FLAG_SPECS.get(node.keyword, {})
    values: dict[str, str] = {}
    for raw in node.flags:
        if raw == "--":
            break
        name, has_value, value = raw[2:].partition("=")
        kind = spec.get(name)
        if kind is None:
            raise _InstructionError(f"Unknown flag: {name}")
        if name in values and kind != _STRINGS:
            raise _InstructionError(f"Duplicate flag specified: {name}")
        if not has_value:
            raise _InstructionError(f"Missing a value on flag: {name}")
        values[name] = value
    return values


def _check_kvps(args: list[str], keyword: str) -> None:
    if not args:
        raise _InstructionError(f"{keyword} requires at least one argument")
    if len(args) % 2:
        raise _InstructionError(f"Bad input to {keyword}, too many arguments")
    if any(key == "" for key in args[::2]):
        raise _InstructionError(f"{keyword} names can not be blank")


def _check_arg_counts(node: _Node, upper: str) -> None:
    """Argument-count errors, which docker reports before any flag error."""
    n = len(node.args)
    if node.keyword in _EXACTLY_ONE and n != 1:
        raise _InstructionError(f"{upper} requires exactly one argument")
    if node.keyword in _AT_LEAST_ONE and n == 0:
        raise _InstructionError(f"{upper} requires at least one argument")
    if node.keyword in ("add", "copy") and n < 2:
        raise _InstructionError(
            f"{upper} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )
    if node.keyword == "from":
        if n == 3 and node.args[1].lower() == "as":
            if not _STAGE_NAME.fullmatch(node.args[2].lower()):
                raise _InstructionError(
                    f"invalid name for build stage: {go_quote(node.args[2])}, "
                    "name can't start with a number or contain symbols"
                )
        elif n != 1:
            raise _InstructionError("FROM requires either one or three arguments")


def _check_after_flags(node: _Node, upper: str, flags: dict[str, str]) -> list[str]:
    """Instruction-specific checks once the flags parsed; returns the final args."""
    args = node.args
    if node.keyword in ("env", "label"):
        _check_kvps(args, upper)
    elif node.keyword == "onbuild":
        trigger = args[0].strip().upper()
        if trigger == "ONBUILD":
            raise _InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise _InstructionError(f"{trigger} isn't allowed as an ONBUILD trigger")
        return [_ONBUILD_PREFIX.sub("", node.line, count=1)]
    elif node.keyword == "healthcheck":
        return _check_healthcheck(node, flags)
    elif node.keyword == "expose":
        return sorted(args)
    elif node.keyword == "volume":
        if any(v.strip() == "" for v in args):
            raise _InstructionError("VOLUME specified can not be an empty string")
        return [v.strip() for v in args]
    elif node.keyword == "arg" and any(a.startswith("=") for a in args):
        raise _InstructionError("ARG names can not be blank")
    elif node.keyword == "shell":
        if not args:
            raise _InstructionError("SHELL requires at least one argument")
        if not node.json_form:
            raise _InstructionError("SHELL requires the arguments to be in JSON form")
    return args


def _check_healthcheck(node: _Node, flags: dict[str, str]) -> list[str]:
    kind, command = node.args[0].upper(), node.args[1:]
    if kind == "NONE":
        if command:
            raise _InstructionError("HEALTHCHECK NONE takes no arguments")
        return [kind]
    if kind != "CMD":
        raise _InstructionError(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    if not command:
        raise _InstructionError("Missing command after HEALTHCHECK CMD")
    for name in ("interval", "timeout", "start-period"):
        if flags.get(name, "") != "":
            try:
                duration = parse_go_duration(flags[name])
            except ValueError as err:
                raise _InstructionError(str(err)) from None
            if duration < 1_000_000:
                raise _InstructionError(f"Interval {go_quote(name)} cannot be less than 1ms")
    retries = flags.get("retries", "")
    if retries != "":
        if not re.fullmatch(r"[+-]?[0-9]+", retries):
            raise _InstructionError(
                f"strconv.ParseInt: parsing {go_quote(retries)}: invalid syntax"
            )
        if not -(2**31) <= int(retries) < 2**31:
            raise _InstructionError(
                f"strconv.ParseInt: parsing {go_quote(retries)}: value out of range"
            )
        if int(retries) < 1:
            raise _InstructionError(f"--retries must be at least 1 (not {int(retries)})")
    return [kind, *command]


def _to_instruction(node: _Node) -> Instruction:
    upper = node.keyword.upper()
    known = {
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    }
    if node.keyword not in known:
        raise _InstructionError(f"unknown instruction: {upper}")
    _check_arg_counts(node, upper)
    # STOPSIGNAL, ARG and HEALTHCHECK NONE never parse their flags: docker ignores any.
    ignores_flags = node.keyword in ("stopsignal", "arg") or (
        node.keyword == "healthcheck" and node.args[0].upper() == "NONE"
    )
    flags = {} if ignores_flags else _parse_flags(node)
    args = _check_after_flags(node, upper, flags)
    trigger = _plain_instruction(node.trigger) if node.trigger else None
    return Instruction(
        upper, node.line.strip(), args, node.json_form, flags, node.start, node.end, trigger
    )


def _plain_instruction(node: _Node) -> Instruction:
    """An ONBUILD trigger: parsed, but only checked when a child build fires it."""
    return Instruction(
        node.keyword.upper(),
        node.line.strip(),
        node.args,
        node.json_form,
        {raw[2:].partition("=")[0]: raw.partition("=")[2] for raw in node.flags},
        node.start,
        node.end,
    )


def parse_dockerfile_result(text: str, name: str = "Dockerfile") -> ParsedDockerfile:
    """Parse and check ``text`` as the 20.10 daemon does; ``name`` is the ``-f`` path."""
    if text == "":
        raise DockerfileError(f"the Dockerfile ({name}) cannot be empty")
    try:
        nodes, warnings, escape = _parse_lines(text)
    except _ParseError as err:
        raise DockerfileError(f"failed to parse {name}: {err}") from None
    instructions: list[Instruction] = []
    seen_from = False
    for node in nodes:
        try:
            instruction = _to_instruction(node)
        except _InstructionError as err:
            raise DockerfileError(f"dockerfile parse error line {node.start}: {err}") from None
        seen_from = seen_from or instruction.keyword == "FROM"
        if not seen_from and instruction.keyword != "ARG":
            raise DockerfileError(NO_BUILD_STAGE)
        instructions.append(instruction)
    return ParsedDockerfile(instructions, warnings, escape)


def parse_dockerfile(text: str, name: str = "Dockerfile") -> list[Instruction]:
    """The instructions of a Dockerfile, or :class:`DockerfileError` with docker's message."""
    return parse_dockerfile_result(text, name).instructions


# ---- Go's time.ParseDuration, for HEALTHCHECK intervals --------------------------------------

_DURATION_UNITS = {
    "ns": 1,
    "us": 10**3,
    "µs": 10**3,
    "μs": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_go_duration(text: str) -> int:
    """Nanoseconds of a Go duration such as ``1m30s``; ``ValueError`` has Go's message."""
    rest = text[1:] if text[:1] in ("+", "-") else text
    sign = -1 if text[:1] == "-" else 1
    if rest == "0":
        return 0
    if rest == "":
        raise ValueError(f"time: invalid duration {go_quote(text)}")
    total = 0
    while rest:
        part = _DURATION_PART.match(rest)
        assert part is not None  # every group is optional, so it always matches
        whole, fraction, unit = part.group(1), part.group(2), part.group(3)
        if whole == "" and not fraction:
            raise ValueError(f"time: invalid duration {go_quote(text)}")
        if unit == "":
            raise ValueError(f"time: missing unit in duration {go_quote(text)}")
        if unit not in _DURATION_UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(text)}")
        scale = _DURATION_UNITS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        rest = rest[part.end() :]
    return sign * total


# ---- variable substitution (buildkit frontend/dockerfile/shell) -----------------------------


class _LexError(Exception):
    pass


class _Words:
    """Word splitting that happens after substitution: only unquoted ``$`` results split."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.word = ""
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch.isspace():
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word, self.in_word = "", False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def result(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word, self.in_word = "", False
        return self.words


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text, self.env, self.escape, self.pos = text, env, escape, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += bool(ch)
        return ch

    def until(self, stop: str) -> tuple[str, list[str]]:
        """Process up to ``stop`` (consumed) or, with ``stop == ""``, to the end."""
        result: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result()
            if ch in "'\"$":
                piece = {"'": self.single_quoted, '"': self.double_quoted, "$": self.dollar}[ch]()
                result.append(piece)
                if ch == "$":
                    for c in piece:
                        words.add_char(c)
                else:
                    words.add_raw(piece)
                continue
            ch = self.next()
            if ch == self.escape:
                ch = self.next()
                if not ch:
                    break  # a trailing escape disappears
                words.add_raw(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.result()

    def single_quoted(self) -> str:
        self.next()
        start = self.pos
        end = self.text.find("'", start)
        if end < 0:
            raise _LexError("unexpected end of statement while looking for matching single-quote")
        self.pos = end + 1
        return self.text[start:end]

    def double_quoted(self) -> str:
        self.next()
        result: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise _LexError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self.next()
                return "".join(result)
            if ch == "$":
                result.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if not self.peek():
                    continue
                if self.peek() in ('"', "$", self.escape):
                    ch = self.next()
            result.append(ch)

    def name(self) -> str:
        ch = self.peek()
        if ch.isdecimal():
            start = self.pos
            while self.peek().isdecimal():
                self.next()
            return self.text[start : self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            return self.next()
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.next()
        return self.text[start : self.pos]

    def nested_word(self) -> str:
        try:
            return self.until("}")[0]
        except _LexError:
            if not self.peek():
                raise _LexError("syntax error: missing '}'") from None
            raise

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            return self.env.get(name, "") if name else "$"
        self.next()
        if not self.peek():
            raise _LexError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.env.get(name, "")
        if ch not in ("?", ":"):
            raise _LexError("missing ':' in substitution")
        modifier = "?" if ch == "?" else self.next()
        word = self.nested_word()
        value, found = self.env.get(name, ""), name in self.env
        if modifier == "+":
            return word if value else value
        if modifier == "-":
            return value or word
        if modifier != "?":
            raise _LexError(f"unsupported modifier ({modifier}) in substitution")
        if not found:
            raise _LexError(f"{name}: {word or 'is not allowed to be unset'}")
        if ch == ":" and value == "":
            raise _LexError(f"{name}: {word or 'is not allowed to be empty'}")
        return value


def _lex(word: str, env: Mapping[str, str], escape: str) -> tuple[str, list[str]]:
    try:
        return _Lexer(word, env, escape).until("")
    except _LexError as err:
        raise DockerfileError(f"failed to process {go_quote(word)}: {err}") from None


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Substitute ``$x``/``${x}``/``${x:-d}``/``${x:+a}``/``${x?m}`` and remove quoting.

    The builder applies this to each word of ENV, ARG, LABEL, WORKDIR, USER, VOLUME,
    STOPSIGNAL, COPY/ADD (and ``--chown``) and FROM; never to RUN/CMD/ENTRYPOINT.
    """
    return _lex(word, env, escape)[0]


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Like :func:`expand`, then split on unquoted whitespace (EXPOSE uses this)."""
    return _lex(word, env, escape)[1]
