"""Each preset of the claim mapping against an independent OpenID provider (npm ``oidc-provider``,
the ``openid_provider`` fixture): the provider's accounts assert each vocabulary, the portal is
configured only by settings, and a person and an organisation sign in (docs/identity.md "Claims")."""
from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.config import settings
from tests.oidc_provider.harness import _set_cookies

HETU = "210281-9988"
HELSINKI_PERSON = {"given_name": "Portaalia Nordea", "family_name": "Testaaja", "email": "nordea@example.fi",
                   "amr": ["suomi_fi"], "loa": "substantial"}
# Kaisa Kollega Testaaja: e-Authorizations' stand-in lists Testiyritys Oy for her (dev_principals.json).
KAISA = "140592-926N"
HELSINKI_ORGANISATION = {"given_name": "Kaisa Kollega", "family_name": "Testaaja", "amr": ["katso"], "loa": "substantial"}


def configure(monkeypatch, **values):
    values.setdefault("identity_claim_personal_identity_code", None)
    values.setdefault("identity_methods", "")
    for name, value in values.items():
        monkeypatch.setattr(settings(), name, value)


def registered_as(client, op, sub, customer="personal"):
    from tests.acting import through_choice
    from tests.fake_idp import browsing

    answer = op.sign_in(client, op.browser(), sub, customer=customer)
    sid = _set_cookies(answer)["sid"]
    if customer == "corporate":  # the company from e-Authorizations (its stand-in, in process) first
        answer = through_choice(*browsing(client, sid), answer)
    assert answer.status_code == 303 and answer.headers["Location"] == "/register", answer.body.decode()[:2000]
    return client.get("/register", headers={"Cookie": f"sid={sid}; lang=en"}).body.decode()


def refused(client, op, sub, customer="personal"):
    answer = op.sign_in(client, op.browser(), sub, customer=customer, cookie="lang=en")
    assert answer.status_code in (400, 503) and "sid" not in _set_cookies(answer)
    return answer.body.decode()


class Exchange:
    """The broker's side of the profile-service call for an independent provider: the UMA grant
    checks the access token at the provider's userinfo endpoint (as Keycloak knows its own tokens)
    and answers the bundled provider's API token for the person, which the stand-in's GraphQL
    (also served here) accepts."""

    def __init__(self, op, people: dict[str, str]):
        exchange = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                from chalicelib.devidp import identities, profile_service, tokens

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/token":
                    request = urllib.request.Request(f"{op.base}/me", headers={"Authorization": self.headers["Authorization"]})
                    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                        sub = json.loads(answer.read())["sub"]
                    token = tokens._sign({"iss": settings().oidc_issuer, "aud": "profile-api", "typ": "Bearer",
                                          "sub": identities.subject(f"person:{people[sub]}"), "loa": "substantial",
                                          "iat": 1, "exp": 4102444800})
                    answer_body = {"access_token": token, "token_type": "Bearer"}
                else:
                    claims = profile_service.token_claims(self.headers.get("Authorization"))
                    answer_body = profile_service.execute(json.loads(body)["query"], claims)
                exchange.calls.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(answer_body).encode())

        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_helsinki_person_with_the_code_from_the_profile_service(client, openid_provider, monkeypatch):
    from chalicelib.identity import profile_service

    op = openid_provider(accounts={"p-1": HELSINKI_PERSON})
    exchange = Exchange(op, {"p-1": HETU})
    try:
        configure(monkeypatch, profile_api_token_url=f"{exchange.base}/token", profile_api_url=f"{exchange.base}/graphql")
        monkeypatch.setattr(profile_service, "transport", profile_service.urllib_transport)
        page = registered_as(client, op, "p-1")
        assert "Portaalia Nordea Testaaja" in page
        assert exchange.calls == ["/token", "/graphql"]
    finally:
        exchange.stop()


def test_helsinki_person_with_a_configured_code_claim(client, openid_provider, monkeypatch):
    op = openid_provider(accounts={"p-1": {**HELSINKI_PERSON, "hetu": HETU}}, scopes={"hetu": ["hetu"]})
    configure(monkeypatch, identity_claim_personal_identity_code="hetu", oidc_scope="openid profile hetu")
    assert "Portaalia Nordea Testaaja" in registered_as(client, op, "p-1")


