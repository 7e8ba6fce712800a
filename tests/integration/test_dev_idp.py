"""The development identity provider end to end through the Chalice test client and moto: discovery,
every identification method to a code and an ID token verified with PyJWT against the JWKS, the
errors people and clients make, and the token endpoint's refusals."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from chalicelib import clock
from chalicelib.config import settings

ISSUER = "http://localhost:8000/dev-idp"
CLIENT_ID = "city-eservices-portal"
SECRET = "local-development-secret"
REDIRECT_URI = "http://localhost:8000/auth/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NORDEA_TESTAAJA = "210281-9988"


# --- helpers ---------------------------------------------------------------------------------


def text(response) -> str:
    return response.body.decode("utf-8")


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Flow:
    """One authorization request as a client (the portal) would make it, and the person's answers."""

    def __init__(self, client, **overrides):
        self.client = client
        self.verifier = secrets.token_urlsafe(48)
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.params = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": challenge_of(self.verifier),
            "code_challenge_method": "S256",
            "ui_locales": "en",
        }
        self.params.update(overrides)
        self.params = {k: v for k, v in self.params.items() if v is not None}
        self.interaction = None
        self.jar: dict[str, str] = {"lang": "en"}  # the browser's cookies (language, interaction)

    @property
    def cookie(self) -> str | None:
        return self.jar.get("devidp_interaction")

    @cookie.setter
    def cookie(self, value: str) -> None:
        self.jar["devidp_interaction"] = value

    def _cookies(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())} if self.jar else {}

    def _remember(self, response):
        found = re.search(r'name="interaction" value="([^"]+)"', text(response))
        if found:
            self.interaction = found.group(1)
        cookies = response.headers.get("Set-Cookie") or []
        for cookie in cookies if isinstance(cookies, list) else [cookies]:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.jar[name] = value
        return response

    def authorize(self):
        return self._remember(self.client.get("/dev-idp/authorize?" + urlencode(self.params), headers=self._cookies()))

    def post(self, path: str, **fields):
        body = urlencode({"interaction": self.interaction, **fields})
        return self._remember(self.client.post(f"/dev-idp{path}", body=body, headers={**FORM, **self._cookies()}))

    def get(self, path: str):
        return self._remember(self.client.get(f"/dev-idp{path}", headers=self._cookies()))

    def code_from(self, response) -> str:
        assert response.status_code == 200, text(response)[:500]
        assert 'data-auto-continue="3"' in text(response)  # the success page, in whichever language
        href = html.unescape(re.search(r'href="([^"]+)" data-auto-continue="3"', text(response)).group(1))
        parts = urlsplit(href)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
        query = parse_qs(parts.query)
        assert set(query) == {"code", "state"}  # the final redirect carries nothing else
        assert query["state"] == [self.state]
        return query["code"][0]

    def redeem(self, the_code: str, **overrides):
        fields = {"grant_type": "authorization_code", "code": the_code, "redirect_uri": REDIRECT_URI,
                  "code_verifier": self.verifier}
        fields.update(overrides)
        fields = {k: v for k, v in fields.items() if v is not None}
        return token_request(self.client, fields)


def basic(client_id=CLIENT_ID, secret=SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client, fields, authorization=None, content_type="application/x-www-form-urlencoded"):
    headers = {"Content-Type": content_type}
    if authorization is not False:
        headers["Authorization"] = authorization or basic()
    return client.post("/dev-idp/token", body=urlencode(fields), headers=headers)


