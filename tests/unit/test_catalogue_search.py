"""Searching the catalogue: words, accents, filters, order and odd input."""
from __future__ import annotations

import pytest

from chalicelib.catalogue.search import MAX_QUERY_LENGTH, SearchFilters, clean_query, fold, search, sort_key
from chalicelib.catalogue.store import catalogue


def ids(filters, language="fi"):
    return [s.id for s in search(filters, language)]


def test_fold_ignores_case_and_accents():
    assert fold("Päiväkoti ÅBO Émile") == "paivakoti abo emile"


def test_search_finds_by_name_in_each_language():
    assert "dog-declaration" in ids(SearchFilters(query="koirailmoitus"), "fi")
    assert "dog-declaration" in ids(SearchFilters(query="hundanmälan"), "sv")
    assert "dog-declaration" in ids(SearchFilters(query="dog declaration"), "en")


@pytest.mark.parametrize("query", ["KOIRA", "koira", "Koira", "köirä"])
def test_search_is_case_and_accent_insensitive(query):
    assert "dog-declaration" in ids(SearchFilters(query=query))


def test_search_without_finnish_letters_finds_words_that_have_them():
    # "paivahoito" typed on a keyboard without ä finds "päivähoito".
    with_letters = ids(SearchFilters(query="päivähoito"))
    assert with_letters
    assert ids(SearchFilters(query="paivahoito")) == with_letters


def test_search_matches_descriptions_and_requires_every_word():
    one = ids(SearchFilters(query="koira"))
    both = ids(SearchFilters(query="koira xyzzyqq"))
    assert one and both == []


def test_filters_combine_with_each_other_and_with_the_query():
    topic_only = search(SearchFilters(topic="daycare-education"), "en")
    assert topic_only and all(s.topic == "daycare-education" for s in topic_only)
    combined = search(SearchFilters(topic="daycare-education", group="personal"), "en")
    assert all("personal" in s.target_groups for s in combined)
    assert set(s.id for s in combined) <= set(s.id for s in topic_only)
    enterprises = search(SearchFilters(group="enterprises"), "en")
    assert enterprises and all("enterprises" in s.target_groups for s in enterprises)
    narrowed = search(SearchFilters(query="grant", group="associations"), "en")
    assert all("associations" in s.target_groups and "grant" in fold(s.name.en + s.short_description.en + s.description.en) for s in narrowed)


def test_resident_group_filter():
    elderly = search(SearchFilters(resident="elderly"), "fi")
    assert elderly and all("elderly" in s.resident_groups for s in elderly)


def test_no_filters_lists_every_service_alphabetically_in_the_language():
    for language in ("fi", "sv", "en"):
        results = search(SearchFilters(), language)
        assert len(results) == len(catalogue())
        names = [s.name.get(language) for s in results]
        assert names == sorted(names, key=lambda n: sort_key(n, language))


def test_finnish_and_swedish_letters_sort_after_z():
    words = ["Öljy", "Zeta", "Äiti", "Aalto", "Åbo"]
    assert sorted(words, key=lambda w: sort_key(w, "fi")) == ["Aalto", "Zeta", "Åbo", "Äiti", "Öljy"]


def test_unknown_filter_values_mean_show_all():
    filters = SearchFilters.parse({"topic": "<script>", "group": "x" * 500, "resident": ""})
    assert (filters.topic, filters.group, filters.resident) == (None, None, None)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, ""),
        ("   ", ""),
        ("  koira   \t ilmoitus ", "koira ilmoitus"),
        ("koira\x00\x07ilmoitus", "koira ilmoitus"),
        ("ko\u200bira\u202e", "koira"),  # zero-width space and right-to-left override dropped
    ],
)
def test_clean_query(raw, expected):
    assert clean_query(raw) == expected


def test_over_long_queries_are_cut_and_still_searched():
    cleaned = clean_query("koira " * 1000)
    assert len(cleaned) <= MAX_QUERY_LENGTH
    assert "dog-declaration" in ids(SearchFilters(query=cleaned))
