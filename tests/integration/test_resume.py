"""A form open at the session timeout, on a shared computer (issue 15): what A typed is kept for A
alone. Whoever signs in next on the same browser sees, stores and is told nothing of it; A signing
in again gets it back in their own draft."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.acting import landing, through_choice
from tests.fake_idp import (
    NORDEA_TESTAAJA,
    ORGANISATION_USER,
    _set_cookies,
    csrf_of,
    represents,
    sign_in,
)
from tests.integration.test_forms import OWNER, URLENCODED, Filler

CUSTOMER_B = {"amr": ["mobile"], "acr": "personal", "given_name": "Åsa", "family_name": "Testare", "national_id": "150376-904V", "loa": "substantial"}
COLLEAGUE_B = {**ORGANISATION_USER, "given_name": "Matti", "family_name": "Virtanen", "national_id": "240266-954W",
               "organisation_roles": ["TJ"]}
OTHER_ORGANISATION_B = {**ORGANISATION_USER, "given_name": "Olli", "family_name": "Muu", "national_id": "070788-955N",
                        "business_id": "0112038-9",
                        "organisation_name": "Toinen Oy"}

HEALTH_TEXT = "Hammas särkee yöllä, lääkitys Burana 600"
A_PHONE = "+358401112233"
DENTAL = {"full_name": "x", "personal_identity_code": "x", "phone": A_PHONE, "appointment_date": "",
          "visit_reason": "pain", "pain_level": "7", "reason_description": HEALTH_TEXT}
DOG_OWNER = {**OWNER, "street_address": "Ajastinkatu 5", "email": "ajastin@example.fi"}

CASES = {
    # case: (A's claims, B's claims, service, what A types on page 1, A's own text to look for)
    "personal, dental care": (NORDEA_TESTAAJA, CUSTOMER_B, "dental-care", DENTAL, HEALTH_TEXT),
    "organisation, a colleague signs in next": (ORGANISATION_USER, COLLEAGUE_B, "dog-declaration", DOG_OWNER, "Ajastinkatu 5"),
    "organisation, another organisation next": (ORGANISATION_USER, OTHER_ORGANISATION_B, "dog-declaration", DOG_OWNER,
                                                "Ajastinkatu 5"),
}


def sign_in_on(client, idp, claims, jar: str, next_path: str):
    """The whole sign-in on a browser whose cookie jar holds ``jar``; returns (sid, the callback's answer)."""
    idp.next_claims = represents(idp, claims)
    started = client.get(f"/sign-in/start?{urlencode({'customer': claims['acr'], 'next': next_path})}",
                         headers={"Cookie": jar})
    binding = _set_cookies(started)["signin"]
    params = idp.authorize(started.headers["Location"])
    answer = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"{jar}; signin={binding}"})
    assert answer.status_code == 303, answer.body[:300]
    sid = _set_cookies(answer)["sid"]
    if claims["acr"] == "corporate":  # the company from e-Authorizations decides whose the form is
        cookie = {"Cookie": f"{jar}; sid={sid}"}
        answer = through_choice(lambda path: client.get(path, headers=cookie),
                                lambda path, fields: client.post(path, body=urlencode(fields),
                                                                 headers={**cookie, "Content-Type": URLENCODED}), answer)
    return sid, answer


def a_times_out_while_typing(client, idp, clock, claims, service, typed):
    """A opens a new form (not yet saved) and types; the session times out; session.js asks the
    status (the expiry is seen there first) and then posts the open form by itself. Returns (filler,
    the resume cookie)."""
    a = Filler(client, sign_in(client, idp, claims))
    if service == "dental-care":
        a.accept_agreement(service)  # the electronic agreement first (health-care consent, issue 17)
    a.start(service)
    clock.advance(hours=2, seconds=1)
    assert client.get("/session/status", headers=a.headers).status_code == 401
    posted = a.page(1, typed, action="save")
    assert posted.status_code == 303
    assert posted.headers["Location"] == f"/sign-in?next=%2Fdrafts%2F{a.draft_id}%2Fpages%2F1&notice=timeout"
    resume = _set_cookies(posted)["resume"]
    assert len(resume) >= 40  # random, opaque: nothing of A in it
    return a, resume


