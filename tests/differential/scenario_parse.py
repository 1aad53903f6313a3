"""Parsing scenario files (format in ``tests/scenarios/README.md``) into :class:`Scenario`.

Errors are :class:`ScenarioSyntaxError` naming file and line: unknown lines, a ``@file``
without ``@end``, paths leaving the work dir, ``${NAME}`` used before it was captured.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .scenario_model import (
    CAPTURE_REFERENCE,
    DEFAULT_PROFILE,
    PROFILES,
    Capture,
    Command,
    FileWrite,
    Scenario,
    ScenarioSyntaxError,
    Sleep,
    StdinFrom,
    Step,
    TarCreate,
    UsesImage,
)

_CAPTURE_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def parse_scenario(path: Path | str) -> Scenario:
    path = Path(path)
    return parse_scenario_text(path.read_text(encoding="utf-8"), path.stem, path)


def parse_scenario_text(text: str, name: str, path: Path | None = None) -> Scenario:
    where = str(path) if path else name
    lines = text.splitlines()
    steps: list[Step] = []
    captured: set[str] = set()
    profile = DEFAULT_PROFILE
    index = 0
    while index < len(lines):
        number = index + 1
        stripped = lines[index].strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("$"):
            # A trailing backslash continues the command on the next line, as in a shell.
            text_parts = [stripped[1:].strip()]
            while text_parts[-1].endswith("\\") and index < len(lines):
                text_parts[-1] = text_parts[-1][:-1].rstrip()
                text_parts.append(lines[index].strip())
                index += 1
            command = _parse_command(" ".join(text_parts), where, number)
            for reference in CAPTURE_REFERENCE.findall(command.text):
                if reference not in captured:
                    raise ScenarioSyntaxError(f"{where}:{number}: ${{{reference}}} not captured")
            steps.append(command)
        elif stripped.startswith("@capture"):
            variable = _single_argument(stripped, "@capture", where, number)
            if not _CAPTURE_NAME.match(variable):
                raise ScenarioSyntaxError(f"{where}:{number}: bad capture name {variable!r}")
            if not steps or not isinstance(steps[-1], Command):
                raise ScenarioSyntaxError(f"{where}:{number}: @capture must follow a command")
            captured.add(variable)
            steps.append(Capture(variable, number))
        elif stripped.startswith("@file"):
            target = _single_argument(stripped, "@file", where, number)
            body: list[str] = []
            while index < len(lines) and lines[index].rstrip() != "@end":
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ScenarioSyntaxError(f"{where}:{number}: @file without @end")
            index += 1  # skip @end
            content = "\n".join(body) + "\n" if body else ""
            steps.append(FileWrite(_relative_path(target, where, number), content, number))
        elif stripped.startswith("@tar"):
            words = shlex.split(stripped)
            if len(words) != 3:
                raise ScenarioSyntaxError(f"{where}:{number}: expected @tar PATH FROM_DIR")
            steps.append(
                TarCreate(
                    _relative_path(words[1], where, number),
                    _relative_path(words[2], where, number),
                    number,
                )
            )
        elif stripped.startswith("@stdin"):
            source = _single_argument(stripped, "@stdin", where, number)
            steps.append(StdinFrom(_relative_path(source, where, number), number))
        elif stripped.startswith("@profile"):
            profile = _single_argument(stripped, "@profile", where, number)
            if profile not in PROFILES or steps:
                raise ScenarioSyntaxError(
                    f"{where}:{number}: @profile comes first and is one of {', '.join(PROFILES)}"
                )
        elif stripped.startswith("@image"):
            steps.append(UsesImage(_single_argument(stripped, "@image", where, number), number))
        elif stripped.startswith("@sleep"):
            value = _single_argument(stripped, "@sleep", where, number)
            try:
                seconds = float(value)
            except ValueError:
                raise ScenarioSyntaxError(f"{where}:{number}: bad @sleep value {value!r}") from None
            steps.append(Sleep(seconds, number))
        else:
            raise ScenarioSyntaxError(f"{where}:{number}: cannot parse line: {stripped}")
    for number, step in enumerate(steps):
        after = steps[number + 1] if number + 1 < len(steps) else None
        if isinstance(step, StdinFrom) and not isinstance(after, Command):
            raise ScenarioSyntaxError(f"{where}:{step.line}: @stdin must come before a command")
    scenario = Scenario(name=name, steps=tuple(steps), path=path, profile=profile)
    if not scenario.commands():
        raise ScenarioSyntaxError(f"{where}: scenario has no commands")
    return scenario


def _parse_command(text: str, where: str, number: int) -> Command:
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ScenarioSyntaxError(f"{where}:{number}: {error}") from None
    if not words or words[0] != "docker":
        raise ScenarioSyntaxError(f"{where}:{number}: commands must start with 'docker'")
    return Command(args=tuple(words[1:]), text=text, line=number)


def _single_argument(line: str, keyword: str, where: str, number: int) -> str:
    words = shlex.split(line)
    if words[0] != keyword or len(words) != 2:
        raise ScenarioSyntaxError(f"{where}:{number}: expected {keyword} with one argument")
    return words[1]


def _relative_path(value: str, where: str, number: int) -> str:
    # Scenarios write only inside their work dir.
    parts = Path(value).parts
    if Path(value).is_absolute() or ".." in parts:
        raise ScenarioSyntaxError(f"{where}:{number}: path must stay in the work dir: {value}")
    return value
