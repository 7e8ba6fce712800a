"""The folder's page arithmetic without DynamoDB: alphabetical sort strings, cursors, page numbers."""
from __future__ import annotations

import base64
import json
import pytest

from chalicelib.catalogue.search import sort_key, sort_string
from chalicelib.folder import FolderPage, _decode_cursor, _encode_cursor

NAMES = ["Koirailmoitus", "Ålands", "Äitiys", "Öljy", "Zeta", "zeta", "Éclair", "Eclair", "Aa", "A", "A b", "Ab",
         "Ångström", "Ärende", "Österbotten", "Oy", "Co-op", "Co op", "10 €", "9 lives", "Päivähoito", "Paivahoito",
         "Œuvre", "ß", "Smörgås", "Ñandú", "Tuoli – pöytä", "Ø"]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_sort_string_orders_as_the_sort_key_does(language):
    by_key = sorted(NAMES, key=lambda n: (sort_key(n, language), n))
    by_string = sorted(NAMES, key=lambda n: (sort_string(n, language), n))
    assert [sort_key(n, language) for n in by_key] == [sort_key(n, language) for n in by_string]
    # and a shorter name sorts before a longer one it begins, item numbers after the separator
    assert f"{sort_string('Ab', language)}\x1f000009" < f"{sort_string('Abc', language)}\x1f000001"


def test_finnish_puts_a_with_rings_and_dots_after_z_and_english_does_not():
    assert sort_string("Ääni", "fi") > sort_string("Zeta", "fi")
    assert sort_string("Ääni", "en") < sort_string("Zeta", "en")


def cursor(**changes) -> str:
    data = {"s": "updated", "k": "2026-12-01T10:00:00+00:00#000042", "i": "000042", "d": "next", "p": 3, **changes}
    return _encode_cursor(data)


def test_a_cursor_the_folder_gave_is_read_back():
    assert _decode_cursor(cursor(), "updated", 3)["i"] == "000042"
    assert _decode_cursor(cursor(d="prev"), "updated", 3)["d"] == "prev"


@pytest.mark.parametrize("bad", [
    None, "", "%%%", "x" * 2000, base64.urlsafe_b64encode(b"[1,2]").decode(), base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    cursor(s="name-fi"),  # another sort
    cursor(p=4),  # another page
    cursor(p=True),
    cursor(d="sideways"),
    cursor(i="42; drop"),
    cursor(k="2026-12-01T10:00:00+00:00#000043"),  # the key of another item
    cursor(k={"S": "x"}),
    _encode_cursor({"s": "updated", "k": "a#1", "i": "1", "d": "next", "p": 3, "owner_id": "someone"}),
])
def test_anything_else_is_no_cursor(bad):
    assert _decode_cursor(bad, "updated", 3) is None


def test_a_cursor_holds_no_owner_only_a_time_and_an_item_number():
    data = json.loads(base64.urlsafe_b64decode(cursor() + "=="))
    assert set(data) == {"s", "k", "i", "d", "p"}


@pytest.mark.parametrize("page, pages, shown", [
    (1, 1, [1]),
    (1, 2, [1, 2]),
    (1, 34, [1, 2, None, 34]),
    (2, 34, [1, 2, 3, None, 34]),
    (7, 34, [1, None, 6, 7, 8, None, 34]),
    (33, 34, [1, None, 32, 33, 34]),
    (34, 34, [1, None, 33, 34]),
])
def test_the_pagination_shows_the_ends_and_the_neighbours(page, pages, shown):
    assert FolderPage([], page, pages, pages * 10).numbers() == shown

