"""The Dockerfile line parser (buildkit ``frontend/dockerfile/parser`` as vendored by 20.10).

Splits the text into logical lines (escape directive, continuations, comments inside
continuations), then each line into keyword, ``--flags`` and arguments the way the parser
does per instruction (JSON exec form, ``key=value`` pairs, quoted words kept verbatim for
later expansion). Errors here are reported as ``failed to parse <name>: ...``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from layerlab.go_strconv import go_quote

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*"
)

_NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"
_EMPTY_CONTINUATION_END = (
    "[WARNING]: Empty continuation lines will become errors in a future release."
)


@dataclass
class ParserNode:
    keyword: str  # lower case, as the parser stores it
    line: str
    flags: list[str]
    args: list[str]
    json_form: bool
    start: int
    end: int
    trigger: ParserNode | None = None


class ParseError(Exception):
    """An error inside the parser proper (reported as ``failed to parse <name>: ...``)."""


class _Directives:
    def __init__(self) -> None:
        self.escape = "\\"
        self.done = False
        self.seen: set[str] = set()
        self._set_escape("\\")

    def _set_escape(self, token: str) -> None:
        if token not in ("`", "\\"):
            raise ParseError(f"invalid escape token '{token}' does not match ` or \\")
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
            raise ParseError(f"only one {key} parser directive can be used")
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


def parse_lines(text: str) -> tuple[list[ParserNode], list[str], str]:
    d = _Directives()
    lines = _split_lines(text.removeprefix("\ufeff"))
    nodes: list[ParserNode] = []
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
        raise ParseError("file with no instructions")
    return nodes, warnings, d.escape


def _node_from_line(line: str, d: _Directives, start: int, end: int) -> ParserNode:
    parts = _WHITESPACE.split(line.strip(), maxsplit=1)
    keyword = parts[0].lower()
    rest, flags = "", list[str]()
    if len(parts) == 2:
        rest, flags = _extract_builder_flags(parts[1])
    rest = rest.strip()
    node = ParserNode(keyword, line, flags, [], False, start, end)
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
        raise ParseError(_NOT_STRING_ARRAY)
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
            raise ParseError(f"{key} must have two arguments")
        return parts
    args: list[str] = []
    for word in words:
        if "=" not in word:
            raise ParseError(
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
