"""Keeps the grader's start fast.

jsonschema (through nbformat) imports ``rfc3987_syntax``, when installed, only to check the
"iri" string format, which notebooks never use; that module compiles a grammar on import
(about 1.5 s). Marking it absent makes jsonschema skip that one format check.
"""

from __future__ import annotations

import sys


def skip_slow_optional_imports() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
