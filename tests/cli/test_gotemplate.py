"""Expected strings were produced by Go's text/template with docker/cli's template functions."""

from __future__ import annotations

import json

import pytest

from layerlab.cli import gotemplate
from layerlab.cli.gotemplate import (
    HeaderContext,
    StructContext,
    TemplateError,
    compile_template,
    is_table_format,
    prepare_format,
    render_format,
)

DATA = json.loads(
    '{"a":null,"s":"x<&>","l":[1.5,"y",null],"n":3.0,"i":12,"f":1e-7,"z":"",'
    '"sl":["a","b"],"m":{"b":2,"a":{"c":[]}},"t":true,"big":4261574.0}'
)


def run(text: str, data: object = DATA, **options: str) -> str:
    return compile_template(text).execute(data, **options)


def go_error(text: str, data: object = DATA, **options: str) -> str:
    with pytest.raises(TemplateError) as caught:
        run(text, data, **options)
    return caught.value.go_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{.s}}", "x<&>"),
        ("{{.big}} {{.n}} {{.f}} {{.i}}", "4.261574e+06 3 1e-07 12"),
        ("{{.l}}", "[1.5 y <nil>]"),
        ("{{.m}}", "map[a:map[c:[]] b:2]"),
        (
            '{{.a}}|{{.nope}}|{{.m.x}}|{{index .l 2}}|{{index .m "x"}}',
            "<no value>" * 1 + "|<no value>" * 4,
        ),
        ("{{print .nope}}|{{json .nope}}|{{print .a}}", "<nil>|null|<nil>"),
        ("{{.t}} {{not .t}}", "true false"),
        (
            "{{$}}",
            "map[a:<nil> big:4.261574e+06 f:1e-07 i:12 l:[1.5 y <nil>] m:map[a:map[c:[]] b:2] n:3 s:x<&> sl:[a b] t:true z:]",  # noqa: E501 - verbatim Go message
        ),
        ('{{(index .m "a").c}}|{{index .m "a" "c"}}', "[]|[]"),
        ("{{len .l}} {{len .s}} {{len .m}}", "3 4 2"),
    ],
)
def test_values_print_like_go(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{if .z}}A{{else if .t}}B{{else}}C{{end}}", "B"),
        ("{{with .nope}}x{{else}}none{{end}}", "none"),
        ("{{with .m.a}}{{.c}}{{end}}", "[]"),
        ("{{range $i, $e := .l}}{{$i}}={{$e}};{{end}}", "0=1.5;1=y;2=<no value>;"),
        ("{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}", "a=map[c:[]];b=2;"),
        ('{{range .sl}}{{if eq . "a"}}{{continue}}{{end}}{{.}}{{end}}', "b"),
        ("{{range .sl}}{{.}}{{break}}{{end}}", "a"),
        ("{{range .nope}}x{{else}}empty{{end}}", "empty"),
        ("{{$v := 1}}{{range .sl}}{{$v = .}}{{end}}{{$v}}", "b"),
        ('{{- /* comment */ -}}  x  {{- " y" }}', "x y"),
        ('a {{- " b " -}} c', "a b c"),
        ('{{.s | printf "%s-%s" "a"}}', "a-x<&>"),
        ("{{and .s .z}}|{{or .z .s}}|{{not .s}}", "|x<&>|false"),
        ('{{lt 1 2}} {{ge "b" "a"}} {{ne .i 12}} {{eq .s "q" .s}}', "true true false true"),
    ],
)
def test_actions_and_control_flow(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{{printf "%d|%s|%v|%q|%5.2f|%x" .i .s .l .s .n .s}}',
            '12|x<&>|[1.5 y <nil>]|"x<&>"| 3.00|783c263e',
        ),
        ('{{printf "%d" .n}}', "%!d(float64=3)"),
        ("{{print .s .s 1 2 .s}}", "x<&>x<&>1 2x<&>"),
        ("{{println .s 1}}", "x<&> 1\n"),
        ("{{printf \"%q\" 'a'}}", "'a'"),
        (
            '{{title "hello woRLD-x"}}|{{truncate "abcdef" 3}}|{{pad "x" 1 2}}',
            "Hello WoRLD-X|abc| x  ",
        ),
        ("{{pad .s 2 0}}|{{pad .z 2 2}}", "  x<&>|"),
        ('{{join .sl ", "}}|{{upper "ab"}}|{{lower "AB"}}', "a, b|AB|ab"),
        ('{{split "a,b,c" ","}}|{{join (split "a,b" ",") "+"}}', "[a b c]|a+b"),
        ('{{html "<a&b>"}}|{{urlquery "a b&c"}}', "&lt;a&amp;b&gt;|a+b%26c"),
    ],
)
def test_functions(text: str, expected: str) -> None:
    assert run(text) == expected


