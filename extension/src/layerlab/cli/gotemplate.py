"""The subset of Go's text/template that docker's ``--format`` flags accept.

Behaviour follows Go's text/template plus docker/cli ``templates/templates.go`` (the extra
functions) and ``cli/command/formatter/formatter.go`` (``table`` formats).

Data model (what ``{{.Field}}`` means for a Python value):

- ``dict`` is a Go ``map[string]interface {}`` (JSON-decoded data): ``.Key`` indexes it, a
  missing key yields "no value" (printed ``<no value>``) or, with ``missing_key="error"``, the
  error ``map has no entry for key "Key"`` (docker inspect's raw-JSON fallback mode).
  Elements are boxed in ``interface {}`` exactly like Go, which decides how ``null`` prints.
- ``list``/``tuple`` is ``[]interface {}`` (a list of ``str`` is also accepted where Go wants
  ``[]string``, as docker's typed inspect structs allow); ``str``, ``bool``, ``int`` (a Go
  int) and ``float`` (a Go float64, printed with ``%v``) are scalars; ``None`` is nil.
- Any other object is a Go struct pointer such as docker's ``*formatter.ContainerContext``:
  ``.Name`` reads the attribute ``Name`` (only names starting with an upper-case letter, as
  Go exports them); a method is called with the template's arguments (``{{.Label "x"}}``).
  The class attribute ``go_type_name`` names the type in error messages.  ``{{json .}}``
  marshals it like docker's ``MarshalJSON``: each public zero-argument method or plain
  attribute becomes a key.  A ``dict`` subclass may define upper-case methods too (docker's
  ``SubHeaderContext.Label``, see ``HeaderContext``); methods win over keys, as in Go.

The template never interprets backslash escapes in its text; docker's formatter replaces the
two-character sequences ``\\t`` and ``\\n`` before parsing (see ``prepare_format``).
Not supported: ``define``/``template``/``block``, and the functions ``js``, ``call``, ``slice``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layerlab.cli import render

__all__ = [
    "HeaderContext",
    "StructContext",
    "Template",
    "TemplateError",
    "compile_template",
    "go_json",
    "go_sprint",
    "is_table_format",
    "prepare_format",
    "render_format",
]


class TemplateError(Exception):
    """A parse or execution error, worded as docker prints it.

    ``str(error)`` is docker's message (``template parsing error: template: ...``, the prefix
    docker adds to parse *and* execution errors); ``go_error`` is Go's own error text.
    """

    def __init__(self, go_error: str) -> None:
        super().__init__(f"template parsing error: {go_error}")
        self.go_error = go_error


class _Missing:
    """Go's invalid ``reflect.Value``: a missing map key or an unset interface."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = _Missing()


@dataclass(frozen=True)
class _Boxed:
    """A value read out of an ``interface {}`` slot (JSON map or slice element)."""

    value: Any


def _unbox(value: Any) -> Any:
    """What Go's evalPipeline does after each command: dig into ``interface {}``."""
    if isinstance(value, _Boxed):
        return MISSING if value.value is None else value.value
    return value


def _plain(value: Any) -> Any:
    """Value handed to an ``interface {}`` parameter: nil stays nil."""
    if isinstance(value, _Boxed):
        return value.value
    return None if value is MISSING else value


# ---------------------------------------------------------------------------
# Lexer

_SPACE = " \t\r\n"
_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block"}
_KEYWORDS |= {"break", "continue", "nil"}
_NUMBER = re.compile(
    r"[+-]?(0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][+-]?[0-9_]+)?|"
    r"0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?"
)
_ALNUM = re.compile(r"[A-Za-z0-9_\u0080-\U0010ffff]*")


@dataclass
class _Token:
    kind: str  # text, left, right, space, field, var, dot, ident, kw, bool, number, ...
    value: str
    pos: int
    line: int


