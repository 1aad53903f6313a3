"""The classic builder's Dockerfile parser, its error messages, and variable substitution."""

from __future__ import annotations

import json

import pytest

from layerlab.engine.errors import EngineError
from layerlab.engine.sim.builder.dockerfile import (
    NO_BUILD_STAGE,
    DockerfileError,
    buildkit_required,
    expand,
    expand_words,
    parse_dockerfile,
    parse_dockerfile_result,
    parse_go_duration,
)

L1 = "dockerfile parse error line 1: "
L2 = "dockerfile parse error line 2: "


def only(text: str):
    """The single instruction after a FROM line."""
    instructions = parse_dockerfile("FROM busybox\n" + text)
    assert len(instructions) == 2
    return instructions[1]


def error_of(text: str, name: str = "Dockerfile") -> str:
    with pytest.raises(DockerfileError) as info:
        parse_dockerfile(text, name)
    assert isinstance(info.value, EngineError) and info.value.status == 400
    return str(info.value)


# ---- structure: lines, comments, continuations, directives ---------------------------------


def test_basic_instructions_and_lines():
    text = '# comment\n\nfrom busybox AS Build\n  run echo hi\nCmd ["cat", "x"]\n'
    first, run, cmd = parse_dockerfile(text)
    assert (first.keyword, first.args, first.line, first.stage_name) == (
        "FROM",
        ["busybox", "AS", "Build"],
        3,
        "build",
    )
    assert (run.keyword, run.original, run.args, run.json_form, run.line) == (
        "RUN",
        "run echo hi",
        ["echo hi"],
        False,
        4,
    )
    assert (cmd.args, cmd.json_form, str(cmd)) == (["cat", "x"], True, 'Cmd ["cat", "x"]')


def test_continuation_joins_lines_and_drops_comments():
    text = "FROM busybox\nRUN echo a \\\n    # inner comment\n    b && \\\n  c\nUSER x\n"
    _, run, user = parse_dockerfile(text)
    assert run.original == "RUN echo a     b &&   c"
    assert run.args == ["echo a     b &&   c"]
    assert (run.line, run.end_line, user.line) == (2, 5, 6)


def test_empty_continuation_line_warns():
    result = parse_dockerfile_result("FROM busybox\nRUN echo a \\\n\n  b\n")
    assert result.instructions[1].original == "RUN echo a   b"
    assert result.warnings == [
        "[WARNING]: Empty continuation line found in:\n    RUN echo a   b",
        "[WARNING]: Empty continuation lines will become errors in a future release.",
    ]


def test_escape_directive_backtick():
    text = "# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo ok\nCOPY a\\b c\\\n"
    result = parse_dockerfile_result(text)
    assert result.escape_token == "`"
    _, run, copy = result.instructions
    assert run.original == "RUN dir c:\\   && echo ok"
    assert copy.args == ["a\\b", "c\\"]


def test_directive_only_before_anything_else():
    # After a comment, "# escape=`" is just a comment: the backslash still continues lines.
    text = "# hello\n# escape=`\nFROM busybox\nRUN a \\\n b\n"
    assert parse_dockerfile_result(text).escape_token == "\\"
    assert parse_dockerfile(text)[1].original == "RUN a  b"


def test_directive_errors():
    assert error_of("# escape=x\nFROM a\n") == (
        "failed to parse Dockerfile: invalid escape token 'x' does not match ` or \\"
    )
    assert error_of("# escape=`\n# escape=`\nFROM a\n") == (
        "failed to parse Dockerfile: only one escape parser directive can be used"
    )


def test_crlf_and_bom():
    instructions = parse_dockerfile("\ufeffFROM busybox\r\nRUN echo hi\r\n")
    assert [i.original for i in instructions] == ["FROM busybox", "RUN echo hi"]