def verified_claims(client, id_token: str, nonce: str, leeway: float = 0) -> dict:
    keys = json.loads(client.get("/dev-idp/jwks").body)["keys"]
    kid = jwt.get_unverified_header(id_token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    # A PyJWK brings PyJWT's own RS256 (cryptography), not the portal's pycryptodome one: the
    # provider's tokens are checked by another implementation, as any relying party would.
    claims = jwt.decode(id_token, key=jwt.PyJWK(jwk, algorithm="RS256"), algorithms=["RS256"],
                        audience=CLIENT_ID, issuer=ISSUER, leeway=leeway,
                        options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce", "auth_time"]})
    assert claims["nonce"] == nonce
    assert claims["exp"] - claims["iat"] == 300
    return claims


def identify_with_bank(client, bank="nordea", user_id="123456", code="1234") -> tuple[Flow, object]:
    flow = Flow(client)
    flow.authorize()
    flow.post("/bank")
    flow.post(f"/bank/{bank}")
    return flow, flow.post(f"/bank/{bank}", action="ok", user_id=user_id, code=code)


def tokens_for(flow: Flow, response, leeway: float = 0) -> dict:
    answer = flow.redeem(flow.code_from(response))
    assert answer.status_code == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    body = json.loads(answer.body)
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"]
    flow.access_token = body["access_token"]
    return verified_claims(flow.client, body["id_token"], flow.nonce, leeway)


def api_token(client, access_token: str, audience: str = "profile-api", permission: str = "#access"):
    """The City's services' token exchange (Keycloak's UMA grant) at the provider's token endpoint."""
    return client.post("/dev-idp/token", body=urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:uma-ticket", "audience": audience, "permission": permission,
    }), headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {access_token}"})


PROFILE_QUERY = ("query { myProfile { verifiedPersonalInformation { firstName lastName "
                 "nationalIdentificationNumber } } }")


def profile_code(flow) -> str | None:
    """The personal identity code as the portal reads it: not from the ID token but from the
    profile service's stand-in, with the API token exchanged for the sign-in's access token."""
    exchanged = api_token(flow.client, flow.access_token)
    assert exchanged.status_code == 200, exchanged.body
    answer = flow.client.post("/dev-profile/graphql", body=json.dumps({"query": PROFILE_QUERY}), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {json.loads(exchanged.body)['access_token']}"})
    assert answer.status_code == 200, answer.body
    profile = json.loads(answer.body)["data"]["myProfile"]
    return profile and profile["verifiedPersonalInformation"]["nationalIdentificationNumber"]


@pytest.fixture
def at(monkeypatch):
    """Travel in time: ``at(seconds)`` moves every clock.utcnow() caller that many seconds ahead."""
    real = clock.utcnow
    start = real()

    def travel(seconds: float):
        monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=seconds))

    travel(0)
    return travel


# --- discovery and keys ----------------------------------------------------------------------


