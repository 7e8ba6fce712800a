"""The receipt of a sent form (issue 19): "Download a copy (PDF)" on the sent page and the folder's
item page, read back as text; health care only right after sending; nobody else's receipt."""
from __future__ import annotations

import re

import pytest

from tests.fake_idp import NORDEA_TESTAAJA, ORGANISATION_USER, sign_in
from tests.integration.test_folder import CUSTOMER_B
from tests.integration.test_forms import ADDITIONAL, CHANGE, DOG, OWNER, Filler
from tests.pdf_reading import read_pdf, words

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a link click sends


def download(filler, path):
    return filler.client.get(path, headers={**filler.headers, "Accept": BROWSER_ACCEPT})


def send(filler) -> tuple[str, str]:
    """Fill in and send the dog declaration; returns (item number, the sent page)."""
    filler.fill_dog_declaration()
    page = filler.send().body.decode()
    return re.search(r"(\d{6})", page.split('class="sent-message"')[1]).group(1), page


def pairs(pdf) -> list[tuple[str, str]]:
    """The label/value pairs of the PDF, in reading order."""
    out, label = [], None
    for tag, text in pdf.structure:
        if tag == "Lbl":
            label = text
            out.append((label, ""))
        elif tag == "LBody":
            out[-1] = (label, text)
    return out


HEADINGS = {"fi": "Kuittaus lähetetystä lomakkeesta", "sv": "Kvitto på en skickad blankett", "en": "Receipt of a sent form"}
ANSWERS = {  # the dog declaration's answers as the summary shows them, in each language
    "fi": [("Koiran nimi", "Musti"), ("Rotu", "Sekarotuinen"), ("Sukupuoli", "Uros"), ("Syntymäaika", "1.2.2020")],
    "sv": [("Hundens namn", "Musti"), ("Ras", "Sekarotuinen"), ("Kön", "Hane"), ("Födelsedatum", "1.2.2020")],
    "en": [("Dog's name", "Musti"), ("Breed", "Sekarotuinen"), ("Sex", "Male"), ("Date of birth", "1.2.2020")],
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_sent_page_and_the_item_page_give_the_same_receipt_in_the_language_sent_in(client, idp, language):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms.display import answered_pages
    from chalicelib.forms.store import form_for
    from chalicelib.i18n import translations
    from chalicelib.models.forms import SubmissionModel

    filler = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA), lang=language)
    item, sent_page = send(filler)
    link = f"/drafts/{filler.draft_id}/receipt"
    assert f'href="{link}"' in sent_page
    filler.lang = "en" if language != "en" else "fi"  # the page's language now differs: the receipt's does not
    for path in (link, f"/folder/{item}/receipt"):
        response = download(filler, path)
        assert response.status_code == 200, response.body[:300]
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="{ {"fi": "kuittaus", "sv": "kvitto", "en": "receipt"}[language]}-{item}.pdf"'
        assert response.headers["Cache-Control"] == "no-store"
        pdf = read_pdf(response.body)
        service = get_service("dog-declaration").name.get(language)
        assert pdf.lang == language
        assert pdf.info["Title"].endswith(item) and service in pdf.info["Title"]
        assert pdf.outlines[0] == (1, HEADINGS[language])
        found = pairs(pdf)
        assert found[0] == (translations(language).gettext("Item number"), item)
        assert found[1][1] == service
        for expected in ANSWERS[language]:
            assert expected in found
        # Every answer, as the summary shows it: the same rows in the same order.
        submission = SubmissionModel.get(item)
        _ = translations(language).gettext
        shown = [row for _, rows in answered_pages(form_for("dog-declaration"), submission.answers, [], language,
                                                    _("Yes"), _("No")) for row in rows]
        assert [p for p in found if p in shown] == shown
        assert len(found) == 6 + len(shown)
        assert "Musti" in words(pdf.text)


