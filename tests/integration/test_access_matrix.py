"""The access-control matrix: every route and action of the portal and the API, for anonymous,
citizen A (who owns the draft and the item), citizen B, an organisation member, division X (whose
e-service it is) and division Y, and (issue 17) the same person as A acting for others: as the
guardian G of a child in her custody, as the authorised person P of a person who authorised her, and
as the representative C of a company. Each cell's expected answer is written down; a route without a
row fails the test."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.acting import in_process_authorizations
from tests.fake_idp import COMPANY_KEYS, NORDEA_TESTAAJA, ORGANISATION_USER
from tests.integration.test_folder import CUSTOMER_B

ROLES = ("anon", "B", "M", "G", "P", "C", "DY", "DX", "A")  # the owner last: its actions may change the world
ACTING = {"G": ("150615A9589", "Tiina Testaaja"), "P": ("120570-958R", "Aino Valtuuttaja"), "C": ("9876543-0", "Testiyritys Oy")}
ALL = dict.fromkeys(ROLES)


def same(code):
    return {role: code for role in ROLES}


def web(anon, signed_in=None, *, A=None, B=None, M=None, acting=None):
    """Web routes: the division keys carry no session, so they are anonymous here."""
    signed_in = signed_in if signed_in is not None else anon
    return {"anon": anon, "DX": anon, "DY": anon, "A": A or signed_in, "B": B or signed_in, "M": M or signed_in,
            "G": acting or signed_in, "P": acting or signed_in, "C": acting or signed_in}


def owned(anon=303, owner=200, other=404):
    return web(anon, other, A=owner)


def api(x, y=404, web_roles=401):
    return {"anon": web_roles, "A": web_roles, "B": web_roles, "M": web_roles, "G": web_roles, "P": web_roles,
            "C": web_roles, "DX": x, "DY": y}


# (method, route, concrete path, body, expected)
MATRIX = [
    ("GET", "/", "/", None, same(200)),
    ("GET", "/instructions", "/instructions", None, same(200)),
    ("GET", "/accessibility", "/accessibility", None, same(200)),
    ("GET", "/supported-browsers", "/supported-browsers", None, same(200)),
    ("GET", "/security", "/security", None, same(200)),
    ("GET", "/e-services", "/e-services?q=koira", None, same(200)),
    ("GET", "/e-services/{service_id}", "/e-services/dog-declaration", None, same(200)),
    ("GET", "/e-services/{service_id}/form", "/e-services/dog-declaration/form", None, web(303, 200)),
    ("POST", "/e-services/{service_id}/form/check", "/e-services/dog-declaration/form/check",
     {"field": "postal_code", "value": "00100"}, web(303, 200)),
    # Health-care consent: the electronic agreement (A has accepted dental care's, and so has A acting for
    # others as G, P and C: the acceptance is the acting person's own; nobody else has).
    ("GET", "/e-services/{service_id}/agreement", "/e-services/dental-care/agreement", None, web(303, 200)),
    ("POST", "/e-services/{service_id}/agreement", "/e-services/dental-care/agreement", {"accept": "yes"}, web(303, 303)),
    # The notice of consent is a guardian's acting for a child under 15: G only.
    ("GET", "/e-services/{service_id}/consent-notice.pdf", "/e-services/dental-care/consent-notice.pdf", None,
     {**web(303, 404), "G": 200}),
    ("POST", "/profile/agreements/{service_id}/withdraw", "/profile/agreements/dental-care/withdraw", {},
     {**owned(owner=303), "G": 303, "P": 303, "C": 303}),
    ("GET", "/static/{name}", "{asset}", None, same(200)),
    ("GET", "/favicon.ico", "/favicon.ico", None, same(200)),
    ("GET", "/feedback", "/feedback", None, same(200)),
    ("POST", "/feedback", "/feedback", {"message": "Hyvä", "token": "{token}"}, same(303)),
    ("GET", "/feedback/thanks", "/feedback/thanks", None, same(200)),
    ("GET", "/sign-in", "/sign-in", None, web(200, 303)),
    ("GET", "/sign-in/start", "/sign-in/start?customer=personal", None, same(303)),
    ("GET", "/auth/callback", "/auth/callback?state=forged&code=x", None, same(400)),
    # Machine endpoints of the identity provider: back-channel logout (a logout token or 400), the
    # portal's public key set for private_key_jwt (public; empty unless that method is configured).
    ("POST", "/auth/backchannel-logout", "/auth/backchannel-logout", {"logout_token": "x.y.z"}, same(400)),
    ("GET", "/auth/jwks", "/auth/jwks", None, same(200)),
    ("GET", "/register", "/register", None, same(303)),
    ("POST", "/register", "/register", {"email": "x@example.fi"}, same(303)),
    ("POST", "/register/cancel", "/register/cancel", {}, same(303)),
    ("POST", "/sign-out", "/sign-out", {}, same(303)),
    ("GET", "/signed-out", "/signed-out", None, same(200)),
    ("GET", "/session/status", "/session/status", None, web(401, 200)),
    ("POST", "/session/extend", "/session/extend", {"next": "/"}, same(303)),
    ("GET", "/profile", "/profile", None, web(303, 200)),
    ("GET", "/profile/edit", "/profile/edit", None, web(303, 200)),
    ("POST", "/profile/edit", "/profile/edit", {"email": "uusi@example.fi", "methods": "email", "language": "fi"}, web(303, 303)),
    ("GET", "/profile/my-data", "/profile/my-data", None, web(303, 200)),
    ("GET", "/profile/my-data.json", "/profile/my-data.json", None, web(303, 200)),
    ("GET", "/profile/delete", "/profile/delete", None, web(303, 200)),
    # Nobody deletes the profile of a child, a person or a company they act for (issue 17)
    ("POST", "/profile/delete", "/profile/delete", {"confirm": "yes"}, web(303, 303, acting=403)),
    ("GET", "/profile/deleted", "/profile/deleted", None, same(200)),
    ("GET", "/folder", "/folder", None, web(303, 200)),
    ("GET", "/folder/{item_number}", "/folder/{item}", None, owned()),
    ("GET", "/folder/{item_number}/application", "/folder/{item}/application", None, owned()),
    ("GET", "/folder/{item_number}/receipt", "/folder/{item}/receipt", None, owned()),
    ("GET", "/folder/{item_number}/complement", "/folder/{item}/complement", None, owned()),
    ("POST", "/folder/{item_number}/complement", "/folder/{item}/complement", {"text": "Lisätieto"}, owned(owner=303)),
    ("POST", "/folder/{item_number}/messages/{thread_id}", "/folder/{item}/messages/{thread}", {"text": "Vastaus"},
     owned(owner=303)),
    ("POST", "/folder/{item_number}/template", "/folder/{item}/template", {}, owned(owner=303)),
    ("GET", "/drafts/{draft_id}", "/drafts/{draft}", None, owned(owner=303)),
    ("GET", "/drafts/{draft_id}/pages/{number}", "/drafts/{draft}/pages/2", None, owned()),
    ("POST", "/drafts/{draft_id}/pages/{number}", "/drafts/{draft}/pages/2",
     {"dog_name": "Rekku", "breed": "Pystykorva", "sex": "male", "birth_date": "1.1.2020", "microchip": "", "action": "next"},
     owned(owner=303)),
    ("POST", "/drafts/{draft_id}/autosave", "/drafts/{draft}/autosave", {"page": "2", "dog_name": "Rekku"}, owned()),
    # A draft id the portal never makes is no draft, for anyone (issue 15: it used to become one).
    ("POST", "/drafts/{draft_id}/autosave", "/drafts/" + "z" * 32 + "/autosave", {"page": "1", "new": "dog-declaration"},
     web(303, 404)),
    ("POST", "/drafts/{draft_id}/autosave", "/drafts/" + "x" * 900 + "/autosave", {"page": "1", "new": "dog-declaration"},
     web(303, 404)),
    ("GET", "/drafts/{draft_id}/remove", "/drafts/{draft}/remove", None, owned()),
    ("POST", "/drafts/{draft_id}/remove", "/drafts/{draft}/remove", {}, owned(owner=303)),
    ("POST", "/drafts/{draft_id}/send", "/drafts/{draft}/send", {}, owned()),
    # The sent page's receipt: through A's sent draft (its "sent" marker); a draft not sent has none.
    ("GET", "/drafts/{draft_id}/receipt", "/drafts/" + "a" * 32 + "/receipt", None, owned()),
    ("GET", "/drafts/{draft_id}/receipt", "/drafts/{draft}/receipt", None, owned(owner=404)),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, same(200)),
    ("GET", "/api/v1/docs", "/api/v1/docs", None, same(200)),
    ("GET", "/api/v1/submissions", "/api/v1/submissions", None, api(200, 200)),
    ("GET", "/api/v1/health-care-inbox", "/api/v1/health-care-inbox", None, api(200, 200)),
    ("GET", "/api/v1/submissions/{item_number}", "/api/v1/submissions/{item}", None, api(200)),
    ("POST", "/api/v1/submissions/{item_number}/status", "/api/v1/submissions/{item}/status", {"status": "received"}, api(200)),
    ("POST", "/api/v1/submissions/{item_number}/messages", "/api/v1/submissions/{item}/messages", {"text": "Hei"}, api(201)),
    # Whom the person acts for (issue 17)
    ("GET", "/act-for", "/act-for?next=/folder", None, web(303, 303)),
    ("POST", "/act-for", "/act-for", {"principal": "self", "next": "/folder"}, web(303, 303, M=400)),  # no self for a corporate customer
    ("GET", "/act-for/callback/{mode}", "/act-for/callback/hpa?code=forged", None, web(303, 404)),
    ("POST", "/act-for/refresh", "/act-for/refresh", {"next": "/"}, web(303, 303)),
    # The e-Authorizations stand-in (not in prod): nothing without the portal's checksum and token.
    ("GET", "/dev-authorizations/service/{mode}/user/register/{client_id}/{delegate}",
     "/dev-authorizations/service/hpa/user/register/city-eservices-portal/210281-9988?requestId=x", None, same(401)),
    ("GET", "/dev-authorizations/oauth/authorize", "/dev-authorizations/oauth/authorize?client_id=x", None, same(400)),
    ("POST", "/dev-authorizations/oauth/token", "/dev-authorizations/oauth/token?code=x", {}, same(401)),
    ("GET", "/dev-authorizations/service/hpa/api/delegate/{session_id}", "/dev-authorizations/service/hpa/api/delegate/x",
     None, same(401)),
    ("GET", "/dev-authorizations/service/hpa/api/authorization/{session_id}/{person_id}",
     "/dev-authorizations/service/hpa/api/authorization/x/y", None, same(401)),
    ("GET", "/dev-authorizations/service/ypa/api/organizationRoles/{session_id}",
     "/dev-authorizations/service/ypa/api/organizationRoles/x", None, same(401)),
    # The development identity provider (not in prod): the same for everyone.
    ("GET", "/dev-idp/.well-known/openid-configuration", "/dev-idp/.well-known/openid-configuration", None, same(200)),
    ("GET", "/dev-idp/jwks", "/dev-idp/jwks", None, same(200)),
    ("GET", "/dev-idp/end-session", "/dev-idp/end-session", None, same(400)),
    ("GET", "/dev-idp/authorize", "/dev-idp/authorize", None, same(400)),
    ("POST", "/dev-idp/authorize", "/dev-idp/authorize", {}, same(400)),
    ("POST", "/dev-idp/token", "/dev-idp/token", {"grant_type": "authorization_code", "code": "x"}, same(401)),
    # The profile service's stand-in (not in prod): no profile for a session or without a token
    # (200 with myProfile null); a division key is no API token of the provider (401).
    ("POST", "/dev-profile/graphql", "/dev-profile/graphql", {"query": "{ myProfile { id } }"},
     {"anon": 200, "A": 200, "B": 200, "M": 200, "G": 200, "P": 200, "C": 200, "DX": 401, "DY": 401}),
]
DEV_IDP_SCREENS = ["/dev-idp/start", "/dev-idp/bank", "/dev-idp/bank/{bank_key}", "/dev-idp/card", "/dev-idp/katso", "/dev-idp/mobile"]
for screen in DEV_IDP_SCREENS:
    concrete = screen.replace("{bank_key}", "nordea")
    MATRIX.append(("GET", screen, concrete, None, same(400)))
    MATRIX.append(("POST", screen, concrete, {"interaction": "forged"}, same(400)))


def test_every_route_has_a_row():
    from app import app

    routes = {(method, path) for path, entries in app.routes.items() for method in entries}
    rows = {(method, route) for method, route, *_ in MATRIX}
    assert routes == rows, {"without a row": sorted(routes - rows), "rows without a route": sorted(rows - routes)}


@pytest.fixture
def world(aws, client, monkeypatch):
    """Citizens A and B, an organisation member M, division keys X (urban environment) and Y;
    A owns a draft and a sent item (with an official's open thread)."""
    from chalicelib import folder, sessions
    from chalicelib.divisions.keys import create_key
    from chalicelib.forms import drafts, sending
    from chalicelib.forms.store import form_for
    from chalicelib.identity.claims import identity_from_claims
    from chalicelib.identity.profiles import ContactForm, get_profile, register

    from chalicelib.config import settings
    from tests.conftest import FAKE_PROVIDER_METHODS

    # The claims are tests/fake_idp.py's: configured as the idp fixture configures the mapping.
    monkeypatch.setattr(settings(), "identity_claim_personal_identity_code", "national_id")
    monkeypatch.setattr(settings(), "identity_methods", FAKE_PROVIDER_METHODS)
    people = {}
    for role, claims in (("A", NORDEA_TESTAAJA), ("B", CUSTOMER_B), ("M", ORGANISATION_USER)):
        identity = identity_from_claims({k: v for k, v in claims.items() if k not in COMPANY_KEYS}, customer=claims["acr"])
        if role == "M":  # the company that e-Authorizations lists for her, chosen
            identity = identity.for_organisation(claims["business_id"], claims["organisation_name"], claims["organisation_roles"])
        profile_id = register(identity, ContactForm(email="x@example.fi", methods=("email",), language="en", consent=True))
        token, session = sessions.create_session(identity, profile_id)
        if role == "M":
            from chalicelib.authorizations import port

            company = port.company_principal(identity.business_id, identity.organisation_name, list(identity.roles))
            sessions.represent(session, identity, company, profile_id, "/")
        people[role] = {"sid": token, "csrf": session.csrf_token, "profile_id": profile_id, "name": identity.full_name}
    form = form_for("dog-declaration")
    owner = drafts.Owner(people["A"]["profile_id"], people["A"]["name"])
    identity = drafts.identity_values(get_profile(owner.owner_id), owner.acting_name)
    answers = {"office_phone": "", "email": "a@example.fi", "street_address": "Katu 1", "postal_code": "00100",
               "post_office": "Helsinki", "dog_name": "Musti", "breed": "Sekarotuinen", "sex": "male", "birth_date": "1.2.2020",
               "declaration_type": "new", "dog_count": "1", "information_correct": "yes"}
    sent_draft = drafts.new(owner, "a" * 32, form, identity)
    sent_draft.answers = {**sent_draft.answers, **answers}
    drafts.save(sent_draft, is_new=True)
    item = sending.send(form, drafts.load(owner, "a" * 32), sender_id=owner.owner_id, sent_by=owner.acting_name,
                        language="fi").item_number
    draft = drafts.new(owner, "b" * 32, form, identity)
    draft.answers = {**draft.answers, **answers}
    drafts.save(draft, is_new=True)
    thread = folder.official_message(item, text="Kysymys", author_name="Virkailija", reply_allowed=True)
    from chalicelib import consent
    from chalicelib.catalogue.store import get_service

    a_session = sessions.person_hash("personal", people["A"]["profile_id"], identity_from_claims(NORDEA_TESTAAJA).actor_hash)
    consent.accept(a_session, people["A"]["profile_id"], get_service("dental-care"), "fi")
    # G, P and C: A's own person, signed in again, acting for a child, an authorised person and a company
    from chalicelib.authorizations import folders, port
    from chalicelib.identity.profiles import get_profile as profile_of

    for role, (identifier, name) in ACTING.items():
        principal = port.company_principal(identifier, name, ["NIMKO"]) if role == "C" else port.person_principal(identifier, name)
        token, session = sessions.create_session(identity_from_claims(NORDEA_TESTAAJA), people["A"]["profile_id"])
        sessions.act_for(session, principal, folders.folder_for(principal, profile_of(people["A"]["profile_id"])))
        people[role] = {"sid": token, "csrf": session.csrf_token, "profile_id": session.profile_id, "name": session.acting_name}
    from chalicelib.identity import http, oidc
    from chalicelib.web.assets import hashed_name

    base = "http://localhost:8000"

    def in_process(method, url, body, headers):  # the portal reaches its own development provider
        answer = client.get(url[len(base):], headers=headers) if method == "GET" else \
            client.post(url[len(base):], body=body, headers=headers)
        return http.HttpResponse(answer.status_code, answer.body)

    monkeypatch.setattr(http, "transport", in_process)
    in_process_authorizations(monkeypatch, client)
    oidc.clear_cache()

    return {
        "people": people, "item": item, "draft": "b" * 32, "thread": thread,
        "keys": {"DX": create_key("urban-environment"), "DY": create_key("culture-leisure")},
        "asset": f"/static/{hashed_name('portal.css')}",
    }


def _request(client, world, role, method, path, body):
    headers = {"Cookie": "lang=en", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # as a browser asks
    if role in world["people"]:
        person = world["people"][role]
        headers["Cookie"] += f"; sid={person['sid']}"
    if role in world["keys"]:
        headers["Authorization"] = f"Bearer {world['keys'][role]}"
    path = path.format(item=world["item"], draft=world["draft"], thread=world["thread"], asset=world["asset"])
    if method == "GET":
        return client.get(path, headers=headers)
    fields = {k: (v if v != "{token}" else "f" * 32) for k, v in (body or {}).items()}
    if path.startswith(("/api/", "/dev-profile/")):
        headers["Content-Type"] = "application/json"
        return client.post(path, headers=headers, body=json.dumps(fields))
    if role in world["people"]:
        fields["csrf_token"] = world["people"][role]["csrf"]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return client.post(path, headers=headers, body=urlencode(fields))


@pytest.mark.parametrize("method, route, path, body, expected", MATRIX, ids=[f"{m} {r}" for m, r, *_ in MATRIX])
def test_the_matrix(client, world, method, route, path, body, expected):
    responses = {role: _request(client, world, role, method, path, body) for role in ROLES}
    assert {role: r.status_code for role, r in responses.items()} == expected
    # Every answer of every route, whatever its status and type (page, JSON, problem+json, static
    # file, redirect), carries the security headers.
    from chalicelib.web.responses import SECURITY_HEADERS

    for role, response in responses.items():
        missing = {name: value for name, value in SECURITY_HEADERS.items() if response.headers.get(name) != value}
        assert not missing, (role, response.status_code, missing)


def test_a_non_owner_never_learns_that_an_item_exists(client, world):
    """404 for someone else's item is the same page as for a number that does not exist."""
    for role in ("B", "M", "G", "P", "C"):
        existing = _request(client, world, role, "GET", "/folder/{item}", None).body.decode()
        missing = _request(client, world, role, "GET", "/folder/999999", None).body.decode()
        strip = lambda html: re.sub(r'name="token" value="[0-9a-f]+"', "", html)  # noqa: E731 (a one-off)
        assert strip(existing).replace(world["item"], "X") == strip(missing).replace("999999", "X")


def test_no_principal_sees_another_principals_items(client, world):
    """Each folder's item is seen by those who act for its principal and by nobody else: A herself, A
    as the guardian of a child, as an authorised person and as a company's representative are four
    folders (issue 17); B and the organisation member M see none of them."""
    from chalicelib import sessions
    from chalicelib.forms import drafts, sending
    from chalicelib.forms.store import form_for
    from chalicelib.identity.profiles import get_profile

    form = form_for("dog-declaration")
    items = {"A": world["item"]}
    for role in ("G", "P", "C"):
        session = sessions.load_session(world["people"][role]["sid"]).session
        owner = drafts.Owner(session.profile_id, session.acting_name, session.principal, session.actor_profile_id)
        draft = drafts.new(owner, {"G": "c", "P": "d", "C": "e"}[role] * 32, form,
                           drafts.identity_values(get_profile(owner.owner_id), owner.acting_name, principal=owner.principal,
                                                  actor_profile=get_profile(owner.actor_profile_id)))
        draft.answers = {**draft.answers, "personal_identity_code": "210281-9988", "email": "g@example.fi",
                         "street_address": "Katu 1", "postal_code": "00100", "post_office": "Helsinki", "dog_name": "Musti",
                         "breed": "Sekarotuinen", "sex": "male", "birth_date": "1.2.2020", "declaration_type": "new",
                         "dog_count": "1", "information_correct": "yes", "office_phone": ""}
        drafts.save(draft, is_new=True)
        items[role] = sending.send(form, drafts.load(owner, draft.draft_id), sender_id=owner.owner_id,
                                   sent_by=owner.acting_name, language="fi", principal=session.principal,
                                   actor_id=session.actor_profile_id, actor_hash=session.actor_hash).item_number
    for owner_role, item in items.items():
        seen = {role: _request(client, world, role, "GET", f"/folder/{item}", None).status_code
                for role in ("B", "M", "G", "P", "C", "A")}
        assert seen == {role: (200 if role == owner_role else 404) for role in seen}, owner_role
        listed = {role: item in _request(client, world, role, "GET", "/folder", None).body.decode() for role in seen}
        assert listed == {role: role == owner_role for role in seen}, owner_role