def test_helsinki_organisation(client, openid_provider, monkeypatch):
    """A corporate customer: the person's code from the profile service, the company from e-Authorizations."""
    from chalicelib.identity import profile_service

    op = openid_provider(accounts={"o-1": HELSINKI_ORGANISATION})
    exchange = Exchange(op, {"o-1": KAISA})
    try:
        configure(monkeypatch, profile_api_token_url=f"{exchange.base}/token", profile_api_url=f"{exchange.base}/graphql")
        monkeypatch.setattr(profile_service, "transport", profile_service.urllib_transport)
        page = registered_as(client, op, "o-1", "corporate")
        assert "Testiyritys Oy (9876543-0)" in page
        assert exchange.calls == ["/token", "/graphql"]
    finally:
        exchange.stop()


def test_helsinki_below_the_minimum_is_refused_with_its_page(client, openid_provider, monkeypatch):
    op = openid_provider(accounts={"p-1": {**HELSINKI_PERSON, "amr": ["helsinki_tunnus"], "loa": "low"}})
    configure(monkeypatch)
    assert "not strong enough" in refused(client, op, "p-1")


SUOMIFI_SCOPE = {"suomifi": ["urn:oid:1.2.246.21", "urn:oid:2.5.4.42", "urn:oid:2.5.4.4"]}


def test_suomifi_oidc_person(client, openid_provider, monkeypatch):
    account = {"urn:oid:1.2.246.21": HETU, "urn:oid:2.5.4.42": "Portaalia", "urn:oid:2.5.4.4": "Testaaja",
               "acr": "http://ftn.ficora.fi/2017/loa3"}
    op = openid_provider(accounts={"s-1": account}, scopes=SUOMIFI_SCOPE)
    configure(monkeypatch, identity_preset="suomifi-oidc", oidc_scope="openid suomifi")
    assert "Portaalia Testaaja" in registered_as(client, op, "s-1")


def test_suomifi_oidc_below_substantial_is_refused(client, openid_provider, monkeypatch):
    account = {"urn:oid:1.2.246.21": HETU, "urn:oid:2.5.4.42": "Portaalia", "urn:oid:2.5.4.4": "Testaaja",
               "acr": "http://eidas.europa.eu/LoA/low"}
    op = openid_provider(accounts={"s-1": account}, scopes=SUOMIFI_SCOPE)
    configure(monkeypatch, identity_preset="suomifi-oidc", oidc_scope="openid suomifi")
    assert "not strong enough" in refused(client, op, "s-1")


GENERIC = {
    "identity_preset": "generic", "identity_claim_personal_identity_code": "pic", "identity_claim_method": "amr",
    "identity_claim_loa": "level", "identity_methods": '{"pwd": "bank", "org": "organisation"}',
    "identity_loa_values": '{"2": "substantial", "3": "high"}', "oidc_scope": "openid profile extra",
}


@pytest.mark.parametrize(("sub", "customer", "expected"), [
    ("g-person", "personal", "Portaalia Testaaja"),
    ("g-org", "corporate", "Testiyritys Oy (9876543-0)"),
])
def test_generic_person_and_organisation(client, openid_provider, monkeypatch, sub, customer, expected):
    accounts = {
        "g-person": {"given_name": "Portaalia", "family_name": "Testaaja", "amr": ["pwd"], "pic": HETU, "level": "2"},
        "g-org": {"given_name": "Kaisa", "family_name": "Testaaja", "amr": ["org"], "pic": KAISA, "level": "3"},
    }
    op = openid_provider(accounts=accounts, scopes={"extra": ["pic", "level"]})
    configure(monkeypatch, **GENERIC)
    assert expected in registered_as(client, op, sub, customer)


def test_helsinki_amr_as_a_string_from_the_userinfo_endpoint(client, openid_provider, monkeypatch):
    """The broker's `amr` is a string (`"suomi_fi"`); here the provider releases it, with the names and
    the level, only at the userinfo endpoint (the portal completes the ID token's claims there)."""
    account = {**HELSINKI_PERSON, "amr": "suomi_fi", "hetu": HETU}
    op = openid_provider(accounts={"p-1": account}, claims_in_id_token=False, scopes={"hetu": ["hetu"]})
    configure(monkeypatch, identity_claim_personal_identity_code="hetu", oidc_scope="openid profile hetu")
    assert "Portaalia Nordea Testaaja" in registered_as(client, op, "p-1")