def test_the_receipt_says_who_sent_it_for_whom_the_division_and_what_happens_next(client, idp):
    from chalicelib.catalogue.store import divisions, get_service

    filler = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA), lang="fi")
    item, _ = send(filler)
    pdf = read_pdf(download(filler, f"/folder/{item}/receipt").body)
    facts = dict(pairs(pdf))
    assert facts["Lähettäjä"] == facts["Kenen puolesta"] == f"{NORDEA_TESTAAJA['given_name']} {NORDEA_TESTAAJA['family_name']}"
    assert facts["Käsittelevä toimiala"] == divisions()["urban-environment"]["fi"]
    assert re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4} \d\d:\d\d", facts["Lähetetty (Suomen aikaa)"])
    text = words(pdf.text)
    assert words(get_service("dog-declaration").process.fi) in text
    assert f"Voit seurata käsittelyä asiointikansiossasi asianumerolla {item}." in text
    assert [level for level, _ in pdf.outlines] == [1, 2] + [3] * (len(pdf.outlines) - 4) + [2, 2]


def test_an_organisations_receipt_is_for_the_organisation(client, idp):
    from chalicelib import sessions
    from chalicelib.models.forms import SubmissionModel
    from tests.folder_items import put_items

    filler = Filler(client, sign_in(client, idp, ORGANISATION_USER), lang="en")
    organisation = sessions.load_session(filler.sid).session.profile_id
    put_items(organisation, 1, ["dog-declaration"], start=777)
    item = SubmissionModel.get("000777")
    item.update(actions=[SubmissionModel.sent_by.set("Kaisa Kollega")])  # a colleague sent it
    facts = dict(pairs(read_pdf(download(filler, "/folder/000777/receipt").body)))
    assert facts["Lähettäjä"] == "Kaisa Kollega"  # the language it was sent in (fi), not the page's
    assert facts["Kenen puolesta"] == f"{ORGANISATION_USER['organisation_name']} ({ORGANISATION_USER['business_id']})"
    assert facts["Koiran nimi"] == "Musti"


def test_another_customers_receipt_is_not_found(client, idp):
    owner = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA))
    item, _ = send(owner)
    other = Filler(client, sign_in(client, idp, CUSTOMER_B))
    for path in (f"/folder/{item}/receipt", f"/drafts/{owner.draft_id}/receipt"):
        answer = download(other, path)
        assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")
        assert b"%PDF" not in answer.body
        assert download(owner, path).status_code == 200
    assert download(owner, "/folder/999999/receipt").status_code == 404


def test_a_draft_not_yet_sent_has_no_receipt(client, idp):
    filler = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA))
    filler.fill_dog_declaration()
    assert download(filler, f"/drafts/{filler.draft_id}/receipt").status_code == 404
    assert download(filler, "/drafts/" + "z" * 32 + "/receipt").status_code == 404


def _send_dental_care(filler) -> str:
    from chalicelib.forms.store import form_for

    form = form_for("dental-care")
    filler.accept_agreement("dental-care")  # the electronic agreement first (health-care consent, issue 17)
    filler.start("dental-care")
    values = {"choice": None, "checkbox": "yes", "email": "a@example.fi", "phone": "+358401234567",
              "date": "1.1.2027", "number": "1"}
    for number, page in enumerate(form.pages, start=1):
        fields = {}
        for f in page.fields:
            if f.readonly or f.type in ("attachment", "multichoice") or not f.required:
                continue
            options = [o.value for o in f.options]
            fields[f.name] = ("pain" if "pain" in options else options[0]) if options else \
                values.get(f.type, "Hammas on kipeä (ääh) \\ €")
        assert filler.page(number, fields).status_code == 303
    body = filler.send().body.decode()
    assert "not saved in the e-services folder" in body
    return re.search(r"item number (\d{6})", body).group(1)


def test_a_health_care_receipt_only_right_after_sending_and_never_in_the_folder(client, idp, clock):
    from chalicelib.forms.receipt import AFTER_SENDING

    filler = Filler(client, sign_in(client, idp, NORDEA_TESTAAJA))
    item = _send_dental_care(filler)
    link = f"/drafts/{filler.draft_id}/receipt"
    assert f'href="{link}"' in filler.send().body.decode()  # a second Send: the same sent page, the same link
    pdf = read_pdf(download(filler, link).body)
    assert ("Item number", item) in pairs(pdf)
    assert "health care forms are not saved in the e-services folder" in words(pdf.text)
    assert "Hammas on kipeä (ääh) \\ €" in words(pdf.text)
    assert download(filler, f"/folder/{item}/receipt").status_code == 404  # not in the folder
    other = Filler(client, sign_in(client, idp, CUSTOMER_B))
    assert download(other, link).status_code == 404
    clock.advance(seconds=AFTER_SENDING.total_seconds() + 1)
    assert download(filler, link).status_code == 404  # at sending time only
