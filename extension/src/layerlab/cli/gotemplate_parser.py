"""The parser of Go's text/template (``text/template/parse/parse.go``) for docker's formats.

Builds the tree of :mod:`gotemplate_nodes` from lexer tokens and reports syntax errors with
Go's wording and line numbers (``template: :1: unexpected "}" in operand``): undefined
variables and functions, bad pipelines, misplaced ``{{else}}``/``{{end}}``/``{{break}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layerlab.cli.gotemplate_lexer import Lexer, Token, go_char_constant, go_unquote
from layerlab.cli.gotemplate_nodes import (
    ActionNode,
    ChainNode,
    CommandNode,
    ControlNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    LiteralNode,
    LoopNode,
    NilNode,
    Node,
    PipeNode,
    TextNode,
    VariableNode,
)
from layerlab.cli.gotemplate_values import TemplateError
from layerlab.go_strconv import go_quote

_COMMAND_START = {"bool", "charconst", "dot", "field", "ident", "number", "string", "rawstring"}
_COMMAND_START |= {"var", "lparen"}


class Parser:
    def __init__(self, text: str, functions: Mapping[str, Any], name: str = "") -> None:
        self.text = text
        self.name = name  # the template's name, in its errors (docker's version: "version")
        self.tokens = Lexer(text).run()
        self.index = 0
        self.functions = functions
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.last = self.tokens[0]

    # token helpers -------------------------------------------------------
    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        self.last = token
        if token.kind == "error":
            raise self.error(token.value)
        return token

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> Token:
        token = self.tokens[self.index]
        if token.kind == "error":
            return self.next()
        return token

    def next_non_space(self) -> Token:
        token = self.next()
        while token.kind == "space":
            token = self.next()
        return token

    def peek_non_space(self) -> Token:
        token = self.next_non_space()
        self.backup()
        return token

    def error(self, message: str) -> TemplateError:
        return TemplateError(f"template: {self.name}:{self.last.line}: {message}")

    def unexpected(self, token: Token, context: str) -> TemplateError:
        return self.error(f"unexpected {_describe(token)} in {context}")

    # grammar -------------------------------------------------------------
    def parse(self) -> list[Node]:
        nodes, end = self.item_list()
        if end is not None:
            raise self.error(f"unexpected {{{{{end}}}}}")
        return nodes

    def item_list(self) -> tuple[list[Node], str | None]:
        """Parse until EOF (returns None) or an {{end}}/{{else}} (returns its keyword)."""
        nodes: list[Node] = []
        while True:
            token = self.next()
            if token.kind == "eof":
                self.backup()
                return nodes, None
            if token.kind == "text":
                nodes.append(TextNode(token.pos, token.value))
                continue
            keyword = self.peek_non_space()
            if keyword.kind == "kw" and keyword.value in ("end", "else"):
                self.next_non_space()
                return nodes, keyword.value
            nodes.append(self.action())

    def action(self) -> Node:
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
                return LoopNode(token.pos, token.value)
            if token.value in ("define", "template", "block"):
                raise self.error(f"{{{{{token.value}}}}} is not supported here")
        self.backup()
        return ActionNode(token.pos, self.pipeline("command", "right"))

    def control(self, keyword: Token) -> Node:
        marker = len(self.vars)
        kind = keyword.value
        if kind == "range":
            self.range_depth += 1
        pipe = self.pipeline(kind, "right")
        body, end = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body: list[Node] | None = None
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
        return ControlNode(keyword.pos, kind, pipe, body, else_body)

    def pipeline(self, context: str, end: str) -> PipeNode:
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
        cmds: list[CommandNode] = []
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
            if isinstance(cmd.args[0], (LiteralNode, NilNode, DotNode)):
                raise self.error(f"non executable command in pipeline stage {stage}")
        return PipeNode(start.pos, decl, is_assign, cmds)

    def command(self) -> CommandNode:
        start = self.peek_non_space()
        args: list[Node] = []
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
        return CommandNode(start.pos, args)

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        names: list[str] = []
        chain_pos = self.peek().pos  # Go positions a chained field at its first suffix
        while self.peek().kind == "field":
            names.append(self.next().value[1:])
        if not names:
            return node
        if isinstance(node, FieldNode):
            return FieldNode(chain_pos, node.names + names)
        if isinstance(node, VariableNode):
            return VariableNode(chain_pos, node.names + names)
        if isinstance(node, (LiteralNode, DotNode)):
            raise self.error(f"unexpected . after term {str(node)!r}")
        return ChainNode(chain_pos, node, names)

    def term(self) -> Node | None:
        token = self.next_non_space()
        kind, value, pos = token.kind, token.value, token.pos
        if kind == "ident":
            if value not in self.functions:
                raise self.error(f'function "{value}" not defined')
            return IdentifierNode(pos, value)
        if kind == "dot":
            return DotNode(pos)
        if kind == "kw" and value == "nil":
            return NilNode(pos)
        if kind == "var":
            if value not in self.vars:
                raise self.error(f'undefined variable "{value}"')
            return VariableNode(pos, [value])
        if kind == "field":
            return FieldNode(pos, [value[1:]])
        if kind == "bool":
            return LiteralNode(pos, value == "true", value)
        if kind == "number":
            return LiteralNode(pos, self.number(value), value)
        try:
            if kind in ("string", "rawstring"):
                text = value[1:-1] if kind == "rawstring" else go_unquote(value)
                return LiteralNode(pos, text, value)
            if kind == "charconst":
                return LiteralNode(pos, go_char_constant(value), value)
        except ValueError as error:  # Go's parser reports strconv's error as it is
            raise self.error(str(error)) from None
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
            raise self.error(f"bad number syntax: {go_quote(text)}") from None


def _describe(token: Token) -> str:
    """How Go's ``item.String()`` names a token in parse errors."""
    if token.kind == "eof":
        return "EOF"
    if token.kind == "kw":
        return f"<{token.value}>"
    if len(token.value) > 10:
        return go_quote(token.value[:10]) + "..."
    return go_quote(token.value)
