"""Per-field validation with real-world examples, conditions, and the clean answers that are sent."""
from __future__ import annotations

import pytest

from chalicelib.forms.answers import all_errors, check, clean_answers, visible
from chalicelib.forms.schema import FormField
from chalicelib.forms.store import definitions
from chalicelib.i18n import Message

L = {"fi": "x", "sv": "x", "en": "x"}


def field(type_, **extra):
    return FormField(name="f", type=type_, label=L, **extra)


@pytest.mark.parametrize(
    "type_, raw, expected",
    [
        ("email", "Matti.Meikalainen@Example.FI", "Matti.Meikalainen@example.fi"),
        ("phone", "+358 40 123 4567", "+358401234567"),
        ("phone", "+358-50-765 4321", "+358507654321"),
        ("personal_identity_code", "131052-308T", "131052-308T"),
        ("personal_identity_code", "010594Y9032", "010594Y9032"),  # the 2023 century signs
        ("personal_identity_code", "210281-9988", "210281-9988"),  # a test code, allowed outside prod
        ("business_id", "0201256-6", "0201256-6"),  # the City of Helsinki
        ("business_id", "02012566", "0201256-6"),
        ("postal_code", "00100", "00100"),
        ("date", "24.12.2026", "2026-12-24"),
        ("date", "2026-02-28", "2026-02-28"),
        ("text", "  Mannerheimintie 1  ", "Mannerheimintie 1"),
    ],
)
def test_valid_answers_are_normalised(type_, raw, expected):
    assert check(field(type_), raw) == (expected, None)


@pytest.mark.parametrize(
    "type_, raw",
    [
        ("email", "matti@"), ("email", "matti meikäläinen@example.fi"), ("email", "a" * 250 + "@example.fi"),
        ("phone", "040 123 4567"), ("phone", "+46 70 123 45 67"), ("phone", "+358 12"),
        ("personal_identity_code", "131052-308U"), ("personal_identity_code", "311399-1234"), ("personal_identity_code", "hello"),
        ("business_id", "0201256-7"), ("business_id", "123"),
        ("postal_code", "0010"), ("postal_code", "001000"), ("postal_code", "00 100"), ("postal_code", "ABCDE"),
        ("date", "31.2.2026"), ("date", "2026/12/24"), ("date", "tomorrow"),
    ],
)
def test_invalid_answers_get_an_error(type_, raw):
    value, error = check(field(type_), raw)
    assert value is None and error


def test_numbers_with_bounds_and_a_decimal_comma():
    f = field("number", minimum=1, maximum=10)
    assert check(f, "2,5") == ("2.5", None)
    assert check(f, "10") == ("10", None)
    assert check(f, "0")[1].params == {"min": "1"}
    assert check(f, "11")[1].params == {"max": "10"}
    assert check(f, "NaN")[1] and check(f, "1e999")[1] and check(f, "ten")[1]


def test_required_length_and_choices():
    assert check(field("text", required=True), "  ") == (None, Message("This field is required."))
    assert check(field("text", max_length=5), "123456")[1].params == {"max": 5}
    choice = field("choice", options=[{"value": "a", "label": L}, {"value": "b", "label": L}])
    assert check(choice, "a") == ("a", None)
    assert check(choice, "<script>")[1]
    multi = field("multichoice", options=[{"value": "a", "label": L}, {"value": "b", "label": L}], required=True)
    assert check(multi, ["b", "a"]) == (["a", "b"], None)
    assert check(multi, ["c"])[1] and check(multi, [])[1]
    assert check(field("checkbox", required=True), "")[1] and check(field("checkbox"), "maybe")[1]
    assert check(field("text"), ["two", "values"])[1]


def test_hidden_fields_are_neither_validated_nor_sent():
    form = definitions()["dog-declaration"]
    change_page = form.pages[2]
    description = change_page.fields[1]
    assert not visible(description, {"declaration_type": "new"})
    assert visible(description, {"declaration_type": "change"})
    answers = {"declaration_type": "new", "change_description": "<b>left over</b>"}
    errors = all_errors(form, answers, [])
    assert "change_description" not in errors.get(3, {})
    full = {
        "last_name": "Testaaja", "first_name": "Portaalia Nordea", "personal_identity_code": "210281-9988",
        "email": "a@example.fi", "street_address": "Katu 1", "postal_code": "00100", "post_office": "Helsinki",
        "dog_name": "Musti", "breed": "Sekarotuinen", "sex": "male", "birth_date": "1.2.2020",
        "declaration_type": "new", "change_description": "<b>left over</b>", "dog_count": "1",
        "information_correct": "yes",
    }
    clean = clean_answers(form, full, [])
    assert "change_description" not in clean and clean["birth_date"] == "2020-02-01"