def stashes():
    from chalicelib.models.session import PostStashModel

    return list(PostStashModel.scan())  # scan-ok: test inspection


def text_of(response):
    return response.body.decode() if isinstance(response.body, bytes) else response.body


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_next_person_on_the_browser_gets_nothing_of_a_timed_out_form(client, idp, clock, case, caplog):
    claims_a, claims_b, service, typed, secret = CASES[case]
    a, resume = a_times_out_while_typing(client, idp, clock, claims_a, service, typed)
    assert len(stashes()) == 1
    page = f"/drafts/{a.draft_id}/pages/1"
    jar = f"lang=en; resume={resume}"

    b_sid, answer = sign_in_on(client, idp, claims_b, jar, page)
    cleared = answer.headers["Set-Cookie"]
    assert any(c.startswith("resume=;") and "Max-Age=0" in c for c in cleared)
    assert stashes() == []  # deleted unread
    b = Filler(client, b_sid)
    if answer.headers["Location"] == "/register":
        form = b.get("/register")
        done = b.post("/register", {"email": "b@example.fi", "methods": "email", "language": "en", "consent": "yes",
                                    "csrf_token": csrf_of(text_of(form))})
        assert done.status_code == 303 and done.headers["Location"] == landing("/", claims_b["acr"], notice="registered")
    else:
        assert answer.headers["Location"] == landing("/", claims_b["acr"])  # not even A's page
    # B on the same browser, even with A's old cookie replayed and A's page asked for by hand
    seen = "".join(text_of(client.get(path, headers={"Cookie": f"sid={b_sid}; lang=en; resume={resume}"}))
                   for path in ("/", page, "/folder", "/profile/my-data", "/profile/my-data.json"))
    assert secret not in seen and A_PHONE not in seen
    my_data = json.loads(text_of(b.get("/profile/my-data.json")))
    assert secret not in json.dumps(my_data, ensure_ascii=False) and A_PHONE not in json.dumps(my_data)
    assert a.draft_id not in json.dumps(my_data)
    assert secret not in caplog.text and A_PHONE not in caplog.text

    # No draft anywhere holds it (before issue 15, B's sign-in created A's new draft in B's folder)
    from chalicelib.models.forms import DraftModel

    assert all(secret not in json.dumps(d.answers, ensure_ascii=False) for d in DraftModel.scan())  # scan-ok: test


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_person_signing_in_again_gets_the_input_back(client, idp, clock, case):
    claims_a, _, service, typed, secret = CASES[case]
    a, resume = a_times_out_while_typing(client, idp, clock, claims_a, service, typed)
    page = f"/drafts/{a.draft_id}/pages/1"
    a_sid, answer = sign_in_on(client, idp, claims_a, f"lang=en; resume={resume}", page)
    assert answer.headers["Location"] == landing(page, claims_a["acr"])
    assert not any(c.startswith("resume=") for c in answer.headers.get("Set-Cookie") or [])  # kept for the page
    back = client.get(page, headers={"Cookie": f"sid={a_sid}; lang=en; resume={resume}"})
    assert back.status_code == 200 and "Your answers were kept" in text_of(back)
    assert secret in text_of(back)
    from chalicelib.models.forms import DraftModel

    (draft,) = DraftModel.scan()  # scan-ok: test inspection
    assert draft.draft_id == a.draft_id and secret in json.dumps(draft.answers, ensure_ascii=False)
    assert stashes() == []


