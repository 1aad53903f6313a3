"""Generated container names: ``adjective_surname``, like the daemon's, from our own word lists."""

from __future__ import annotations

import re

ADJECTIVES = """
agile amazing bold brave bright busy calm careful cheerful clever cool curious daring eager
elegant fancy friendly gentle glad happy honest humble jolly keen kind lively loyal lucky merry
modest neat nice noble patient peaceful polite proud quick quiet rapid relaxed serene sharp shy
silly smart steady sunny sweet swift tender tidy upbeat vibrant vivid warm wise witty zealous
""".split()

# People who shaped computing and science.
SURNAMES = """
babbage backus bardeen bell berners-lee boole cerf church codd curie dijkstra einstein euler
faraday fermat feynman franklin gauss goldberg hamilton hopper hypatia kay knuth lamarr lamport
liskov lovelace maxwell mccarthy meitner minsky morse neumann newton noether pascal perlman
raman ritchie shannon stallman thompson torvalds turing wirth wozniak yonath
""".split()

_VALID_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def is_valid_name(name: str) -> bool:
    return bool(_VALID_NAME.match(name))


def candidates(pick_adjective: str, pick_surname: str, attempt: int) -> str:
    """The name to try on ``attempt`` (0-based): a digit is appended after the first clash."""
    base = f"{pick_adjective}_{pick_surname.replace('-', '')}"
    return base if attempt == 0 else f"{base}{attempt}"