def test_json_function_is_compact_sorted_and_not_html_escaped() -> None:
    assert run("{{json .}}") == (
        '{"a":null,"big":4261574,"f":1e-7,"i":12,"l":[1.5,"y",null],"m":{"a":{"c":[]},"b":2},'
        '"n":3,"s":"x<&>","sl":["a","b"],"t":true,"z":""}'
    )
    assert run("{{json .s}}", {"s": "x<&>\u2028é"}) == '"x<&>\\u2028é"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{foo}}", 'template: :1: function "foo" not defined'),
        ("{{if .x}}", "template: :1: unexpected EOF"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{.x", "template: :1: unclosed action"),
        ("{{}}", "template: :1: missing value for command"),
        ("{{with}}{{end}}", "template: :1: missing value for with"),
        ("{{$x}}", 'template: :1: undefined variable "$x"'),
        ('{{"abc}}', "template: :1: unterminated quoted string"),
        ("{{3x}}", 'template: :1: bad number syntax: "3x"'),
        ("{{.x !}}", 'template: :1: unexpected "!" in operand'),
        ("{{.x)}}", 'template: :1: unexpected ")" in command'),
        ("{{(.x}}", "template: :1: unclosed left paren"),
        ("{{/* c */ }}", "template: :1: comment ends before closing delimiter"),
        ("{{/* c", "template: :1: unclosed comment"),
        ("{{.x | 1}}", "template: :1: non executable command in pipeline stage 2"),
        ("{{range .x}}{{else}}{{end}}{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("{{range $i, $e, $f := .x}}{{end}}", "template: :1: too many declarations in range"),
        ("a\n{{if .x}}\n{{foo}}", 'template: :3: function "foo" not defined'),
        ("{{foo}}{{.x", 'template: :1: function "foo" not defined'),
    ],
)
def test_parse_errors(text: str, expected: str) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template(text)
    assert caught.value.go_error == expected
    assert str(caught.value) == "template parsing error: " + expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "{{.a.b}}",
            'template: :1:4: executing "" at <.a.b>: nil pointer evaluating interface {}.b',
        ),
        (
            "{{.s.b}}",
            'template: :1:4: executing "" at <.s.b>: can\'t evaluate field b in type interface {}',
        ),
        (
            "{{$x := .s}}{{$x.b}}",
            'template: :1:16: executing "" at <$x.b>: can\'t evaluate field b in type string',
        ),
        (
            "{{range .l}}{{.b}}{{end}}",
            'template: :1:14: executing "" at <.b>: can\'t evaluate field b in type interface {}',
        ),
        (
            "{{eq .n 1}}",
            'template: :1:2: executing "" at <eq .n 1>: error calling eq: incompatible types for comparison',  # noqa: E501 - verbatim Go message
        ),
        (
            "{{lt .t .t}}",
            'template: :1:2: executing "" at <lt .t .t>: error calling lt: invalid type for comparison',  # noqa: E501 - verbatim Go message
        ),
        (
            "{{index .l 5}}",
            'template: :1:2: executing "" at <index .l 5>: error calling index: index out of range: 5',  # noqa: E501 - verbatim Go message
        ),
        (
            "{{len .n}}",
            'template: :1:2: executing "" at <len .n>: error calling len: len of type float64',
        ),
        (
            '{{split .n ","}}',
            'template: :1:8: executing "" at <.n>: wrong type for value; expected string; got float64',  # noqa: E501 - verbatim Go message
        ),
        (
            "{{upper .nope}}",
            'template: :1:8: executing "" at <.nope>: invalid value; expected string',
        ),
        ("{{lower 1}}", 'template: :1:8: executing "" at <1>: expected string; found 1'),
        (
            '{{pad "x" 1.5 0}}',
            'template: :1:10: executing "" at <1.5>: expected integer; found 1.5',
        ),
        (
            "{{range .s}}x{{end}}",
            'template: :1:8: executing "" at <.s>: range can\'t iterate over x<&>',
        ),
        ("{{.s .i}}", 'template: :1:2: executing "" at <.s>: s is not a method but has arguments'),
        ("{{1 2}}", 'template: :1:2: executing "" at <1>: can\'t give argument to non-function 1'),
        (
            "{{index}}",
            'template: :1:2: executing "" at <index>: wrong number of args for index: want at least 1 got 0',  # noqa: E501 - verbatim Go message
        ),
        ("{{nil}}", 'template: :1:2: executing "" at <nil>: nil is not a command'),
        (
            "{{.m.a.c.x}}",
            'template: :1:4: executing "" at <.m.a.c.x>: can\'t evaluate field x in type interface {}',  # noqa: E501 - verbatim Go message
        ),
    ],
)
def test_execution_errors(text: str, expected: str) -> None:
    assert go_error(text) == expected