def test_discovery_describes_the_provider(client):
    response = client.get("/dev-idp/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    doc = json.loads(response.body)
    assert doc["issuer"] == settings().oidc_issuer == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["jwks_uri"] == f"{ISSUER}/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert doc["scopes_supported"] == ["openid", "profile"]
    assert doc["acr_values_supported"] == ["personal", "corporate"]
    assert doc["ui_locales_supported"] == ["fi", "sv", "en"]
    for claim in ("sub", "nonce", "sid", "amr", "loa", "given_name"):
        assert claim in doc["claims_supported"]
    assert "national_id" not in doc["claims_supported"]  # the profile service has it (docs/identity-provider.md)
    # Organisations come from e-Authorizations, never from the identification.
    assert not {"business_id", "organisation_name", "organisation_roles"} & set(doc["claims_supported"])
    assert doc["grant_types_supported"] == ["authorization_code", "urn:ietf:params:oauth:grant-type:uma-ticket"]


def test_jwks_publishes_the_rsa_signing_key(client):
    response = client.get("/dev-idp/jwks")
    assert response.status_code == 200
    keys = json.loads(response.body)["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256" and key["kid"]
    assert "d" not in key and "p" not in key  # public parts only
    assert jwt.PyJWK(key, algorithm="RS256").key.key_size == 2048


# --- personal customers ----------------------------------------------------------------------


def test_bank_access_codes_end_to_end(client):
    flow, response = identify_with_bank(client)
    claims = tokens_for(flow, response)
    assert claims["amr"] == "suomi_fi" and claims["loa"] == "substantial" and claims["sid"]
    assert "acr" not in claims and "national_id" not in claims
    assert profile_code(flow) == NORDEA_TESTAAJA
    assert claims["given_name"] == "Portaalia Nordea" and claims["family_name"] == "Testaaja"
    assert claims["name"] == "Portaalia Nordea Testaaja"
    assert NORDEA_TESTAAJA not in claims["sub"] and "210281" not in claims["sub"]
    assert "business_id" not in claims
    assert claims["auth_time"] <= claims["iat"]


def test_the_method_choice_and_the_list_of_banks(client):
    flow = Flow(client)
    page = text(flow.authorize())
    assert page.count("<h1") == 1 and "Identification (test service)" in page
    for method in ("Bank access codes", "Mobile certificate", "Certificate card"):
        assert method in page
    banks = text(flow.post("/bank"))
    for name in ("Nordea", "OP", "Danske Bank", "Handelsbanken", "Aktia", "POP Pankki", "S-Pankki",
                 "Säästöpankki", "Oma Säästöpankki", "Ålandsbanken"):
        assert f"<span>{name}</span>" in banks
    codes = text(flow.post("/bank/op"))
    assert "OP: Access codes" in codes
    assert "Code app" in codes and "Code card" in codes and "Code calculator" in codes


@pytest.mark.parametrize("bank", ["op", "aktia", "alandsbanken"])
@pytest.mark.parametrize(("user_id", "national_id"), [("234567", "150376-904V"), ("345678", "080885-912Y")])
def test_every_test_person_in_any_bank(client, bank, user_id, national_id):
    flow, response = identify_with_bank(client, bank=bank, user_id=user_id)
    tokens_for(flow, response)
    assert profile_code(flow) == national_id


def test_the_code_tabs_change_the_help_text_without_javascript(client):
    flow = Flow(client)
    flow.authorize()
    app_tab = text(flow.post("/bank/nordea"))
    assert "Open your bank's code app" in app_tab
    card_tab = text(flow.get("/bank/nordea?tab=card"))
    assert "key number 042" in card_tab
    assert re.search(r'href="/dev-idp/bank/nordea\?tab=card" aria-current="true"', card_tab)
    calculator = text(flow.get("/bank/nordea?tab=calculator"))
    assert "code calculator and enter" in calculator
    # The chosen tab travels with the form; signing in works from any tab.
    response = flow.post("/bank/nordea", action="ok", tab="calculator", user_id="123456", code="1234")
    flow.code_from(response)


def test_wrong_bank_credentials_show_errors_and_keep_the_user_id(client):
    flow, response = identify_with_bank(client, user_id="123456", code="9999")
    assert response.status_code == 400
    page = text(response)
    assert 'id="error-summary"' in page
    assert "The user ID or the code is wrong" in page
    assert re.search(r'id="user-id" name="user_id" type="text" class="hds-text-input__input" value="123456"', page)
    assert 'aria-invalid="true"' in page and 'aria-describedby="code-error' in page
    assert "The identification was successful" not in page
    assert "<title>Error:" in page
    unknown = flow.post("/bank/nordea", action="ok", user_id="999999", code="1234")
    assert unknown.status_code == 400 and "The user ID or the code is wrong" in text(unknown)
    empty = text(flow.post("/bank/nordea", action="ok", user_id="", code=""))
    assert "Enter your user ID." in empty and "Enter the code." in empty


def test_an_unknown_bank_is_not_found(client):
    flow = Flow(client)
    flow.authorize()
    assert flow.post("/bank/no-such-bank").status_code == 404


def test_certificate_card_end_to_end_and_a_wrong_pin(client):
    flow = Flow(client)
    flow.authorize()
    page = text(flow.post("/card"))
    assert "Portaalia Nordea Testaaja: authentication certificate" in page
    wrong = flow.post("/card", action="ok", certificate="asa-testare", pin="0000")
    assert wrong.status_code == 400
    assert "PIN 1 is wrong" in text(wrong)
    assert re.search(r'value="asa-testare" class="hds-radio-button__input" checked', text(wrong))
    nothing = text(flow.post("/card", action="ok", pin="1234"))
    assert "Choose the certificate with your name on it." in nothing
    claims = tokens_for(flow, flow.post("/card", action="ok", certificate="asa-testare", pin="1234"))
    assert claims["amr"] == "suomi_fi" and profile_code(flow) == "150376-904V"
    assert claims["given_name"] == "Åsa Kristina"


def test_the_same_person_has_the_same_sub_with_every_method(client):
    bank_flow, response = identify_with_bank(client)
    by_bank = tokens_for(bank_flow, response)
    flow = Flow(client)
    flow.authorize()
    by_card = tokens_for(flow, flow.post("/card", action="ok", certificate="nordea-testaaja", pin="1234"))
    assert by_bank["sub"] == by_card["sub"]
    other_flow, other = identify_with_bank(client, user_id="234567")
    assert tokens_for(other_flow, other)["sub"] != by_bank["sub"]


def test_mobile_certificate_end_to_end(client, at):
    flow = Flow(client)
    flow.authorize()
    form = text(flow.post("/mobile"))
    assert "Identify yourself using mobile phone" in form and "Anti-jam code" in form
    sent = flow.post("/mobile", action="send", phone="040 123 0001", anti_jam="")
    assert sent.status_code == 200
    page = text(sent)
    assert "An identification request was sent to your phone" in page
    assert re.search(r'class="devidp-number-code">\d{4}<', page)
    assert "+358401230001" not in page and "0401230001" not in page  # sealed, not in the page source
    at(60)
    claims = tokens_for(flow, flow.post("/mobile", action="confirm"), leeway=600)
    assert claims["amr"] == "suomi_fi" and profile_code(flow) == NORDEA_TESTAAJA


INTERRUPTED = ("The identification with mobile ID was interrupted. The duration of the event exceeded "
               "the time limit. Please try again.")


def test_mobile_certificate_times_out(client, at):
    flow = Flow(client)
    flow.authorize()
    flow.post("/mobile", action="send", phone="+358401230002")
    at(settings().dev_idp_mobile_timeout_seconds + 1)
    response = flow.post("/mobile", action="confirm")
    assert response.status_code == 200
    assert INTERRUPTED in text(response)
    # Starting again works, and the new request has its own time limit.
    assert "Identify yourself using mobile phone" in text(flow.post("/mobile"))
    flow.post("/mobile", action="send", phone="+358401230002")
    at(settings().dev_idp_mobile_timeout_seconds + 30)
    tokens_for(flow, flow.post("/mobile", action="confirm"), leeway=600)
    assert profile_code(flow) == "150376-904V"


def test_the_number_that_never_answers(client):
    flow = Flow(client)
    flow.authorize()
    assert "was sent to your phone" in text(flow.post("/mobile", action="send", phone="+358401230000"))
    response = flow.post("/mobile", action="confirm")
    assert INTERRUPTED in text(response)
    assert "Try again" in text(response)


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "Enter your phone number."),
        ("091234567", "Enter a Finnish mobile phone number"),
        ("+46701234567", "Enter a Finnish mobile phone number"),
        ("abc", "Enter a Finnish mobile phone number"),
        ("9" * 200, "Enter a Finnish mobile phone number"),
        ("+358409999999", "has no mobile certificate in the test service"),
    ],
)
def test_mobile_phone_number_errors(client, phone, message):
    flow = Flow(client)
    flow.authorize()
    response = flow.post("/mobile", action="send", phone=phone)
    assert response.status_code == 400
    assert message in text(response)
    assert 'id="error-summary"' in text(response)


