"""The lexer of Go's text/template (``text/template/parse/lex.go``) for docker's formats.

It turns template source into tokens (text, delimiters, fields, variables, literals...),
honouring trim markers (``{{-``/``-}}``) and comments. Lexing errors become an ``error`` token
where the lexer stopped, because Go's parser reads tokens lazily and reports whichever problem
it reaches first. ``go_unquote`` decodes Go string and character literals for the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = " \t\r\n"
_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block"}
_KEYWORDS |= {"break", "continue", "nil"}
_NUMBER = re.compile(
    r"[+-]?(0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*([pP][+-]?[0-9_]+)?|"
    r"0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)i?"
)
_ALNUM = re.compile(r"[A-Za-z0-9_\u0080-\U0010ffff]*")


@dataclass
class Token:
    kind: str  # text, left, right, space, field, var, dot, ident, kw, bool, number, ...
    value: str
    pos: int
    line: int


class _LexError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.pos = 0
        self.paren_depth = 0
        self._counted = (0, 1)  # (position, its line): tokens come left to right

    def line_at(self, pos: int) -> int:
        counted, line = self._counted
        if pos < counted:
            counted, line = 0, 1
        line += self.text.count("\n", counted, pos)
        self._counted = (pos, line)
        return line

    def error(self, message: str, pos: int) -> _LexError:
        return _LexError(message, pos)

    def emit(self, kind: str, start: int, end: int, value: str | None = None) -> None:
        text = self.text[start:end] if value is None else value
        self.tokens.append(Token(kind, text, start, self.line_at(start)))

    def run(self) -> list[Token]:
        """Tokenize; a lexing error becomes an ``error`` token where the lexer stopped.

        Go's parser reads tokens lazily, so an earlier parse error wins over a lexing
        error further right; the error token reproduces that order.
        """
        try:
            return self.lex_all()
        except _LexError as problem:
            self.emit("error", problem.pos, problem.pos, problem.message)
            return self.tokens

    def lex_all(self) -> list[Token]:
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
        text, pos = self.text, self.pos  # no slice of the rest: templates may be long
        if text[pos : pos + 1] in _SPACE and text.startswith("-}}", pos + 1):
            return True, True
        return text.startswith("}}", pos), False

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
        elif char == ":":
            if not text.startswith(":=", start):
                raise self.error("expected :=", left)
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
            self.check_terminator(left)
            self.emit("var", start, self.pos)
        elif char == "." and not text[start + 1 : start + 2].isdigit():
            end = _ALNUM.match(text, start + 1).end()
            self.pos = end
            self.check_terminator(left)
            self.emit("field" if end > start + 1 else "dot", start, end)
        elif char.isdigit() or char in "+-.":
            match = _NUMBER.match(text, start)
            end = match.end() if match else start + 1
            end = _ALNUM.match(text, end).end() if end < len(text) else end
            self.pos = max(end, start + 1)
            self.emit("number", start, self.pos)
        elif char.isalpha() or char == "_":
            self.pos = _ALNUM.match(text, start).end()
            self.check_terminator(left)
            word = text[start : self.pos]
            kind = "bool" if word in ("true", "false") else "kw" if word in _KEYWORDS else "ident"
            self.emit(kind, start, self.pos)
        elif char.isascii() and char.isprintable():
            self.pos += 1
            self.emit("char", start, self.pos)
        else:
            raise self.error(f"unrecognized character in action: {_rune_repr(char)}", left)

    def check_terminator(self, left: int) -> None:
        """Go's ``atTerminator`` after a word, field or variable: a space, the end, one of
        ``.,|:()`` or the right delimiter must follow, else the next character is bad."""
        text, pos = self.text, self.pos
        if pos >= len(text) or text[pos] in _TERMINATORS or text.startswith("}}", pos):
            return
        raise self.error(f"bad character {_rune_repr(text[pos])}", left)

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


_TERMINATORS = frozenset(" \t\r\n.,|:()")


def _rune_repr(char: str) -> str:
    """Go's ``%#U``: ``U+0021 '!'``."""
    code = ord(char)
    return f"U+{code:04X} '{char}'" if char.isprintable() else f"U+{code:04X}"


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SIMPLE_ESCAPES |= {"\\": "\\"}
_HEX = frozenset("0123456789abcdefABCDEF")


class InvalidSyntax(ValueError):
    """strconv's ErrSyntax: the literal is not valid Go."""

    def __init__(self) -> None:
        super().__init__("invalid syntax")


def go_unquote(literal: str) -> str:
    """strconv.Unquote for an interpreted string or character literal (raises
    :class:`InvalidSyntax` where Go's does)."""
    quote, body, out, index = literal[0], literal[1:-1], [], 0
    while index < len(body):
        char, index = _unquote_char(body, index, quote)
        out.append(char)
    return "".join(out)


def go_char_constant(literal: str) -> int:
    """The rune of a character constant, as text/template's parser reads it."""
    body = literal[1:-1]
    if not body:
        raise InvalidSyntax()
    char, index = _unquote_char(body, 0, "'")
    if index != len(body):
        raise ValueError(f"malformed character constant: {literal}")
    return ord(char)


def _unquote_char(body: str, index: int, quote: str) -> tuple[str, int]:
    """strconv.UnquoteChar: the character at ``index`` and the index after it."""
    char = body[index]
    if char == quote and quote in "'\"":
        raise InvalidSyntax()
    if char != "\\":
        return char, index + 1
    kind = body[index + 1 : index + 2]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind], index + 2
    if kind in ("'", '"'):
        if kind != quote:  # \' only in a character constant, \" only in a string
            raise InvalidSyntax()
        return kind, index + 2
    if kind in ("x", "u", "U"):
        size = {"x": 2, "u": 4, "U": 8}[kind]
        digits = body[index + 2 : index + 2 + size]
        if len(digits) != size or not set(digits) <= _HEX:
            raise InvalidSyntax()
        code = int(digits, 16)
        if kind != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
            raise InvalidSyntax()
        return chr(code), index + 2 + size
    if kind in "01234567" and kind:
        digits = body[index + 1 : index + 4]
        if len(digits) != 3 or not set(digits) <= set("01234567") or int(digits, 8) > 255:
            raise InvalidSyntax()
        return chr(int(digits, 8)), index + 4
    raise InvalidSyntax()