# ---- exec form and shell form ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "args", "json_form"),
    [
        ('RUN ["echo", "hi there"]', ["echo", "hi there"], True),
        ("RUN [ -f x ] && echo yes", ["[ -f x ] && echo yes"], False),
        ("CMD ['single', 'quotes']", ["['single', 'quotes']"], False),
        ('ENTRYPOINT ["a"] trailing', ["a"], True),  # Go's decoder ignores what follows
        ("CMD []", [], True),
        ("CMD [NaN]", ["[NaN]"], False),
        ('SHELL ["/bin/bash", "-c"]', ["/bin/bash", "-c"], True),
    ],
)
def test_json_or_shell_form(line, args, json_form):
    instruction = only(line)
    assert (instruction.args, instruction.json_form) == (args, json_form)


def test_json_array_of_non_strings_is_an_error():
    assert error_of('FROM a\nCMD ["a", 1]\n') == (
        "failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised "
        "of strings only"
    )


def test_copy_and_add_forms_and_flags():
    copy = only('COPY --chown=1000:1000 --from=build a "b c" /dst/')
    assert copy.args == ["a", '"b', 'c"', "/dst/"]
    assert copy.flags == {"chown": "1000:1000", "from": "build"}
    add = only('ADD ["x y", "/z"]')
    assert (add.args, add.json_form) == (["x y", "/z"], True)
    assert only('COPY --chown="a b" x /y').flags == {"chown": "a b"}


# ---- key/value instructions ---------------------------------------------------------------


def test_env_forms():
    env = only('ENV a=b c="d e" f=g\\ h')
    assert env.pairs == [("a", "b"), ("c", '"d e"'), ("f", "g\\ h")]
    legacy = only("ENV name   value with  spaces")
    assert legacy.pairs == [("name", "value with  spaces")]


def test_label_arg_and_others():
    assert only('LABEL "com.x"="y z" v=1').pairs == [('"com.x"', '"y z"'), ("v", "1")]
    assert only("ARG A=1 B").pairs == [("A", "1"), ("B", None)]
    assert only("EXPOSE 8080 443/tcp 80").args == ["443/tcp", "80", "8080"]
    assert only("WORKDIR /app dir").args == ["/app dir"]
    assert only("USER nobody:nogroup").args == ["nobody:nogroup"]
    assert only("VOLUME /data /logs").args == ["/data", "/logs"]
    assert only('VOLUME ["/data"]').json_form
    assert only("STOPSIGNAL SIGKILL").args == ["SIGKILL"]
    assert only("MAINTAINER Jane <j@x.org>").args == ["Jane <j@x.org>"]


def test_healthcheck():
    check = only("HEALTHCHECK --interval=5s --retries=3 cmd curl -f http://x/")
    assert (check.args, check.json_form) == (["CMD", "curl -f http://x/"], False)
    assert check.flags == {"interval": "5s", "retries": "3"}
    assert only('HEALTHCHECK CMD ["true"]').args == ["CMD", "true"]
    assert only("HEALTHCHECK --bogus=1 NONE").args == ["NONE"]  # NONE never parses flags


def test_onbuild_keeps_the_trigger():
    onbuild = only("ONBUILD RUN echo hi")
    assert onbuild.args == ["RUN echo hi"]
    assert onbuild.trigger is not None
    assert (onbuild.trigger.keyword, onbuild.trigger.args) == ("RUN", ["echo hi"])


def test_leading_args_and_flags():
    instructions = parse_dockerfile("ARG BASE=busybox\nFROM --platform=linux/amd64 ${BASE}\n")
    assert instructions[0].keyword == "ARG"
    assert instructions[1].flags == {"platform": "linux/amd64"}
    run = only("RUN --mount=type=cache,target=/x make")
    assert run.flags == {"mount": "type=cache,target=/x"} and run.args == ["make"]
    assert only("STOPSIGNAL --x=1 9").args == ["9"]  # flags never parsed there


# ---- errors ------------------------------------------------------------------------------


