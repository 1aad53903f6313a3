"""Go's ``strconv.Quote`` (``%q`` of a string): the CLI, the daemon and BuildKit quote names,
paths and values this way in their messages and history rows."""

from __future__ import annotations

_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(s: str, ascii_only: bool = False) -> str:
    """Go's ``strconv.Quote``: double quotes, Go escapes, non-printable runes escaped (and,
    as ``QuoteToASCII``, every rune past ASCII too)."""
    parts = ['"']
    for char in s:
        code = ord(char)
        if char in _QUOTE_ESCAPES:
            parts.append(_QUOTE_ESCAPES[char])
        elif (char == " " or char.isprintable()) and (code < 0x80 or not ascii_only):
            parts.append(char)
        elif code < 0x80 or 0xD800 <= code <= 0xDFFF:
            parts.append(f"\\x{code & 0xFF:02x}" if code < 0x80 else "\\ufffd")
        elif code < 0x10000:
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(f"\\U{code:08x}")
    parts.append('"')
    return "".join(parts)