class _LexError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[_Token] = []
        self.pos = 0
        self.paren_depth = 0

    def line_at(self, pos: int) -> int:
        return 1 + self.text.count("\n", 0, pos)

    def error(self, message: str, pos: int) -> _LexError:
        return _LexError(message, pos)

    def emit(self, kind: str, start: int, end: int, value: str | None = None) -> None:
        text = self.text[start:end] if value is None else value
        self.tokens.append(_Token(kind, text, start, self.line_at(start)))

    def run(self) -> list[_Token]:
        """Tokenize; a lexing error becomes an ``error`` token where the lexer stopped.

        Go's parser reads tokens lazily, so an earlier parse error wins over a lexing
        error further right; the error token reproduces that order.
        """
        try:
            return self.lex_all()
        except _LexError as problem:
            self.emit("error", problem.pos, problem.pos, problem.message)
            return self.tokens

    def lex_all(self) -> list[_Token]:
        text = self.text
        trim_next = False
        while True:
            start = self.pos
            left = text.find("{{", start)
            end = len(text) if left < 0 else left
            chunk = text[start:end]
            if trim_next:
                chunk = chunk.lstrip(_SPACE)
            trim_left = left >= 0 and text[left + 2 : left + 3] == "-"
            trim_left = trim_left and text[left + 3 : left + 4] in tuple(_SPACE)
            if trim_left:
                chunk = chunk.rstrip(_SPACE)
            if chunk:
                self.emit("text", start, end, chunk)
            if left < 0:
                self.emit("eof", len(text), len(text))
                return self.tokens
            self.pos = left + (4 if trim_left else 2)
            trim_next = self.lex_action(left)

    def at_right(self) -> tuple[bool, bool]:
        rest = self.text[self.pos :]
        if len(rest) >= 2 and rest[0] in _SPACE and rest[1] == "-" and rest[2:4] == "}}":
            return True, True
        return rest.startswith("}}"), False

    def lex_action(self, left: int) -> bool:
        text = self.text
        if text.startswith("/*", self.pos):
            close = text.find("*/", self.pos + 2)
            if close < 0:
                raise self.error("unclosed comment", left)
            self.pos = close + 2
            is_right, trim = self.at_right()
            if not is_right:
                raise self.error("comment ends before closing delimiter", left)
            self.pos += 4 if trim else 2
            return trim
        self.emit("left", left, self.pos)
        self.paren_depth = 0
        while True:
            is_right, trim = self.at_right()
            if is_right and self.paren_depth == 0:
                start = self.pos
                self.pos += 4 if trim else 2
                self.emit("right", start, self.pos)
                return trim
            if self.pos >= len(text):
                raise self.error("unclosed action", left)
            self.lex_inside(left)

    def lex_inside(self, left: int) -> None:
        text, start = self.text, self.pos
        char = text[start]
        if text.startswith("}}", start) or (char in _SPACE and text.startswith("-}}", start + 1)):
            message = "unclosed left paren" if self.paren_depth else "unexpected right delim"
            raise self.error(message, left)
        if char in _SPACE:
            while self.pos < len(text) and text[self.pos] in _SPACE:
                if self.at_right()[0] and self.at_right()[1]:
                    break
                self.pos += 1
            self.emit("space", start, self.pos)
        elif char == "\n":
            raise self.error("unclosed action", left)
        elif text.startswith(":=", start):
            self.pos += 2
            self.emit("declare", start, self.pos)
        elif char in "=|,()":
            self.pos += 1
            kinds = {"=": "assign", "|": "pipe", ",": "comma", "(": "lparen", ")": "rparen"}
            self.emit(kinds[char], start, self.pos)
            if char == "(":
                self.paren_depth += 1
            elif char == ")":
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    raise self.error(f"unexpected right paren {_rune_repr(char)}", left)
        elif char in "\"`'":
            self.lex_quote(char, left)
        elif char == "$":
            self.pos = _ALNUM.match(text, start + 1).end()
            self.emit("var", start, self.pos)
        elif char == "." and not text[start + 1 : start + 2].isdigit():
            end = _ALNUM.match(text, start + 1).end()
            self.pos = end
            self.emit("field" if end > start + 1 else "dot", start, end)
        elif char.isdigit() or char in "+-.":
            match = _NUMBER.match(text, start)
            end = match.end() if match else start + 1
            end = _ALNUM.match(text, end).end() if end < len(text) else end
            self.pos = max(end, start + 1)
            self.emit("number", start, self.pos)
        elif char.isalpha() or char == "_":
            self.pos = _ALNUM.match(text, start).end()
            word = text[start : self.pos]
            kind = "bool" if word in ("true", "false") else "kw" if word in _KEYWORDS else "ident"
            self.emit(kind, start, self.pos)
        elif char.isascii() and char.isprintable():
            self.pos += 1
            self.emit("char", start, self.pos)
        else:
            raise self.error(f"unrecognized character in action: {_rune_repr(char)}", left)

    def lex_quote(self, quote: str, left: int) -> None:
        text, start = self.text, self.pos
        index = start + 1
        while True:
            if index >= len(text) or (quote != "`" and text[index] == "\n"):
                messages = {
                    '"': "unterminated quoted string",
                    "`": "unterminated raw quoted string",
                    "'": "unterminated character constant",
                }
                raise self.error(messages[quote], left)
            if text[index] == "\\" and quote != "`":
                index += 2
                continue
            if text[index] == quote:
                break
            index += 1
        self.pos = index + 1
        kind = {'"': "string", "`": "rawstring", "'": "charconst"}[quote]
        self.emit(kind, start, self.pos)


def _rune_repr(char: str) -> str:
    """Go's ``%#U``: ``U+0021 '!'``."""
    code = ord(char)
    return f"U+{code:04X} '{char}'" if char.isprintable() else f"U+{code:04X}"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SIMPLE_ESCAPES |= {"\\": "\\", '"': '"', "'": "'"}


def _go_unquote(literal: str) -> str:
    """strconv.Unquote for an interpreted string or character literal."""
    body, out, index = literal[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        kind = body[index + 1 : index + 2]
        if kind in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[kind])
            index += 2
        elif kind in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[kind]
            out.append(chr(int(body[index + 2 : index + 2 + size], 16)))
            index += 2 + size
        elif kind.isdigit():
            out.append(chr(int(body[index + 1 : index + 4], 8)))
            index += 4
        else:
            raise ValueError(f"invalid escape \\{kind}")
    return "".join(out)


# ---------------------------------------------------------------------------
# Parse tree


@dataclass
class _Node:
    pos: int  # character offset in the template source


@dataclass
class _Text(_Node):
    text: str


@dataclass
class _Field(_Node):
    names: list[str]

    def __str__(self) -> str:
        return "".join("." + name for name in self.names)


@dataclass
class _Variable(_Node):
    names: list[str]  # "$x" followed by field names

    def __str__(self) -> str:
        return ".".join(self.names)


@dataclass
class _Dot(_Node):
    def __str__(self) -> str:
        return "."


@dataclass
class _Nil(_Node):
    def __str__(self) -> str:
        return "nil"


@dataclass
class _Literal(_Node):
    value: Any
    source: str

    def __str__(self) -> str:
        return self.source


