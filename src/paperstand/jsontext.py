"""JSON from outside, read without ever recursing deeply: the one ``loads`` for files, webhooks and reports.

The standard parser recurses once per bracket, so ``'[' * 100_000`` ends in a ``RecursionError``; catching
that is not enough on CPython 3.11, where an interpreter left at the recursion limit can later fail to
compile code at all ("AST constructor recursion depth mismatch"). So the depth is measured first, by a scan
over the brackets outside strings, and a document nested deeper than any real one is refused as a
``ValueError`` before the parser sees it.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting accepted. Hugging Face and mail-provider documents nest under ten levels; 100 leaves room
and stays far below the interpreter's recursion limit (1,000)."""

# Strings first (so brackets inside them are skipped), then the brackets themselves.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPEN = frozenset(b"[{")


class TooDeep(ValueError):
    """A JSON document nested deeper than :data:`MAX_DEPTH`."""


def nesting_depth(data: bytes | str, stop_at: int = MAX_DEPTH + 1) -> int:
    """How deeply ``data`` nests arrays and objects (scanning stops once ``stop_at`` is reached)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    depth = deepest = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    return deepest
        else:
            depth -= 1
    return deepest


def loads(data: bytes | str) -> Any:
    """``json.loads`` that refuses documents nested deeper than :data:`MAX_DEPTH` with :class:`TooDeep`."""
    if nesting_depth(data) > MAX_DEPTH:
        raise TooDeep(f"nested more than {MAX_DEPTH} levels deep")
    return json.loads(data)
