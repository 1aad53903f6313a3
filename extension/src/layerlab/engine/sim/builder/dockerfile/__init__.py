"""The classic builder's Dockerfile parser and variable expansion (Docker Engine 20.10).

Behaviour follows moby v20.10.24, which vendors buildkit's ``frontend/dockerfile`` packages
(``parser``, ``instructions``, ``shell`` at v0.8.4-0.20221020190723-eeb7b65ab7d6) and reads the
Dockerfile in ``builder/remotecontext/detect.go``. Messages verified against those sources:

- ``the Dockerfile (Dockerfile) cannot be empty`` (zero bytes, before parsing);
- parser errors, wrapped as ``failed to parse Dockerfile: <err>``: ``file with no
  instructions``, ``ENV must have two arguments``, ``Syntax error - can't find = in "x". Must be
  of the form: name=value``, the JSON string-array error, the escape directive errors;
- instruction errors, wrapped as ``dockerfile parse error line N: <err>`` (lower-case ``d``):
  ``unknown instruction: RUNN``, ``FROM requires either one or three arguments``, ``ENV names can
  not be blank``, ``Unknown flag: x``, ``<CMD> requires exactly one argument`` and so on;
- an instruction before any FROM (other than ARG): ``no build stage in current context``,
  unwrapped. The old ``Please provide a source image with `from` prior to commit`` is gone.
- variable expansion errors: ``failed to process "${x": missing ':' in substitution`` etc.

``Instruction.original`` is what ``Step N/M : <original>`` prints: continuation lines are joined
without a separator (the escape character and the line break are removed, indentation kept),
comment lines inside a continuation are dropped, and the result is trimmed.
Not modelled: heredocs (not in this parser version), ``RUN --mount`` field validation (the
classic builder refuses any RUN flag at dispatch anyway, see :func:`buildkit_required`).

The stages live in ``dockerfile_lines`` (line parser), ``dockerfile_checks`` (instruction
checks), ``dockerfile_expand`` (variable substitution) and ``dockerfile_durations``; this module
runs them in the daemon's order and re-exports what the builder uses.
"""

from __future__ import annotations

from layerlab.engine.sim.builder.dockerfile.checks import InstructionError, to_instruction
from layerlab.engine.sim.builder.dockerfile.durations import parse_go_duration
from layerlab.engine.sim.builder.dockerfile.expand import expand, expand_words, substitute
from layerlab.engine.sim.builder.dockerfile.instruction import (
    NO_BUILD_STAGE,
    NO_IMAGE_GENERATED,
    DockerfileError,
    Instruction,
    ParsedDockerfile,
    buildkit_required,
)
from layerlab.engine.sim.builder.dockerfile.lines import ParseError, parse_lines

__all__ = [
    "NO_BUILD_STAGE",
    "NO_IMAGE_GENERATED",
    "DockerfileError",
    "Instruction",
    "ParsedDockerfile",
    "buildkit_required",
    "expand",
    "expand_words",
    "parse_dockerfile",
    "parse_dockerfile_result",
    "parse_go_duration",
    "parse_trigger",
    "substitute",
]


def parse_dockerfile_result(text: str, name: str = "Dockerfile") -> ParsedDockerfile:
    """Parse and check ``text`` as the 20.10 daemon does; ``name`` is the ``-f`` path."""
    if text == "":
        raise DockerfileError(f"the Dockerfile ({name}) cannot be empty")
    try:
        nodes, warnings, escape = parse_lines(text)
    except ParseError as err:
        raise DockerfileError(f"failed to parse {name}: {err}") from None
    instructions: list[Instruction] = []
    seen_from = False
    for node in nodes:
        try:
            instruction = to_instruction(node)
        except InstructionError as err:
            raise DockerfileError(f"dockerfile parse error line {node.start}: {err}") from None
        seen_from = seen_from or instruction.keyword == "FROM"
        if not seen_from and instruction.keyword != "ARG":
            raise DockerfileError(NO_BUILD_STAGE)
        instructions.append(instruction)
    return ParsedDockerfile(instructions, warnings, escape)


def parse_dockerfile(text: str, name: str = "Dockerfile") -> list[Instruction]:
    """The instructions of a Dockerfile, or :class:`DockerfileError` with docker's message."""
    return parse_dockerfile_result(text, name).instructions


def parse_trigger(text: str) -> Instruction:
    """An ONBUILD trigger (``RUN echo hi``) as the instruction it becomes in a child build."""
    # The parser wants a stage; the FROM line only frames the trigger.
    return parse_dockerfile(f"FROM scratch\n{text}\n")[1]