def test_the_language_switch_shows_the_same_screen_again(client):
    flow = Flow(client)
    flow.authorize()
    flow.post("/mobile", action="send", phone="+358401230003")
    swedish = flow.get("/mobile?lang=sv")
    assert swedish.status_code == 200
    assert '<html lang="sv"' in text(swedish)
    assert "devidp-number-code" in text(swedish)  # still the pending request
    assert 'href="/dev-idp/mobile?lang=fi"' in text(swedish)


def test_ui_locales_chooses_the_language(client):
    page = Flow(client, ui_locales="sv-FI fi").authorize()
    assert '<html lang="sv"' in text(page)


# --- corporate customers ---------------------------------------------------------------------


def katso(client, username, password="katso1234"):
    flow = Flow(client, acr_values="corporate")
    page = text(flow.authorize())
    assert "Sign in with Katso ID" in page and "Bank access codes" not in page
    return flow, flow.post("/katso", action="ok", username=username, password=password)


ORGANISATION_CLAIMS = {"business_id", "organisation_name", "organisation_roles"}


def test_a_katso_sign_in_identifies_the_person_with_their_personal_sub(client):
    """With e-Authorizations, identification is personal: the Katso user's token is a person's, with
    the sub of the same human's bank sign-in, and no organisation (the portal asks e-Authorizations)."""
    main_flow, main = katso(client, "testiyritys-paakayttaja")
    main_claims = tokens_for(main_flow, main)
    bank_flow, response = identify_with_bank(client)  # Nordea Testaaja, the same human
    assert main_claims["sub"] == tokens_for(bank_flow, response)["sub"]
    user_flow, user = katso(client, "Testiyritys-Kayttaja")
    user_claims = tokens_for(user_flow, user)
    assert main_claims["sub"] != user_claims["sub"]
    for claims in (main_claims, user_claims):
        assert claims["amr"] == "katso" and claims["loa"] == "substantial" and "acr" not in claims
        assert not ORGANISATION_CLAIMS & set(claims) and "national_id" not in claims
        assert claims["sid"] and claims["given_name"] and claims["family_name"]
    assert main_claims["name"] == "Portaalia Nordea Testaaja"
    assert (user_claims["given_name"], user_claims["family_name"], user_claims["name"]) == (
        "Kaisa Kollega", "Testaaja", "Kaisa Kollega Testaaja")
    # The profile service knows them as people: the personal identity code is read from there.
    assert profile_code(main_flow) == "210281-9988"
    assert profile_code(user_flow) == "140592-926N"


