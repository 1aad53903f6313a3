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
Not supported: ``define``/``template``/``block``, and the functions ``js`` and ``call``.

This module is the public face; the stages live in ``gotemplate_lexer``, ``gotemplate_parser``
(tree in ``gotemplate_nodes``), ``gotemplate_exec``, ``gotemplate_functions`` and
``gotemplate_values`` (Go value semantics, ``TemplateError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layerlab.cli.gotemplate_exec import OUTPUT_LIMIT, Executor
from layerlab.cli.gotemplate_functions import BASE_FUNCTIONS, HEADER_FUNCTIONS, Func
from layerlab.cli.gotemplate_nodes import ActionNode, FieldNode, Node, TextNode
from layerlab.cli.gotemplate_parser import Parser
from layerlab.cli.gotemplate_values import (
    MISSING,
    TemplateError,
    TemplateOutputTooLarge,
    TemplateTooDeep,
    go_json,
    go_sprint,
)
from layerlab.cli.tabwriter import tabwrite

__all__ = [
    "MISSING",
    "HeaderContext",
    "StructContext",
    "Template",
    "TemplateError",
    "TemplateOutputTooLarge",
    "TemplateTooDeep",
    "compile_template",
    "go_json",
    "go_sprint",
    "is_table_format",
    "prepare_format",
    "render_format",
]


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
    nodes: list[Node] = field(repr=False)
    header_nodes: list[Node] | None = field(default=None, repr=False)
    name: str = ""  # in error messages

    def __post_init__(self) -> None:
        self._plain = _plain_fields(self.nodes)

    def execute(self, data: Any, *, missing_key: str = "default") -> str:
        """Render ``data``; ``missing_key="error"`` is Go's ``Option("missingkey=error")``."""
        if self._plain is not None and type(data) is StructContext:  # not a recording subclass
            fast = _fill_plain(self._plain, data)
            if fast is not None:
                return fast
        return self._run(self.nodes, BASE_FUNCTIONS, data, missing_key)

    def execute_header(self, header: Mapping[str, str]) -> tuple[str, TemplateError | None]:
        """Render the table header with docker's HeaderFunctions.

        docker ignores header errors and keeps what was printed before the failure, so the
        partial text and the error (or None) are both returned.
        """
        context = header if isinstance(header, HeaderContext) else HeaderContext(header)
        runner = Executor(self.source, HEADER_FUNCTIONS, "default", context)
        try:
            runner.walk(context, self.nodes)
        except TemplateError as problem:
            return "".join(runner.out), problem
        return "".join(runner.out), None

    def _run(self, nodes: list[Node], functions: Mapping[str, Func], data: Any, mode: str) -> str:
        runner = Executor(self.source, functions, mode, data, self.name)
        try:
            runner.walk(data, nodes)
        except RecursionError:
            raise TemplateTooDeep() from None
        return "".join(runner.out)


def _plain_fields(nodes: list[Node]) -> list[str | tuple[str]] | None:
    """Text and ``{{.Field}}`` actions only (every default table is), as literal strings and
    1-tuples of field names; None for anything else."""
    parts: list[str | tuple[str]] = []
    for node in nodes:
        if isinstance(node, TextNode):
            parts.append(node.text)
            continue
        if not isinstance(node, ActionNode) or node.pipe.decl or len(node.pipe.cmds) != 1:
            return None
        args = node.pipe.cmds[0].args
        if len(args) != 1 or not isinstance(args[0], FieldNode) or len(args[0].names) != 1:
            return None
        parts.append((args[0].names[0],))
    return parts


def _fill_plain(parts: list[str | tuple[str]], row: StructContext) -> str | None:
    """The fast path of rendering a row: a struct field holding a string prints as itself.
    None when any field is missing, a method, or not a string: the executor then decides."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = row.get(part[0])
        if not isinstance(value, str) or hasattr(type(row), part[0]):
            return None
        out.append(value)
    return "".join(out)


def compile_template(text: str, name: str = "") -> Template:
    """Parse like docker's ``templates.Parse`` (``templates.New(name)``); raises
    TemplateError on syntax errors."""
    try:
        return Template(text, Parser(text, BASE_FUNCTIONS, name).parse(), name=name)
    except RecursionError:
        raise TemplateTooDeep() from None


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
    parts: list[str] = []
    size = 0
    for row in rows:
        parts.append(template.execute(row) + "\n")
        size += len(parts[-1])
        if size > OUTPUT_LIMIT:
            raise TemplateOutputTooLarge()
    body = "".join(parts)
    if not is_table_format(format_text):
        return body
    header_text, _ignored = template.execute_header(header)
    return tabwrite(header_text + "\n" + body)