def test_a_signed_in_other_person_given_the_cookie_gets_nothing(client, idp, clock):
    """Defence in depth: the return page itself checks the person, not only the sign-in."""
    a, resume = a_times_out_while_typing(client, idp, clock, NORDEA_TESTAAJA, "dental-care", DENTAL)
    b_sid = sign_in(client, idp, CUSTOMER_B)  # signed in without the cookie (another tab)
    shown = client.get(f"/drafts/{a.draft_id}/pages/1", headers={"Cookie": f"sid={b_sid}; lang=en; resume={resume}"})
    assert shown.status_code == 404 and HEALTH_TEXT not in text_of(shown)
    assert stashes() == []
    from chalicelib.models.forms import DraftModel

    assert all(HEALTH_TEXT not in json.dumps(d.answers, ensure_ascii=False) for d in DraftModel.scan())  # scan-ok


def test_without_a_timed_out_session_nothing_is_kept(client, idp, clock):
    """Signed out on purpose (another tab), the form posted afterwards is not kept for anyone."""
    a = Filler(client, sign_in(client, idp))
    a.accept_agreement("dental-care")  # the electronic agreement first (health-care consent, issue 17)
    a.start("dental-care")
    home = a.get("/")
    client.post("/sign-out", body=urlencode({"csrf_token": csrf_of(text_of(home))}),
                headers={**a.headers, "Content-Type": URLENCODED})
    posted = a.page(1, DENTAL, action="save")
    assert posted.status_code == 303 and "resume" not in _set_cookies(posted)
    assert stashes() == []


def test_a_stale_resume_cookie_changes_nothing_about_the_return_page(client, idp, clock):
    """A stash that is gone (used, or past its hour) sends nobody away from their own page."""
    a, resume = a_times_out_while_typing(client, idp, clock, NORDEA_TESTAAJA, "dental-care", DENTAL)
    clock.advance(hours=1, seconds=1)
    sign_in(client, idp, CUSTOMER_B)  # B exists
    page = "/folder"
    _, answer = sign_in_on(client, idp, CUSTOMER_B, f"lang=en; resume={resume}", page)
    assert answer.headers["Location"] == landing(page) and stashes() == []
    _, again = sign_in_on(client, idp, CUSTOMER_B, "lang=en; resume=" + "x" * 43, f"/drafts/{a.draft_id}/pages/1")
    assert again.headers["Location"] == landing(f"/drafts/{a.draft_id}/pages/1")
    assert any(c.startswith("resume=;") for c in again.headers["Set-Cookie"])


def test_a_form_open_while_acting_for_a_child_comes_back_when_acting_for_her_again(client, idp, clock):
    """Issue 17: the stash names the child's folder; it waits while the guardian acts for herself."""
    from chalicelib.models.forms import DraftModel
    from chalicelib.models.identity import ProfileModel
    from tests.integration.test_acting_on_behalf import choose

    sid = sign_in(client, idp)
    choose(client, sid, "Tiina Testaaja")
    a = Filler(client, sid)
    a.start("dog-declaration")
    clock.advance(hours=2, seconds=1)
    posted = a.page(1, DOG_OWNER, action="save")
    resume = _set_cookies(posted)["resume"]
    page = f"/drafts/{a.draft_id}/pages/1"
    a_sid, answer = sign_in_on(client, idp, NORDEA_TESTAAJA, f"lang=en; resume={resume}", page)
    assert answer.headers["Location"] == landing(page)  # the same person: kept
    # For herself first: the child's form is not put into her own folder, and it waits.
    mine = client.get(page, headers={"Cookie": f"sid={a_sid}; lang=en; resume={resume}"})
    assert "Ajastinkatu 5" not in text_of(mine)
    assert not any(c.startswith("resume=") for c in mine.headers.get("Set-Cookie") or [])
    assert DraftModel.count() == 0 and len(stashes()) == 1
    choose(client, a_sid, "Tiina Testaaja")
    back = client.get(page, headers={"Cookie": f"sid={a_sid}; lang=en; resume={resume}"})
    assert "Your answers were kept" in text_of(back) and "Ajastinkatu 5" in text_of(back)
    (draft,) = DraftModel.scan()  # scan-ok: test inspection
    (tiina,) = [p for p in ProfileModel.scan() if p.given_name == "Tiina"]  # scan-ok: test inspection
    assert draft.owner_id == tiina.profile_id and stashes() == []
