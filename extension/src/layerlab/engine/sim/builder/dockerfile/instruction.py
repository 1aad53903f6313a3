"""The vocabulary of the classic builder's Dockerfile front end (Docker Engine 20.10).

:class:`Instruction` is what the builder executes and :class:`DockerfileError` carries the
daemon's exact refusal text (its ``%q`` operands quoted by :mod:`layerlab.go_strconv`). The
line parser, the instruction checks, variable expansion and duration parsing
(``dockerfile_*`` modules) all build on these; :mod:`dockerfile` is the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layerlab.engine.errors import InvalidArgument

NO_IMAGE_GENERATED = "No image was generated. Is your Dockerfile empty?"
NO_BUILD_STAGE = "no build stage in current context"


class DockerfileError(InvalidArgument):
    """A Dockerfile the daemon refuses (HTTP 400); the message is the daemon's exact text."""


def buildkit_required(option: str) -> str:
    """The classic builder's refusal of a flag only BuildKit implements (e.g. ``chmod``)."""
    return (
        f"the --{option} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/"
        " to learn how to build images with BuildKit enabled"
    )


@dataclass
class Instruction:
    """One Dockerfile instruction as the classic builder sees it before variable expansion.

    ``args``: RUN/CMD/ENTRYPOINT/SHELL hold the JSON list, or one string in shell form;
    ENV/LABEL hold ``key, value, key, value...`` (quotes still in place: :func:`expand` removes
    them); HEALTHCHECK holds ``TYPE`` then the command like CMD; ONBUILD holds the trigger text
    (parsed into ``trigger``); the others hold their words.
    """

    keyword: str
    original: str
    args: list[str]
    json_form: bool = False
    flags: dict[str, str] = field(default_factory=dict)
    line: int = 0
    end_line: int = 0
    trigger: Instruction | None = None

    @property
    def pairs(self) -> list[tuple[str, str | None]]:
        """ENV/LABEL ``(key, value)`` pairs; ARG ``(name, default or None)``."""
        if self.keyword == "ARG":
            split = [arg.partition("=") for arg in self.args]
            return [(name, value if eq else None) for name, eq, value in split]
        return list(zip(self.args[::2], self.args[1::2], strict=True))

    @property
    def stage_name(self) -> str | None:
        """The lower-cased ``AS`` name of a FROM, if any."""
        if self.keyword == "FROM" and len(self.args) == 3:
            return self.args[2].lower()
        return None

    def __str__(self) -> str:
        return self.original


@dataclass
class ParsedDockerfile:
    instructions: list[Instruction]
    warnings: list[str]
    escape_token: str
