"""The parse tree of a Go template (``text/template/parse/node.go``, the subset docker uses).

Each node knows its source offset (for error positions) and prints itself as Go does in
execution errors (``executing "" at <.Field>``). :mod:`gotemplate_parser` builds the tree,
:mod:`gotemplate_exec` walks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Node:
    pos: int  # character offset in the template source


@dataclass
class TextNode(Node):
    text: str


@dataclass
class FieldNode(Node):
    names: list[str]

    def __str__(self) -> str:
        return "".join("." + name for name in self.names)


@dataclass
class VariableNode(Node):
    names: list[str]  # "$x" followed by field names

    def __str__(self) -> str:
        return ".".join(self.names)


@dataclass
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass
class LiteralNode(Node):
    value: Any
    source: str

    def __str__(self) -> str:
        return self.source


@dataclass
class IdentifierNode(Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class ChainNode(Node):
    node: Node
    names: list[str]

    def __str__(self) -> str:
        inner = str(self.node)
        if isinstance(self.node, PipeNode):
            inner = f"({inner})"
        return inner + "".join("." + name for name in self.names)


@dataclass
class CommandNode(Node):
    args: list[Node]

    def __str__(self) -> str:
        parts = []
        for arg in self.args:
            parts.append(f"({arg})" if isinstance(arg, PipeNode) else str(arg))
        return " ".join(parts)


@dataclass
class PipeNode(Node):
    decl: list[str]
    is_assign: bool
    cmds: list[CommandNode]

    def __str__(self) -> str:
        text = " | ".join(str(cmd) for cmd in self.cmds)
        if self.decl:
            text = f"{', '.join(self.decl)} {'=' if self.is_assign else ':='} {text}"
        return text


@dataclass
class ActionNode(Node):
    pipe: PipeNode


@dataclass
class ControlNode(Node):
    kind: str  # "if", "range", "with"
    pipe: PipeNode
    body: list[Node]
    else_body: list[Node] | None = None


@dataclass
class LoopNode(Node):
    kind: str  # "break" or "continue"