def test_the_profile_service_answers_for_a_katso_user(client):
    flow, response = katso(client, "esimerkkiyhdistys-paakayttaja")
    claims = tokens_for(flow, response)
    assert not ORGANISATION_CLAIMS & set(claims) and claims["name"] == "Erkki Esimerkki Yhdistyksinen"
    token = json.loads(api_token(client, flow.access_token).body)["access_token"]
    status, body = _graphql(client, "{ myProfile { id verifiedPersonalInformation "
                                    "{ firstName lastName givenName nationalIdentificationNumber } } }", token)
    assert status == 200 and "errors" not in body
    assert body["data"]["myProfile"]["verifiedPersonalInformation"] == {
        "firstName": "Erkki Esimerkki", "lastName": "Yhdistyksinen", "givenName": "Erkki",
        "nationalIdentificationNumber": "030768-9315"}
    assert "030768" not in body["data"]["myProfile"]["id"]


def test_the_katso_screen_lists_the_users_and_their_companies_from_e_authorizations(client):
    flow = Flow(client, acr_values="corporate")
    page = text(flow.authorize())
    for shown in ("testiyritys-kayttaja", "Kaisa Kollega Testaaja", "140592-926N", "Testiyritys Oy 9876543-0 (TJ)",
                  "esimerkkiyhdistys-paakayttaja", "030768-9315", "Esimerkkiyhdistys ry 9123456-5 (PJ, NIMKO)",
                  "210281-9988", "Testiyritys Oy 9876543-0 (NIMKO, TJ); Esimerkki Ky 2345678-0 (J)"):
        assert shown in page, shown


def test_wrong_katso_password(client):
    flow, response = katso(client, "testiyritys-kayttaja", password="wrong")
    assert response.status_code == 400
    assert "The username or the password is wrong" in text(response)
    assert 'value="testiyritys-kayttaja"' in text(response)


def test_personal_screens_are_not_offered_to_a_corporate_request(client):
    flow = Flow(client, acr_values="corporate")
    flow.authorize()
    page = text(flow.post("/bank/nordea", action="ok", user_id="123456", code="1234"))
    assert "Sign in with Katso ID" in page and "The identification was successful" not in page


# --- the authorization request ---------------------------------------------------------------


