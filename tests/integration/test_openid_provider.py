"""The relying party against an independent, certified OpenID provider (npm ``oidc-provider``, started
per test by the ``openid_provider`` fixture: tests/oidc_provider/): algorithms, key rotation, userinfo,
discovery, issuers, client authentication, signing out at the provider, back-channel logout,
``prompt=login`` and the double submit."""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.acting import through_choice
from tests.fake_idp import NORDEA_TESTAAJA, browsing, csrf_of
from tests.oidc_provider.harness import LOGIN_FORM, Answer, _set_cookies, callback

# org-1: a corporate customer, Kaisa Kollega Testaaja, whose company (Testiyritys Oy) the
# e-Authorizations stand-in lists (chalicelib/authorizations/dev_principals.json).
KAISA = {"amr": ["katso"], "given_name": "Kaisa Kollega", "family_name": "Testaaja", "national_id": "140592-926N",
         "loa": "substantial"}
ACCOUNTS = {"user-1": dict(NORDEA_TESTAAJA), "org-1": KAISA}
SPECIAL_SECRET = "a+b/c:d%e f=g&h"


def signed_in(client, sid: str) -> bool:
    return client.get("/session/status", headers={"Cookie": f"sid={sid}"}).status_code == 200


def sign_in(client, op, browser, sub="user-1", customer="personal", cookie=""):
    answer = op.sign_in(client, browser, sub, customer=customer, cookie=cookie)
    assert answer.status_code == 303, answer.body.decode()[:3000]
    sid = _set_cookies(answer)["sid"]
    assert signed_in(client, sid)
    return sid, answer


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_a_personal_sign_in_with_each_algorithm(client, openid_provider, alg):
    op = openid_provider(alg=alg, accounts=ACCOUNTS)
    _, answer = sign_in(client, op, op.browser())
    assert answer.headers["Location"] == "/register"


def test_an_organisation_sign_in(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS)
    sid, answer = sign_in(client, op, op.browser(), "org-1", "corporate")
    assert through_choice(*browsing(client, sid), answer).headers["Location"] == "/register"
    assert "Testiyritys Oy (9876543-0)" in client.get("/register", headers={"Cookie": f"sid={sid}; lang=en"}).body.decode()


def test_a_rotated_signing_key_is_fetched_by_its_kid(client, openid_provider):
    op = openid_provider(alg="ES256", accounts=ACCOUNTS)
    sign_in(client, op, op.browser())  # the portal caches the key set now
    op.rotate([{"alg": "ES256", "kid": "es256-2"}])  # the provider signs with a new key from now on
    sign_in(client, op, op.browser())
    op.rotate([{"alg": "ES256", "kid": "es256-3"}], drop_old=True)
    sign_in(client, op, op.browser())


def test_claims_released_only_at_the_userinfo_endpoint(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS, claims_in_id_token=False)
    sid, _ = sign_in(client, op, op.browser())
    page = client.get("/register", headers={"Cookie": f"sid={sid}; lang=en"}).body.decode()
    assert "Portaalia Nordea Testaaja" in page


def test_without_userinfo_the_missing_claims_refuse_the_sign_in(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS, claims_in_id_token=False, minimal_discovery=True)
    reached, binding = op.authorize(client, op.browser(), sub="user-1")
    answer = callback(client, reached, binding)
    assert answer.status_code == 400 and "sid" not in _set_cookies(answer)


def test_a_minimal_discovery_document(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS, minimal_discovery=True)
    sign_in(client, op, op.browser())


def test_an_issuer_with_a_trailing_slash_is_kept_as_given(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS, trailing_slash=True)
    assert op.issuer.endswith("/")
    sign_in(client, op, op.browser())