@dataclass
class _Identifier(_Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class _Chain(_Node):
    node: _Node
    names: list[str]

    def __str__(self) -> str:
        inner = str(self.node)
        if isinstance(self.node, _Pipe):
            inner = f"({inner})"
        return inner + "".join("." + name for name in self.names)


@dataclass
class _Command(_Node):
    args: list[_Node]

    def __str__(self) -> str:
        parts = []
        for arg in self.args:
            parts.append(f"({arg})" if isinstance(arg, _Pipe) else str(arg))
        return " ".join(parts)


@dataclass
class _Pipe(_Node):
    decl: list[str]
    is_assign: bool
    cmds: list[_Command]

    def __str__(self) -> str:
        text = " | ".join(str(cmd) for cmd in self.cmds)
        if self.decl:
            text = f"{', '.join(self.decl)} {'=' if self.is_assign else ':='} {text}"
        return text


@dataclass
class _Action(_Node):
    pipe: _Pipe


@dataclass
class _Control(_Node):
    kind: str  # "if", "range", "with"
    pipe: _Pipe
    body: list[_Node]
    else_body: list[_Node] | None = None


@dataclass
class _Loop(_Node):
    kind: str  # "break" or "continue"


_COMMAND_START = {"bool", "charconst", "dot", "field", "ident", "number", "string", "rawstring"}
_COMMAND_START |= {"var", "lparen"}


class _Parser:
    def __init__(self, text: str, functions: Mapping[str, Any]) -> None:
        self.text = text
        self.tokens = _Lexer(text).run()
        self.index = 0
        self.functions = functions
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.last = self.tokens[0]

    # token helpers -------------------------------------------------------
    def next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        self.last = token
        if token.kind == "error":
            raise self.error(token.value)
        return token

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind == "error":
            return self.next()
        return token

    def next_non_space(self) -> _Token:
        token = self.next()
        while token.kind == "space":
            token = self.next()
        return token

    def peek_non_space(self) -> _Token:
        token = self.next_non_space()
        self.backup()
        return token

    def error(self, message: str) -> TemplateError:
        return TemplateError(f"template: :{self.last.line}: {message}")

    def unexpected(self, token: _Token, context: str) -> TemplateError:
        return self.error(f"unexpected {_describe(token)} in {context}")

    # grammar -------------------------------------------------------------
    def parse(self) -> list[_Node]:
        nodes, end = self.item_list()
        if end is not None:
            raise self.error(f"unexpected {{{{{end}}}}}")
        return nodes

    def item_list(self) -> tuple[list[_Node], str | None]:
        """Parse until EOF (returns None) or an {{end}}/{{else}} (returns its keyword)."""
        nodes: list[_Node] = []
        while True:
            token = self.next()
            if token.kind == "eof":
                self.backup()
                return nodes, None
            if token.kind == "text":
                nodes.append(_Text(token.pos, token.value))
                continue
            keyword = self.peek_non_space()
            if keyword.kind == "kw" and keyword.value in ("end", "else"):
                self.next_non_space()
                return nodes, keyword.value
            nodes.append(self.action())

    def action(self) -> _Node:
        token = self.next_non_space()
        if token.kind == "kw":
            if token.value in ("if", "range", "with"):
                return self.control(token)
            if token.value in ("break", "continue"):
                closing = self.next_non_space()
                if closing.kind != "right":
                    raise self.unexpected(closing, f"{{{{{token.value}}}}}")
                if not self.range_depth:
                    raise self.error(f"{{{{{token.value}}}}} outside {{{{range}}}}")
                return _Loop(token.pos, token.value)
            if token.value in ("define", "template", "block"):
                raise self.error(f"{{{{{token.value}}}}} is not supported here")
        self.backup()
        return _Action(token.pos, self.pipeline("command", "right"))

    def control(self, keyword: _Token) -> _Node:
        marker = len(self.vars)
        kind = keyword.value
        if kind == "range":
            self.range_depth += 1
        pipe = self.pipeline(kind, "right")
        body, end = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body: list[_Node] | None = None
        if end is None:
            raise self.error("unexpected EOF")
        if end == "else":
            following = self.peek_non_space()
            if following.kind == "kw" and following.value in ("if", "with") and kind != "range":
                # "{{else if ...}}" is "{{else}}{{if ...}}...{{end}}{{end}}" in one node.
                self.next_non_space()
                else_body = [self.control(following)]
            else:
                closing = self.next_non_space()
                if closing.kind != "right":
                    raise self.error(f"expected end; found {_describe(closing)}")
                else_body, end = self.item_list()
                if end != "end":
                    raise self.error("unexpected EOF" if end is None else "unexpected {{else}}")
                closing = self.next_non_space()
                if closing.kind != "right":
                    raise self.error(f"unexpected {_describe(closing)} in end")
        else:
            closing = self.next_non_space()
            if closing.kind != "right":
                raise self.error(f"unexpected {_describe(closing)} in end")
        del self.vars[marker:]
        return _Control(keyword.pos, kind, pipe, body, else_body)

    def pipeline(self, context: str, end: str) -> _Pipe:
        start = self.peek_non_space()
        decl: list[str] = []
        is_assign = False
        while True:
            token = self.peek_non_space()
            if token.kind != "var":
                break
            saved = self.index
            self.next_non_space()
            after = self.next_non_space()
            if after.kind in ("declare", "assign"):
                is_assign = after.kind == "assign"
                decl.append(token.value)
                if not is_assign:
                    self.vars.append(token.value)
                break
            if after.kind == "comma":
                decl.append(token.value)
                self.vars.append(token.value)
                if context == "range" and len(decl) < 2:
                    continue
                raise self.error(f"too many declarations in {context}")
            self.index = saved
            del self.vars[len(self.vars) - len(decl) :]
            decl = []
            break
        if is_assign and context == "range":
            raise self.error("range can only initialize variables")
        cmds: list[_Command] = []
        while True:
            token = self.next_non_space()
            if token.kind == end:
                break
            is_nil = token.kind == "kw" and token.value == "nil"
            if token.kind not in _COMMAND_START and not is_nil:
                raise self.unexpected(token, context)
            self.backup()
            cmds.append(self.command())
        if not cmds:
            raise self.error(f"missing value for {context}")
        for stage, cmd in enumerate(cmds[1:], start=2):
            if isinstance(cmd.args[0], (_Literal, _Nil, _Dot)):
                raise self.error(f"non executable command in pipeline stage {stage}")
        return _Pipe(start.pos, decl, is_assign, cmds)

    def command(self) -> _Command:
        start = self.peek_non_space()
        args: list[_Node] = []
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            token = self.next()
            if token.kind == "space":
                continue
            if token.kind in ("right", "rparen"):
                self.backup()
            elif token.kind != "pipe":
                raise self.unexpected(token, "operand")
            break
        if not args:
            raise self.error("empty command")
        return _Command(start.pos, args)

    def operand(self) -> _Node | None:
        node = self.term()
        if node is None:
            return None
        names: list[str] = []
        chain_pos = self.peek().pos  # Go positions a chained field at its first suffix
        while self.peek().kind == "field":
            names.append(self.next().value[1:])
        if not names:
            return node
        if isinstance(node, _Field):
            return _Field(chain_pos, node.names + names)
        if isinstance(node, _Variable):
            return _Variable(chain_pos, node.names + names)
        if isinstance(node, (_Literal, _Dot)):
            raise self.error(f"unexpected . after term {str(node)!r}")
        return _Chain(chain_pos, node, names)

    def term(self) -> _Node | None:
        token = self.next_non_space()
        kind, value, pos = token.kind, token.value, token.pos
        if kind == "ident":
            if value not in self.functions:
                raise self.error(f'function "{value}" not defined')
            return _Identifier(pos, value)
        if kind == "dot":
            return _Dot(pos)
        if kind == "kw" and value == "nil":
            return _Nil(pos)
        if kind == "var":
            if value not in self.vars:
                raise self.error(f'undefined variable "{value}"')
            return _Variable(pos, [value])
        if kind == "field":
            return _Field(pos, [value[1:]])
        if kind == "bool":
            return _Literal(pos, value == "true", value)
        if kind == "number":
            return _Literal(pos, self.number(value), value)
        if kind in ("string", "rawstring"):
            text = value[1:-1] if kind == "rawstring" else _go_unquote(value)
            return _Literal(pos, text, value)
        if kind == "charconst":
            return _Literal(pos, ord(_go_unquote(value)), value)
        if kind == "lparen":
            pipe = self.pipeline("parenthesized pipeline", "rparen")
            return pipe
        self.backup()
        return None

    def number(self, text: str) -> int | float:
        cleaned = text.replace("_", "")
        try:
            return int(cleaned, 0)
        except ValueError:
            pass
        try:
            if cleaned.lower().startswith(("0x", "-0x", "+0x")):
                return float.fromhex(cleaned)
            return float(cleaned)
        except ValueError:
            raise self.error(f"bad number syntax: {_go_string(text)}") from None


def _describe(token: _Token) -> str:
    """How Go's ``item.String()`` names a token in parse errors."""
    if token.kind == "eof":
        return "EOF"
    if token.kind == "kw":
        return f"<{token.value}>"
    if len(token.value) > 10:
        return _go_string(token.value[:10]) + "..."
    return _go_string(token.value)


def _go_string(text: str) -> str:
    return render.go_quote(text)


# ---------------------------------------------------------------------------
# Go values: type names, truth, printing and JSON


def _go_type(value: Any) -> str:
    if isinstance(value, _Boxed) or value is None:
        return "interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    type_name = getattr(value, "go_type_name", None)
    if type_name:
        return str(type_name)
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return type(value).__name__


def _is_struct(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple, str, int, float, bool, _Missing, type(None)))


