"""JSON from outside, parsed within limits: size and nesting depth are checked before the parser runs.

Python's ``json`` parser recurses once per nesting level: 5,000 opening brackets end in RecursionError,
which is not a ValueError. ``loads`` refuses such a text before parsing it, and turns every parser
error (invalid UTF-8, a number of more than 4,300 digits, a lone surrogate, truncated text) into one
exception, ``JsonRefused``, with a reason fit to show a client.
"""
from __future__ import annotations

import json
import re

MAX_DEPTH = 32  # nesting levels of arrays and objects; the division API's bodies use three
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


class JsonRefused(ValueError):
    """The text is not JSON within the limits: ``reason`` says why (no part of the text in it)."""

    def __init__(self, reason: str, *, too_large: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (brackets inside strings not counted)."""
    deepest = level = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', data)):
        if bracket.group() in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def loads(data: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH):
    """``json.loads`` for text from outside: JsonRefused when it is larger than ``max_bytes``,
    nested deeper than ``max_depth``, not UTF-8 or not JSON."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise JsonRefused(f"the body is larger than {max_bytes} bytes", too_large=True)
    if depth(raw) > max_depth:
        raise JsonRefused(f"the JSON is nested deeper than {max_depth} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRefused("the body is not UTF-8") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise JsonRefused("the body is not valid JSON") from None
