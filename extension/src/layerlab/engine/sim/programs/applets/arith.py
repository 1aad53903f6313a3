"""Shell arithmetic ``$(( ))``: 64-bit integers, C operators, variables, ash's error texts."""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(
    r"\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*|"
    r"<<=|>>=|\*\*|&&|\|\||==|!=|<=|>=|<<|>>|\+=|-=|\*=|/=|%=|&=|\^=|\|=|\+\+|--|"
    r"[-+*/%()!~<>=&^|?:,])"
)
_BINARY = [  # lowest to highest precedence
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
]
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="}


class ArithError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _wrap(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _apply(op: str, left: int, right: int) -> int:
    if op in ("/", "%") and right == 0:
        raise ArithError("divide by zero")
    match op:
        case "+":
            return left + right
        case "-":
            return left - right
        case "*":
            return left * right
        case "/":
            quotient = abs(left) // abs(right)
            return quotient if (left >= 0) == (right >= 0) else -quotient
        case "%":
            rem = abs(left) % abs(right)
            return rem if left >= 0 else -rem
        case "**":
            if right < 0:
                raise ArithError("exponent less than 0")
            return pow(left, right, 1 << 64)
        case "<<":
            return left << (right & 63)
        case ">>":
            return left >> (right & 63)
        case "<":
            return int(left < right)
        case ">":
            return int(left > right)
        case "<=":
            return int(left <= right)
        case ">=":
            return int(left >= right)
        case "==":
            return int(left == right)
        case "!=":
            return int(left != right)
        case "&":
            return left & right
        case "^":
            return left ^ right
        case "|":
            return left | right
        case "&&":
            return int(bool(left) and bool(right))
        case "||":
            return int(bool(left) or bool(right))
    raise ArithError("arithmetic syntax error")


class _Evaluator:
    def __init__(
        self,
        text: str,
        get_var: Callable[[str], str | None],
        set_var: Callable[[str, str], None],
    ) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.get_var, self.set_var = get_var, set_var

    @staticmethod
    def _tokenize(text: str) -> list[str]:
        tokens, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise ArithError("arithmetic syntax error")
            tokens.append(match.group(1))
            pos = match.end()
        return tokens

    def peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        if not token:
            raise ArithError("arithmetic syntax error")
        self.pos += 1
        return token

    def variable(self, name: str) -> int:
        text = (self.get_var(name) or "").strip()
        if not text:
            return 0
        try:
            return _number(text)
        except ArithError:
            return evaluate(text, self.get_var, self.set_var)

    # -- grammar ----------------------------------------------------------------------------
    def run(self) -> int:
        if not self.tokens:
            return 0
        value = self.comma(True)
        if self.pos != len(self.tokens):
            raise ArithError("arithmetic syntax error")
        return value

    def comma(self, live: bool) -> int:
        value = self.assignment(live)
        while self.peek() == ",":
            self.take()
            value = self.assignment(live)
        return value

    def assignment(self, live: bool) -> int:
        if (
            re.fullmatch(r"[A-Za-z_]\w*", self.peek())
            and self.pos + 1 < len(self.tokens)
            and self.tokens[self.pos + 1] in _ASSIGN
        ):
            name = self.take()
            op = self.take()
            right = self.assignment(live)
            value = right if op == "=" else _apply(op[:-1], self.variable(name), right)
            value = _wrap(value)
            if live:
                self.set_var(name, str(value))
            return value
        return self.conditional(live)

    def conditional(self, live: bool) -> int:
        condition = self.binary(0, live)
        if self.peek() != "?":
            return condition
        self.take()
        yes = self.comma(live and bool(condition))
        if self.take() != ":":
            raise ArithError("arithmetic syntax error")
        no = self.conditional(live and not condition)
        return yes if condition else no

    def binary(self, level: int, live: bool) -> int:
        if level == len(_BINARY):
            return self.power(live)
        left = self.binary(level + 1, live)
        while self.peek() in _BINARY[level]:
            op = self.take()
            short = (op == "&&" and not left) or (op == "||" and left)
            right = self.binary(level + 1, live and not short)
            if short:
                left = int(op == "||")
            elif live or op not in ("/", "%"):
                left = _wrap(_apply(op, left, right))
            else:
                left = 0
        return left

    def power(self, live: bool) -> int:
        base = self.unary(live)
        if self.peek() == "**":
            self.take()
            exponent = self.power(live)
            return _wrap(_apply("**", base, exponent)) if live else 0
        return base

    def unary(self, live: bool) -> int:
        token = self.peek()
        if token in ("+", "-", "!", "~"):
            self.take()
            value = self.unary(live)
            return {"+": value, "-": _wrap(-value), "!": int(not value), "~": ~value}[token]
        if token in ("++", "--"):
            self.take()
            name = self.take()
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise ArithError("arithmetic syntax error")
            value = _wrap(self.variable(name) + (1 if token == "++" else -1))
            if live:
                self.set_var(name, str(value))
            return value
        return self.primary(live)

    def primary(self, live: bool) -> int:
        token = self.take()
        if token == "(":
            value = self.comma(live)
            if self.take() != ")":
                raise ArithError("arithmetic syntax error")
            return value
        if token[0].isdigit():
            return _number(token)
        if re.fullmatch(r"[A-Za-z_]\w*", token):
            value = self.variable(name := token)
            if self.peek() in ("++", "--"):
                op = self.take()
                if live:
                    self.set_var(name, str(_wrap(value + (1 if op == "++" else -1))))
            return value
        raise ArithError("arithmetic syntax error")


def _number(text: str) -> int:
    try:
        if text.lower().startswith("0x"):
            return _wrap(int(text, 16))
        if len(text) > 1 and text.startswith("0"):
            return _wrap(int(text, 8))
        return _wrap(int(text, 10))
    except ValueError:
        raise ArithError("arithmetic syntax error") from None


def evaluate(
    text: str,
    get_var: Callable[[str], str | None],
    set_var: Callable[[str, str], None],
) -> int:
    return _Evaluator(text, get_var, set_var).run()