def _truth(value: Any) -> bool:
    value = _unbox(value)
    if value is MISSING or value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    if isinstance(value, (str, dict, list, tuple)):
        return len(value) > 0
    return True


def go_sprint(value: Any) -> str:
    """``fmt.Sprint`` of one value as text/template prints an action's result."""
    value = _unbox(value)
    if value is MISSING:
        return "<no value>"
    return _fmt_value(value)


def _fmt_value(value: Any) -> str:
    """Go's ``%v`` of a value (nil inside structures prints ``<nil>``)."""
    if isinstance(value, _Boxed):
        value = value.value
    return render.go_value_string(None if value is MISSING else value)


def _json_ready(value: Any) -> Any:
    value = _plain(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    # docker's formatter MarshalJSON: every exported zero-argument method becomes a key.
    fields: dict[str, Any] = {}
    for name in dir(value):
        if not name[:1].isupper() or name == "FullHeader":
            continue
        attribute = getattr(value, name)
        if callable(attribute):
            if _arity(attribute) != (0, 0):
                continue
            attribute = attribute()
        fields[name] = _json_ready(attribute)
    return fields


def _json_float(number: float) -> str:
    """encoding/json float64: %f style, exponent form outside [1e-6, 1e21)."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"json: unsupported value: {render.go_format_float(number)}")
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = render.go_format_float(number, "e", -1)
        return re.sub(r"e([+-])0(\d)$", r"e\1\2", text)
    return render.go_format_float(number, "f", -1)


def _json_string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """docker's ``json`` template function: compact ``json.Marshal`` without HTML escaping."""

    def encode(item: Any) -> str:
        if item is None:
            return "null"
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, float):
            return _json_float(item)
        if isinstance(item, str):
            return _json_string(item)
        if isinstance(item, dict):
            pairs = (f"{_json_string(k)}:{encode(item[k])}" for k in sorted(item))
            return "{" + ",".join(pairs) + "}"
        return "[" + ",".join(encode(element) for element in item) + "]"

    return encode(_json_ready(value))


