"""The syntax tree of busybox ash's `sh` language, as :class:`shell.Parser` builds it.

Words stay raw source text (quotes and ``$`` intact): the interpreter expands them when the
command runs, as ash does. Compound commands carry their own redirections; a here-document's
body is filled in by the lexer once it reaches the line after the command.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HereDoc:
    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: str = ""


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
