"""Per-instruction checks (buildkit ``frontend/dockerfile/instructions``, 20.10 vendoring).

Turns a parsed line into an :class:`Instruction`: argument counts, the flags each
instruction declares (``--chown``, ``--from``, ``--interval``...), stage names, ONBUILD
triggers, HEALTHCHECK options. Errors here are reported as ``dockerfile parse error line N:``.
"""

from __future__ import annotations

import re

from layerlab.engine.sim.builder.dockerfile.durations import parse_go_duration
from layerlab.engine.sim.builder.dockerfile.instruction import Instruction
from layerlab.engine.sim.builder.dockerfile.lines import ParserNode
from layerlab.go_strconv import go_quote

_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)
_STRINGS, _STRING = "strings", "string"


class InstructionError(Exception):
    """An error of one instruction (reported as ``dockerfile parse error line N: ...``)."""


_FLAG_SPECS: dict[str, dict[str, str]] = {
    "add": {"chown": _STRING, "chmod": _STRING},
    "copy": {"chown": _STRING, "from": _STRING, "chmod": _STRING},
    "from": {"platform": _STRING},
    "run": {"mount": _STRINGS},
    "healthcheck": {
        "interval": _STRING,
        "timeout": _STRING,
        "start-period": _STRING,
        "retries": _STRING,
    },
}
_EXACTLY_ONE = ("maintainer", "workdir", "user", "stopsignal")
_AT_LEAST_ONE = ("onbuild", "healthcheck", "expose", "volume", "arg")


def _parse_flags(node: ParserNode) -> dict[str, str]:
    """BFlags.Parse: only the flags the instruction declares, each given as ``--name=value``."""
    spec = _FLAG_SPECS.get(node.keyword, {})
    values: dict[str, str] = {}
    for raw in node.flags:
        if raw == "--":
            break
        name, has_value, value = raw[2:].partition("=")
        kind = spec.get(name)
        if kind is None:
            raise InstructionError(f"Unknown flag: {name}")
        if name in values and kind != _STRINGS:
            raise InstructionError(f"Duplicate flag specified: {name}")
        if not has_value:
            raise InstructionError(f"Missing a value on flag: {name}")
        values[name] = value
    return values


def _check_kvps(args: list[str], keyword: str) -> None:
    if not args:
        raise InstructionError(f"{keyword} requires at least one argument")
    if len(args) % 2:
        raise InstructionError(f"Bad input to {keyword}, too many arguments")
    if any(key == "" for key in args[::2]):
        raise InstructionError(f"{keyword} names can not be blank")


def _check_arg_counts(node: ParserNode, upper: str) -> None:
    """Argument-count errors, which docker reports before any flag error."""
    n = len(node.args)
    if node.keyword in _EXACTLY_ONE and n != 1:
        raise InstructionError(f"{upper} requires exactly one argument")
    if node.keyword in _AT_LEAST_ONE and n == 0:
        raise InstructionError(f"{upper} requires at least one argument")
    if node.keyword in ("add", "copy") and n < 2:
        raise InstructionError(
            f"{upper} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )
    if node.keyword == "from":
        if n == 3 and node.args[1].lower() == "as":
            if not _STAGE_NAME.fullmatch(node.args[2].lower()):
                raise InstructionError(
                    f"invalid name for build stage: {go_quote(node.args[2])}, "
                    "name can't start with a number or contain symbols"
                )
        elif n != 1:
            raise InstructionError("FROM requires either one or three arguments")


def _check_after_flags(node: ParserNode, upper: str, flags: dict[str, str]) -> list[str]:
    """Instruction-specific checks once the flags parsed; returns the final args."""
    args = node.args
    if node.keyword in ("env", "label"):
        _check_kvps(args, upper)
    elif node.keyword == "onbuild":
        trigger = args[0].strip().upper()
        if trigger == "ONBUILD":
            raise InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise InstructionError(f"{trigger} isn't allowed as an ONBUILD trigger")
        return [_ONBUILD_PREFIX.sub("", node.line, count=1)]
    elif node.keyword == "healthcheck":
        return _check_healthcheck(node, flags)
    elif node.keyword == "expose":
        return sorted(args)
    elif node.keyword == "volume":
        if any(v.strip() == "" for v in args):
            raise InstructionError("VOLUME specified can not be an empty string")
        return [v.strip() for v in args]
    elif node.keyword == "arg" and any(a.startswith("=") for a in args):
        raise InstructionError("ARG names can not be blank")
    elif node.keyword == "shell":
        if not args:
            raise InstructionError("SHELL requires at least one argument")
        if not node.json_form:
            raise InstructionError("SHELL requires the arguments to be in JSON form")
    return args


def _check_healthcheck(node: ParserNode, flags: dict[str, str]) -> list[str]:
    kind, command = node.args[0].upper(), node.args[1:]
    if kind == "NONE":
        if command:
            raise InstructionError("HEALTHCHECK NONE takes no arguments")
        return [kind]
    if kind != "CMD":
        raise InstructionError(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    if not command:
        raise InstructionError("Missing command after HEALTHCHECK CMD")
    for name in ("interval", "timeout", "start-period"):
        if flags.get(name, "") != "":
            try:
                duration = parse_go_duration(flags[name])
            except ValueError as err:
                raise InstructionError(str(err)) from None
            if duration < 1_000_000:
                raise InstructionError(f"Interval {go_quote(name)} cannot be less than 1ms")
    retries = flags.get("retries", "")
    if retries != "":
        if not re.fullmatch(r"[+-]?[0-9]+", retries):
            raise InstructionError(f"strconv.ParseInt: parsing {go_quote(retries)}: invalid syntax")
        if not -(2**31) <= int(retries) < 2**31:
            raise InstructionError(
                f"strconv.ParseInt: parsing {go_quote(retries)}: value out of range"
            )
        if int(retries) < 1:
            raise InstructionError(f"--retries must be at least 1 (not {int(retries)})")
    return [kind, *command]


def to_instruction(node: ParserNode) -> Instruction:
    upper = node.keyword.upper()
    known = {
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    }
    if node.keyword not in known:
        raise InstructionError(f"unknown instruction: {upper}")
    _check_arg_counts(node, upper)
    # STOPSIGNAL, ARG and HEALTHCHECK NONE never parse their flags: docker ignores any.
    ignores_flags = node.keyword in ("stopsignal", "arg") or (
        node.keyword == "healthcheck" and node.args[0].upper() == "NONE"
    )
    flags = {} if ignores_flags else _parse_flags(node)
    args = _check_after_flags(node, upper, flags)
    trigger = _plain_instruction(node.trigger) if node.trigger else None
    return Instruction(
        upper, node.line.strip(), args, node.json_form, flags, node.start, node.end, trigger
    )


def _plain_instruction(node: ParserNode) -> Instruction:
    """An ONBUILD trigger: parsed, but only checked when a child build fires it."""
    return Instruction(
        node.keyword.upper(),
        node.line.strip(),
        node.args,
        node.json_form,
        {raw[2:].partition("=")[0]: raw.partition("=")[2] for raw in node.flags},
        node.start,
        node.end,
    )
