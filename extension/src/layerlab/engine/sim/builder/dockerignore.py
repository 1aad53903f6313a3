""".dockerignore semantics: which context files the docker CLI sends to the classic builder.

Facts from docker/cli v28.2.2 and what it vendors (moby/patternmatcher v0.6.0 with its
``ignorefile`` reader, moby/go-archive v0.1.0), and moby v20.10.24's ``remotecontext``:

- Reading: a line starting with ``#`` (column 0 only) is a comment; lines are trimmed; blank
  lines skipped; ``!`` marks an exception; patterns are ``filepath.Clean``-ed and lose a
  leading ``/``.
- Matching: ``*`` and ``?`` never cross ``/``; ``**`` spans any depth; ``[...]`` classes and
  ``\\`` escapes as in Go; the last matching pattern wins.
- Sending (go-archive's tar walk): a path whose parent directory is excluded is excluded too;
  an excluded directory is still descended into when some ``!`` pattern starts with it.
- The CLI appends ``!.dockerignore`` and ``!<dockerfile>`` when they would be excluded, so both
  are always sent; the 20.10 daemon then deletes them from the context after reading the
  Dockerfile if the ``.dockerignore`` excludes them (so ``COPY . .`` does not see them).
- A malformed pattern fails the build in the CLI: ``error checking context: syntax error in
  pattern``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from layerlab.engine.errors import InvalidArgument

_REGEX_SPECIALS = ".+()|{}$"
_CONTEXT_ERROR = "error checking context: "


class DockerIgnoreError(InvalidArgument):
    """A .dockerignore the CLI refuses; the message is the CLI's text."""


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a slash-separated path."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    return "/" + cleaned if rooted else cleaned or "."


def read_patterns(text: str) -> list[str]:
    """``ignorefile.ReadAll``: the patterns of a .dockerignore file, in order."""
    patterns: list[str] = []
    for raw in text.removeprefix("\ufeff").splitlines():
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def _is_valid_glob(pattern: str) -> bool:
    """The syntax check of Go's ``filepath.Match`` (escapes and ``[...]`` classes)."""
    n = len(pattern)

    def class_char(i: int) -> int:
        """Index after one class character, or -1 when malformed (Go's ``getEsc``)."""
        if i >= n or pattern[i] in "-]":
            return -1
        if pattern[i] == "\\":
            i += 1
            if i >= n:
                return -1
        i += 1
        return i if i < n else -1

    i = 0
    while i < n:
        if pattern[i] == "\\":
            if i + 1 >= n:
                return False
            i += 2
        elif pattern[i] == "[":
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            ranges = 0
            while not (i < n and pattern[i] == "]" and ranges > 0):
                i = class_char(i)
                if i >= 0 and pattern[i] == "-":
                    i = class_char(i + 1)
                if i < 0:
                    return False
                ranges += 1
            i += 1
        else:
            i += 1
    return True