def test_empty_and_blank_files():
    assert error_of("") == "the Dockerfile (Dockerfile) cannot be empty"
    assert (
        error_of("", "sub/Dockerfile.dev") == "the Dockerfile (sub/Dockerfile.dev) cannot be empty"
    )
    assert error_of("# just a comment\n\n") == (
        "failed to parse Dockerfile: file with no instructions"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM a\n\nRUNN x\n", "dockerfile parse error line 3: unknown instruction: RUNN"),
        (
            "FROM a b\n",
            L1 + "FROM requires either one or three arguments",
        ),
        ("FROM\n", L1 + "FROM requires either one or three arguments"),
        (
            "FROM a AS 1x\n",
            L1 + 'invalid name for build stage: "1x", '
            "name can't start with a number or contain symbols",
        ),
        ("FROM a\nENV =x\n", L2 + "ENV names can not be blank"),
        ("FROM a\nENV\n", L2 + "ENV requires at least one argument"),
        ("FROM a\nLABEL\n", L2 + "LABEL requires at least one argument"),
        ("FROM a\nARG =1\n", L2 + "ARG names can not be blank"),
        (
            "FROM a\nWORKDIR\n",
            L2 + "WORKDIR requires exactly one argument",
        ),
        (
            "FROM a\nCOPY x\n",
            L2 + "COPY requires at least two arguments, "
            "but only one was provided. Destination could not be determined",
        ),
        (
            "FROM a\nEXPOSE\n",
            L2 + "EXPOSE requires at least one argument",
        ),
        (
            'FROM a\nVOLUME [""]\n',
            L2 + "VOLUME specified can not be an empty string",
        ),
        (
            "FROM a\nSHELL /bin/sh -c\n",
            L2 + "SHELL requires the arguments to be in JSON form",
        ),
        ("FROM a\nRUN --chown=1 x\n", L2 + "Unknown flag: chown"),
        (
            "FROM a\nCOPY --chown x y\n",
            L2 + "Missing a value on flag: chown",
        ),
        (
            "FROM a\nCOPY --from=a --from=b x y\n",
            L2 + "Duplicate flag specified: from",
        ),
        (
            "FROM a\nONBUILD ONBUILD RUN x\n",
            L2 + "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
        ),
        (
            "FROM a\nONBUILD from b\n",
            L2 + "FROM isn't allowed as an ONBUILD trigger",
        ),
        (
            "FROM a\nHEALTHCHECK NONE x\n",
            L2 + "HEALTHCHECK NONE takes no arguments",
        ),
        (
            "FROM a\nHEALTHCHECK RUN x\n",
            L2 + 'Unknown type "RUN" in HEALTHCHECK (try CMD)',
        ),
        (
            "FROM a\nHEALTHCHECK CMD\n",
            L2 + "Missing command after HEALTHCHECK CMD",
        ),
        (
            "FROM a\nHEALTHCHECK --interval=0s CMD x\n",
            L2 + 'Interval "interval" cannot be less than 1ms',
        ),
        (
            "FROM a\nHEALTHCHECK --timeout=abc CMD x\n",
            L2 + 'time: invalid duration "abc"',
        ),
        (
            "FROM a\nHEALTHCHECK --retries=0 CMD x\n",
            L2 + "--retries must be at least 1 (not 0)",
        ),
        (
            "FROM a\nHEALTHCHECK --retries=x CMD x\n",
            L2 + 'strconv.ParseInt: parsing "x": invalid syntax',
        ),
        ("FROM a\nENV onlykey\n", "failed to parse Dockerfile: ENV must have two arguments"),
        (
            "FROM a\nENV a=b c\n",
            'failed to parse Dockerfile: Syntax error - can\'t find = in "c". '
            "Must be of the form: name=value",
        ),
    ],
)
def test_error_messages(text, message):
    assert error_of(text) == message


def test_parser_errors_come_before_instruction_errors():
    assert error_of("RUNN x\nENV onlykey\n") == (
        "failed to parse Dockerfile: ENV must have two arguments"
    )


def test_instruction_before_from():
    assert (
        error_of("RUN echo hi\nFROM busybox\n")
        == NO_BUILD_STAGE
        == ("no build stage in current context")
    )
    assert error_of("ARG A\nARG B\nRUN x\n") == NO_BUILD_STAGE
    assert len(parse_dockerfile("ARG A\n")) == 1  # the builder reports "No image was generated"


def test_buildkit_required_message():
    assert buildkit_required("chmod") == (
        "the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ "
        "to learn how to build images with BuildKit enabled"
    )


