"""Column layout as docker's tables do it: display widths, ``Ellipsis`` and Go's tabwriter.

Docker prints tables through ``cli/command/formatter/tabwriter`` (Go's text/tabwriter created
as ``NewWriter(out, 10, 1, 3, ' ', 0)``) and measures cells with go-runewidth; ``Ellipsis``
(cli/command/formatter) cuts long cells by display columns. Wide East Asian characters count
two columns, combining marks none.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Display width (go-runewidth for tables, x/text/width for Ellipsis)


def _is_zero_width(char: str) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return True
    category = unicodedata.category(char)
    return category in ("Mn", "Me", "Cf") or code in (0x200B, 0x2060)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


@functools.lru_cache(maxsize=8192)  # table cells repeat: tags, sizes, "2 weeks ago"
def display_width(text: str) -> int:
    """Terminal columns of ``text`` as go-runewidth's ``StringWidth`` counts them.

    Approximation: combining marks and format characters attach to the previous
    character (width 0) instead of full grapheme segmentation.
    """
    if text.isascii() and text.isprintable():  # nearly every table cell: one column per char
        return len(text)
    width = 0
    for char in text:
        if _is_zero_width(char):
            continue
        width += 2 if _is_wide(char) else 1
    return width


def ellipsis(s: str, max_width: int) -> str:
    """docker/cli ``formatter.Ellipsis``: cut to ``max_width`` display columns plus "…"."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return s[:1]
    if s.isascii():
        return s if len(s) <= max_width else s[: max_width - 1] + "…"
    running: list[int] = []
    total = 0
    for char in s:
        total += 2 if _is_wide(char) else 1
        running.append(total)
    if total <= max_width:
        return s
    # Cut after the last rune that still fits in max_width - 1 columns; when even the
    # first rune is too wide, docker returns the string unchanged.
    for index in range(len(running) - 1):
        if running[index] <= max_width - 1 < running[index + 1]:
            return s[: index + 1] + "…"
    return s


# ---------------------------------------------------------------------------
# text/tabwriter as configured by docker's formatter


@dataclass
class _Cell:
    text: str
    width: int


_CELL_END = re.compile(r"[\t\v\n\f]")


def _split_cells(text: str) -> list[list[list[_Cell]]]:
    """Split into sections (a form feed flushes the writer) of lines of cells."""
    sections: list[list[list[_Cell]]] = [[[]]]
    start = 0
    for end in _CELL_END.finditer(text):
        cell, char = text[start : end.start()], end.group()
        lines = sections[-1]
        lines[-1].append(_Cell(cell, display_width(cell)))
        if char in "\n\f":
            lines.append([])
        if char == "\f":
            sections.append([[]])
        start = end.end()
    if start < len(text):
        rest = text[start:]
        sections[-1][-1].append(_Cell(rest, display_width(rest)))
    return sections


class _TabFormatter:
    """Elastic tabstops exactly as Go's tabwriter computes them (left aligned, no flags)."""

    def __init__(self, lines: list[list[_Cell]], minwidth: int, padding: int) -> None:
        self.lines = lines
        self.minwidth = minwidth
        self.padding = padding
        self.widths: list[int] = []
        self.out: list[str] = []

    def write_lines(self, first: int, stop: int) -> None:
        for index in range(first, stop):
            for column, cell in enumerate(self.lines[index]):
                self.out.append(cell.text)
                if column < len(self.widths):
                    self.out.append(" " * (self.widths[column] - cell.width))
            if index + 1 < len(self.lines):
                self.out.append("\n")

    def format(self, first: int, stop: int) -> None:
        column = len(self.widths)
        this = first
        while this < stop:
            # The last cell of a line is not tab-terminated and never part of a column.
            if column >= len(self.lines[this]) - 1:
                this += 1
                continue
            self.write_lines(first, this)
            first = this
            width = self.minwidth
            while this < stop and column < len(self.lines[this]) - 1:
                width = max(width, self.lines[this][column].width + self.padding)
                this += 1
            self.widths.append(width)
            self.format(first, this)
            self.widths.pop()
            first = this
        self.write_lines(first, stop)


def tabwrite(text: str, *, minwidth: int = 10, padding: int = 3) -> str:
    """Pass ``text`` through docker's ``tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)``.

    Cells are tab-terminated: text after the last tab of a line is printed unpadded.
    Output is complete after ``Flush``; a line without a trailing newline stays so.
    """
    out: list[str] = []
    # Each form feed flushes the writer; the line it ends is printed with a newline.
    for lines in _split_cells(text):
        formatter = _TabFormatter(lines, minwidth, padding)
        formatter.format(0, len(lines))
        out.extend(formatter.out)
    return "".join(out)


def render_table(rows: Iterable[Iterable[str]]) -> str:
    """Render rows of cells (first row = header) the way docker prints a table."""
    return tabwrite("".join("\t".join(row) + "\n" for row in rows))