@dataclass
class _Pattern:
    text: str  # cleaned, without the leading "!"
    exclusion: bool

    def __post_init__(self) -> None:
        self.dirs = self.text.split("/")
        self.kind, self.regex = _compile(self.text)

    def match(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        return self.regex is not None and self.regex.match(path) is not None


def _compile(pattern: str) -> tuple[str, re.Pattern[str] | None]:
    """patternmatcher's compile: a match kind, and a regex for the general case."""
    regex, kind, in_class, i = "^", "exact", False, 0
    while i < len(pattern):
        ch, first = pattern[i], i == 0
        i += 1
        if ch == "*" and pattern[i : i + 1] == "*":
            i += 1
            if pattern[i : i + 1] == "/":
                i += 1
            if i >= len(pattern):
                if kind == "exact":
                    kind = "prefix"
                else:
                    regex, kind = regex + ".*", "regex"
            else:
                regex, kind = regex + "(.*/)?", "regex"
            if first:
                kind = "suffix"
        elif ch in "*?":
            regex, kind = regex + ("[^/]*" if ch == "*" else "[^/]"), "regex"
        elif ch in _REGEX_SPECIALS:
            regex += "\\" + ch
        elif ch == "\\":
            if i < len(pattern):
                regex, kind = regex + "\\" + pattern[i], "regex"
                i += 1
            else:
                regex += "\\\\"
        elif ch in "[]":
            # Go's regexp takes "[" inside a class literally; Python wants it escaped.
            regex += "\\[" if ch == "[" and in_class else ch
            in_class, kind = ch == "[" or (in_class and ch != "]"), "regex"
        else:
            regex += ch
    if kind != "regex":
        return kind, None
    try:
        return kind, re.compile(regex + "$")
    except re.error:
        return kind, None  # patternmatcher reports a bad pattern as never matching here


class _Matcher:
    """patternmatcher.PatternMatcher over cleaned, slash-separated relative paths."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns: list[_Pattern] = []
        for raw in patterns:
            text = raw.strip()
            if not text:
                continue
            text = go_clean(text)
            exclusion = text.startswith("!")
            if exclusion:
                if len(text) == 1:
                    raise DockerIgnoreError(
                        'error checking context: illegal exclusion pattern: "!"'
                    )
                text = text[1:]
            if not _is_valid_glob(text):
                raise DockerIgnoreError(f"{_CONTEXT_ERROR}syntax error in pattern")
            self.patterns.append(_Pattern(text, exclusion))
        self.has_exclusions = any(p.exclusion for p in self.patterns)

    def matches_one_parent(self, path: str) -> bool:
        """The deprecated ``Matches``: checks only the parent prefix as deep as the pattern."""
        path = go_clean(path)
        if path == ".":
            return False
        parent = path.rpartition("/")[0] or "."
        parent_dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.match(path)
            if not hit and parent != "." and len(pattern.dirs) <= len(parent_dirs):
                hit = pattern.match("/".join(parent_dirs[: len(pattern.dirs)]))
            if hit:
                matched = not pattern.exclusion
        return matched

    def matches_with_parents(self, path: str, parent: list[bool] | None) -> tuple[bool, list[bool]]:
        """``MatchesUsingParentResults``: a parent's match of a pattern carries to its children."""
        matched = False
        info = [False] * len(self.patterns)
        for index, pattern in enumerate(self.patterns):
            hit = parent[index] if parent is not None else False
            if not hit:
                if pattern.exclusion != matched:
                    continue
                hit = pattern.match(path)
                if not hit and parent is None and "/" in path:
                    dirs = path.split("/")[:-1]
                    hit = any(pattern.match("/".join(dirs[: k + 1])) for k in range(len(dirs)))
            info[index] = hit
            if hit:
                matched = not pattern.exclusion
        return matched, info

    def sent(self, path: str) -> bool:
        """Whether go-archive's walk puts ``path`` in the context tar."""
        parts = go_clean(path).split("/")
        info: list[bool] | None = None
        for depth in range(1, len(parts) + 1):
            rel = "/".join(parts[:depth])
            last = depth == len(parts)
            skip, info = self.matches_with_parents(rel, info)
            if not skip:
                continue
            if last or not self._descends_into(rel):
                return False
        return True

    def _descends_into(self, directory: str) -> bool:
        """An excluded directory is still walked when an exception pattern lies inside it."""
        prefix = directory + "/"
        return self.has_exclusions and any(
            (p.text + "/").startswith(prefix) for p in self.patterns if p.exclusion
        )


class DockerIgnore:
    """The patterns of a .dockerignore and the decisions the CLI and daemon take with them."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = list(patterns)
        self._matcher = _Matcher(self.patterns)

    @classmethod
    def from_text(cls, text: str) -> DockerIgnore:
        return cls(read_patterns(text))

    def excludes(self, path: str) -> bool:
        """True when the tar walk leaves ``path`` (a file or directory, relative to the
        context) out of the context."""
        return not self._matcher.sent(path)

    def filter_context(self, paths: list[str], dockerfile: str = "Dockerfile") -> list[str]:
        """The ``paths`` the CLI sends (directories may end with ``/``).

        The Dockerfile and .dockerignore always go, through the exceptions the CLI appends.
        """
        patterns = list(self.patterns)
        if self._matcher.matches_one_parent(".dockerignore"):
            patterns.append("!.dockerignore")
        if self._matcher.matches_one_parent(dockerfile):
            patterns.append("!" + dockerfile)
        matcher = _Matcher(patterns)
        return [p for p in paths if matcher.sent(p.rstrip("/"))]

    def removed_by_daemon(self, dockerfile: str = "Dockerfile") -> list[str]:
        """Files the 20.10 daemon deletes from the received context after parsing."""
        return [n for n in (".dockerignore", dockerfile) if self._matcher.matches_one_parent(n)]
