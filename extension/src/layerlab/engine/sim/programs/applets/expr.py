"""busybox's ``expr``: integer arithmetic, comparisons, string functions and ``:`` matching.

Operands are parsed with expr's precedence levels (``|``, ``&``, comparisons, ``+ -``,
``* / %``, ``:``); ``match``/``:`` use a POSIX basic regular expression anchored at the start.
The exit status is 1 when the result is empty or ``0``, as expr defines it.
"""

from __future__ import annotations

import re

from layerlab.engine.sim.programs.applets.base import Io


class ExprError(Exception):
    pass


def _expr_int(value: str) -> int:
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    raise ExprError("non-numeric argument")


def _expr(tokens: list[str]) -> str:
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ExprError("syntax error")
        pos += 1
        return tokens[pos - 1]

    def truthy(value: str) -> bool:
        return value not in ("", "0")

    def level(depth: int) -> str:
        ops = [
            ("|",),
            ("&",),
            ("=", "==", "!=", "<", "<=", ">", ">="),
            ("+", "-"),
            ("*", "/", "%"),
            (":",),
        ]
        if depth == len(ops):
            return primary()
        left = level(depth + 1)
        while peek() in ops[depth] and pos + 1 < len(tokens):
            op = take()
            right = level(depth + 1)
            left = apply(op, left, right)
        return left

    def apply(op: str, left: str, right: str) -> str:
        if op == "|":
            return left if truthy(left) else (right if truthy(right) else "0")
        if op == "&":
            return left if truthy(left) and truthy(right) else "0"
        if op in ("=", "==", "!=", "<", "<=", ">", ">="):
            try:
                a, b = int(left), int(right)
                pair: tuple[object, object] = (a, b)
            except ValueError:
                pair = (left, right)
            x, y = pair
            return str(int({"=": x == y, "==": x == y, "!=": x != y, "<": x < y, "<=": x <= y,  # type: ignore[operator]
                            ">": x > y, ">=": x >= y}[op]))  # type: ignore[operator]  # fmt: skip
        if op == ":":
            from layerlab.engine.sim.programs.applets.search import posix_regex

            match = re.match(posix_regex(right, extended=False), left)
            if match is None:
                return "" if re.compile(posix_regex(right, False)).groups else "0"
            return match.group(1) or "" if match.re.groups else str(match.end())
        a, b = _expr_int(left), _expr_int(right)
        if op in ("/", "%") and b == 0:
            raise ExprError("division by zero")
        if op == "/":
            return str(abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1))
        if op == "%":
            return str(abs(a) % abs(b) * (1 if a >= 0 else -1))
        return str({"+": a + b, "-": a - b, "*": a * b}[op])

    def primary() -> str:
        token = take()
        if token == "(":
            value = level(0)
            if take() != ")":
                raise ExprError("syntax error")
            return value
        if token == "length" and peek() is not None:
            return str(len(take()))
        if token == "substr" and pos + 3 <= len(tokens):
            text, start, length = take(), _expr_int(take()), _expr_int(take())
            return text[start - 1 : start - 1 + length] if start > 0 and length > 0 else ""
        if token == "index" and pos + 2 <= len(tokens):
            text, chars = take(), take()
            return str(next((i + 1 for i, c in enumerate(text) if c in chars), 0))
        if token == "match" and pos + 2 <= len(tokens):
            return apply(":", take(), take())
        return token

    result = level(0)
    if pos != len(tokens):
        raise ExprError("syntax error")
    return result


def expr(argv: list[str], io: Io) -> int:
    if len(argv) < 2:
        io.err("Usage: expr EXPRESSION\n")
        return 2
    try:
        result = _expr(argv[1:])
    except ExprError as error:
        io.err(f"expr: {error}\n")
        return 2
    except re.error:
        io.err("expr: bad regex\n")
        return 2
    io.out(result + "\n")
    return 0 if result not in ("", "0") else 1