def test_go_durations():
    assert parse_go_duration("1m30s") == 90 * 10**9
    assert parse_go_duration("1.5h") == 5400 * 10**9
    assert parse_go_duration("250ms") == 250 * 10**6
    assert parse_go_duration("0") == 0
    with pytest.raises(ValueError, match='time: missing unit in duration "10"'):
        parse_go_duration("10")
    with pytest.raises(ValueError, match='time: unknown unit "d" in duration "1d"'):
        parse_go_duration("1d")


# ---- variable substitution (cases from buildkit's envVarTest facts) -------------------------

ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hello", "hello"),
        ("he'll'o", "hello"),
        ("he\\'llo", "he'llo"),
        ("abc\\tdef", "abctdef"),
        ('"abc\\tdef"', "abc\\tdef"),
        ('"abc\\\\tdef"', "abc\\tdef"),
        ("'abc\\tdef'", "abc\\tdef"),
        ("hello\\", "hello"),
        ("hello\\\\", "hello\\"),
        ("'hello\\'", "hello\\"),
        ("\"''\"", "''"),
        ("$.", "$."),
        ("he$1x", "hex"),
        ("he$pwd.", "he."),
        ("he$PWD", "he/home"),
        ("he\\$PWD", "he$PWD"),
        ("he\\\\$PWD", "he\\/home"),
        ('"he\\$PWD"', "he$PWD"),
        ("\\${}", "${}"),
        ("he${hi}xx", "hexx"),
        ("he${XXX:-000}xx", "he000xx"),
        ("he${PWD:-000}xx", "he/homexx"),
        ("he${XXX:-${PWD:-yyy}}xx", "he/homexx"),
        ("he${XXX:-${YYY:-yyy}}xx", "heyyyxx"),
        ("he${PWD?}", "he/home"),
        ("he${NULL?}", "he"),
        ("he${PWD:+${SHELL}}xx", "hebashxx"),
        ("he${XXX:+000}xx", "hexx"),
        ("he${PWD:+000}xx", "he000xx"),
        ("'he${XX}'", "he${XX}"),
        ("\"he'$PWD'\"", "he'/home'"),
        ("'$PWD'", "$PWD"),
        ("he${PWD:+${PWD}:}xx", "he/home:xx"),
        ("he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"),
        ("안녕$KOREAN", "안녕한국어"),
        ("${aaa}}", "}"),
        ("${aaa:-bbb}}", "bbb}"),
        ("${aaa:-bbb {foo}", "bbb {foo"),
        ("${1:-bbb}", "bbb"),
        ("$1", ""),
    ],
)
def test_expand(word, expected):
    assert expand(word, ENV) == expected


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("he'llo", "unexpected end of statement while looking for matching single-quote"),
        ('"hello', "unexpected end of statement while looking for matching double-quote"),
        ("${}", "syntax error: bad substitution"),
        ("he${.}", "missing ':' in substitution"),
        ("he${XXX:YYY}", "unsupported modifier (Y) in substitution"),
        ("he${XXX?}", "XXX: is not allowed to be unset"),
        ("he${XXX:?oops}", "XXX: oops"),
        ("he${NULL:?}", "NULL: is not allowed to be empty"),
        ("he${PWD", "missing ':' in substitution"),
        ("${aaa:-bbb", "syntax error: missing '}'"),
        ("${{aaa}", "syntax error: bad substitution"),
        ("${aaa:-bbb ${foo}", "syntax error: missing '}'"),
    ],
)
def test_expand_errors(word, reason):
    with pytest.raises(DockerfileError) as info:
        expand(word, ENV)
    assert str(info.value) == f"failed to process {json.dumps(word)}: {reason}"


def test_expand_with_backtick_escape():
    assert expand("a`$PWD b\\c", ENV, escape="`") == "a$PWD b\\c"


def test_expand_words_splits_only_unquoted_results():
    assert expand_words("$PORTS 22 \"a b\" 'c d'", {"PORTS": "80  443"}) == [
        "80",
        "443",
        "22",
        "a b",
        "c d",
    ]
    assert expand_words('""', {}) == []
