"""The `sh` language as busybox ash speaks it: lexer, parser and the entry points.

The lexer produces tokens on demand and the parser returns one complete command at a time, so
a script runs line by line like ash: commands before a syntax error still run. Words stay raw
source text; `shell_eval` expands them when the command runs. Error texts are busybox's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class HereDoc:
    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: str = ""


# ---------------------------------------------------------------------------------------------
# AST


@dataclass
class Redir:
    fd: int | None
    op: str
    target: str  # raw word, or the delimiter for a here-doc
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assigns: list[str]
    words: list[str]
    redirs: list[Redir]
    line: int


@dataclass
class Pipeline:
    commands: list[object]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


@dataclass
class CommandList:
    items: list[tuple[AndOr, bool]]  # (command, run in background)


@dataclass
class If:
    branches: list[tuple[CommandList, CommandList]]
    otherwise: CommandList | None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Loop:
    condition: CommandList
    body: CommandList
    until: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class For:
    name: str
    words: list[str] | None
    body: CommandList
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Case:
    word: str
    items: list[tuple[list[str], CommandList | None]]
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Group:
    body: CommandList
    subshell: bool
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class FunctionDef:
    name: str
    body: object


# ---------------------------------------------------------------------------------------------
# lexer


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


# ---------------------------------------------------------------------------------------------
# parser


def describe(token: Token) -> str:
    if token.kind == "EOF":
        return "end of file"
    if token.kind == "NEWLINE":
        return "newline"
    return f'"{token.value}"'


class Parser:
    def __init__(self, text: str) -> None:
        self.lexer = Lexer(text)
        self.pending_error: ShellSyntaxError | None = None

    # -- helpers ----------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.lexer.peek()

    def next(self) -> Token:
        return self.lexer.next()

    def unexpected(self, token: Token, expecting: str | None = None) -> ShellSyntaxError:
        message = f"syntax error: unexpected {describe(token)}"
        if token.kind == "EOF" and expecting:
            message += f' (expecting "{expecting}")'
        return ShellSyntaxError(message, token.line)

    def is_word(self, value: str) -> bool:
        token = self.peek()
        return token.kind == "WORD" and token.value == value

    def skip_newlines(self) -> None:
        while self.peek().kind == "NEWLINE":
            self.next()

    def expect_word(self, value: str) -> None:
        token = self.next()
        if token.kind != "WORD" or token.value != value:
            raise self.unexpected(token, value)

    def at_end(self) -> bool:
        """True when nothing but blank lines is left (a syntax error ahead counts as more)."""
        try:
            self.skip_newlines()
            return self.peek().kind == "EOF"
        except ShellSyntaxError as error:
            self.pending_error = error  # reported when the next command is asked for
            return False

    # -- grammar ----------------------------------------------------------------------------
    def complete_command(self) -> CommandList | None:
        """The next top-level command (up to a newline), or None at the end of the input."""
        if self.pending_error is not None:
            raise self.pending_error
        self.skip_newlines()
        if self.peek().kind == "EOF":
            return None
        result = self.command_list(top=True)
        token = self.peek()
        if token.kind not in ("NEWLINE", "EOF"):
            raise self.unexpected(token)
        return result

    def command_list(self, top: bool = False, expecting: str | None = None) -> CommandList:
        items: list[tuple[AndOr, bool]] = []
        while True:
            if not top:
                self.skip_newlines()
            token = self.peek()
            if token.kind == "EOF" and items:
                break
            if token.kind == "WORD" and token.value in LIST_ENDERS and items:
                break
            if token.kind == "OP" and token.value in (")", ";;") and items:
                break
            node = self.and_or(expecting)
            background = False
            token = self.peek()
            if token.kind == "OP" and token.value in (";", "&"):
                self.next()
                background = token.value == "&"
                items.append((node, background))
                if top and self.peek().kind in ("NEWLINE", "EOF"):
                    break
                continue
            items.append((node, background))
            if top or token.kind != "NEWLINE":
                break
        return CommandList(items)

    def and_or(self, expecting: str | None) -> AndOr:
        node = AndOr(self.pipeline(expecting))
        while self.peek().kind == "OP" and self.peek().value in ("&&", "||"):
            op = self.next().value
            self.skip_newlines()
            node.rest.append((op, self.pipeline(None)))
        return node

    def pipeline(self, expecting: str | None) -> Pipeline:
        negate = False
        if self.is_word("!"):
            self.next()
            negate = True
        commands = [self.command(expecting)]
        while self.peek().kind == "OP" and self.peek().value == "|":
            self.next()
            self.skip_newlines()
            commands.append(self.command(None))
        return Pipeline(commands, negate)

    def command(self, expecting: str | None) -> object:
        token = self.peek()
        if token.kind == "WORD":
            keyword = {
                "if": self.if_clause,
                "while": self.loop_clause,
                "until": self.loop_clause,
                "for": self.for_clause,
                "case": self.case_clause,
                "{": self.group,
            }.get(token.value)
            if keyword is not None:
                node = keyword()
                node.redirs = self.redirections()  # type: ignore[attr-defined]
                return node
            if token.value in RESERVED:
                raise self.unexpected(token, expecting)
        if token.kind == "OP" and token.value == "(":
            self.next()
            body = self.command_list(expecting=")")
            close = self.next()
            if close.kind != "OP" or close.value != ")":
                raise self.unexpected(close, ")")
            return Group(body, subshell=True, redirs=self.redirections())
        return self.simple_command(expecting)

    def redirections(self) -> list[Redir]:
        redirs: list[Redir] = []
        while True:
            redir = self.redirection()
            if redir is None:
                return redirs
            redirs.append(redir)

    def redirection(self) -> Redir | None:
        token = self.peek()
        fd: int | None = None
        if token.kind == "IO_NUMBER":
            self.next()
            fd = int(token.value)
            token = self.peek()
        if token.kind != "OP" or token.value not in (
            "<",
            ">",
            ">>",
            "<<",
            "<<-",
            ">&",
            "<&",
            "<>",
            ">|",
        ):
            return None
        self.next()
        target = self.next()
        if target.kind != "WORD":
            raise self.unexpected(target)
        if token.heredoc is not None:
            doc = token.heredoc
            doc.quoted = any(q in target.value for q in "'\"\\")
            doc.delimiter = target.value.replace("'", "").replace('"', "").replace("\\", "")
            self.lexer.pending_heredocs.append(doc)
            return Redir(fd, token.value, target.value, doc)
        return Redir(fd, token.value, target.value)

    def simple_command(self, expecting: str | None) -> object:
        assigns: list[str] = []
        words: list[str] = []
        redirs: list[Redir] = []
        line = self.peek().line
        while True:
            redir = self.redirection()
            if redir is not None:
                redirs.append(redir)
                continue
            token = self.peek()
            if token.kind != "WORD":
                break
            if not words and _is_assignment(token.value):
                assigns.append(self.next().value)
                continue
            if not words and self._function_follows(token):
                return self.function_def()
            words.append(self.next().value)
        if not (assigns or words or redirs):
            raise self.unexpected(self.peek(), expecting)
        return Simple(assigns, words, redirs, line)

    def _function_follows(self, token: Token) -> bool:
        text = self.lexer.text
        pos = self.lexer.pos
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        return text.startswith("(", pos) and _is_name(token.value)

    def function_def(self) -> FunctionDef:
        name = self.next().value
        self.next()  # (
        close = self.next()
        if close.kind != "OP" or close.value != ")":
            raise self.unexpected(close)
        self.skip_newlines()
        return FunctionDef(name, self.command(None))

    def if_clause(self) -> If:
        self.next()
        branches = []
        otherwise = None
        while True:
            condition = self.command_list(expecting="then")
            self.expect_word("then")
            body = self.command_list(expecting="fi")
            branches.append((condition, body))
            token = self.next()
            if token.kind == "WORD" and token.value == "elif":
                continue
            if token.kind == "WORD" and token.value == "else":
                otherwise = self.command_list(expecting="fi")
                self.expect_word("fi")
            elif token.kind != "WORD" or token.value != "fi":
                raise self.unexpected(token, "fi")
            return If(branches, otherwise)

    def loop_clause(self) -> Loop:
        until = self.next().value == "until"
        condition = self.command_list(expecting="do")
        self.expect_word("do")
        body = self.command_list(expecting="done")
        self.expect_word("done")
        return Loop(condition, body, until)

    def for_clause(self) -> For:
        self.next()
        name = self.next()
        if name.kind != "WORD" or not _is_name(name.value):
            raise self.unexpected(name)
        words: list[str] | None = None
        self.skip_newlines()
        if self.is_word("in"):
            self.next()
            words = []
            while self.peek().kind == "WORD":
                words.append(self.next().value)
            token = self.next()
            if token.kind not in ("NEWLINE",) and not (token.kind == "OP" and token.value == ";"):
                raise self.unexpected(token, "do")
        elif self.peek().kind == "OP" and self.peek().value == ";":
            self.next()
        self.skip_newlines()
        self.expect_word("do")
        body = self.command_list(expecting="done")
        self.expect_word("done")
        return For(name.value, words, body)

    def case_clause(self) -> Case:
        self.next()
        word = self.next()
        if word.kind != "WORD":
            raise self.unexpected(word)
        self.skip_newlines()
        self.expect_word("in")
        items: list[tuple[list[str], CommandList | None]] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token.kind == "WORD" and token.value == "esac":
                self.next()
                return Case(word.value, items)
            if token.kind == "OP" and token.value == "(":
                self.next()
            patterns = []
            while True:
                token = self.next()
                if token.kind != "WORD":
                    raise self.unexpected(token, ")")
                patterns.append(token.value)
                sep = self.next()
                if sep.kind == "OP" and sep.value == ")":
                    break
                if not (sep.kind == "OP" and sep.value == "|"):
                    raise self.unexpected(sep, ")")
            self.skip_newlines()
            body: CommandList | None = None
            token = self.peek()
            ends_item = token.kind == "OP" and token.value == ";;"
            if not ends_item and not (token.kind == "WORD" and token.value == "esac"):
                body = self.command_list(expecting="esac")
            items.append((patterns, body))
            token = self.next()
            if token.kind == "WORD" and token.value == "esac":
                return Case(word.value, items)
            if not (token.kind == "OP" and token.value == ";;"):
                raise self.unexpected(token, "esac")

    def group(self) -> Group:
        self.next()
        body = self.command_list(expecting="}")
        self.expect_word("}")
        return Group(body, subshell=False)


def _is_name(text: str) -> bool:
    return (
        bool(text)
        and (text[0].isalpha() or text[0] == "_")
        and all(c.isalnum() or c == "_" for c in text)
        and text.isascii()
    )


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and _is_name(name)


def parse_all(text: str) -> list[CommandList]:
    """Every top-level command of ``text`` (raises ShellSyntaxError); used by tests and `eval`."""
    parser = Parser(text)
    commands = []
    while (command := parser.complete_command()) is not None:
        commands.append(command)
    return commands


def sh_main(argv: list[str], io: object) -> int:
    """The `sh`/`ash` program: ``sh -c SCRIPT [ARG0 ARGS...]``, ``sh FILE ARGS...`` or stdin."""
    # The interpreter lives with the applets (it is busybox's `sh` applet) and imports this
    # module, hence the late import.
    from .applets.ash import run_sh

    return run_sh(argv, io)  # type: ignore[arg-type]
