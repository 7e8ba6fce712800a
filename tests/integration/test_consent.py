"""Health-care consent: the electronic agreement before a health-care form, accepted once per
e-service, asked again for a new version, withdrawn in My profile (chalice.test.Client + moto)."""
from __future__ import annotations

import json
import re

import pytest

from tests.fake_idp import NORDEA_TESTAAJA
from tests.integration.test_folder import CUSTOMER_B
from tests.integration.test_acting_on_behalf import authz  # noqa: F401 (a fixture: the e-Authorizations stand-in)
from tests.integration.test_forms import Filler, sign_in

SERVICE = "dental-care"
PAGE_1 = {"full_name": "", "phone": "+358401234567", "appointment_date": "", "visit_reason": "pain", "pain_level": "7",
          "reason_description": "Hammas särkee öisin, äänekäs ääni ÅÄÖ"}
PAGE_2 = {"medications": "Burana 600 mg – tarvittaessa", "allergies": "Pähkinä", "consent": "yes"}


def agreements():
    from chalicelib.models.agreement import AgreementModel

    return list(AgreementModel.scan())  # scan-ok: test inspection


def drafts_stored():
    from chalicelib.models.forms import DraftModel

    return list(DraftModel.scan())  # scan-ok: test inspection


def body(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


@pytest.fixture
def person(client, idp):
    return Filler(client, sign_in(client, idp))


@pytest.fixture
def other(client, idp):
    return Filler(client, sign_in(client, idp, CUSTOMER_B))


def new_version(monkeypatch, version=2):
    """The catalogue as if the agreement's text had changed: its version goes up."""
    from chalicelib.catalogue.store import catalogue

    service = catalogue()[SERVICE]
    monkeypatch.setitem(catalogue(), SERVICE, service.model_copy(
        update={"agreement": service.agreement.model_copy(update={"version": version})}))


def withdraw(filler, service_id=SERVICE):
    filler.get("/profile")
    return filler.post(f"/profile/agreements/{service_id}/withdraw", {"csrf_token": filler.csrf})


def test_the_form_first_shows_the_agreement_in_the_persons_language(person):
    from chalicelib.catalogue.store import get_service

    started = person.get(f"/e-services/{SERVICE}/form")
    assert started.status_code == 303 and started.headers["Location"] == f"/e-services/{SERVICE}/agreement"
    agreement = get_service(SERVICE).agreement
    for language in ("fi", "sv", "en"):
        person.lang = language
        page = body(person.get(f"/e-services/{SERVICE}/agreement"))
        assert f"<h1>{agreement.title.get(language)}</h1>" in page
        for paragraph in agreement.text.get(language).split("\n\n"):
            assert f"<p>{paragraph}</p>" in page.replace("&#39;", "'")
        assert f'lang="{language}"' in page
    assert "(version 1)" in page and 'name="accept"' in page
    assert drafts_stored() == [] and agreements() == []


def test_accepting_is_stored_once_with_time_and_version_and_no_personal_data_in_the_key(person):
    from chalicelib.privacy.audit import for_profile

    person.get(f"/e-services/{SERVICE}/agreement")
    refused = person.post(f"/e-services/{SERVICE}/agreement", {"csrf_token": person.csrf})  # the box not checked
    assert refused.status_code == 400 and "Check the box to accept the agreement." in body(refused)
    assert 'aria-invalid="true"' in body(refused) and agreements() == []

    accepted = person.accept_agreement(SERVICE)
    assert accepted.status_code == 303 and accepted.headers["Location"] == f"/e-services/{SERVICE}/form"
    (stored,) = agreements()
    assert stored.service_id == SERVICE and stored.version == 1 and stored.withdrawn_at is None
    assert stored.accepted_at is not None and stored.language == "en"
    assert re.fullmatch(r"[0-9a-f]{64}", stored.person_hash)  # a keyed hash: no name, no identity code
    assert NORDEA_TESTAAJA["national_id"] not in json.dumps(stored.attribute_values, default=str)
    assert "Testaaja" not in json.dumps(stored.attribute_values, default=str)
    assert [e.detail for e in for_profile(stored.profile_id) if e.action == "agreement-accepted"] == ["dental-care v1"]

    # Once per e-service: the form starts now, and keeps starting without asking again.
    for _ in range(2):
        assert person.start(SERVICE).status_code == 200
    assert len(agreements()) == 1
    again = body(person.get(f"/e-services/{SERVICE}/agreement"))
    assert "You have accepted this agreement" in again and 'name="accept"' not in again


def test_accepting_twice_keeps_one_acceptance(person):
    person.accept_agreement(SERVICE)
    assert person.accept_agreement(SERVICE).status_code == 303
    assert len(agreements()) == 1


def test_another_eservice_asks_for_its_own_agreement(person):
    person.accept_agreement(SERVICE)
    assert person.get("/e-services/health-care-appointment/agreement").status_code == 200
    from chalicelib import consent
    from chalicelib.catalogue.store import get_service

    (stored,) = agreements()
    assert not consent.in_force(stored.person_hash, get_service("health-care-appointment"))
    assert consent.in_force(stored.person_hash, get_service(SERVICE))


def test_a_service_without_an_agreement_has_no_agreement_page_and_its_form_starts(person):
    assert person.get("/e-services/dog-declaration/agreement").status_code == 404
    assert person.get("/e-services/dog-declaration/form").status_code == 200
    assert person.get("/e-services/no-such-service/agreement").status_code == 404


def test_a_new_version_asks_again(person, monkeypatch):
    person.accept_agreement(SERVICE)
    person.start(SERVICE)
    assert person.page(1, PAGE_1).status_code == 303
    new_version(monkeypatch)

    started = person.get(f"/e-services/{SERVICE}/form")
    assert started.status_code == 303 and started.headers["Location"] == f"/e-services/{SERVICE}/agreement"
    page = body(person.get(f"/e-services/{SERVICE}/agreement"))
    assert "The agreement has changed" in page and "(version 2)" in page
    # The draft already begun goes no further either, and what is posted is kept.
    posted = person.page(2, PAGE_2)
    assert posted.status_code == 403 and "accept the new version" in body(posted)
    (draft,) = drafts_stored()
    assert draft.answers["medications"] == PAGE_2["medications"]
    profile = body(person.get("/profile"))
    assert "you will be asked to accept the new version" in profile

    accepted = person.post(f"/e-services/{SERVICE}/agreement",
                           {"csrf_token": person.csrf, "accept": "yes", "next": f"/drafts/{person.draft_id}/pages/2"})
    assert accepted.headers["Location"] == f"/drafts/{person.draft_id}/pages/2"
    (stored,) = agreements()
    assert stored.version == 2
    assert person.page(2, PAGE_2).status_code == 303


def test_withdrawing_stops_new_forms_and_keeps_what_was_typed(person):
    person.accept_agreement(SERVICE)
    person.start(SERVICE)
    assert person.page(1, PAGE_1).status_code == 303
    draft_id = person.draft_id

    listed = body(person.get("/profile"))
    assert "Dental care e-service" in listed and f'action="/profile/agreements/{SERVICE}/withdraw"' in listed
    withdrawn = withdraw(person)
    assert withdrawn.status_code == 303 and withdrawn.headers["Location"] == "/profile?done=withdrawn"
    (stored,) = agreements()
    assert stored.withdrawn_at is not None
    profile = body(person.get("/profile?done=withdrawn"))
    assert "The agreement was withdrawn" in profile
    assert f'action="/profile/agreements/{SERVICE}/withdraw"' not in profile

    # The form's start, every page post, a draft page and Send: all stop at the agreement.
    started = person.get(f"/e-services/{SERVICE}/form")
    assert started.status_code == 303 and started.headers["Location"] == f"/e-services/{SERVICE}/agreement"
    posted = person.page(2, PAGE_2)
    assert posted.status_code == 403
    assert "What you typed on the page has been saved in your draft" in body(posted)
    assert f'name="next" value="/drafts/{draft_id}/pages/2"' in body(posted)
    for action in ("save", "previous", "goto-1"):
        assert person.page(2, {**PAGE_2, "allergies": f"Pähkinä ({action})"}, action=action).status_code == 403
    assert person.get(f"/drafts/{draft_id}/pages/1").status_code == 403
    sent = person.post(f"/drafts/{draft_id}/send", {"csrf_token": person.csrf})
    assert sent.status_code == 403
    from chalicelib.models.forms import SubmissionModel

    assert list(SubmissionModel.scan()) == []  # scan-ok: test inspection
    (draft,) = drafts_stored()  # nothing typed is lost
    assert draft.answers["reason_description"] == PAGE_1["reason_description"]
    assert draft.answers["medications"] == PAGE_2["medications"]
    assert draft.answers["allergies"] == "Pähkinä (goto-1)"

    # Accepting again continues the draft where it was, with its answers.
    again = person.post(f"/e-services/{SERVICE}/agreement",
                        {"csrf_token": person.csrf, "accept": "yes", "next": f"/drafts/{draft_id}/pages/2"})
    assert again.headers["Location"] == f"/drafts/{draft_id}/pages/2"
    page = body(person.get(f"/drafts/{draft_id}/pages/2"))
    assert "Burana 600 mg – tarvittaessa" in page
    (stored,) = agreements()
    assert stored.withdrawn_at is None


def test_withdrawing_twice_is_harmless_and_needs_the_csrf_token(person):
    from chalicelib.privacy.audit import for_profile

    person.accept_agreement(SERVICE)
    forged = person.post(f"/profile/agreements/{SERVICE}/withdraw", {})
    assert forged.status_code == 403
    (stored,) = agreements()
    assert stored.withdrawn_at is None
    assert withdraw(person).status_code == 303
    assert withdraw(person).status_code == 303  # a retried post
    assert [e.action for e in for_profile(stored.profile_id)].count("agreement-withdrawn") == 1


def test_the_next_address_after_accepting_stays_in_the_portals_forms(person):
    person.get(f"/e-services/{SERVICE}/agreement")
    for forged in ("https://evil.example/", "//evil.example/x", "/profile/delete", "/drafts/../../x"):
        answer = person.post(f"/e-services/{SERVICE}/agreement", {"csrf_token": person.csrf, "accept": "yes", "next": forged})
        assert answer.headers["Location"] == f"/e-services/{SERVICE}/form"


def test_other_customers_neither_see_nor_withdraw_nor_use_someones_acceptance(person, other):
    person.accept_agreement(SERVICE)

    assert "Dental care e-service" not in body(other.get("/profile"))
    assert "You have not accepted any electronic agreements" in body(other.get("/profile"))
    assert withdraw(other).status_code == 404
    (stored,) = agreements()
    assert stored.withdrawn_at is None
    # B is asked for the agreement: A's acceptance is A's.
    started = other.get(f"/e-services/{SERVICE}/form")
    assert started.status_code == 303 and started.headers["Location"].endswith("/agreement")
    assert "You have accepted this agreement" not in body(other.get(f"/e-services/{SERVICE}/agreement"))
    assert json.loads(body(other.get("/profile/my-data.json")))["agreements"] == []
    # B's own acceptance is a separate item; withdrawing it leaves A's in force.
    other.accept_agreement(SERVICE)
    assert withdraw(other).status_code == 303
    states = {a.profile_id: a.withdrawn_at is None for a in agreements()}
    assert sorted(states.values()) == [False, True]
    assert person.start(SERVICE).status_code == 200


def test_my_data_lists_the_acceptances_withdrawn_ones_too(person):
    person.accept_agreement(SERVICE)
    person.accept_agreement("health-care-appointment")
    withdraw(person, "health-care-appointment")
    data = json.loads(body(person.get("/profile/my-data.json")))["agreements"]
    by_service = {a["e_service"]: a for a in data}
    assert set(by_service) == {"Dental care e-service", "Health care appointment booking"}
    assert by_service["Dental care e-service"]["version"] == 1 and "withdrawn_at" not in by_service["Dental care e-service"]
    assert "withdrawn_at" in by_service["Health care appointment booking"]
    page = body(person.get("/profile/my-data"))
    assert "Electronic agreements" in page and "Health care appointment booking: version 1 accepted" in page


def test_deleting_the_profile_removes_its_acceptances(person):
    person.accept_agreement(SERVICE)
    person.get("/profile/delete")
    assert person.post("/profile/delete", {"csrf_token": person.csrf, "confirm": "yes"}).status_code == 303
    assert agreements() == []


# --- Acting for a child: the notice of consent (PDF) ------------------------------------------------

CHILD_UNDER_15 = {"name": "Öörni Äijälä", "code": "150315A9022", "born": "2015-03-15"}
CHILD_15_17 = {"name": "Åsa Äijälä", "code": "051111A9364", "born": "2011-11-05"}  # 15-17 until 5.11.2029


def act_for_child(sid, child, language="fi"):
    """The guardian's session acts for ``child`` from now on (as the choice of principal does), with
    the child's own folder profile."""
    import uuid

    from chalicelib import clock, sessions
    from chalicelib.authorizations import Principal, identifier_hash
    from chalicelib.models.identity import ProfileModel

    now = clock.utcnow()
    given, family = child["name"].split(" ")
    folder = uuid.uuid4().hex
    ProfileModel(profile_id=folder, kind="person", given_name=given, family_name=family,
                 personal_identity_code=child["code"], consent_at=now, created_at=now, updated_at=now).save()
    principal = Principal("child", "custody", child["name"], identifier_hash("person", child["code"]),
                          identifier=child["code"], birth_date=child["born"], language=language)
    sessions.act_for(sessions.load_session(sid).session, principal, folder)
    return folder


def pdf_text(data: bytes) -> tuple[str, object]:
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def notice(filler, language=None):
    suffix = f"?language={language}" if language else ""
    # As a browser asks (its Accept ends with */*): the PDF goes out as bytes (app.py's binary types).
    browser = {**filler.headers, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    return filler.client.get(f"/e-services/{SERVICE}/consent-notice.pdf{suffix}", headers=browser)


@pytest.mark.parametrize("language, words", [
    ("fi", ["Suostumusilmoitus: Suun terveydenhuollon sähköinen asiointi", "Lapsi", "Huoltaja", "Sopimuksen versio",
            "Huoltajan allekirjoitus", "Nimen selvennys", "Tunnistaudut palveluun vahvasti."]),
    ("sv", ["Samtyckesanmälan: Munhälsovårdens e-tjänst", "Barn", "Vårdnadshavare", "Avtalets version",
            "Vårdnadshavarens underskrift", "Namnförtydligande", "Du identifierar dig starkt i tjänsten."]),
    ("en", ["Notice of consent: Dental care e-service", "Child", "Guardian", "Version of the agreement",
            "Guardian's signature", "Name in block letters", "You identify yourself strongly in the service."]),
])
def test_the_notice_of_consent_is_a_text_pdf_in_the_childs_language(person, language, words):
    from chalicelib.catalogue.store import get_service

    act_for_child(person.sid, CHILD_UNDER_15, language=language)
    response = notice(person)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="consent-notice-{SERVICE}-{language}.pdf"'
    text, reader = pdf_text(response.body)
    flat = " ".join(text.split())
    for word in words:
        assert word in flat, (word, flat[:400])
    # The people, the agreement's whole text and version, the date: from the same data as the page.
    assert "Öörni Äijälä" in flat and "Nordea Testaaja" in flat and "15.3.2015" in flat
    agreement = get_service(SERVICE).agreement
    for paragraph in agreement.text.get(language).split("\n\n"):
        assert " ".join(paragraph.split()) in flat
    from chalicelib import clock
    from chalicelib.clock import HELSINKI

    today = clock.utcnow().astimezone(HELSINKI).date()
    assert f"{today.day}.{today.month}.{today.year}" in flat
    assert "____" in text  # lines to sign on
    # Accessible text, not an image: the language and title are set, no page draws an image.
    root = reader.trailer["/Root"]
    assert root["/Lang"] == language and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title.startswith(words[0].split(":")[0])
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    assert language == "fi" or "Allekirjoitukset" not in flat  # in one language only


def test_a_child_of_15_to_17_has_no_notice_and_another_language_can_be_chosen(person, client, idp):
    act_for_child(person.sid, CHILD_UNDER_15, language="sv")
    text, reader = pdf_text(notice(person).body)
    assert reader.trailer["/Root"]["/Lang"] == "sv"  # the child's language by default
    text, reader = pdf_text(notice(person, "fi").body)
    assert reader.trailer["/Root"]["/Lang"] == "fi" and "Suostumusilmoitus" in text
    assert notice(person, "de").headers["Content-Language"] == "sv"  # an unknown language: the child's
    # From 15 a minor uses health care themselves (authorizations.may_act_in): no notice, no form.
    older = Filler(client, sign_in(client, idp))
    act_for_child(older.sid, CHILD_15_17, language="sv")
    assert notice(older).status_code == 404
    assert "consent-notice.pdf" not in body(older.get(f"/e-services/{SERVICE}/agreement"))
    assert older.get(f"/e-services/{SERVICE}/form").status_code == 403


def test_the_agreement_page_offers_the_notice_only_when_acting_for_a_child(person, other):
    assert notice(person).status_code == 404  # for oneself: no notice
    assert "consent-notice.pdf" not in body(person.get(f"/e-services/{SERVICE}/agreement"))
    act_for_child(person.sid, CHILD_UNDER_15, language="sv")
    page = body(person.get(f"/e-services/{SERVICE}/agreement"))
    assert "Notice of consent for Öörni Äijälä" in page
    links = re.findall(r'href="(/e-services/dental-care/consent-notice\.pdf\?language=(\w\w))"', page)
    assert [code for _, code in links] == ["sv", "fi", "en"]  # the child's language first
    assert notice(other).status_code == 404  # another customer acts for nobody
    assert person.get("/e-services/dog-declaration/consent-notice.pdf").status_code == 404  # no agreement there


def test_acting_for_a_child_the_guardian_accepts_and_the_health_care_form_stays_out_of_both_folders(person):
    from chalicelib.models.forms import SubmissionModel

    own = act_for_child(person.sid, CHILD_UNDER_15)  # the child's folder
    started = person.get(f"/e-services/{SERVICE}/form")
    assert started.status_code == 303 and started.headers["Location"].endswith("/agreement")
    person.accept_agreement(SERVICE)
    (stored,) = agreements()
    assert stored.profile_id != own  # the guardian's own acceptance, in the guardian's own profile
    from chalicelib.forms.store import form_for

    person.start(SERVICE)
    form = form_for(SERVICE)
    for number, page in enumerate(form.pages, start=1):
        fields = {f.name: {**PAGE_1, **PAGE_2}.get(f.name, "") for f in page.fields
                  if not f.readonly and f.type not in ("attachment", "multichoice")}
        assert person.page(number, fields).status_code == 303
    sent = body(person.send())
    item = re.search(r"item number (\d{6})", sent).group(1)
    assert "not saved in the e-services folder" in sent
    (submission,) = list(SubmissionModel.scan())  # scan-ok: test inspection
    assert submission.health_care and submission.owner_id is None
    assert item not in body(person.get("/folder"))  # the child's folder
    from chalicelib import sessions
    from chalicelib.authorizations import Principal

    session = sessions.load_session(person.sid).session
    sessions.act_for(session, Principal("person", "self", session.acting_name, session.actor_hash),
                     session.actor_profile_id)
    assert item not in body(person.get("/folder"))  # the guardian's own folder
    # The guardian's acceptance holds for themselves too: the agreement is theirs.
    assert person.start(SERVICE).status_code == 200


def test_end_to_end_a_guardian_chooses_a_child_and_downloads_the_notice(client, idp, authz):
    """Through the real choice of principal (the e-Authorizations stand-in's data): Nordea Testaaja
    chooses Tiina Testaaja (under 15, Finnish) and gets the notice in Finnish; Teemu (15-17) has none."""
    from tests.integration.test_acting_on_behalf import choose

    guardian = Filler(client, sign_in(client, idp))
    choose(client, guardian.sid, "Tiina Testaaja")
    page = body(guardian.get(f"/e-services/{SERVICE}/agreement"))
    assert "Notice of consent for Tiina Testaaja" in page
    text, reader = pdf_text(notice(guardian).body)
    flat = " ".join(text.split())
    assert reader.trailer["/Root"]["/Lang"] == "fi"
    assert "Lapsi Tiina Testaaja" in flat and "Lapsen syntymäaika 15.6.2015" in flat and "Huoltaja" in flat
    choose(client, guardian.sid, "Teemu Testaaja")
    assert notice(guardian).status_code == 404
