"""Command-line flag parsing that behaves like spf13/pflag as the docker CLI configures it.

Flag definitions are read from the help texts (``cli/help/*.txt``), which list every flag the
real CLI accepts with its type, so the parser knows docker's full flag set (and can reject the
ones LayerLab does not model by name) without a second, hand-kept copy of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# pflag types whose flag may be given several times, collecting every value.
REPEATABLE_KINDS = frozenset(
    {"list", "strings", "stringArray", "filter", "map", "mount", "network", "ulimit", "gpu-request"}
)

_STREAMS = ("stdin", "stdout", "stderr")

_OPTION_LINE = re.compile(
    r"^  (?:-(?P<short>[^\s-]), |    )--(?P<long>[A-Za-z0-9][A-Za-z0-9-]*)"
    r"(?: (?P<kind>[A-Za-z][A-Za-z0-9-]*))?(?=\s{2,}|$)"
)


@dataclass(frozen=True)
class FlagSpec:
    """One flag: ``kind`` is pflag's type word (``bool`` when the help shows none)."""

    long: str
    short: str | None = None
    kind: str = "bool"
    deprecated: str | None = None  # pflag's "Flag --x has been deprecated, <this>"

    @property
    def display(self) -> str:
        """The name as pflag quotes it in "invalid argument" errors."""
        return f"-{self.short}, --{self.long}" if self.short else f"--{self.long}"


class FlagError(Exception):
    """A flag-parsing failure; ``str()`` is pflag's exact message."""


@dataclass
class ParsedArgs:
    values: dict[str, object] = field(default_factory=dict)  # long name -> value
    order: list[str] = field(default_factory=list)  # long names in the order they were set
    positionals: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # deprecation notices (stdout)
    help: bool = False

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)

    def flag(self, name: str) -> bool:
        return bool(self.values.get(name, False))

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return default if value is None else str(value)

    def items(self, name: str) -> list[str]:
        value = self.values.get(name)
        return list(value) if isinstance(value, list) else []

    def given(self, name: str) -> bool:
        return name in self.values


def specs_from_help(help_text: str) -> list[FlagSpec]:
    """Every flag listed in the ``Options:`` section of a ``docker … --help`` text."""
    specs: list[FlagSpec] = []
    in_options = False
    for line in help_text.splitlines():
        if line.endswith("Options:") and not line.startswith(" "):
            in_options = True
            continue
        if in_options and line and not line.startswith(" "):
            in_options = False
        if not in_options:
            continue
        match = _OPTION_LINE.match(line)
        if match:
            specs.append(FlagSpec(match["long"], match["short"], match["kind"] or "bool"))
    return specs


def parse_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def parse_int(text: str, bits: int = 64, unsigned: bool = False) -> int:
    """Go's ``strconv.ParseInt(text, 0, bits)`` / ``ParseUint``, with its error texts."""
    func = "ParseUint" if unsigned else "ParseInt"
    body = text[1:] if text[:1] in "+-" and not unsigned else text
    syntax = f'strconv.{func}: parsing "{text}": invalid syntax'
    if not body or body.startswith("_") or body.endswith("_") or "__" in body:
        raise ValueError(syntax)
    try:
        value = int(text, 0) if not re.fullmatch(r"0\d+", body) else int(text, 8)
    except ValueError:
        raise ValueError(syntax) from None
    low, high = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if not low <= value <= high:
        raise ValueError(f'strconv.{func}: parsing "{text}": value out of range')
    return value


def _convert(spec: FlagSpec, raw: str) -> object:
    try:
        if spec.kind == "bool":
            return parse_bool(raw)
        if spec.kind == "int":
            return parse_int(raw)
        if spec.kind == "uint16":
            return parse_int(raw, bits=16, unsigned=True)
        if spec.kind == "filter" and "=" not in raw:
            raise ValueError("bad format of filter (expected name=value)")
        if spec.long == "attach" and spec.kind == "list" and raw.lower() not in _STREAMS:
            raise ValueError("valid streams are STDIN, STDOUT and STDERR")
    except ValueError as exc:
        raise FlagError(f'invalid argument "{raw}" for "{spec.display}" flag: {exc}') from None
    return raw


class FlagSet:
    """The flags of one command; ``parse`` consumes an argument list like pflag does."""

    def __init__(self, specs: list[FlagSpec], interspersed: bool = True) -> None:
        self.specs = list(specs)
        self.interspersed = interspersed
        self._long = {spec.long: spec for spec in self.specs}
        self._short = {spec.short: spec for spec in self.specs if spec.short}

    def parse(self, args: list[str]) -> ParsedArgs:
        parsed = ParsedArgs()
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg == "--":
                parsed.positionals.extend(args[index:])
                break
            if not arg.startswith("-") or arg == "-":
                parsed.positionals.append(arg)
                if not self.interspersed:
                    parsed.positionals.extend(args[index:])
                    break
                continue
            if arg.startswith("--"):
                index = self._parse_long(arg, args, index, parsed)
            else:
                index = self._parse_shorts(arg, args, index, parsed)
        return parsed

    def _set(self, spec: FlagSpec, raw: str, parsed: ParsedArgs) -> None:
        value = _convert(spec, raw)
        if spec.long == "help":  # run/create list --help as a flag (their -h is --hostname)
            parsed.help = bool(value)
            return
        if spec.kind in REPEATABLE_KINDS:
            existing = parsed.values.get(spec.long)
            value = [*existing, raw] if isinstance(existing, list) else [raw]
        parsed.values[spec.long] = value
        parsed.order.append(spec.long)
        if spec.deprecated:
            parsed.notices.append(f"Flag --{spec.long} has been deprecated, {spec.deprecated}")

    def _parse_long(self, arg: str, args: list[str], index: int, parsed: ParsedArgs) -> int:
        name, has_value, value = arg[2:].partition("=")
        spec = self._long.get(name)
        if spec is None:
            if name == "help":
                parsed.help = True
                return index
            raise FlagError(f"unknown flag: --{name}")
        if has_value:
            self._set(spec, value, parsed)
        elif spec.kind == "bool":
            self._set(spec, "true", parsed)
        elif index < len(args):
            self._set(spec, args[index], parsed)
            index += 1
        else:
            raise FlagError(f"flag needs an argument: --{name}")
        return index

    def _parse_shorts(self, arg: str, args: list[str], index: int, parsed: ParsedArgs) -> int:
        letters = arg[1:]
        while letters:
            letter, rest = letters[0], letters[1:]
            spec = self._short.get(letter)
            if spec is None:
                if letter == "h":
                    parsed.help = True
                    parsed.notices.append("Flag shorthand -h has been deprecated, use --help")
                    return index
                raise FlagError(f"unknown shorthand flag: '{letter}' in -{letters}")
            if rest.startswith("="):
                self._set(spec, rest[1:], parsed)
                return index
            if spec.kind == "bool":
                self._set(spec, "true", parsed)
                letters = rest
                continue
            if rest:
                self._set(spec, rest, parsed)
            elif index < len(args):
                self._set(spec, args[index], parsed)
                index += 1
            else:
                raise FlagError(f"flag needs an argument: '{letter}' in -{letter}")
            return index
        return index
