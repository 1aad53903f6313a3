"""Word expansion for the shell: parameters, command substitution, arithmetic, field splitting,
globbing against the tree, and the pattern matching `case` and `${x#pat}` use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from layerlab.engine.sim.programs.applets.arith import ArithError, evaluate
from layerlab.engine.sim.store.fs import children, normpath

if TYPE_CHECKING:
    from layerlab.engine.sim.programs.applets.ash import Shell


class ExpansionError(Exception):
    """An error that aborts a non-interactive shell (exit 2), e.g. ``${x?msg}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Chunk:
    text: str
    quoted: bool
    splittable: bool = False


BREAK = Chunk("", quoted=True)  # a field boundary inside "$@"

Chars = list[tuple[str, bool]]  # characters with their "was quoted" flag


class Expander:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    # -- public entry points ----------------------------------------------------------------
    def fields(self, word: str) -> list[str]:
        """Full expansion of a command word: may give zero, one or many fields."""
        result: list[str] = []
        for chars, had_quotes in self._split(self.scan(word)):
            if not chars and not had_quotes:
                continue
            result.extend(self._glob(chars))
        return result

    def string(self, word: str) -> str:
        """Expansion without splitting or globbing (assignments, redirections, case words)."""
        return "".join(chunk.text if chunk is not BREAK else " " for chunk in self.scan(word))

    def pattern(self, word: str) -> Chars:
        chars: Chars = []
        for chunk in self.scan(word):
            chars.extend((c, chunk.quoted) for c in chunk.text)
        return chars

    def heredoc(self, body: str) -> str:
        return "".join(chunk.text for chunk in self.scan(body, heredoc=True))

    # -- scanning ---------------------------------------------------------------------------
    def scan(self, word: str, in_dquote: bool = False, heredoc: bool = False) -> list[Chunk]:
        out: list[Chunk] = []
        quoted = in_dquote or heredoc
        i = 0
        if not quoted and word.startswith("~"):
            end = word.find("/")
            end = len(word) if end < 0 else end
            if end == 1:
                out.append(Chunk(self.shell.get_var("HOME") or "/", quoted=True))
                i = 1
        while i < len(word):
            char = word[i]
            if char == "\\":
                nxt = word[i + 1 : i + 2]
                if (quoted and nxt not in ("$", "`", '"', "\\", "\n")) or (heredoc and nxt == '"'):
                    out.append(Chunk("\\", quoted=True))
                    i += 1
                    continue
                out.append(Chunk(nxt, quoted=True))
                i += 2
            elif char == "'" and not quoted:
                end = word.find("'", i + 1)
                end = len(word) if end < 0 else end
                out.append(Chunk(word[i + 1 : end], quoted=True))
                i = end + 1
            elif char == '"' and not quoted:
                end = _closing_dquote(word, i + 1)
                inner = self.scan(word[i + 1 : end], in_dquote=True)
                out.append(Chunk("", quoted=True))
                out.extend(inner)
                i = end + 1
            elif char == "`":
                end = i + 1
                while end < len(word) and word[end] != "`":
                    end += 2 if word[end] == "\\" else 1
                inner = re.sub(r"\\([$`\\])", r"\1", word[i + 1 : end])
                text = self.shell.command_substitution(inner)
                out.append(Chunk(text, quoted=quoted, splittable=not quoted))
                i = end + 1
            elif char == "$":
                i = self._dollar(word, i, quoted, out)
            else:
                out.append(Chunk(char, quoted=quoted))
                i += 1
        return out

    def _dollar(self, word: str, i: int, quoted: bool, out: list[Chunk]) -> int:
        rest = word[i + 1 :]
        if rest.startswith("(("):
            end = _matching(word, i + 3, "(", ")", depth=2)
            expression = self.string(word[i + 3 : end - 1])
            try:
                value = str(evaluate(expression, self.shell.get_var, self.shell.set_var))
            except ArithError as error:
                raise ExpansionError(error.message) from error
            out.append(Chunk(value, quoted=quoted, splittable=not quoted))
            return end + 1
        if rest.startswith("("):
            end = _matching(word, i + 2, "(", ")", depth=1)
            text = self.shell.command_substitution(word[i + 2 : end])
            out.append(Chunk(text, quoted=quoted, splittable=not quoted))
            return end + 1
        if rest.startswith("{"):
            end = _matching(word, i + 2, "{", "}", depth=1)
            self._braced(word[i + 2 : end], quoted, out)
            return end + 1
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]|[?$#@*!\-]", rest)
        if not match:
            out.append(Chunk("$", quoted=quoted))
            return i + 1
        self._emit_param(match.group(0), quoted, out)
        return i + 1 + match.end()

    def _emit_param(self, name: str, quoted: bool, out: list[Chunk]) -> None:
        if name == "@" and quoted:
            params = self.shell.positional
            for index, value in enumerate(params):
                if index:
                    out.append(BREAK)
                out.append(Chunk(value, quoted=True))
            return
        value = self.shell.get_param(name)
        self._check_unset(name, value)
        out.append(Chunk(value or "", quoted=quoted, splittable=not quoted))

    def _check_unset(self, name: str, value: str | None) -> None:
        if value is None and self.shell.options.get("u") and name not in ("@", "*"):
            raise ExpansionError(f"{name}: parameter not set")

    def _braced(self, body: str, quoted: bool, out: list[Chunk]) -> None:
        if body.startswith("#") and len(body) > 1:
            value = self.shell.get_param(body[1:])
            if value is None and not re.fullmatch(
                r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*!\-]", body[1:]
            ):
                raise ExpansionError("syntax error: bad substitution")
            out.append(Chunk(str(len(value or "")), quoted=quoted, splittable=not quoted))
            return
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#@*!\-]", body)
        if not match:
            raise ExpansionError("syntax error: bad substitution")
        name = match.group(0)
        op_match = re.match(r":?[-=?+]|##?|%%?", body[match.end() :])
        if not op_match:
            if match.end() != len(body):
                raise ExpansionError("syntax error: bad substitution")
            self._emit_param(name, quoted, out)
            return
        op = op_match.group(0)
        arg = body[match.end() + op_match.end() :]
        value = self.shell.get_param(name)
        if op in ("#", "##", "%", "%%"):
            self._check_unset(name, value)
            result = trim(value or "", self.pattern(arg), op)
            out.append(Chunk(result, quoted=quoted, splittable=not quoted))
            return
        unset = value is None or (op.startswith(":") and value == "")
        kind = op[-1]
        if kind == "-":
            if unset:
                out.extend(self._arg_chunks(arg, quoted))
            else:
                out.append(Chunk(value or "", quoted=quoted, splittable=not quoted))
        elif kind == "+":
            if not unset:
                out.extend(self._arg_chunks(arg, quoted))
        elif kind == "=":
            if unset:
                value = self.string(arg)
                self.shell.set_var(name, value)
            out.append(Chunk(value or "", quoted=quoted, splittable=not quoted))
        elif kind == "?":
            if unset:
                message = self.string(arg) or (
                    "parameter not set" if value is None else "parameter null"
                )
                raise ExpansionError(f"{name}: {message}")
            out.append(Chunk(value or "", quoted=quoted, splittable=not quoted))

    def _arg_chunks(self, arg: str, quoted: bool) -> list[Chunk]:
        return self.scan(arg, in_dquote=quoted)

    # -- splitting and globbing -------------------------------------------------------------
    def _split(self, chunks: list[Chunk]) -> list[tuple[Chars, bool]]:
        ifs = self.shell.get_var("IFS")
        ifs = " \t\n" if ifs is None else ifs
        white = "".join(c for c in ifs if c in " \t\n")
        fields: list[tuple[Chars, bool]] = []
        current: Chars = []
        had_quotes = False
        for chunk in chunks:
            if chunk is BREAK:
                fields.append((current, True))
                current, had_quotes = [], False
                continue
            if chunk.quoted:
                had_quotes = True
            if not chunk.splittable:
                current.extend((c, chunk.quoted) for c in chunk.text)
                continue
            for char in chunk.text:
                if char in white:
                    if current or had_quotes:
                        fields.append((current, had_quotes))
                        current, had_quotes = [], False
                elif char in ifs:
                    fields.append((current, True))  # a non-blank separator keeps empty fields
                    current, had_quotes = [], False
                else:
                    current.append((char, False))
        if current or had_quotes:
            fields.append((current, had_quotes))
        return fields

    def _glob(self, chars: Chars) -> list[str]:
        text = "".join(c for c, _ in chars)
        if self.shell.options.get("f") or not any(c in "*?[" and not q for c, q in chars):
            return [text]
        matches = glob_tree(self.shell.io.tree, self.shell.io.cwd, chars)
        return matches or [text]


