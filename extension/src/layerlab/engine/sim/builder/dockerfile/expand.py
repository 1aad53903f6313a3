"""Variable substitution in Dockerfile words (buildkit ``frontend/dockerfile/shell``).

``$x``, ``${x}``, ``${x:-default}``, ``${x:+alt}`` and ``${x?message}`` with the Dockerfile's
escape character, quote removal, and word splitting of unquoted substitution results (for
EXPOSE). Errors become ``failed to process "<word>": ...`` as the daemon reports them.
"""

from __future__ import annotations

from collections.abc import Mapping

from layerlab.engine.sim.builder.dockerfile.instruction import DockerfileError
from layerlab.go_strconv import go_quote

_SPECIAL_PARAMS = "@*#?-$!0"


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
    def __init__(
        self, text: str, env: Mapping[str, str], escape: str, raw_quotes: bool = False
    ) -> None:
        self.text, self.env, self.escape, self.pos = text, env, escape, 0
        # BuildKit's names for RUN steps: quotes stay, and an unset variable stays as written.
        self.raw_quotes = raw_quotes

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
        return self.text[start - 1 : end + 1] if self.raw_quotes else self.text[start:end]

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
                return f'"{"".join(result)}"' if self.raw_quotes else "".join(result)
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
            if self.raw_quotes and name and name not in self.env:
                return "$" + name
            return self.env.get(name, "") if name else "$"
        start = self.pos - 1
        self.next()
        if not self.peek():
            raise _LexError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            if self.raw_quotes and name not in self.env:
                return self.text[start : self.pos]
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


def substitute(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """``text`` with its set variables substituted and its quotes kept, as BuildKit names a RUN
    step (``[2/3] RUN echo "v=1"``); the text unchanged where it does not parse."""
    try:
        return _Lexer(text, env, escape, raw_quotes=True).until("")[0]
    except _LexError:
        return text


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Like :func:`expand`, then split on unquoted whitespace (EXPOSE uses this)."""
    return _lex(word, env, escape)[1]
