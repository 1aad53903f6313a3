"""The executor of Go's text/template (``text/template/exec.go``) for docker's formats.

Walks a parsed tree against Python data standing for Go values: field and method lookup,
variables and their scopes, ``if``/``with``/``range`` with ``break``/``continue``, function
calls with Go's argument count and type checks, and execution errors worded like Go's
(``template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from layerlab.cli.gotemplate_functions import CallError, Func
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
from layerlab.cli.gotemplate_values import (
    MISSING,
    Boxed,
    TemplateError,
    TemplateOutputTooLarge,
    arity,
    fmt_value,
    go_sprint,
    go_type,
    is_struct,
    method_of,
    plain,
    truth,
    unbox,
)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


# What one --format may write: Go's fmt allows a width up to 10^7 and a template may repeat it,
# so without a bound a short format could fill the memory.
OUTPUT_LIMIT = 64 << 20


class Executor:
    def __init__(
        self,
        source: str,
        functions: Mapping[str, Func],
        missing_key: str,
        root: Any,
        name: str = "",
    ) -> None:
        self.source = source
        self.name = name
        self.functions = functions
        self.missing_key_error = missing_key == "error"
        self.vars: list[tuple[str, Any]] = [("$", root)]
        self.node: Node | None = None
        self.out: list[str] = []
        self.size = 0  # characters written so far (see OUTPUT_LIMIT)

    # errors ----------------------------------------------------------------
    def at(self, node: Node) -> None:
        self.node = node

    def error(self, message: str) -> TemplateError:
        if self.node is None:
            return TemplateError(f"template: {self.name}: {message}")
        prefix = self.source[: self.node.pos]
        line = 1 + prefix.count("\n")
        column = len(prefix[prefix.rfind("\n") + 1 :].encode())
        context = str(self.node)
        if isinstance(self.node, ControlNode):
            context = f"{{{{{self.node.kind} {self.node.pipe}}}}}"
        where = f'{self.name}:{line}:{column}: executing "{self.name}" at <{context}>'
        return TemplateError(f"template: {where}: {message}")

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > OUTPUT_LIMIT:
            raise TemplateOutputTooLarge()
        self.out.append(text)

    # walking -----------------------------------------------------------------
    def walk(self, dot: Any, nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, TextNode):
                self.write(node.text)
            elif isinstance(node, ActionNode):
                mark = len(self.vars)
                value = self.pipeline(dot, node.pipe)
                if not node.pipe.decl:
                    self.write(go_sprint(value))
                if not node.pipe.decl or node.pipe.is_assign:
                    del self.vars[mark:]
            elif isinstance(node, ControlNode):
                self.control(dot, node)
            elif isinstance(node, LoopNode):
                raise _Break() if node.kind == "break" else _Continue()

    def control(self, dot: Any, node: ControlNode) -> None:
        mark = len(self.vars)
        try:
            if node.kind == "range":
                self.walk_range(dot, node)
                return
            value = self.pipeline(dot, node.pipe)
            if truth(value):
                self.walk(unbox(value) if node.kind == "with" else dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: ControlNode) -> None:
        mark = len(self.vars)
        value = unbox(self.pipeline(dot, node.pipe))
        del self.vars[mark:]
        if isinstance(value, dict):
            items = [(key, Boxed(value[key])) for key in sorted(value)]
        elif isinstance(value, (list, tuple)):
            items = [(index, Boxed(element)) for index, element in enumerate(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(index, index) for index in range(value)]
        elif value is MISSING or value is None:
            items = []
        else:
            raise self.error(f"range can't iterate over {fmt_value(value)}")
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
    def pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.at(pipe)
        value: Any = _NO_FINAL
        for cmd in pipe.cmds:
            value = self.command(dot, cmd, value)
            value = unbox(value) if isinstance(value, Boxed) else value
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

    def command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        args = cmd.args
        if isinstance(first, FieldNode):
            self.at(first)
            return self.field_chain(dot, dot, first, first.names, args, final)
        if isinstance(first, ChainNode):
            self.at(first)
            receiver = self.arg_value(dot, first.node)
            return self.field_chain(dot, receiver, first, first.names, args, final)
        if isinstance(first, IdentifierNode):
            return self.call_function(dot, first, cmd, args, final)
        if isinstance(first, VariableNode):
            self.at(first)
            value = self.variable(first.names[0])
            if len(first.names) == 1:
                self.not_a_function(args, final)
                return value
            return self.field_chain(dot, value, first, first.names[1:], args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(args, final)
            return self.pipeline(dot, first)
        self.at(first)
        self.not_a_function(args, final)
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.error("nil is not a command")
        return first.value  # a literal

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not _NO_FINAL:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def arg_value(self, dot: Any, node: Node) -> Any:
        """Evaluate an argument node (Go's evalArg for an ``interface {}`` parameter)."""
        self.at(node)
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, NilNode):
            return None
        if isinstance(node, LiteralNode):
            return node.value
        if isinstance(node, FieldNode):
            return self.field_chain(dot, dot, node, node.names, [node], _NO_FINAL)
        if isinstance(node, VariableNode):
            value = self.variable(node.names[0])
            if len(node.names) == 1:
                return value
            return self.field_chain(dot, value, node, node.names[1:], [node], _NO_FINAL)
        if isinstance(node, PipeNode):
            return self.pipeline(dot, node)
        if isinstance(node, ChainNode):
            receiver = self.arg_value(dot, node.node)
            return self.field_chain(dot, receiver, node, node.names, [node], _NO_FINAL)
        if isinstance(node, IdentifierNode):
            return self.call_function(dot, node, node, [node], _NO_FINAL)
        raise self.error(f"can't handle {node} for arg")

    def field_chain(
        self, dot: Any, receiver: Any, node: Node, names: list[str], args: list[Node], final: Any
    ) -> Any:
        for name in names[:-1]:
            receiver = self.field(dot, name, node, [node], _NO_FINAL, receiver)
        return self.field(dot, names[-1], node, args, final, receiver)

    def field(
        self, dot: Any, name: str, node: Node, args: list[Node], final: Any, receiver: Any
    ) -> Any:
        if receiver is MISSING:
            if self.missing_key_error:
                raise self.error(f'nil data; no entry for key "{name}"')
            return MISSING
        value = receiver.value if isinstance(receiver, Boxed) else receiver
        if value is None:
            raise self.error(f"nil pointer evaluating {go_type(receiver)}.{name}")
        method = method_of(value, name)
        if method is not None:
            return self.call(dot, method, name, node, args, final, is_method=True)
        has_args = len(args) > 1 or final is not _NO_FINAL
        if isinstance(value, dict):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            if name in value:
                return Boxed(value[name]) if getattr(value, "go_boxed", True) else value[name]
            if getattr(value, "go_struct", False):
                raise self.error(f"can't evaluate field {name} in type {go_type(receiver)}")
            if self.missing_key_error:
                raise self.error(f'map has no entry for key "{name}"')
            return MISSING
        if is_struct(value) and name[:1].isupper() and hasattr(value, name):
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return getattr(value, name)
        raise self.error(f"can't evaluate field {name} in type {go_type(receiver)}")

    def call_function(
        self, dot: Any, ident: IdentifierNode, cmd: Node, args: list[Node], final: Any
    ) -> Any:
        self.at(ident)
        function = self.functions[ident.name]
        if ident.name in ("and", "or"):
            return self.and_or(dot, ident.name, cmd, args, final)
        return self.call(dot, function, ident.name, cmd, args, final, is_method=False)

    def and_or(self, dot: Any, name: str, cmd: Node, args: list[Node], final: Any) -> Any:
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
            if truth(value) == (name == "or"):
                return value
        return value

    def call(
        self,
        dot: Any,
        function: Any,
        name: str,
        node: Node,
        args: list[Node],
        final: Any,
        is_method: bool,
    ) -> Any:
        arg_nodes = args[1:]
        count = len(arg_nodes) + (0 if final is _NO_FINAL else 1)
        if isinstance(function, Func):
            params, variadic = function.params, function.variadic
            ok = count >= len(params) if variadic else count == len(params)
            if not ok:
                self.at(node)
                want = f"at least {len(params)}" if variadic else str(len(params))
                raise self.error(f"wrong number of args for {name}: want {want} got {count}")
        else:
            required, maximum = arity(function)
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
            if isinstance(function, Func):
                return function.impl(*values)
            return function(*[plain(value) for value in values])
        except CallError as problem:
            raise self.error(f"error calling {name}: {problem}") from None

    def convert(self, value: Any, kind: str, node: Node | None) -> Any:
        """Go's validateType: check a value against the function's parameter type."""
        if kind == "any":
            return value
        inner = value.value if isinstance(value, Boxed) else value
        is_int = isinstance(inner, int) and not isinstance(inner, bool)
        if isinstance(node, LiteralNode) and kind == "int" and not is_int:
            raise self.error(f"expected integer; found {node}")
        if isinstance(node, LiteralNode) and kind == "string" and not isinstance(inner, str):
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
        got = "interface {}" if inner is None else go_type(inner)
        raise self.error(f"wrong type for value; expected {kind}; got {got}")


class _NoFinal:
    """Marks "no value piped in from the previous command" (Go's missingVal)."""


_NO_FINAL = _NoFinal()


@dataclass
class _Evaluated:
    value: Any
