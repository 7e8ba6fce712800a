"""Acting on behalf (issue 17) end to end: sign-in, the round trips to the e-Authorizations stand-in
(HPA, then YPA, each signed with the X-AsiointivaltuudetAuthorization checksum), the choice page,
and every combination: oneself, a child under 15, a child of 15-17 (where the service allows), a
person who has authorised the signed-in person, a company with and without the needed role, and the
authorisation service down."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.fake_idp import NORDEA_TESTAAJA, csrf_of, sign_in
from tests.integration.test_folder import CUSTOMER_B
from tests.integration.test_forms import ADDITIONAL, CHANGE, DOG, OWNER, Filler

BASE = "http://localhost:8000"
AINO = {"amr": ["bank"], "acr": "personal", "given_name": "Aino", "family_name": "Valtuuttaja", "national_id": "120570-958R"}


@pytest.fixture
def authz(monkeypatch, client, idp):
    """The portal reaches the e-Authorizations stand-in (mounted at /dev-authorizations) in process;
    ``authz.calls`` records every call, ``authz.down = True`` makes the service unreachable."""
    from chalicelib.authorizations import port

    class Service:
        down = False
        calls: list = []

    def in_process(method, url, body, headers):
        Service.calls.append((method, urlparse(url).path, dict(headers)))
        if Service.down:
            raise port.AuthorizationsUnavailable("test: connection refused")
        path = url[len(BASE):]
        answer = client.get(path, headers=headers) if method == "GET" else client.post(path, body=body or b"", headers=headers)
        return port.HttpAnswer(answer.status_code, answer.body)

    monkeypatch.setattr(port, "transport", in_process)
    return Service


def get(client, sid, path):
    return client.get(path, headers={"Cookie": f"sid={sid}; lang=en"})


def follow(client, sid, path):
    """GET ``path`` and follow every redirect (the portal's and the stand-in's) to the final answer."""
    for _ in range(12):
        answer = get(client, sid, path)
        if answer.status_code != 303:
            return answer, path
        location = answer.headers["Location"]
        path = location[len(BASE):] if location.startswith(BASE) else location
    raise AssertionError("too many redirects")


def choose(client, sid, name_or_self, next_path="/"):
    page, _ = follow(client, sid, f"/act-for?{urlencode({'next': next_path, 'change': '1'})}")
    html = page.body.decode()
    if name_or_self == "self":
        ref = "self"
    else:
        ref = re.search(r'value="([0-9a-f]{24})"[^>]*>\s*<label[^>]*>' + re.escape(name_or_self) + "<", html).group(1)
    return client.post("/act-for", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                       body=urlencode({"csrf_token": csrf_of(html), "principal": ref, "next": next_path}))


def signed_in(client, idp, claims=NORDEA_TESTAAJA):
    return sign_in(client, idp, claims)


def test_the_callback_goes_to_the_choice_page_which_lists_every_principal(client, idp, authz):
    sid = signed_in(client, idp)
    page, path = follow(client, sid, "/act-for?next=%2Ffolder")
    html = page.body.decode()
    assert page.status_code == 200 and path.startswith("/act-for")
    for name in ("Tiina Testaaja", "Teemu Testaaja", "Aino Valtuuttaja", "Testiyritys Oy"):
        assert f">{name}<" in html
    assert "A child in your custody, born 15.6.2015" in html and "born 1.11.2011" in html
    assert "Esimerkki Ky (Business ID 2345678-0): your roles in it do not allow acting for it" in html
    assert 'value="self"' in html
    # Both modes were asked, every /service call signed and verified by the stand-in
    paths = [p for _, p, _ in authz.calls]
    assert "/dev-authorizations/service/hpa/api/delegate/" in " ".join(paths)
    assert any("/service/ypa/api/organizationRoles/" in p for p in paths)
    for method, call_path, headers in authz.calls:
        if "/service/" in call_path:
            client_id, stamp, checksum = headers["X-AsiointivaltuudetAuthorization"].split(" ")
            assert client_id == "city-eservices-portal" and stamp and len(checksum) == 44
    # No personal identity code in any address the browser saw
    assert "210281-9988" not in path and "150615A9589" not in html


def test_sign_in_redirects_a_person_to_the_choice_page(client, idp, authz):
    from tests.fake_idp import _set_cookies

    idp.next_claims = dict(NORDEA_TESTAAJA)
    sign_in(client, idp, NORDEA_TESTAAJA)  # registered
    started = client.get("/sign-in/start?customer=personal&next=%2Ffolder")
    binding = _set_cookies(started)["signin"]
    idp.next_claims = dict(NORDEA_TESTAAJA)
    answer = client.get(f"/auth/callback?{urlencode(idp.authorize(started.headers['Location']))}",
                        headers={"Cookie": f"signin={binding}"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/act-for?next=%2Ffolder"


def test_nothing_to_choose_skips_the_page(client, idp, authz):
    sid = signed_in(client, idp, CUSTOMER_B)
    page, path = follow(client, sid, "/act-for?next=%2Ffolder")
    assert path == "/folder" and page.status_code == 200
    assert "You are acting for" not in page.body.decode()


def test_acting_for_a_child_under_15_uses_the_childs_own_folder_and_prefills_the_child(client, idp, authz):
    sid = signed_in(client, idp)
    own = Filler(client, sid)
    own.fill_dog_declaration()
    own_item = re.search(r"item number (\d{6})", own.send().body.decode()).group(1)

    chosen = choose(client, sid, "Tiina Testaaja", "/folder")
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/folder"
    folder = get(client, sid, "/folder").body.decode()
    assert "You are acting for Tiina Testaaja, a child in your custody." in folder
    assert re.search(r"This is the child(&#39;|')s folder, separate from your own.", folder)
    assert own_item not in folder
    home = get(client, sid, "/").body.decode()
    assert "You are acting for Tiina Testaaja, a child in your custody." in home
    assert 'class="account__for">for Tiina Testaaja<' in home

    # Day care: the guardian's fields are the acting person's, the child's fields the child's
    form = get(client, sid, "/e-services/daycare-application/form").body.decode()
    assert "You are acting for Tiina Testaaja" in form
    assert 'value="210281-9988"' in form and 'value="Testaaja"' in form
    filler = Filler(client, sid)
    filler.start("daycare-application")
    filler.page(1, {"phone": "+358401234567", "email": "a@example.fi", "street_address": "Katu 1", "postal_code": "00100",
                    "post_office": "Helsinki"})
    child_page = filler.get(f"/drafts/{filler.draft_id}/pages/2").body.decode()
    assert 'value="150615A9589"' in child_page and 'value="Tiina"' in child_page

    # A form sent for the child: in the child's folder, recorded with both
    tiina = Filler(client, sid)
    tiina.fill_dog_declaration()
    item = re.search(r"item number (\d{6})", tiina.send().body.decode()).group(1)
    assert item in get(client, sid, "/folder").body.decode()
    from chalicelib.models.forms import SubmissionModel

    stored = SubmissionModel.get(item)
    assert (stored.principal_kind, stored.principal_relation, stored.principal_name) == ("child", "custody", "Tiina Testaaja")
    assert stored.principal_identifier == "150615A9589" and stored.sent_by == "Portaalia Nordea Testaaja"
    assert stored.actor_id and stored.actor_id != stored.owner_id and stored.actor_hash
    assert "150615A9589" not in stored.principal_hash and "210281" not in stored.actor_hash

    # Back to oneself from the top bar, without signing in again: the own folder, not the child's
    assert choose(client, sid, "self", "/folder").status_code == 303
    back = get(client, sid, "/folder").body.decode()
    assert own_item in back and item not in back and "You are acting for" not in back


def test_a_child_of_15_to_17_where_the_service_allows_but_not_in_health_care(client, idp, authz):
    sid = signed_in(client, idp)
    assert choose(client, sid, "Teemu Testaaja").status_code == 303
    assert get(client, sid, "/e-services/dog-declaration/form").status_code == 200
    refused = get(client, sid, "/e-services/dental-care/form")
    assert refused.status_code == 403
    assert "decides on their own health care" in refused.body.decode()


def test_health_care_for_a_child_under_15_stays_out_of_every_folder(client, idp, authz):
    from chalicelib.forms.store import form_for
    from chalicelib.models.forms import SubmissionModel

    sid = signed_in(client, idp)
    choose(client, sid, "Tiina Testaaja")
    filler = Filler(client, sid)
    filler.accept_agreement("dental-care")  # the guardian's own electronic agreement first (health-care consent)
    start = filler.start("dental-care").body.decode()
    assert 'value="Tiina Testaaja"' in start and 'value="150615A9589"' in start  # the patient is the child
    form = form_for("dental-care")
    for number, page in enumerate(form.pages, start=1):
        filler.page(number, {f.name: {"choice": f.options[0].value if f.options else "", "checkbox": "yes",
                                      "phone": "+358401234567", "date": "1.1.2027", "number": "1"}.get(f.type, "Hammas")
                             for f in page.fields if not f.readonly and f.required and f.type not in ("attachment", "multichoice")})
    item = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    stored = SubmissionModel.get(item)
    assert stored.health_care and stored.owner_id is None and stored.principal_kind == "child"
    assert item not in get(client, sid, "/folder").body.decode()
    choose(client, sid, "self")
    assert item not in get(client, sid, "/folder").body.decode()


def test_a_person_who_authorised_sees_what_was_done_for_them_in_their_own_folder(client, idp, authz):
    sid = signed_in(client, idp)
    choose(client, sid, "Aino Valtuuttaja")
    filler = Filler(client, sid)
    first = filler.start().body.decode()
    assert "You are acting for Aino Valtuuttaja, who has authorised you." in first
    assert 'value="120570-958R"' in first and 'value="Valtuuttaja"' in first  # the applicant is the principal
    for number, fields in enumerate((OWNER, DOG, CHANGE, ADDITIONAL), start=1):
        assert filler.page(number, fields).status_code == 303
    item = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    # Aino signs in herself: she registers first (her consent, her contact details), into the same folder
    from chalicelib.models.identity import ProfileModel
    from tests.fake_idp import _set_cookies

    (created,) = [p for p in ProfileModel.scan() if p.given_name == "Aino"]  # scan-ok: test inspection
    assert created.created_for == "authorisation" and created.email == "testaaja@example.fi"  # Nordea's, for now
    idp.next_claims = dict(AINO)
    started = client.get("/sign-in/start?customer=personal")
    answer = client.get(f"/auth/callback?{urlencode(idp.authorize(started.headers['Location']))}",
                        headers={"Cookie": f"signin={_set_cookies(started)['signin']}"})
    assert answer.headers["Location"] == "/register"
    aino = sign_in(client, idp, AINO, contact={"email": "aino@example.fi"})
    assert item in get(client, aino, "/folder").body.decode()
    adopted = ProfileModel.get(created.profile_id)
    assert adopted.email == "aino@example.fi" and adopted.created_for is None
    assert "Welcome, Aino Valtuuttaja" in get(client, sign_in(client, idp, AINO), "/").body.decode()  # no registration again
    # Nordea's My data lists what she did for others; Aino's own data has the item as hers
    data = json.loads(get(client, sid, "/profile/my-data.json").body)
    choose(client, sid, "self")
    own = json.loads(get(client, sid, "/profile/my-data.json").body)
    assert [d["item_number"] for d in own["done_for_others"]] == [item]
    assert own["done_for_others"][0]["for"] == "Aino Valtuuttaja"
    assert item in [s["item_number"] for s in data["submissions"]]


def test_a_company_with_the_needed_role_shares_its_folder(client, idp, authz):
    sid = signed_in(client, idp)
    chosen = choose(client, sid, "Testiyritys Oy", "/")
    assert chosen.status_code == 303
    home = get(client, sid, "/").body.decode()
    assert "You are acting for Testiyritys Oy (Business ID 9876543-0)." in home
    assert "for Testiyritys Oy (Business ID 9876543-0)" in home
    folder = get(client, sid, "/folder").body.decode()
    assert "Everyone who signs in for it shares this folder." in folder
    form = get(client, sid, "/e-services/dog-declaration/form").body.decode()
    assert "You are acting for Testiyritys Oy (Business ID 9876543-0)." in form


def test_a_company_without_the_needed_role_is_refused(client, idp, authz):
    sid = signed_in(client, idp)
    page, _ = follow(client, sid, "/act-for?change=1")
    html = page.body.decode()
    from chalicelib.authorizations import identifier_hash

    ref = identifier_hash("organisation", "2345678-0")[:24]
    assert f'value="{ref}"' not in html  # not offered
    refused = client.post("/act-for", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                          body=urlencode({"csrf_token": csrf_of(html), "principal": ref, "next": "/"}))
    assert refused.status_code == 403
    assert "Your roles in this company do not allow acting for it" in refused.body.decode()
    assert "You are acting for" not in get(client, sid, "/").body.decode()


def test_a_forged_choice_is_an_error_and_changes_nothing(client, idp, authz):
    sid = signed_in(client, idp)
    page, _ = follow(client, sid, "/act-for?change=1")
    answer = client.post("/act-for", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                         body=urlencode({"csrf_token": csrf_of(page.body.decode()), "principal": "f" * 24}))
    assert answer.status_code == 400 and "Choose whom you act for." in answer.body.decode()


def test_the_authorisation_service_down_shows_a_clear_page_and_the_person_continues_for_themselves(client, idp, authz):
    sid = signed_in(client, idp)
    authz.down = True
    page, _ = follow(client, sid, "/act-for?next=%2Ffolder")
    html = page.body.decode()
    assert page.status_code == 503 and "Suomi.fi e-Authorizations is not available" in html
    answer = client.post("/act-for", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                         body=urlencode({"csrf_token": csrf_of(html), "principal": "self", "next": "/folder"}))
    assert answer.status_code == 303 and answer.headers["Location"] == "/folder"
    # Up again: "Try again" lists the principals
    authz.down = False
    again, _ = follow(client, sid, "/act-for?next=%2Ffolder")
    assert ">Tiina Testaaja<" in again.body.decode()


def test_the_service_down_in_the_middle_of_the_round_trip(client, idp, authz, monkeypatch):
    from chalicelib.authorizations import port

    sid = signed_in(client, idp)
    real = port.WebApiAuthorizations.finish

    def failing(self, mode, *args):
        if mode == "ypa":
            raise port.AuthorizationsUnavailable("test: timeout")
        return real(self, mode, *args)

    monkeypatch.setattr(port.WebApiAuthorizations, "finish", failing)
    page, _ = follow(client, sid, "/act-for?next=%2F")
    assert page.status_code == 503


def test_the_stand_in_refuses_a_wrong_checksum(client, authz):
    from chalicelib.authorizations import port

    path = "/service/hpa/user/register/city-eservices-portal/210281-9988?requestId=x"
    wrong = port.authorization_header("city-eservices-portal", "not-the-key", path)
    answer = client.get("/dev-authorizations" + path, headers={port.HEADER: wrong})
    assert answer.status_code == 401
    right = port.authorization_header("city-eservices-portal", "local-development-checksum-key", path)
    assert client.get("/dev-authorizations" + path, headers={port.HEADER: right}).status_code == 200


def test_the_division_api_and_the_audit_trail_show_both(client, idp, authz):
    from chalicelib.divisions.keys import create_key
    from chalicelib.models.audit import AuditModel
    from chalicelib.models.forms import SubmissionModel

    sid = signed_in(client, idp)
    choose(client, sid, "Aino Valtuuttaja")
    filler = Filler(client, sid)
    filler.fill_dog_declaration()
    item = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    key = create_key(SubmissionModel.get(item).division_id)
    detail = json.loads(client.get(f"/api/v1/submissions/{item}", headers={"Authorization": f"Bearer {key}"}).body)
    assert detail["principal"] == {"kind": "person", "relation": "authorisation", "name": "Aino Valtuuttaja",
                                   "identifier": "120570-958R"}
    assert detail["acted_by"] == {"name": "Portaalia Nordea Testaaja"}
    stored = SubmissionModel.get(item)
    entries = [e for e in AuditModel.query(stored.owner_id) if e.action in ("acting-for", "sent-for")]
    assert {e.action for e in entries} == {"acting-for", "sent-for"}
    for entry in entries:
        assert entry.principal_hash == stored.principal_hash and entry.actor_hash == stored.actor_hash


def test_an_item_sent_for_oneself_shows_the_sender_as_principal_in_the_api(client, idp, authz):
    from chalicelib.divisions.keys import create_key
    from chalicelib.models.forms import SubmissionModel

    sid = signed_in(client, idp)
    filler = Filler(client, sid)
    filler.fill_dog_declaration()
    item = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    assert SubmissionModel.get(item).principal_kind is None  # additive: stored exactly as before
    key = create_key(SubmissionModel.get(item).division_id)
    detail = json.loads(client.get(f"/api/v1/submissions/{item}", headers={"Authorization": f"Bearer {key}"}).body)
    assert detail["principal"]["relation"] == "self" and detail["principal"]["identifier"] == "210281-9988"
    assert detail["acted_by"] == {"name": "Portaalia Nordea Testaaja"}


def test_a_child_who_comes_of_age_is_no_longer_in_custody():
    from datetime import date

    from chalicelib.authorizations import Principal, is_child_in_custody, may_act_in

    teemu = Principal("child", "custody", "Teemu", "h", identifier="010310A934S", birth_date="2010-03-01")
    assert teemu.age_band(date(2024, 12, 31)) == "under-15" and teemu.age_band(date(2026, 12, 6)) == "15-17"
    assert is_child_in_custody(teemu, date(2028, 2, 29)) and not is_child_in_custody(teemu, date(2028, 3, 1))
    assert may_act_in(teemu, health_care=True, today=date(2024, 12, 31))
    assert not may_act_in(teemu, health_care=True, today=date(2026, 12, 6))
    assert may_act_in(teemu, health_care=False, today=date(2026, 12, 6))


# --- corporate customers: the company from e-Authorizations (YPA), never from the token ----------
NORDEA_CORPORATE = {**NORDEA_TESTAAJA, "amr": ["katso"], "acr": "corporate"}  # Testiyritys Oy + Esimerkki Ky
KAISA = {"amr": ["katso"], "acr": "corporate", "given_name": "Kaisa Kollega", "family_name": "Testaaja",
         "national_id": "140592-926N", "loa": "substantial"}  # Testiyritys Oy, TJ: may act, may not delete
NOBODYS = {**CUSTOMER_B, "amr": ["katso"], "acr": "corporate"}  # e-Authorizations lists no company


def corporate_identification(client, idp, claims, next_path="/folder"):
    """A corporate sign-in up to the callback: (sid, the callback's answer)."""
    from tests.fake_idp import _set_cookies

    idp.next_claims = dict(claims)
    started = client.get(f"/sign-in/start?{urlencode({'customer': 'corporate', 'next': next_path})}")
    binding = _set_cookies(started)["signin"]
    answer = client.get(f"/auth/callback?{urlencode(idp.authorize(started.headers['Location']))}",
                        headers={"Cookie": f"signin={binding}"})
    return _set_cookies(answer)["sid"], answer


def post_choice(client, sid, html, ref, next_path="/folder"):
    return client.post("/act-for", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                       body=urlencode({"csrf_token": csrf_of(html), "principal": ref, "next": next_path}))


def test_a_corporate_customer_chooses_among_the_companies_before_registering(client, idp, authz):
    from chalicelib.authorizations import identifier_hash
    from chalicelib.models.identity import ProfileModel

    sid, answer = corporate_identification(client, idp, NORDEA_CORPORATE)
    assert answer.headers["Location"] == "/act-for?next=%2Ffolder"
    # Nothing else until a company is chosen: every page that needs a session sends the person back.
    for path in ("/folder", "/register", "/profile"):
        assert get(client, sid, path).headers["Location"] == "/act-for?next=%2Ffolder"
    page, _ = follow(client, sid, "/act-for?next=%2Ffolder")
    html = page.body.decode()
    assert page.status_code == 200 and "Which company do you act for?" in html
    assert [c[1] for c in authz.calls if "/service/" in c[1]][0].startswith("/dev-authorizations/service/ypa/")  # YPA only
    assert 'value="self"' not in html and "Tiina Testaaja" not in html  # no self, no persons
    allowed, refused = identifier_hash("organisation", "9876543-0")[:24], identifier_hash("organisation", "2345678-0")[:24]
    assert f'value="{allowed}"' in html and f'value="{refused}"' not in html
    assert "Esimerkki Ky (Business ID 2345678-0): your roles in it do not allow acting for it" in html
    assert post_choice(client, sid, html, "self").status_code == 400
    assert post_choice(client, sid, html, refused).status_code == 403
    assert ProfileModel.count() == 0
    chosen = post_choice(client, sid, html, allowed)
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/register"
    register = get(client, sid, "/register").body.decode()
    assert "Testiyritys Oy (9876543-0)" in register
    done = client.post("/register", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                       body=urlencode({"email": "yritys@example.fi", "methods": "email", "language": "en", "consent": "yes",
                                       "csrf_token": csrf_of(register)}))
    assert done.headers["Location"] == "/folder?notice=registered"
    (profile,) = ProfileModel.scan()  # scan-ok: test inspection
    assert profile.kind == "organisation" and profile.business_id == "9876543-0"
    assert profile.personal_identity_code is None  # the acting person's code is not the company's
    home = get(client, sid, "/").body.decode()
    assert "You are acting for Testiyritys Oy (Business ID 9876543-0)." in home


def test_a_colleague_with_one_company_reaches_the_shared_folder_without_a_choice(client, idp, authz):
    sid, _ = corporate_identification(client, idp, NORDEA_CORPORATE)
    page, _ = follow(client, sid, "/act-for?next=%2Ffolder")
    from chalicelib.authorizations import identifier_hash

    post_choice(client, sid, page.body.decode(), identifier_hash("organisation", "9876543-0")[:24])
    register = get(client, sid, "/register").body.decode()
    client.post("/register", headers={"Cookie": f"sid={sid}", "Content-Type": "application/x-www-form-urlencoded"},
                body=urlencode({"email": "yritys@example.fi", "methods": "email", "language": "en", "consent": "yes",
                                "csrf_token": csrf_of(register)}))
    kaisa, answer = corporate_identification(client, idp, KAISA)
    reached, path = follow(client, kaisa, answer.headers["Location"])
    assert path == "/folder" and reached.status_code == 200  # one company: chosen without asking
    assert "You are acting for Testiyritys Oy (Business ID 9876543-0)." in get(client, kaisa, "/").body.decode()
    from chalicelib.models.identity import ProfileModel

    assert ProfileModel.count() == 1  # the same organisation profile
    # Her roles (TJ) let her act for the company, not delete its profile (NIMKO, ELI, YHM may).
    assert "Only someone with the right to sign for the organisation" in get(client, kaisa, "/profile/delete").body.decode()
    assert "Only someone with the right to sign" not in get(client, sid, "/profile/delete").body.decode()


def test_a_corporate_customer_without_companies_is_told_so_and_registers_nothing(client, idp, authz):
    from chalicelib.models.identity import ProfileModel

    sid, answer = corporate_identification(client, idp, NOBODYS)
    page, _ = follow(client, sid, answer.headers["Location"])
    html = page.body.decode()
    assert page.status_code == 200 and "lists no company or organisation that you may act for" in html
    assert 'action="/act-for"' not in html and 'action="/sign-out"' in html
    assert ProfileModel.count() == 0
    assert get(client, sid, "/folder").headers["Location"] == "/act-for?next=%2Ffolder"


def test_a_corporate_customer_when_the_service_is_down_gets_no_self_to_continue_as(client, idp, authz):
    authz.down = True
    sid, answer = corporate_identification(client, idp, NORDEA_CORPORATE)
    page, _ = follow(client, sid, answer.headers["Location"])
    html = page.body.decode()
    assert page.status_code == 503 and "Suomi.fi e-Authorizations is not available" in html
    assert "Continue for myself" not in html and 'action="/sign-out"' in html
    forged = post_choice(client, sid, html, "self")
    assert forged.status_code == 400  # nothing listed, nothing chosen
    assert get(client, sid, "/folder").headers["Location"] == "/act-for?next=%2Ffolder"


def test_a_corporate_customer_changes_company_from_the_top_bar_without_signing_in_again(client, idp, authz):
    from chalicelib.authorizations import identifier_hash
    from chalicelib.models.identity import ProfileModel

    code = "150580-9511"
    idp.delegates[code] = {"persons": [], "companies": [
        {"identifier": "0201256-6", "name": "Ensimmäinen Oy", "roles": ["NIMKO"]},
        {"identifier": "0112038-9", "name": "Toinen Oy", "roles": ["TJ"]}]}
    first, second = (identifier_hash("organisation", b)[:24] for b in ("0201256-6", "0112038-9"))
    sid, answer = corporate_identification(client, idp, {**KAISA, "national_id": code}, next_path="/")

    def register():
        form = get(client, sid, "/register").body.decode()
        return client.post("/register", headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": "application/x-www-form-urlencoded"},
                           body=urlencode({"email": "x@example.fi", "methods": "email", "language": "en", "consent": "yes",
                                           "csrf_token": csrf_of(form)}))

    page, _ = follow(client, sid, answer.headers["Location"])
    assert post_choice(client, sid, page.body.decode(), first, "/").headers["Location"] == "/register"
    register()
    home = get(client, sid, "/").body.decode()
    assert "You are acting for Ensimmäinen Oy (Business ID 0201256-6)." in home and "Change whom you act for" in home
    # The top bar's change: both companies again, the current one chosen; the other one registers next.
    page, _ = follow(client, sid, "/act-for?change=1&next=%2F")
    html = page.body.decode()
    assert re.search(f'value="{first}"[^>]* checked', html) and f'value="{second}"' in html
    assert post_choice(client, sid, html, second, "/").headers["Location"] == "/register"
    assert "Toinen Oy (0112038-9)" in get(client, sid, "/register").body.decode()
    register()
    assert "You are acting for Toinen Oy (Business ID 0112038-9)." in get(client, sid, "/").body.decode()
    assert ProfileModel.count() == 2  # two folders, one for each company
    # And back: its folder is there already, nothing to register.
    page, _ = follow(client, sid, "/act-for?change=1&next=%2Ffolder")
    back = post_choice(client, sid, page.body.decode(), first, "/folder")
    assert back.headers["Location"] == "/folder"
    assert "You are acting for Ensimmäinen Oy (Business ID 0201256-6)." in get(client, sid, "/").body.decode()
    assert ProfileModel.count() == 2
