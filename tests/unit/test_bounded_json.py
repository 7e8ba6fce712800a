"""JSON from outside within limits: depth and size checked before parsing, every parser error one exception."""
from __future__ import annotations

import pytest

from chalicelib.bounded_json import JsonRefused, depth, loads


@pytest.mark.parametrize("text, expected", [
    (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4), (b'["[[[[", "]]", {"k": "{{\\"["}]', 2), (b'"\\\\["', 0),
])
def test_depth_counts_brackets_outside_strings_only(text, expected):
    assert depth(text) == expected


def test_5000_levels_are_refused_before_the_parser_recurses():
    with pytest.raises(JsonRefused, match="nested deeper than 32"):
        loads(b"[" * 5000 + b"]" * 5000, max_bytes=1 << 20)


def test_the_depth_limit_is_inclusive():
    assert loads(b"[" * 32 + b"]" * 32, max_bytes=1 << 20) is not None
    with pytest.raises(JsonRefused):
        loads(b"[" * 33 + b"]" * 33, max_bytes=1 << 20)


@pytest.mark.parametrize("text", [b'{"a": "\xff"}', b'{"a": "\\ud800"', b"9" * 5000, b"", b"{", b"\xef\xbb\xbf{}", "\ud800"])
def test_every_parser_error_is_refused_not_raised_as_something_else(text):
    with pytest.raises(JsonRefused):
        loads(text, max_bytes=1 << 20)


def test_size_is_checked_first():
    with pytest.raises(JsonRefused) as refused:
        loads(b"[" * 100, max_bytes=10)
    assert refused.value.too_large