# ---------------------------------------------------------------------------
# Functions


class _Func:
    """A template function: Go parameter types drive argument checking."""

    def __init__(self, impl: Callable[..., Any], params: Sequence[str], variadic: str = "") -> None:
        self.impl = impl
        self.params = list(params)
        self.variadic = variadic


def _arity(function: Callable[..., Any]) -> tuple[int, int | None]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return 0, None
    required, maximum = 0, 0
    for parameter in signature.parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            return required, None
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            maximum += 1
            if parameter.default is parameter.empty:
                required += 1
    return required, maximum


def _go_title(text: str) -> str:
    """strings.Title: upper-case the first letter of every word."""
    out, previous = [], " "
    for char in text:
        separator = not (previous.isalnum() or previous == "_")
        out.append(char.upper() if separator else char)
        previous = char
    return "".join(out)


def _pad(source: str, prefix: int, suffix: int) -> str:
    return source if source == "" else " " * prefix + source + " " * suffix


def _truncate(source: str, length: int) -> str:
    encoded = source.encode()
    if len(encoded) < length:
        return source
    return encoded[:length].decode(errors="replace")


def _go_split(text: str, separator: str) -> list[str]:
    if separator == "":
        return list(text)
    return text.split(separator)


def _len(item: Any) -> int:
    item = _unbox(item)
    if isinstance(item, (str, list, tuple, dict)):
        return len(item.encode()) if isinstance(item, str) else len(item)
    raise _CallError(f"len of type {_go_type(item) if item is not MISSING else 'nil'}")


def _index(item: Any, *indexes: Any) -> Any:
    item = _unbox(item)
    if item is MISSING:
        raise _CallError("index of untyped nil")
    for raw_index in indexes:
        index = _plain(raw_index)
        if isinstance(item, (list, tuple, str)):
            if not isinstance(index, int) or isinstance(index, bool):
                kind = "nil" if index is None else _go_type(index)
                raise _CallError(f"cannot index slice/array with type {kind}")
            if not 0 <= index < len(item):
                raise _CallError(f"index out of range: {index}")
            element = item[index]
            item = element if isinstance(item, str) else _Boxed(element)
        elif isinstance(item, dict):
            if not isinstance(index, str):
                raise _CallError(f"value has type {_go_type(index)}; should be string")
            item = _Boxed(item[index]) if index in item else _Boxed(None)
        else:
            raise _CallError(f"can't index item of type {_go_type(item)}")
        if isinstance(item, _Boxed) and len(indexes) > 1:
            item = _unbox(item)
    return item


class _CallError(Exception):
    """An error a template function returns (reported as ``error calling NAME: ...``)."""


_INCOMPATIBLE = "incompatible types for comparison"


def _basic_kind(value: Any) -> str:
    value = _unbox(value)
    if value is MISSING or value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise _CallError("missing argument for comparison")
    first_kind = _basic_kind(first)
    for other in others:
        other_kind = _basic_kind(other)
        if first_kind != other_kind:
            if "invalid" not in (first_kind, other_kind):
                raise _CallError(_INCOMPATIBLE)
            continue
        left, right = _plain(first), _plain(other)
        if first_kind == "other" and isinstance(left, (dict, list, tuple)):
            raise _CallError(f"non-comparable type {_fmt_value(left)}: {_go_type(left)}")
        if left == right:
            return True
    return False


def _less(first: Any, second: Any) -> bool:
    kinds = (_basic_kind(first), _basic_kind(second))
    if kinds[0] not in ("int", "float", "string") or kinds[1] not in ("int", "float", "string"):
        raise _CallError("invalid type for comparison")
    if kinds[0] != kinds[1]:
        raise _CallError(_INCOMPATIBLE)
    return _plain(first) < _plain(second)


def _compare(name: str) -> Callable[[Any, Any], bool]:
    def compare(first: Any, second: Any) -> bool:
        if name == "lt":
            return _less(first, second)
        if name == "le":
            return _less(first, second) or _eq(first, second)
        if name == "gt":
            return not (_less(first, second) or _eq(first, second))
        return not _less(first, second)

    return compare