@pytest.mark.parametrize("override", [{"client_id": "someone-else"}, {"client_id": None},
                                      {"redirect_uri": "https://evil.example/callback"},
                                      {"redirect_uri": REDIRECT_URI + "/"}, {"redirect_uri": None}])
def test_an_unknown_client_or_redirect_uri_shows_an_error_page_and_never_redirects(client, override):
    response = Flow(client, **override).authorize()
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "The identification request is not valid" in text(response)
    assert 'href="https://evil.example' not in text(response)
    assert "devidp_interaction=gAAA" not in str(response.headers.get("Set-Cookie"))


@pytest.mark.parametrize(
    ("override", "error", "has_state"),
    [
        ({"code_challenge": None}, "invalid_request", True),
        ({"code_challenge_method": None}, "invalid_request", True),
        ({"code_challenge_method": "plain"}, "invalid_request", True),
        ({"code_challenge": "short"}, "invalid_request", True),
        ({"nonce": None}, "invalid_request", True),
        ({"state": None}, "invalid_request", False),
        ({"response_type": None}, "invalid_request", True),
        ({"response_type": "token"}, "unsupported_response_type", True),
        ({"scope": "profile"}, "invalid_scope", True),
        ({"prompt": "none"}, "login_required", True),
        ({"request": "eyJhbGciOi..."}, "request_not_supported", True),
    ],
)
def test_bad_requests_go_back_to_the_client_with_an_error(client, override, error, has_state):
    flow = Flow(client, **override)
    response = flow.authorize()
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["error"] == [error]
    assert query.get("state") == ([flow.state] if has_state else None)


def test_cancel_returns_access_denied_to_the_client(client):
    flow = Flow(client)
    for page in (flow.authorize(), flow.post("/bank"), flow.post("/bank/nordea"), flow.post("/mobile"),
                 flow.post("/card")):
        href = html.unescape(re.search(r'<a class="hds-link" href="([^"]+)">Cancel', text(page)).group(1))
        assert parse_qs(urlsplit(href).query) == {"error": ["access_denied"], "state": [flow.state]}
        assert href.startswith(REDIRECT_URI + "?")


def test_a_tampered_interaction_is_refused(client):
    flow = Flow(client)
    flow.authorize()
    sealed = flow.interaction
    for forged in (sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:], sealed[:40], "x", ""):
        flow.interaction = forged
        response = flow.post("/bank/nordea", action="ok", user_id="123456", code="1234")
        assert response.status_code == 400
        assert "The identification cannot be continued" in text(response)
    flow.cookie = "garbage"
    assert flow.get("/bank").status_code == 400


def test_an_interaction_expires_after_ten_minutes(client, at):
    flow = Flow(client)
    flow.authorize()
    at(10 * 60 + 1)
    response = flow.post("/bank/nordea", action="ok", user_id="123456", code="1234")
    assert response.status_code == 400
    assert "The identification has expired" in text(response)


def test_no_personal_data_in_urls_or_cookies_in_the_clear(client):
    flow, response = identify_with_bank(client)
    page = text(response)
    for link in re.findall(r'(?:href|action)="([^"]+)"', page):
        assert NORDEA_TESTAAJA not in link and "Testaaja" not in link
    assert "210281" not in flow.cookie and "Testaaja" not in flow.cookie


def test_the_success_page_continues_with_an_external_script(client):
    flow, response = identify_with_bank(client)
    page = text(response)
    assert "You will be taken to the service automatically in 3 seconds" in page
    assert 'http-equiv="refresh"' not in page
    script = re.search(r'<script src="(/static/devidp\.[0-9a-f]{12}\.js)" defer></script>', page).group(1)
    asset = client.get(script)
    assert asset.status_code == 200
    assert asset.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"data-auto-continue" in asset.body if isinstance(asset.body, bytes) else "data-auto-continue" in asset.body
    # Language switch on the success page: the same answer, from the cookie.
    again = flow.get("/bank/nordea?lang=fi")
    assert '<html lang="fi"' in text(again) and flow.code_from(again)