def test_missing_key_error_mode_is_docker_inspect_fallback() -> None:
    assert go_error("{{.Nope}}", {}, missing_key="error") == (
        'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'
    )
    assert go_error("{{.x.y}}", {"x": {}}, missing_key="error") == (
        'template: :1:4: executing "" at <.x.y>: map has no entry for key "y"'
    )
    assert go_error("{{.a.b}}", {}, missing_key="error") == (
        'template: :1:4: executing "" at <.a.b>: map has no entry for key "a"'
    )


class _Container:
    go_type_name = "*formatter.ContainerContext"

    def __init__(self, labels: dict[str, str]) -> None:
        self._labels = labels
        self.Status = "Up 2 hours"

    def ID(self) -> str:
        return "0123456789ab"

    def Label(self, name: str) -> str:
        return self._labels.get(name, "")

    def FullHeader(self) -> str:
        return "ignored by json"


def test_struct_objects_expose_methods_and_attributes() -> None:
    row = _Container({"com.example.app": "web"})
    assert run('{{.ID}} {{.Status}} {{.Label "com.example.app"}}', row) == (
        "0123456789ab Up 2 hours web"
    )
    assert run("{{json .}}", row) == '{"ID":"0123456789ab","Status":"Up 2 hours"}'
    assert go_error("{{.Foo}}", row) == (
        'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type '
        "*formatter.ContainerContext"
    )
    assert go_error("{{.Label}}", row) == (
        'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0'
    )


def test_struct_context_mapping_fails_on_unknown_fields() -> None:
    row = StructContext({"ID": "abc", "Size": "1.2MB"}, "*formatter.imageContext")
    assert run("{{.ID}}:{{.Size}}", row) == "abc:1.2MB"
    assert go_error("{{.Nope}}", row) == (
        'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type '
        "*formatter.imageContext"
    )


def test_header_context_label_uses_last_dotted_part() -> None:
    header = HeaderContext({"ID": "CONTAINER ID"})
    assert header.Label("com.docker.compose_project-name") == "compose project name"


def test_table_format_detection_and_preparation() -> None:
    assert is_table_format("table {{.ID}}")
    assert is_table_format("tablefoo")
    assert not is_table_format("{{.ID}} table")
    assert prepare_format("table {{.ID}}\\t{{.Name}}\\n") == "{{.ID}}\t{{.Name}}\n"
    assert prepare_format("json") == "{{json .}}"
    assert prepare_format("  {{.ID}}\\t ") == "{{.ID}}\t"


def _rows() -> list[StructContext]:
    return [
        StructContext({"ID": "4f5b", "Repository": "alpine", "Tag": "latest"}, "*c"),
        StructContext({"ID": "9ac1", "Repository": "my-registry/app", "Tag": "1.0"}, "*c"),
    ]


HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG"}


def test_render_format_table_has_header_and_aligns_columns() -> None:
    out = render_format("table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}", _rows(), HEADERS)
    assert out == (
        "IMAGE ID   REPOSITORY        TAG\n"
        "4f5b       alpine            latest\n"
        "9ac1       my-registry/app   1.0\n"
    )


def test_render_format_header_uses_header_functions() -> None:
    out = render_format("table {{upper .Repository}}\\t{{json .Tag}}", _rows()[:1], HEADERS)
    assert out == 'REPOSITORY   TAG\nALPINE       "latest"\n'


def test_render_format_without_table_prints_rows_only() -> None:
    assert render_format("{{.Repository}}:{{.Tag}}", _rows(), HEADERS) == (
        "alpine:latest\nmy-registry/app:1.0\n"
    )
    assert render_format("{{.ID}}", [], HEADERS) == ""


def test_render_format_table_with_no_rows_prints_the_header() -> None:
    assert render_format("table {{.ID}}\\t{{.Tag}}", [], HEADERS) == "IMAGE ID   TAG\n"