def _closing_dquote(word: str, i: int) -> int:
    while i < len(word):
        if word[i] == "\\":
            i += 2
            continue
        if word[i] == '"':
            return i
        if word[i] == "$" and word[i + 1 : i + 2] in ("(", "{"):
            opener = word[i + 1]
            closer = ")" if opener == "(" else "}"
            i = _matching(word, i + 2, opener, closer, 1) + 1
            continue
        if word[i] == "`":
            i += 1
            while i < len(word) and word[i] != "`":
                i += 2 if word[i] == "\\" else 1
        i += 1
    return len(word)


def _matching(word: str, i: int, opener: str, closer: str, depth: int) -> int:
    """Index of the closer that balances ``depth`` open brackets, skipping quotes."""
    while i < len(word):
        char = word[i]
        if char == "\\":
            i += 2
            continue
        if char == "'" and opener == "(":
            end = word.find("'", i + 1)
            i = len(word) if end < 0 else end + 1
            continue
        if char == '"':
            i = _closing_dquote(word, i + 1) + 1
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(word)


# ---------------------------------------------------------------------------------------------
# patterns


def pattern_regex(chars: Chars) -> str:
    """Translate a shell pattern (quoted characters literal) into a Python regex."""
    out = []
    i = 0
    while i < len(chars):
        char, quoted = chars[i]
        if quoted:
            out.append(re.escape(char))
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            end, bracket = _bracket(chars, i)
            if bracket is None:
                out.append(re.escape(char))
            else:
                out.append(bracket)
                i = end
        elif char == "\\" and i + 1 < len(chars):
            i += 1
            out.append(re.escape(chars[i][0]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _bracket(chars: Chars, start: int) -> tuple[int, str | None]:
    i = start + 1
    negate = False
    if i < len(chars) and chars[i][0] in "!^" and not chars[i][1]:
        negate = True
        i += 1
    items = []
    first = True
    while i < len(chars):
        char = chars[i][0]
        if char == "]" and not first:
            body = "".join(items)
            return i, f"[{'^' if negate else ''}{body}]"
        if char in "\\^[]":
            items.append("\\" + char)
        else:
            items.append(char)
        first = False
        i += 1
    return start, None


def matches(text: str, chars: Chars) -> bool:
    try:
        return re.fullmatch(pattern_regex(chars), text, re.DOTALL) is not None
    except re.error:
        return False


def trim(value: str, chars: Chars, op: str) -> str:
    try:
        regex = re.compile(pattern_regex(chars), re.DOTALL)
    except re.error:
        return value
    positions = range(len(value) + 1)
    if op in ("#", "##"):
        order = reversed(positions) if op == "##" else positions
        for cut in order:
            if regex.fullmatch(value[:cut]):
                return value[cut:]
    else:
        order = positions if op == "%%" else reversed(positions)
        for cut in order:
            if regex.fullmatch(value[cut:]):
                return value[:cut]
    return value


def glob_tree(tree: dict, cwd: str, chars: Chars) -> list[str]:
    """Pathname expansion against the container's tree, sorted, hidden names only on request."""
    text = "".join(c for c, _ in chars)
    absolute = text.startswith("/")
    segments: list[Chars] = [[]]
    for char, quoted in chars:
        if char == "/":
            segments.append([])
        else:
            segments[-1].append((char, quoted))
    if absolute:
        segments = segments[1:]
    results = [("", "/" if absolute else cwd)]  # (text so far, real directory)
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if not segment:
            results = [(shown + "/", real) for shown, real in results]
            continue
        has_magic = any(c in "*?[" and not q for c, q in segment)
        next_results = []
        for shown, real in results:
            prefix = shown if shown.endswith("/") or not shown else shown + "/"
            if absolute and not shown:
                prefix = "/"
            if not has_magic:
                name = "".join(c for c, _ in segment)
                path = normpath(name, real)
                if name in (".", "..") or path in tree:
                    next_results.append((prefix + name, path))
                continue
            regex = re.compile(pattern_regex(segment), re.DOTALL)
            for name in children(tree, real):
                if name.startswith(".") and segment[0][0] != ".":
                    continue
                path = normpath(name, real)
                entry = tree.get(path)
                if not last and (entry is None or entry.kind == "file"):
                    continue
                if regex.fullmatch(name):
                    next_results.append((prefix + name, path))
        results = next_results
    return sorted(shown for shown, _ in results)