# --- the token endpoint ----------------------------------------------------------------------


def a_code(client) -> tuple[Flow, str]:
    flow, response = identify_with_bank(client)
    return flow, flow.code_from(response)


def test_client_secret_post_is_accepted(client):
    flow, code = a_code(client)
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
              "code_verifier": flow.verifier, "client_id": CLIENT_ID, "client_secret": SECRET}
    answer = token_request(client, fields, authorization=False)
    assert answer.status_code == 200
    verified_claims(client, json.loads(answer.body)["id_token"], flow.nonce)


@pytest.mark.parametrize("authorization", [basic(secret="wrong"), basic(client_id="other"), "Basic !!!",
                                           "Bearer abc", False])
def test_a_wrong_client_is_refused(client, authorization):
    flow, code = a_code(client)
    answer = token_request(client, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": REDIRECT_URI, "code_verifier": flow.verifier},
                           authorization=authorization)
    assert answer.status_code == 401
    assert json.loads(answer.body)["error"] == "invalid_client"
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_wrong_code_verifier_is_refused_and_burns_the_code(client):
    flow, code = a_code(client)
    answer = flow.redeem(code, code_verifier=secrets.token_urlsafe(48))
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_grant"
    assert json.loads(flow.redeem(code).body)["error"] == "invalid_grant"


def test_a_wrong_redirect_uri_is_refused(client):
    flow, code = a_code(client)
    answer = flow.redeem(code, redirect_uri="http://localhost:8000/other")
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_grant"


def test_a_code_works_once(client):
    flow, code = a_code(client)
    assert flow.redeem(code).status_code == 200
    replay = flow.redeem(code)
    assert replay.status_code == 400 and json.loads(replay.body)["error"] == "invalid_grant"


def test_a_code_expires_after_a_minute(client, at):
    flow, code = a_code(client)
    at(61)
    answer = flow.redeem(code)
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"grant_type": None}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"code_verifier": None}, "invalid_request"),
        ({"code_verifier": "short"}, "invalid_request"),
        ({"code": None}, "invalid_request"),
        ({"code": "made-up-code-made-up-code-made-up"}, "invalid_grant"),
        ({"code": "<script>"}, "invalid_grant"),
        ({"client_secret": SECRET}, "invalid_request"),  # two ways of authenticating
    ],
)
def test_malformed_token_requests(client, fields, error):
    flow, code = a_code(client)
    answer = flow.redeem(code, **fields)
    assert answer.status_code == 400
    assert json.loads(answer.body)["error"] == error


def test_the_token_endpoint_wants_a_form(client):
    flow, code = a_code(client)
    answer = client.post("/dev-idp/token", body=json.dumps({"code": code}),
                         headers={"Content-Type": "application/json", "Authorization": basic()})
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_request"
    repeated = client.post("/dev-idp/token", body=f"code={code}&code={code}",
                           headers={**FORM, "Authorization": basic()})
    assert repeated.status_code == 400 and json.loads(repeated.body)["error"] == "invalid_request"


def test_a_stale_read_of_a_code_cannot_redeem_it_twice(client, monkeypatch):
    """Two token requests race: both read the code, only the first conditional delete succeeds."""
    from chalicelib.devidp import tokens
    from chalicelib.models.dev_idp import DevIdpModel

    flow, code = a_code(client)
    stale = DevIdpModel.get(tokens._code_pk(code))
    assert flow.redeem(code).status_code == 200
    monkeypatch.setattr(DevIdpModel, "get", classmethod(lambda cls, *args, **kwargs: stale))
    answer = flow.redeem(code)
    assert answer.status_code == 400 and json.loads(answer.body)["error"] == "invalid_grant"


def test_only_a_hash_of_the_code_is_stored(client):
    from chalicelib.models.dev_idp import DevIdpModel

    flow, code = a_code(client)
    stored = [item.pk for item in DevIdpModel.scan()]
    assert f"code#{hashlib.sha256(code.encode()).hexdigest()}" in stored
    assert not any(code in pk for pk in stored)


# --- the token exchange for API tokens and the profile service's stand-in ------------------------


