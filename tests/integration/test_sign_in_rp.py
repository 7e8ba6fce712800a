"""The relying party against a scriptable provider: what it accepts, and every way it refuses."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_idp import ORGANISATION_USER


def cookies_of(response) -> dict[str, str]:
    values = response.headers.get("Set-Cookie") or []
    values = values if isinstance(values, list) else [values]
    return {v.split("=", 1)[0]: v.split("=", 1)[1].split(";", 1)[0] for v in values}


def start(client, customer="personal", next_path=None):
    query = {"customer": customer, **({"next": next_path} if next_path else {})}
    response = client.get(f"/sign-in/start?{urlencode(query)}")
    assert response.status_code == 303
    return response.headers["Location"], cookies_of(response)["signin"]


def callback(client, params, binding):
    return client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"signin={binding}; lang=en"})


def test_the_authorization_request_uses_pkce_state_and_nonce(client, idp):
    location, _ = start(client)
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    assert location.startswith(f"{idp.issuer}/authorize?")
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43 and len(query["code_challenge"]) == 43
    assert query["redirect_uri"].endswith("/auth/callback")
    assert query["acr_values"] == "personal"


def test_a_first_sign_in_leads_to_registration_with_a_fresh_http_only_session(client, idp):
    location, binding = start(client, next_path="/e-services/dog-declaration/form")
    response = callback(client, idp.authorize(location), binding)
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    cookies = response.headers["Set-Cookie"]
    sid = next(c for c in cookies if c.startswith("sid="))
    assert "HttpOnly" in sid and "SameSite=Lax" in sid
    assert len(cookies_of(response)["sid"]) >= 43  # 256 bits, base64url


def test_an_organisation_comes_from_e_authorizations_never_from_the_token(client, idp):
    from tests.fake_idp import browsing, represents
    from tests.acting import through_choice

    # A token that names an organisation of its own: the claims are not read.
    idp.next_claims = {**represents(idp, ORGANISATION_USER), "business_id": "0112038-9",
                       "organisation_name": "Väärä Oy", "organisation_roles": ["NIMKO"]}
    location, binding = start(client, customer="corporate", next_path="/folder")
    response = callback(client, idp.authorize(location), binding)
    assert response.headers["Location"] == "/act-for?next=%2Ffolder"  # the company first, then the registration
    sid = cookies_of(response)["sid"]
    assert client.get("/register", headers={"Cookie": f"sid={sid}"}).headers["Location"] == "/act-for?next=%2Ffolder"
    chosen = through_choice(*browsing(client, sid), response)
    assert chosen.headers["Location"] == "/register"
    page = client.get("/register", headers={"Cookie": f"sid={sid}; lang=en"}).body.decode()
    assert "Testiyritys Oy (0201256-6)" in page and "Väärä Oy" not in page


def rejected(response):
    assert response.status_code == 400
    assert "sid" not in cookies_of(response)
    return response.body.decode()


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
        {"iat": int(time.time()) + 3600},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"exp": None},
    ],
    ids=["wrong-audience", "wrong-issuer", "expired", "issued-in-future", "wrong-nonce", "no-nonce", "no-exp"],
)
def test_tokens_that_fail_a_check_are_refused(client, idp, override):
    idp.token_overrides = override
    location, binding = start(client)
    assert "could not be verified" in rejected(callback(client, idp.authorize(location), binding))


def test_a_token_with_a_bad_signature_is_refused(client, idp):
    idp.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    location, binding = start(client)
    rejected(callback(client, idp.authorize(location), binding))


@pytest.mark.parametrize(
    "claims",
    [
        {"national_id": "210281-9989"},  # wrong check character
        {"national_id": None},
        {"amr": ["password"]},
        {"amr": ["katso"]},  # an organisation's method for a personal customer's sign-in
        {"loa": "low"},
    ],
)
def test_an_unusable_identity_is_refused(client, idp, claims):
    idp.next_claims = {k: v for k, v in {**idp.next_claims, **claims}.items() if v is not None}
    location, binding = start(client)
    rejected(callback(client, idp.authorize(location), binding))


def test_the_same_callback_again_in_the_same_browser_lands_where_the_first_went(client, idp):
    location, binding = start(client)
    params = idp.authorize(location)
    first = callback(client, params, binding)
    assert first.status_code == 303
    # the browser never got the first answer (a double submit replaced that navigation): same session
    again = callback(client, params, binding)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert cookies_of(again)["sid"] == cookies_of(first)["sid"]
    # the browser got it (a reload): it keeps its session, nothing is set or cleared but the binding
    sid = cookies_of(first)["sid"]
    reload = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"sid={sid}; lang=en"})
    assert reload.status_code == 303 and reload.headers["Location"] == first.headers["Location"]
    assert "sid" not in cookies_of(reload)
    assert client.get("/register", headers={"Cookie": f"sid={sid}; lang=en"}).status_code == 200


def test_a_replayed_callback_in_another_browser_is_refused(client, idp):
    location, binding = start(client)
    params = idp.authorize(location)
    assert callback(client, params, binding).status_code == 303
    assert "already used" in rejected(callback(client, params, "another-browsers-binding"))
    answer = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": "lang=en"})
    assert "already used" in rejected(answer)


def test_a_replayed_code_with_a_new_sign_in_is_refused(client, idp):
    location, binding = start(client)
    params = idp.authorize(location)
    assert callback(client, params, binding).status_code == 303
    location2, binding2 = start(client)
    state2 = parse_qs(urlparse(location2).query)["state"][0]
    rejected(callback(client, {"code": params["code"], "state": state2}, binding2))


def test_a_state_that_was_never_issued_is_refused(client, idp):
    location, binding = start(client)
    params = idp.authorize(location)
    rejected(callback(client, {**params, "state": "forged-state"}, binding))


def test_a_callback_in_another_browser_is_refused(client, idp):
    location, _ = start(client)
    rejected(callback(client, idp.authorize(location), "another-browsers-binding"))


def test_cancelling_at_the_provider_says_so(client, idp):
    location, binding = start(client)
    state = parse_qs(urlparse(location).query)["state"][0]
    assert "You cancelled the identification" in rejected(callback(client, {"error": "access_denied", "state": state}, binding))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_an_absolute_return_path_is_never_followed(client, idp, target):
    from chalicelib.identity.profiles import ContactForm, register
    from chalicelib.identity.claims import identity_from_claims

    register(identity_from_claims(idp.next_claims), ContactForm(email="a@example.fi", methods=("email",), language="fi", consent=True))
    location, binding = start(client, next_path=target)
    response = callback(client, idp.authorize(location), binding)
    assert response.status_code == 303
    assert response.headers["Location"] == "/act-for?next=%2F"  # whom to act for first (issue 17), then home


def test_a_known_customer_returns_to_the_deep_link(client, idp):
    from chalicelib.identity.profiles import ContactForm, register
    from chalicelib.identity.claims import identity_from_claims

    register(identity_from_claims(idp.next_claims), ContactForm(email="a@example.fi", methods=("email",), language="fi", consent=True))
    location, binding = start(client, next_path="/e-services/dog-declaration/form")
    response = callback(client, idp.authorize(location), binding)
    # First whom to act for (issue 17), which goes on to the deep link
    assert response.headers["Location"] == "/act-for?next=%2Fe-services%2Fdog-declaration%2Fform"


def test_the_provider_being_down_is_a_clear_error(client, idp, monkeypatch):
    from chalicelib.identity import http

    location, binding = start(client)
    params = idp.authorize(location)

    def down(*args):
        raise http.ProviderUnavailable("connection refused")

    monkeypatch.setattr(http, "transport", down)
    from chalicelib.identity import oidc

    oidc.clear_cache()
    assert "did not answer" in rejected(callback(client, params, binding))


def test_a_provider_that_is_down_at_the_start_is_a_clear_503(client, idp, monkeypatch):
    from chalicelib.identity import http, oidc

    def down(*args):
        raise http.ProviderUnavailable("connection refused")

    monkeypatch.setattr(http, "transport", down)
    oidc.clear_cache()
    response = client.get("/sign-in/start?customer=personal", headers={"Cookie": "lang=en"})
    assert response.status_code == 503 and "did not answer" in response.body.decode()
