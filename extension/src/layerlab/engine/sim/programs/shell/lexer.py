"""The lexer of busybox ash's `sh` language: tokens on demand, here-documents, line numbers.

It knows the operators, skips quoted and ``$(...)``/``${...}``/backquoted parts of a word as
a unit (their syntax errors are busybox's texts) and reads pending here-document bodies at
the next newline. Tokens are produced one at a time so the parser can run a script command
by command, as ash does.
"""

from __future__ import annotations

from dataclasses import dataclass

from layerlab.engine.sim.programs.shell.syntax import HereDoc

RESERVED = {
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
    "while", "until", "for", "in", "{", "}", "!",
}  # fmt: skip
# Words that end a list: seeing one where a command should start is "unexpected".
LIST_ENDERS = {"then", "else", "elif", "fi", "do", "done", "esac", "}"}
OPERATORS = [
    "&&", "||", ";;", "<<-", "<<", ">>", ">&", "<&", "<>", ">|",
    ";", "&", "|", "(", ")", "<", ">",
]  # fmt: skip
META = set(" \t\n;&|<>()")


class ShellSyntaxError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Token:
    kind: str  # WORD, OP, NEWLINE, EOF, IO_NUMBER
    value: str
    line: int
    heredoc: HereDoc | None = None


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.pending_heredocs: list[HereDoc] = []
        self.want_heredoc_word = False
        self._peeked: Token | None = None

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._lex()
        return self._peeked

    def next(self) -> Token:
        token = self.peek()
        self._peeked = None
        return token

    def error(self, message: str) -> ShellSyntaxError:
        return ShellSyntaxError(message, self.line)

    def _lex(self) -> Token:
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos] in " \t":
                self.pos += 1
            if text.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
                continue
            if self.pos < len(text) and text[self.pos] == "#":
                while self.pos < len(text) and text[self.pos] != "\n":
                    self.pos += 1
            break
        if self.pos >= len(text):
            if self.pending_heredocs:
                self._read_heredocs()
            return Token("EOF", "", self.line)
        char = text[self.pos]
        if char == "\n":
            token = Token("NEWLINE", "\n", self.line)
            self.pos += 1
            self.line += 1
            if self.pending_heredocs:
                self._read_heredocs()
            return token
        for op in OPERATORS:
            if text.startswith(op, self.pos):
                self.pos += len(op)
                token = Token("OP", op, self.line)
                if op in ("<<", "<<-"):
                    token.heredoc = HereDoc("", op == "<<-", False)
                return token
        start_line = self.line
        word = self._scan_word()
        if word.isdigit() and self.pos < len(text) and text[self.pos] in "<>":
            return Token("IO_NUMBER", word, start_line)
        return Token("WORD", word, start_line)

    def _scan_word(self) -> str:
        text = self.text
        start = self.pos
        while self.pos < len(text):
            char = text[self.pos]
            if char in META:
                break
            if char == "\\":
                if text.startswith("\\\n", self.pos):
                    self.line += 1
                self.pos += 2
            elif char == "'":
                self._skip_single_quotes()
            elif char == '"':
                self._skip_double_quotes()
            elif char == "`":
                self._skip_backquotes()
            elif char == "$":
                self._skip_dollar()
            else:
                self.pos += 1
        self.pos = min(self.pos, len(text))
        return text[start : self.pos].replace("\\\n", "")

    def _advance_to(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def _skip_single_quotes(self) -> None:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            self._advance_to(len(self.text))
            raise self.error("syntax error: unterminated quoted string")
        self._advance_to(end + 1)

    def _skip_double_quotes(self) -> None:
        text = self.text
        self.pos += 1
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return
            if char == "\\":
                self._advance_to(min(self.pos + 2, len(text)))
            elif char == "`":
                self._skip_backquotes()
            elif char == "$":
                self._skip_dollar()
            else:
                self._advance_to(self.pos + 1)
        raise self.error("syntax error: unterminated quoted string")

    def _skip_backquotes(self) -> None:
        text = self.text
        pos = self.pos + 1
        while pos < len(text):
            if text[pos] == "\\":
                pos += 2
                continue
            if text[pos] == "`":
                self._advance_to(pos + 1)
                return
            pos += 1
        self._advance_to(len(text))
        raise self.error("syntax error: EOF in backquote substitution")

    def _skip_dollar(self) -> None:
        text = self.text
        if text.startswith("$((", self.pos):
            self._skip_balanced(self.pos + 3, "(", ")", depth=2)
        elif text.startswith("$(", self.pos):
            self._skip_balanced(self.pos + 2, "(", ")", depth=1)
        elif text.startswith("${", self.pos):
            self._skip_balanced(self.pos + 2, "{", "}", depth=1)
        else:
            self.pos += 1

    def _skip_balanced(self, pos: int, opener: str, closer: str, depth: int) -> None:
        text = self.text
        self._advance_to(pos)
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                self._advance_to(min(self.pos + 2, len(text)))
                continue
            if char == "'" and opener == "(":
                self._skip_single_quotes()
                continue
            if char == '"':
                self._skip_double_quotes()
                continue
            if char == "`":
                self._skip_backquotes()
                continue
            if char == "$" and text.startswith(("$(", "${"), self.pos):
                self._skip_dollar()
                continue
            if char == opener:
                depth += 1
            elif char == closer:
                depth -= 1
                if depth == 0:
                    self._advance_to(self.pos + 1)
                    return
            self._advance_to(self.pos + 1)
        if opener == "{":
            raise self.error("syntax error: missing '}'")
        raise self.error('syntax error: unexpected end of file (expecting ")")')

    def _read_heredocs(self) -> None:
        for doc in self.pending_heredocs:
            lines: list[str] = []
            while True:
                if self.pos >= len(self.text):
                    break
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                line = self.text[self.pos : end]
                self.pos = end + 1
                self.line += 1
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line == doc.delimiter:
                    break
                lines.append(line + "\n")
            doc.body = "".join(lines)
        self.pending_heredocs = []
