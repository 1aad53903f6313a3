"""busybox's ``test``, ``[`` and ``[[``: string, number and file conditions.

A small recursive-descent evaluator over the operands (``!``, ``-a``, ``-o``, parentheses,
unary file tests such as ``-f``/``-x`` against the container's tree and permissions, binary
comparisons). Exit status 0 is true, 1 false, 2 an error, with busybox's messages.
"""

from __future__ import annotations

import posixpath
import re

from layerlab.engine.sim.programs.applets.base import FsError, Io, prog_name
from layerlab.engine.sim.programs.applets.paths import lookup, may_access


class TestError(Exception):
    pass


UNARY_TESTS = frozenset("efdsrwxLhznbcpSugkOGt")
BINARY_TESTS = frozenset(
    {"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"}
)


class _Test:
    def __init__(self, args: list[str], io: Io, name: str) -> None:
        self.args, self.pos, self.io, self.name = args, 0, io, name

    def peek(self, offset: int = 0) -> str | None:
        index = self.pos + offset
        return self.args[index] if index < len(self.args) else None

    def take(self) -> str:
        value = self.peek()
        if value is None:
            raise TestError("argument expected")
        self.pos += 1
        return value

    def run(self) -> bool:
        if not self.args:
            return False
        result = self.or_expr()
        if self.pos < len(self.args):
            raise TestError(f"{self.args[self.pos]}: unknown operand")
        return result

    def or_expr(self) -> bool:
        result = self.and_expr()
        while self.peek() == "-o":
            self.take()
            result = self.and_expr() or result
        return result

    def and_expr(self) -> bool:
        result = self.not_expr()
        while self.peek() == "-a":
            self.take()
            result = self.not_expr() and result
        return result

    def not_expr(self) -> bool:
        remaining = len(self.args) - self.pos
        if (
            self.peek() == "!"
            and remaining > 1
            and not (remaining == 3 and self.peek(1) in BINARY_TESTS)
        ):
            self.take()
            return not self.not_expr()
        return self.primary()

    def primary(self) -> bool:
        first = self.take()
        if (first == "(" and self.peek(1) != ")") or (
            first == "(" and len(self.args) - self.pos > 2
        ):
            result = self.or_expr()
            if self.take() != ")":
                raise TestError("syntax error")
            return result
        nxt = self.peek()
        if nxt in BINARY_TESTS and self.peek(1) is not None:
            self.take()
            return self.binary(first, nxt, self.take())
        if len(first) == 2 and first[0] == "-" and first[1] in UNARY_TESTS and nxt is not None:
            return self.unary(first[1], self.take())
        return first != ""

    def number(self, text: str) -> int:
        if re.fullmatch(r"\s*[-+]?\d+\s*", text):
            return int(text)
        raise TestError(f"{text}: bad number")

    def binary(self, left: str, op: str, right: str) -> bool:
        if op in ("=", "=="):
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == ">":
            return left > right
        if op in ("-nt", "-ot", "-ef"):
            try:
                a = lookup(self.io.tree, left, self.io.cwd)
                b = lookup(self.io.tree, right, self.io.cwd)
            except FsError:
                return False
            if op == "-ef":
                return a[0] == b[0]
            return a[1].mtime > b[1].mtime if op == "-nt" else a[1].mtime < b[1].mtime
        x, y = self.number(left), self.number(right)
        return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y,
                "-ge": x >= y}[op]  # fmt: skip

    def unary(self, op: str, arg: str) -> bool:
        if op == "z":
            return arg == ""
        if op == "n":
            return arg != ""
        if op == "t":
            return False
        try:
            _, entry = lookup(self.io.tree, arg, self.io.cwd, follow_last=op not in "Lh")
        except FsError:
            return False
        checks = {
            "e": True, "f": entry.kind == "file", "d": entry.kind == "dir",
            "c": entry.kind == "chardev",
            "L": entry.kind == "symlink", "h": entry.kind == "symlink",
            "s": (entry.kind == "file" and bool(entry.data)) or entry.kind == "dir",
            "r": may_access(self.io, entry, 4), "w": may_access(self.io, entry, 2),
            "x": may_access(self.io, entry, 1), "u": bool(entry.mode & 0o4000),
            "g": bool(entry.mode & 0o2000), "k": bool(entry.mode & 0o1000),
            "O": entry.uid == self.io.uid, "G": entry.gid == self.io.gid,
        }  # fmt: skip
        return checks.get(op, False)


def test(argv: list[str], io: Io) -> int:
    name = prog_name(argv, io)
    args = argv[1:]
    base = posixpath.basename(argv[0])
    if base in ("[", "[["):
        closer = "]" if base == "[" else "]]"
        if not args or args[-1] != closer:
            io.err(f"{name}: missing {closer}\n")
            return 2
        args = args[:-1]
    try:
        return 0 if _Test(args, io, name).run() else 1
    except TestError as error:
        io.err(f"{name}: {error}\n")
        return 2