def test_render_format_json_key() -> None:
    assert render_format("json", _rows()[:1], HEADERS) == (
        '{"ID":"4f5b","Repository":"alpine","Tag":"latest"}\n'
    )


def test_render_format_header_errors_keep_partial_output() -> None:
    # docker ignores header execution errors (range over a string fails after "IMAGE ID").
    out = render_format("table {{.ID}}\\t{{range .Tag}}x{{end}}", [], HEADERS)
    assert out == "IMAGE ID   \n"


def test_render_format_row_error_is_raised() -> None:
    with pytest.raises(TemplateError) as caught:
        render_format("table {{.Nope}}", _rows(), HEADERS)
    assert str(caught.value) == (
        'template parsing error: template: :1:2: executing "" at <.Nope>: '
        "can't evaluate field Nope in type *c"
    )


def test_go_sprint_of_missing_value() -> None:
    assert gotemplate.go_sprint(gotemplate.MISSING) == "<no value>"


# Go's `slice` (measured with docker CLI 28.2.2: `docker ps -a --format ...`, `images`, `inspect`)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{slice "c987ebf0e041" 0 5}}', "c987e"),
        ('{{slice "c987ebf0e041"}}', "c987ebf0e041"),
        ('{{slice "abc" 1}}', "bc"),
        ('{{slice "héllo" 1 3}}', "é"),  # bytes, as Go strings are
        ('{{slice (split "a,b,c" ",") 1 2 3}}', "[b]"),
        ('{{json (slice (split "a,b,c" ",") 1)}}', '["b","c"]'),
        ('{{index (slice (split "a,b,c" ",") 1) 0}}', "b"),
        ("{{slice .sl 0 1}}", "[a]"),
    ],
)
def test_slice(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{slice "abc" 0 50}}', "index out of range: 50"),
        ('{{slice "abc" -1}}', "index out of range: -1"),
        ('{{slice "abcdef" 5 2}}', "invalid slice index: 5 > 2"),
        ('{{slice "abc" 1 2 3}}', "cannot 3-index slice a string"),
        ('{{slice "abc" "a"}}', "cannot index slice/array with type string"),
        ('{{slice "abc" 1.5}}', "cannot index slice/array with type float64"),
        ('{{slice "abc" nil}}', "cannot index slice/array with nil"),
        ('{{slice "abc" 1 2 3 4}}', "too many slice indexes: 4"),
        ('{{slice (split "a,b,c" ",") 2 1 3}}', "invalid slice index: 2 > 1"),
        ('{{slice (split "a,b,c" ",") 1 3 2}}', "invalid slice index: 3 > 2"),
        ('{{slice (split "a,b,c" ",") 1 4}}', "index out of range: 4"),
        ("{{slice nil 1}}", "slice of untyped nil"),
        ("{{slice 5 1}}", "can't slice item of type int"),
    ],
)
def test_slice_errors(text: str, expected: str) -> None:
    assert go_error(text).endswith(f"error calling slice: {expected}")


def test_slice_needs_an_argument() -> None:
    assert go_error("{{slice}}") == (
        'template: :1:2: executing "" at <slice>: wrong number of args for slice: '
        "want at least 1 got 0"
    )


def test_a_template_nested_past_pythons_stack_is_refused_clearly() -> None:
    """Go's stack grows; Python's does not: LayerLab says so instead of an internal error."""
    deep = "{{if .}}" * 600 + "x" + "{{end}}" * 600
    with pytest.raises(gotemplate.TemplateTooDeep) as problem:
        gotemplate.compile_template(deep)
    assert "nests too deeply for LayerLab" in str(problem.value)
    assert gotemplate.compile_template("{{if .}}" * 50 + "x" + "{{end}}" * 50).execute(1) == "x"


def test_a_format_that_writes_too_much_is_stopped_clearly() -> None:
    """Go's fmt takes widths up to 10^7, and a template may repeat them: unbounded memory."""
    wide = '{{printf "%9999999d" 1}}' * 7
    with pytest.raises(gotemplate.TemplateOutputTooLarge):
        gotemplate.compile_template(wide).execute({})
    rows = [{"A": 1}] * 8
    with pytest.raises(gotemplate.TemplateOutputTooLarge):
        gotemplate.render_format('{{printf "%9999999d" .A}}', rows, {})
    assert len(gotemplate.render_format('{{printf "%999999d" .A}}', rows[:2], {})) == 2_000_000
