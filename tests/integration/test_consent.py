"""Health-care consent: the electronic agreement before a health-care form, accepted once per
e-service, asked again for a new version, withdrawn in My profile (chalice.test.Client + moto)."""
from __future__ import annotations

import json
import re

import pytest

from tests.fake_idp import NORDEA_TESTAAJA
from tests.integration.test_folder import CUSTOMER_B
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