def test_an_issuer_written_without_its_trailing_slash_is_another_issuer(client, openid_provider, monkeypatch):
    from chalicelib.config import settings
    from chalicelib.identity import oidc

    op = openid_provider(accounts=ACCOUNTS, trailing_slash=True)
    monkeypatch.setattr(settings(), "oidc_issuer", op.issuer.rstrip("/"))
    oidc.clear_cache()
    assert client.get("/sign-in/start?customer=personal").status_code == 503


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_secret_with_special_characters(client, openid_provider, method):
    op = openid_provider(accounts=ACCOUNTS, auth_method=method, secret=SPECIAL_SECRET)
    sign_in(client, op, op.browser())


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_secret_is_refused_by_the_provider(client, openid_provider, monkeypatch, method):
    from chalicelib.config import settings

    op = openid_provider(accounts=ACCOUNTS, auth_method=method, secret=SPECIAL_SECRET)
    monkeypatch.setattr(settings(), "oidc_client_secret", SPECIAL_SECRET.replace("%", "%25"))
    reached, binding = op.authorize(client, op.browser(), sub="user-1")
    assert callback(client, reached, binding).status_code == 400


@pytest.mark.parametrize("kind", ["RSA", "EC"])
def test_private_key_jwt_with_a_key_from_the_secret_setting(client, openid_provider, monkeypatch, kind):
    from chalicelib.config import settings
    from chalicelib.identity import oidc

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "RSA" else ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    monkeypatch.setattr(settings(), "oidc_client_auth_method", "private_key_jwt")
    monkeypatch.setattr(settings(), "oidc_private_key", pem.decode())
    oidc.clear_cache()
    published = client.get("/auth/jwks")
    assert published.status_code == 200
    jwks = published.json_body
    assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0] and jwks["keys"][0]["kty"] == kind
    op = openid_provider(accounts=ACCOUNTS, auth_method="private_key_jwt", client_jwks=jwks)
    sign_in(client, op, op.browser())


def sign_out(client, sid: str):
    form = client.get("/register", headers={"Cookie": f"sid={sid}"}).body.decode()
    return client.post("/sign-out", body=urlencode({"csrf_token": csrf_of(form)}),
                       headers={"Cookie": f"sid={sid}", "Content-Type": "application/x-www-form-urlencoded"})


def test_signing_out_ends_the_providers_session_too(client, openid_provider):
    from chalicelib.config import settings

    op = openid_provider(accounts=ACCOUNTS)
    browser = op.browser()
    sid, _ = sign_in(client, op, browser)
    answer = sign_out(client, sid)
    assert answer.status_code == 303 and not signed_in(client, sid)
    location = answer.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
    assert location.startswith(f"{op.base}/session/end?")
    assert query["post_logout_redirect_uri"] == settings().post_logout_redirect_uri
    assert query["id_token_hint"].count(".") == 2 and len(query["state"]) >= 16
    assert "sid=" not in " ".join(answer.headers["Set-Cookie"]).replace("sid=;", "")  # no ID token in a cookie
    page = browser.follow(location, settings().post_logout_redirect_uri)
    assert isinstance(page, Answer) and 'name="logout"' in page.text  # the provider asks to confirm
    xsrf = page.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    landed = browser.follow(urljoin(page.url, action), settings().post_logout_redirect_uri, {"xsrf": xsrf, "logout": "yes"})
    assert isinstance(landed, str) and parse_qs(urlparse(landed).query)["state"] == [query["state"]]
    assert client.get(urlparse(landed).path + "?" + urlparse(landed).query).status_code == 200
    # the provider's session is gone: the next sign-in in this browser asks who is there
    reached, _ = op.authorize(client, browser)
    assert isinstance(reached, Answer) and LOGIN_FORM in reached.text


def urljoin(base: str, path: str) -> str:
    from urllib.parse import urljoin as join

    return join(base, path)


