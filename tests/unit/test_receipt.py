"""The receipt's content: every field type as the summary shows it, long and hostile answers, read
back from the PDF (the routes are in tests/integration/test_receipt.py)."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.documents.pdf import clean
from chalicelib.forms.receipt import Parties, parties, receipt_document
from chalicelib.forms.schema import FormDefinition
from tests.pdf_reading import letters, read_pdf, words
from tests.unit.test_documents import HOSTILE


def _label(name):
    return {"fi": f"Kenttä {name} ä", "sv": f"Fält {name} å", "en": f"Field {name}"}


def _field(name, kind, **extra):
    return {"name": name, "type": kind, "label": _label(name), **extra}


OPTIONS = [{"value": "one", "label": {"fi": "Yksi ö", "sv": "Ett ö", "en": "One"}},
           {"value": "two", "label": {"fi": "Kaksi", "sv": "Två", "en": "Two"}}]
FORM = FormDefinition.model_validate({
    "schema_version": 1, "id": "dog-declaration", "title": _label("form"), "intro": _label("intro"),
    "pages": [
        {"id": "first", "title": {"fi": "Ensimmäinen sivu", "sv": "Första sidan", "en": "First page"}, "fields": [
            _field("text", "text"), _field("textarea", "textarea"), _field("email", "email"), _field("phone", "phone"),
            _field("pic", "personal_identity_code"), _field("business_id", "business_id"),
            _field("postal_code", "postal_code"),
        ]},
        {"id": "second", "title": {"fi": "Toinen sivu", "sv": "Andra sidan", "en": "Second page"}, "fields": [
            _field("date", "date"), _field("number", "number"), _field("choice", "choice", options=OPTIONS),
            _field("multichoice", "multichoice", options=OPTIONS), _field("checkbox", "checkbox"),
            _field("files", "attachment", max_files=3), _field("unanswered", "text"),
        ]},
    ],
})
ANSWERS = {"text": "Åsa Äijälä", "textarea": "Rivi 1\nRivi 2 € (sulut) \\", "email": "a@example.fi",
           "phone": "+358401234567", "pic": "210281-9988", "business_id": "0201256-6", "postal_code": "00100",
           "date": "2026-12-24", "number": "12.5", "choice": "one", "multichoice": ["one", "two"], "checkbox": True,
           "files": ["f1", "f2"]}
EXPECTED = {
    "fi": ["Åsa Äijälä", "Rivi 1 Rivi 2 € (sulut) \\", "a@example.fi", "+358401234567", "210281-9988", "0201256-6",
           "00100", "24.12.2026", "12.5", "Yksi ö", "Yksi ö, Kaksi", "Kyllä", "liite ä.pdf, kuva.png"],
    "sv": ["Åsa Äijälä", "Rivi 1 Rivi 2 € (sulut) \\", "a@example.fi", "+358401234567", "210281-9988", "0201256-6",
           "00100", "24.12.2026", "12.5", "Ett ö", "Ett ö, Två", "Ja", "liite ä.pdf, kuva.png"],
    "en": ["Åsa Äijälä", "Rivi 1 Rivi 2 € (sulut) \\", "a@example.fi", "+358401234567", "210281-9988", "0201256-6",
           "00100", "24.12.2026", "12.5", "One", "One, Two", "Yes", "liite ä.pdf, kuva.png"],
}


def _item(language="fi", answers=None, health_care=False, attachments=None):
    files = attachments if attachments is not None else [
        SimpleNamespace(field="files", name="liite ä.pdf"), SimpleNamespace(field="files", name="kuva.png")]
    return SimpleNamespace(
        item_number="000042", service_id="dog-declaration", language=language, answers=answers or ANSWERS,
        attachments=files, health_care=health_care, sent_by="Åsa Äijälä",
        principal_name=None, principal_kind=None, principal_identifier=None,
        created_at=datetime(2026, 12, 24, 22, 30, tzinfo=timezone.utc), division_id="urban-environment")


def _read(item, who=None):
    from chalicelib.catalogue.store import get_service
    from chalicelib.documents import render_pdf

    document = receipt_document(item, FORM, get_service("dog-declaration"), "Kaupunkiympäristön toimiala",
                                who or parties(item))
    return read_pdf(render_pdf(document))


def _pairs(pdf):
    out = []
    for tag, text in pdf.structure:
        if tag == "Lbl":
            out.append([text, ""])
        elif tag == "LBody":
            out[-1][1] = text
    return [tuple(p) for p in out]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_every_field_type_as_the_summary_shows_it(language):
    pdf = _read(_item(language))
    found = _pairs(pdf)
    names = [f.name for f in FORM.fields() if f.name != "unanswered"]
    labels = [_label(name)[language] for name in names]
    assert found[6:] == list(zip(labels, EXPECTED[language]))  # after the six facts, every answer, in order
    assert all(label != _label("unanswered")[language] for label, _ in found)
    assert found[2][1] == "25.12.2026 00:30"  # 22:30 UTC is past midnight in Helsinki
    assert [title for level, title in pdf.outlines if level == 3] == [p.title.get(language) for p in FORM.pages]
    attachments = [text for tag, text in pdf.structure if tag == "P"]
    assert "liite ä.pdf kuva.png" in attachments  # the attachments' names, one a line
    assert pdf.lang == language


def test_long_answers_wrap_and_flow_onto_new_pages_with_nothing_lost():
    long = " ".join(f"pitkä{n}" for n in range(1500)) + "\n\n" + "Sanahirviö" * 60
    pdf = _read(_item(answers={**ANSWERS, "textarea": long}))
    assert pdf.pages >= 3
    (value,) = [v for label, v in _pairs(pdf) if label == _label("textarea")["fi"]]
    assert letters(value) == letters(long)
    assert words(value).startswith(" ".join(f"pitkä{n}" for n in range(1500)))
    assert [v for label, v in _pairs(pdf) if label == _label("email")["fi"]] == ["a@example.fi"]  # what follows is whole


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_answer_or_file_name_cannot_break_the_receipt(hostile):
    files = [SimpleNamespace(field="files", name=hostile)]
    pdf = _read(_item(answers={**ANSWERS, "text": hostile, "textarea": hostile}, attachments=files),
                who=parties(SimpleNamespace(sent_by=hostile, principal_name=hostile, principal_kind="organisation",
                                            principal_identifier="0201256-6")))
    found = dict(_pairs(pdf))
    shown = clean(hostile)
    assert letters(found[_label("text")["fi"]]) == letters(shown) == letters(found[_label("textarea")["fi"]])
    assert letters(found[_label("files")["fi"]]) == letters(shown)
    assert letters(found["Lähettäjä"]) == letters(shown)
    assert found[_label("email")["fi"]] == "a@example.fi" and found[_label("checkbox")["fi"]] == "Kyllä"
    assert pdf.outlines[-1] == (2, "Näin käsittely etenee")  # the document goes on after the hostile text
    assert words(pdf.text).endswith("Helsingin kaupunki · 000042 " + f"{pdf.pages} / {pdf.pages}")


def test_health_care_says_it_is_not_kept_in_the_folder():
    text = words(_read(_item("en", health_care=True)).text)
    assert "health care forms are not saved in the e-services folder" in text
    assert "follow the processing in your e-services folder" not in text


def test_the_one_function_for_sender_and_for_whom():
    from chalicelib.authorizations.principal import Principal

    def item(name=None, kind=None, identifier=None):
        return SimpleNamespace(sent_by="Maija Meikäläinen", principal_name=name, principal_kind=kind,
                               principal_identifier=identifier)

    assert parties(item()) == Parties("Maija Meikäläinen", "Maija Meikäläinen")
    assert parties(item("Yritys Oy", "organisation", "1234567-8")) == Parties("Maija Meikäläinen", "Yritys Oy (1234567-8)")
    # a child or an authorising person: the name only (no personal identity code on the receipt)
    assert parties(item("Tiina Testaaja", "child", "010120A9876")) == Parties("Maija Meikäläinen", "Tiina Testaaja")
    # an item from before issue 17 recorded no principal: the viewing session's organisation
    organisation = Principal("organisation", "representation", "Yritys Oy", "hash", identifier="1234567-8")
    assert parties(item(), organisation) == Parties("Maija Meikäläinen", "Yritys Oy (1234567-8)")
    # what the item recorded wins over the session
    assert parties(item("Tiina Testaaja", "child", "010120A9876"), organisation).for_whom == "Tiina Testaaja"