def _sprint(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither side is a string."""
    out: list[str] = []
    for position, arg in enumerate(args):
        value = _plain(arg)
        previous = _plain(args[position - 1]) if position else None
        if position and not isinstance(value, str) and not isinstance(previous, str):
            out.append(" ")
        out.append(_fmt_value(value))
    return "".join(out)


def _sprintln(*args: Any) -> str:
    return " ".join(_fmt_value(_plain(arg)) for arg in args) + "\n"


def _html_escape(*args: Any) -> str:
    text = _sprint(*args)
    table = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}
    return "".join(table.get(char, char) for char in text)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus

    return quote_plus(_sprint(*args), safe="-_.~")


BASE_FUNCTIONS: dict[str, _Func] = {
    # Go's builtins ("and", "or" are evaluated lazily by the executor).
    "and": _Func(lambda *a: a, ["any"], "any"),
    "or": _Func(lambda *a: a, ["any"], "any"),
    "not": _Func(lambda value: not _truth(value), ["any"]),
    "len": _Func(_len, ["any"]),
    "index": _Func(_index, ["any"], "any"),
    "print": _Func(_sprint, [], "any"),
    "println": _Func(_sprintln, [], "any"),
    "printf": _Func(lambda fmt, *a: render.go_sprintf(fmt, *map(_plain, a)), ["string"], "any"),
    "eq": _Func(_eq, ["any"], "any"),
    "ne": _Func(lambda a, b: not _eq(a, b), ["any", "any"]),
    "lt": _Func(_compare("lt"), ["any", "any"]),
    "le": _Func(_compare("le"), ["any", "any"]),
    "gt": _Func(_compare("gt"), ["any", "any"]),
    "ge": _Func(_compare("ge"), ["any", "any"]),
    "html": _Func(_html_escape, [], "any"),
    "urlquery": _Func(_urlquery, [], "any"),
    # docker/cli templates.basicFunctions
    "json": _Func(go_json, ["any"]),
    "split": _Func(_go_split, ["string", "string"]),
    "join": _Func(lambda items, sep: sep.join(items), ["[]string", "string"]),
    "title": _Func(_go_title, ["string"]),
    "lower": _Func(str.lower, ["string"]),
    "upper": _Func(str.upper, ["string"]),
    "pad": _Func(_pad, ["string", "int", "int"]),
    "truncate": _Func(_truncate, ["string", "int"]),
}

# docker/cli templates.HeaderFunctions: the table header keeps column names intact.
HEADER_FUNCTIONS: dict[str, _Func] = {
    **BASE_FUNCTIONS,
    "json": _Func(lambda v: v, ["string"]),
    "split": _Func(lambda v, _sep: v, ["string", "string"]),
    "join": _Func(lambda v, _sep: v, ["string", "string"]),
    "title": _Func(lambda v: v, ["string"]),
    "lower": _Func(lambda v: v, ["string"]),
    "upper": _Func(lambda v: v, ["string"]),
    "truncate": _Func(lambda v, _n: v, ["string", "int"]),
}


# ---------------------------------------------------------------------------
# Execution


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Exec:
    def __init__(
        self, source: str, functions: Mapping[str, _Func], missing_key: str, root: Any
    ) -> None:
        self.source = source
        self.functions = functions
        self.missing_key_error = missing_key == "error"
        self.vars: list[tuple[str, Any]] = [("$", root)]
        self.node: _Node | None = None
        self.out: list[str] = []

    # errors ----------------------------------------------------------------
    def at(self, node: _Node) -> None:
        self.node = node

    def error(self, message: str) -> TemplateError:
        if self.node is None:
            return TemplateError(f"template: : {message}")
        prefix = self.source[: self.node.pos]
        line = 1 + prefix.count("\n")
        column = len(prefix[prefix.rfind("\n") + 1 :].encode())
        context = str(self.node)
        if isinstance(self.node, _Control):
            context = f"{{{{{self.node.kind} {self.node.pipe}}}}}"
        return TemplateError(f'template: :{line}:{column}: executing "" at <{context}>: {message}')

    # walking -----------------------------------------------------------------
    def walk(self, dot: Any, nodes: list[_Node]) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                self.out.append(node.text)
            elif isinstance(node, _Action):
                mark = len(self.vars)
                value = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    self.out.append(go_sprint(value))
                if not node.pipe.decl or node.pipe.is_assign:
                    del self.vars[mark:]
            elif isinstance(node, _Control):
                self.control(dot, node)
            elif isinstance(node, _Loop):
                raise _Break() if node.kind == "break" else _Continue()

    def control(self, dot: Any, node: _Control) -> None:
        mark = len(self.vars)
        try:
            if node.kind == "range":
                self.walk_range(dot, node)
                return
            value = self.pipeline(dot, node.pipe)
            if _truth(value):
                self.walk(_unbox(value) if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: _Control) -> None:
        mark = len(self.vars)
        value = _unbox(self.pipeline(dot, node.pipe))
        del self.vars[mark:]
        if isinstance(value, dict):
            items = [(key, _Boxed(value[key])) for key in sorted(value)]
        elif isinstance(value, (list, tuple)):
            items = [(index, _Boxed(element)) for index, element in enumerate(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(index, index) for index in range(value)]
        elif value is MISSING or value is None:
            items = []
        else:
            raise self.error(f"range can't iterate over {_fmt_value(value)}")
        for key, element in items:
            if len(node.pipe.decl) == 1:
                self.vars.append((node.pipe.decl[0], element))
            elif len(node.pipe.decl) == 2:
                self.vars.append((node.pipe.decl[0], key))
                self.vars.append((node.pipe.decl[1], element))
            try:
                self.walk(element, node.body)
            except _Break:
                break
            except _Continue:
                pass
            finally:
                del self.vars[mark:]
        if not items and node.else_body is not None:
            self.walk(dot, node.else_body)

    # evaluation --------------------------------------------------------------
    def pipeline(self, dot: Any, pipe: _Pipe) -> Any:
        self.at(pipe)
        value: Any = _NO_FINAL
        for cmd in pipe.cmds:
            value = self.command(dot, cmd, value)
            value = _unbox(value) if isinstance(value, _Boxed) else value
        for name in pipe.decl:
            if pipe.is_assign:
                self.assign(name, value)
            else:
                self.vars.append((name, value))
        return value

    def assign(self, name: str, value: Any) -> None:
        for position in range(len(self.vars) - 1, -1, -1):
            if self.vars[position][0] == name:
                self.vars[position] = (name, value)
                return
        raise self.error(f"undefined variable: {name}")

    def variable(self, name: str) -> Any:
        for var_name, value in reversed(self.vars):
            if var_name == name:
                return value
        raise self.error(f"undefined variable: {name}")

    def command(self, dot: Any, cmd: _Command, final: Any) -> Any:
        first = cmd.args[0]
        args = cmd.args
        if isinstance(first, _Field):
            self.at(first)
            return self.field_chain(dot, dot, first, first.names, args, final)
        if isinstance(first, _Chain):
            self.at(first)
            receiver = self.arg_value(dot, first.node)
            return self.field_chain(dot, receiver, first, first.names, args, final)
        if isinstance(first, _Identifier):
            return self.call_function(dot, first, cmd, args, final)
        if isinstance(first, _Variable):
            self.at(first)
            value = self.variable(first.names[0])
            if len(first.names) == 1:
                self.not_a_function(args, final)
                return value
            return self.field_chain(dot, value, first, first.names[1:], args, final)
        if isinstance(first, _Pipe):
            self.not_a_function(args, final)
            return self.pipeline(dot, first)
        self.at(first)
        self.not_a_function(args, final)
        if isinstance(first, _Dot):
            return dot
        if isinstance(first, _Nil):
            raise self.error("nil is not a command")
        return first.value  # a literal

    def not_a_function(self, args: list[_Node], final: Any) -> None:
        if len(args) > 1 or final is not _NO_FINAL:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def arg_value(self, dot: Any, node: _Node) -> Any:
        """Evaluate an argument node (Go's evalArg for an ``interface {}`` parameter)."""
        self.at(node)
        if isinstance(node, _Dot):
            return dot
        if isinstance(node, _Nil):
            return None
        if isinstance(node, _Literal):
            return node.value
        if isinstance(node, _Field):
            return self.field_chain(dot, dot, node, node.names, [node], _NO_FINAL)
        if isinstance(node, _Variable):
            value = self.variable(node.names[0])
            if len(node.names) == 1:
                return value
            return self.field_chain(dot, value, node, node.names[1:], [node], _NO_FINAL)
        if isinstance(node, _Pipe):
            return self.pipeline(dot, node)
        if isinstance(node, _Chain):
            receiver = self.arg_value(dot, node.node)
            return self.field_chain(dot, receiver, node, node.names, [node], _NO_FINAL)
        if isinstance(node, _Identifier):
            return self.call_function(dot, node, node, [node], _NO_FINAL)
        raise self.error(f"can't handle {node} for arg")

    def field_chain(
        self, dot: Any, receiver: Any, node: _Node, names: list[str], args: list[_Node], final: Any
    ) -> Any:
        for name in names[:-1]:
            receiver = self.field(dot, name, node, [node], _NO_FINAL, receiver)
        return self.field(dot, names[-1], node, args, final, receiver)

    def field(
        self, dot: Any, name: str, node: _Node, args: list[_Node], final: Any, receiver: Any
    ) -> Any:
        if receiver is MISSING:
            if self.missing_key_error:
                raise self.error(f'nil data; no entry for key "{name}"')
            return MISSING
        type_name = _go_type(receiver)
        value = receiver.value if isinstance(receiver, _Boxed) else receiver
        if value is None:
            raise self.error(f"nil pointer evaluating {type_name}.{name}")
        method = _method(value, name)
        if method is not None:
            return self.call(dot, method, name, node, args, final, is_method=True)
        has_args = len(args) > 1 or final is not _NO_FINAL
        if isinstance(value, dict):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            if name in value:
                return _Boxed(value[name]) if getattr(value, "go_boxed", True) else value[name]
            if getattr(value, "go_struct", False):
                raise self.error(f"can't evaluate field {name} in type {type_name}")
            if self.missing_key_error:
                raise self.error(f'map has no entry for key "{name}"')
            return MISSING
        if _is_struct(value) and name[:1].isupper() and hasattr(value, name):
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return getattr(value, name)
        raise self.error(f"can't evaluate field {name} in type {type_name}")

    def call_function(
        self, dot: Any, ident: _Identifier, cmd: _Node, args: list[_Node], final: Any
    ) -> Any:
        self.at(ident)
        function = self.functions[ident.name]
        if ident.name in ("and", "or"):
            return self.and_or(dot, ident.name, cmd, args, final)
        return self.call(dot, function, ident.name, cmd, args, final, is_method=False)

    def and_or(self, dot: Any, name: str, cmd: _Node, args: list[_Node], final: Any) -> Any:
        operands: list[Any] = [node for node in args[1:]]
        if final is not _NO_FINAL:
            operands.append(_Evaluated(final))
        if not operands:
            self.at(cmd)
            raise self.error(f"wrong number of args for {name}: want at least 1 got 0")
        value: Any = None
        for operand in operands:
            value = (
                operand.value if isinstance(operand, _Evaluated) else self.arg_value(dot, operand)
            )
            if _truth(value) == (name == "or"):
                return value
        return value

    def call(
        self,
        dot: Any,
        function: Any,
        name: str,
        node: _Node,
        args: list[_Node],
        final: Any,
        is_method: bool,
    ) -> Any:
        arg_nodes = args[1:]
        count = len(arg_nodes) + (0 if final is _NO_FINAL else 1)
        if isinstance(function, _Func):
            params, variadic = function.params, function.variadic
            ok = count >= len(params) if variadic else count == len(params)
            if not ok:
                self.at(node)
                want = f"at least {len(params)}" if variadic else str(len(params))
                raise self.error(f"wrong number of args for {name}: want {want} got {count}")
        else:
            required, maximum = _arity(function)
            if count < required or (maximum is not None and count > maximum):
                self.at(node)
                raise self.error(f"wrong number of args for {name}: want {required} got {count}")
            params, variadic = [], "any"
        values: list[Any] = []
        for position, arg in enumerate(arg_nodes):
            kind = params[position] if position < len(params) else variadic
            values.append(self.convert(self.arg_value(dot, arg), kind, arg))
        if final is not _NO_FINAL:
            kind = params[len(values)] if len(values) < len(params) else variadic
            self.at(node)
            values.append(self.convert(final, kind, None))
        self.at(node)
        try:
            if isinstance(function, _Func):
                return function.impl(*values)
            return function(*[_plain(value) for value in values])
        except _CallError as problem:
            raise self.error(f"error calling {name}: {problem}") from None

    def convert(self, value: Any, kind: str, node: _Node | None) -> Any:
        """Go's validateType: check a value against the function's parameter type."""
        if kind == "any":
            return value
        inner = value.value if isinstance(value, _Boxed) else value
        is_int = isinstance(inner, int) and not isinstance(inner, bool)
        if isinstance(node, _Literal) and kind == "int" and not is_int:
            raise self.error(f"expected integer; found {node}")
        if isinstance(node, _Literal) and kind == "string" and not isinstance(inner, str):
            raise self.error(f"expected string; found {node}")
        if value is MISSING:
            raise self.error(f"invalid value; expected {kind}")
        if kind == "string" and isinstance(inner, str):
            return inner
        if kind == "int" and isinstance(inner, int) and not isinstance(inner, bool):
            return inner
        is_strings = isinstance(inner, (list, tuple)) and all(isinstance(i, str) for i in inner)
        if kind == "[]string" and is_strings:
            return list(inner)
        got = "interface {}" if inner is None else _go_type(inner)
        raise self.error(f"wrong type for value; expected {kind}; got {got}")


class _NoFinal:
    """Marks "no value piped in from the previous command" (Go's missingVal)."""


_NO_FINAL = _NoFinal()


@dataclass
class _Evaluated:
    value: Any


def _method(value: Any, name: str) -> Callable[..., Any] | None:
    """A Go method: an upper-case callable of a struct or of a dict subclass."""
    if not name[:1].isupper():
        return None
    if isinstance(value, dict):
        if type(value) is dict or not callable(getattr(type(value), name, None)):
            return None
        return getattr(value, name)
    if _is_struct(value):
        attribute = getattr(value, name, None)
        return attribute if callable(attribute) else None
    return None


# ---------------------------------------------------------------------------
# Public API


class HeaderContext(dict):
    """docker's ``SubHeaderContext`` (``map[string]string``) used to render table headers."""

    go_type_name = "formatter.SubHeaderContext"
    go_boxed = False  # values are plain strings, not interface {}

    def Label(self, name: str) -> str:
        """The header of ``{{.Label "com.example.name"}}``: the last dotted part."""
        last = name.split(".")[-1]
        return last.replace("-", " ").replace("_", " ")


class StructContext(dict):
    """A row context given as a mapping but behaving like docker's Go struct contexts.

    ``.Field`` reads the key; an unknown field fails like Go does on a struct
    (``can't evaluate field Foo in type *formatter.ContainerContext``) instead of printing
    ``<no value>``; values are typed (not ``interface {}``); ``{{json .}}`` gives the keys.
    """

    go_struct = True
    go_boxed = False

    def __init__(self, fields: Mapping[str, Any], go_type_name: str) -> None:
        super().__init__(fields)
        self.go_type_name = go_type_name


@dataclass
class Template:
    """A parsed template; ``execute`` renders it against one value."""

    source: str
    nodes: list[_Node] = field(repr=False)
    header_nodes: list[_Node] | None = field(default=None, repr=False)

    def execute(self, data: Any, *, missing_key: str = "default") -> str:
        """Render ``data``; ``missing_key="error"`` is Go's ``Option("missingkey=error")``."""
        return self._run(self.nodes, BASE_FUNCTIONS, data, missing_key)

    def execute_header(self, header: Mapping[str, str]) -> tuple[str, TemplateError | None]:
        """Render the table header with docker's HeaderFunctions.

        docker ignores header errors and keeps what was printed before the failure, so the
        partial text and the error (or None) are both returned.
        """
        context = header if isinstance(header, HeaderContext) else HeaderContext(header)
        runner = _Exec(self.source, HEADER_FUNCTIONS, "default", context)
        try:
            runner.walk(context, self.nodes)
        except TemplateError as problem:
            return "".join(runner.out), problem
        return "".join(runner.out), None

    def _run(self, nodes: list[_Node], functions: Mapping[str, _Func], data: Any, mode: str) -> str:
        runner = _Exec(self.source, functions, mode, data)
        runner.walk(data, nodes)
        return "".join(runner.out)


def compile_template(text: str) -> Template:
    """Parse like docker's ``templates.Parse``; raises TemplateError on syntax errors."""
    return Template(text, _Parser(text, BASE_FUNCTIONS).parse())


def is_table_format(format_text: str) -> bool:
    """docker's ``Format.IsTable``: any format starting with ``table``."""
    return format_text.startswith("table")


def prepare_format(format_text: str) -> str:
    """docker's ``Context.preFormat``: strip ``table``, map ``json``, expand ``\\t``/``\\n``."""
    if is_table_format(format_text):
        format_text = format_text[len("table") :]
    elif format_text == "json":
        format_text = "{{json .}}"
    format_text = format_text.strip(" ")
    return format_text.replace("\\t", "\t").replace("\\n", "\n")


def render_format(format_text: str, rows: Sequence[Any], header: Mapping[str, str]) -> str:
    """Render rows like docker's ``formatter.Context.Write``.

    Each row is rendered and followed by a newline.  A ``table`` format also renders the
    header (same template, header functions, header mapping as data) on top and aligns the
    result with docker's tabwriter.  Commands map a bare ``table`` or an empty format to
    their own default format before calling this, as docker does.
    """
    template = compile_template(prepare_format(format_text))
    body = "".join(template.execute(row) + "\n" for row in rows)
    if not is_table_format(format_text):
        return body
    header_text, _ignored = template.execute_header(header)
    return render.tabwrite(header_text + "\n" + body)