def test_after_a_sign_out_the_next_sign_in_asks_for_a_login_even_if_the_provider_remembers(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS, end_session=False)  # no RP-initiated logout at this provider
    browser = op.browser()
    sid, _ = sign_in(client, op, browser)
    answer = sign_out(client, sid)
    assert answer.headers["Location"] == "/signed-out"
    reauth = _set_cookies(answer)["reauth"]
    # without the portal's prompt=login the provider would sign this browser straight back in
    reached, _ = op.authorize(client, browser)
    assert isinstance(reached, str)
    asked = len(browser.history)
    reached, _ = op.authorize(client, browser, cookie=f"reauth={reauth}")
    assert isinstance(reached, Answer) and LOGIN_FORM in reached.text
    assert "prompt=login" in browser.history[asked]


def test_a_change_of_customer_type_asks_for_a_login(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS)
    browser = op.browser()
    _, answer = sign_in(client, op, browser)
    reauth = _set_cookies(answer)["reauth"]
    assert reauth == "personal"
    reached, _ = op.authorize(client, browser, customer="personal", cookie=f"reauth={reauth}")
    assert isinstance(reached, str)  # the same type again: the provider's session signs in
    reached, _ = op.authorize(client, browser, customer="corporate", cookie=f"reauth={reauth}")
    assert isinstance(reached, Answer) and LOGIN_FORM in reached.text


def test_back_channel_logout_ends_the_portal_session(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS)
    sid, _ = sign_in(client, op, op.browser())
    other, _ = sign_in(client, op, op.browser(), "org-1", "corporate")
    op.backchannel_logout("user-1")
    tokens = op.logout_tokens()
    assert len(tokens) == 1
    answer = client.post("/auth/backchannel-logout", body=urlencode({"logout_token": tokens[0]}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200
    assert not signed_in(client, sid)
    assert signed_in(client, other)  # another provider session lives on


def test_a_changed_logout_token_is_refused(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS)
    sid, _ = sign_in(client, op, op.browser())
    op.backchannel_logout("user-1")
    header, payload, signature = op.logout_tokens()[0].split(".")
    for token in (f"{header}.{payload}.{signature[:-4]}AAAA", f"{header}.{payload}.", "not-a-token"):
        answer = client.post("/auth/backchannel-logout", body=urlencode({"logout_token": token}),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 400
    assert signed_in(client, sid)


def test_a_double_submit_of_the_callback_lands_both_in_the_same_session(client, openid_provider):
    op = openid_provider(accounts=ACCOUNTS)
    reached, binding = op.authorize(client, op.browser(), sub="user-1")
    answers = [None, None]

    def press(i):
        answers[i] = callback(client, reached, binding)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"] == "/register"
    sids = {_set_cookies(a)["sid"] for a in answers}
    assert len(sids) == 1 and signed_in(client, sids.pop())


def test_after_an_idle_timeout_the_next_sign_in_asks_for_a_login(client, openid_provider, clock):
    op = openid_provider(accounts=ACCOUNTS)
    browser = op.browser()
    sid, _ = sign_in(client, op, browser)
    clock.advance(hours=3)
    timed_out = client.get("/profile", headers={"Cookie": f"sid={sid}"})
    assert timed_out.status_code == 303 and "notice=timeout" in timed_out.headers["Location"]
    page = client.get(timed_out.headers["Location"], headers={"Cookie": f"sid={sid}"})
    reauth = _set_cookies(page)["reauth"]
    assert reauth == "login"
    reached, _ = op.authorize(client, browser, cookie=f"reauth={reauth}")
    assert isinstance(reached, Answer) and LOGIN_FORM in reached.text


def test_client_secret_basic_form_encodes_id_and_secret():
    """RFC 6749 §2.3.1 and Appendix B: application/x-www-form-urlencoded, then Base64."""
    import base64
    from types import SimpleNamespace

    from chalicelib.identity import oidc

    client = SimpleNamespace(client_id="portal:1", client_secret=SPECIAL_SECRET + "ä")
    _, headers, _ = oidc.encode_client_secret_basic(client, "POST", "https://t/token", {}, "")
    decoded = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert decoded == "portal%3A1:a%2Bb%2Fc%3Ad%25e+f%3Dg%26h%C3%A4"
