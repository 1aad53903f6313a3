"""The `sh` language as busybox ash speaks it: the parser and its entry point.

The lexer (:mod:`shell_lexer`) produces tokens on demand and the parser returns one complete
command at a time, so a script runs line by line like ash: commands before a syntax error still
run. Words stay raw source text in the tree (:mod:`shell_ast`); the interpreter
(:mod:`applets.ash`) expands them when the command runs. Error texts are busybox's.
"""

from __future__ import annotations

from layerlab.engine.sim.programs.shell.lexer import (
    LIST_ENDERS,
    RESERVED,
    Lexer,
    ShellSyntaxError,
    Token,
)
from layerlab.engine.sim.programs.shell.syntax import (
    AndOr,
    Case,
    CommandList,
    For,
    FunctionDef,
    Group,
    If,
    Loop,
    Pipeline,
    Redir,
    Simple,
)

__all__ = ["Parser", "ShellSyntaxError", "parse_all"]


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