def _graphql(client, query, token=None):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    answer = client.post("/dev-profile/graphql", body=json.dumps({"query": query}), headers=headers)
    return answer.status_code, json.loads(answer.body)


def test_the_uma_grant_answers_an_api_token_for_profile_api(client):
    flow, response = identify_with_bank(client)
    claims = tokens_for(flow, response)
    answer = api_token(client, flow.access_token)
    assert answer.status_code == 200
    body = json.loads(answer.body)
    assert body["token_type"] == "Bearer" and body["upgraded"] is False
    issued = jwt.decode(body["access_token"], key=jwt.PyJWK(json.loads(client.get("/dev-idp/jwks").body)["keys"][0],
                        algorithm="RS256"), algorithms=["RS256"], audience="profile-api", issuer=ISSUER)
    assert issued["sub"] == claims["sub"] and issued["loa"] == "substantial"
    assert issued["authorization"]["permissions"][0]["scopes"] == ["access"]


@pytest.mark.parametrize(("authorization", "fields", "status", "error"), [
    (None, {}, 401, "invalid_client"),  # no bearer token
    ("Bearer not-a-token", {}, 401, "invalid_grant"),
    ("access", {"audience": "another-api"}, 400, "invalid_request"),
    ("access", {"permission": "#admin"}, 403, "access_denied"),
])
def test_the_uma_grant_refuses(client, authorization, fields, status, error):
    flow, response = identify_with_bank(client)
    tokens_for(flow, response)
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:uma-ticket", "audience": "profile-api",
            "permission": "#access", **fields}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["Authorization"] = f"Bearer {flow.access_token}" if authorization == "access" else authorization
    answer = client.post("/dev-idp/token", body=urlencode(form), headers=headers)
    assert answer.status_code == status and json.loads(answer.body)["error"] == error


def test_the_profile_stand_in_answers_the_real_query_shape(client):
    flow, response = identify_with_bank(client, user_id="234567")
    tokens_for(flow, response)
    token = json.loads(api_token(client, flow.access_token).body)["access_token"]
    status, body = _graphql(client, "query VerifiedPersonalInformation { myProfile { id verifiedPersonalInformation "
                                    "{ firstName lastName givenName nationalIdentificationNumber } } }", token)
    assert status == 200 and "errors" not in body
    assert body["data"]["myProfile"]["verifiedPersonalInformation"] == {
        "firstName": "Åsa Kristina", "lastName": "Söderström-Testare", "givenName": "Åsa",
        "nationalIdentificationNumber": "150376-904V"}
    status, body = _graphql(client, "{ myProfile { socialSecurityNumber } }", token)
    assert body["errors"][0]["message"] == 'Cannot query field "socialSecurityNumber" on type "ProfileNode".'


def test_the_profile_stand_in_releases_nothing_below_substantial(client):
    from chalicelib.devidp import identities, tokens

    sub = identities.subject("person:210281-9988")
    low = tokens._sign({"iss": ISSUER, "aud": "profile-api", "sub": sub, "typ": "Bearer", "loa": "low",
                        "iat": int(time.time()), "exp": int(time.time()) + 60})
    status, body = _graphql(client, PROFILE_QUERY, low)
    assert status == 200 and body["data"]["myProfile"]["verifiedPersonalInformation"] is None
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED_ERROR"
    assert "210281" not in json.dumps(body)


def test_the_profile_stand_in_needs_a_token_for_itself(client):
    flow, response = identify_with_bank(client)
    tokens_for(flow, response)
    status, body = _graphql(client, PROFILE_QUERY)  # anonymous: no profile
    assert status == 200 and body["data"]["myProfile"] is None
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED_ERROR"
    status, _ = _graphql(client, PROFILE_QUERY, flow.access_token)  # the sign-in's token, not an API token
    assert status == 401


def test_the_profile_stand_in_refuses_to_run_in_prod(monkeypatch):
    from chalicelib.handlers import devprofile

    monkeypatch.setattr(settings(), "stage", "prod")
    with pytest.raises(RuntimeError):
        devprofile.register(object())
