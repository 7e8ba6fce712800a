"""The development identity provider's domain without HTTP: test identities, subjects, phone numbers,
the sealed interaction, authorization request rules, the mobile time limit, codes, tokens, keys,
and that it refuses to be mounted in prod."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from stdnum.fi import hetu, ytunnus

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.devidp import authorize, identities, interaction, keys, mobile, tokens
from chalicelib.errors import Invalid

REDIRECT_URI = "http://localhost:8000/auth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def at(monkeypatch):
    start = clock.utcnow()

    def travel(seconds: float):
        monkeypatch.setattr(clock, "utcnow", lambda: start + timedelta(seconds=seconds))

    travel(0)
    return travel


def request_params(**overrides) -> dict:
    params = {
        "client_id": "city-eservices-portal", "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "openid", "state": "st", "nonce": "nn", "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


# --- test identities -------------------------------------------------------------------------


def test_personal_identity_codes_are_valid_test_codes():
    codes = [p.national_id for p in identities.PERSONS]
    assert "210281-9988" in codes and len(set(codes)) == len(codes) >= 3
    katso_codes = [u.national_id for u in identities.KATSO_USERS]
    assert len(set(katso_codes)) == len(katso_codes) == 3
    for code in codes + katso_codes:
        assert hetu.is_valid(code, allow_temporary=True), code
        assert 900 <= int(code[7:10]) <= 999  # the test range: never a real person's code


def test_katso_users_are_people_and_their_companies_are_in_e_authorizations():
    nordea = identities.person("nordea-testaaja")
    acting = next(u for u in identities.KATSO_USERS if u.same_person_as == "nordea-testaaja")
    assert acting.username == "testiyritys-paakayttaja"
    assert (acting.given_name, acting.family_name, acting.national_id) == (
        nordea.given_name, nordea.family_name, nordea.national_id)
    personal_codes = {p.national_id for p in identities.PERSONS}
    for user in identities.KATSO_USERS:
        assert not hasattr(user, "organisation") and not hasattr(user, "role")
        # A Katso user without a personal test identity has a code of their own, nobody else's.
        assert (user.national_id in personal_codes) == (user.same_person_as is not None), user
    # The companies and roles come from the e-Authorizations stand-in's data (YPA organizationRoles).
    from chalicelib.authorizations.standin import delegate_data

    companies = {u.username: [(c["identifier"], c["name"], c["roles"]) for c in delegate_data(u.national_id)["companies"]]
                 for u in identities.KATSO_USERS}
    assert companies == {
        "testiyritys-paakayttaja": [("9876543-0", "Testiyritys Oy", ["NIMKO", "TJ"]), ("2345678-0", "Esimerkki Ky", ["J"])],
        "testiyritys-kayttaja": [("9876543-0", "Testiyritys Oy", ["TJ"])],
        "esimerkkiyhdistys-paakayttaja": [("9123456-5", "Esimerkkiyhdistys ry", ["PJ", "NIMKO"])],
    }
    for listed in companies.values():
        for business_id, _, _ in listed:
            assert ytunnus.is_valid(business_id), business_id


def test_every_person_has_a_distinct_user_id_phone_and_valid_mobile_number():
    assert len({p.bank_user_id for p in identities.PERSONS}) == len(identities.PERSONS)
    assert len({p.phone for p in identities.PERSONS} | {identities.NEVER_ANSWERING_PHONE}) == len(identities.PERSONS) + 1
    for found in identities.PERSONS:
        assert mobile.normalize_phone(found.phone) == found.phone
    assert identities.person("nordea-testaaja").bank_user_id == "123456"


def test_sub_is_stable_opaque_and_keyed():
    nordea = identities.person("nordea-testaaja")
    by_bank = identities.personal_identification(nordea, "bank")
    by_mobile = identities.personal_identification(nordea, "mobile")
    assert by_bank.sub == by_mobile.sub
    assert nordea.national_id not in by_bank.sub and "210281" not in by_bank.sub
    assert by_bank.sub != hashlib.sha256(nordea.national_id.encode()).hexdigest()
    katso = identities.katso_identification(identities.KATSO_USERS[0])
    # With e-Authorizations the Katso identification is personal: the same human, the same sub.
    assert katso.sub == by_bank.sub and katso.acr == "corporate"
    assert "national_id" not in katso.claims and "national_id" not in by_bank.claims
    assert identities.person_by_subject(by_bank.sub) == nordea and identities.person_by_subject(katso.sub) == nordea
    assert (by_bank.amr, by_mobile.amr, katso.amr) == ("suomi_fi", "suomi_fi", "katso")  # the broker's words


def test_katso_users_without_a_personal_identity_are_found_by_their_sub():
    for username, code in (("testiyritys-kayttaja", "140592-926N"), ("esimerkkiyhdistys-paakayttaja", "030768-9315")):
        found = identities.identify_with_katso(username, "katso1234")
        assert found.sub == identities.subject(f"person:{code}") and code not in found.sub
        person = identities.person_by_subject(found.sub)
        assert person.national_id == code and person.name == found.claims["name"] and person.key == username
        assert set(found.claims) == {"given_name", "family_name", "name"}  # no organisation, no code


def test_bank_codes_are_checked():
    found = identities.identify_with_bank("nordea", " 123456 ", "1234")
    assert identities.person_by_subject(found.sub).national_id == "210281-9988"
    with pytest.raises(Invalid) as wrong:
        identities.identify_with_bank("nordea", "123456", "4321")
    assert set(wrong.value.errors) == {"user_id", "code"}
    with pytest.raises(Invalid):
        identities.identify_with_bank("no-bank", "123456", "1234")
    with pytest.raises(Invalid) as empty:
        identities.identify_with_bank("op", "", "")
    assert set(empty.value.errors) == {"user_id", "code"}


def test_card_and_katso_are_checked():
    assert identities.identify_with_card("matti-perhe", "1234").method == "card"
    with pytest.raises(Invalid) as wrong:
        identities.identify_with_card("matti-perhe", "1111")
    assert set(wrong.value.errors) == {"pin"}
    with pytest.raises(Invalid) as none:
        identities.identify_with_card("", "")
    assert set(none.value.errors) == {"certificate", "pin"}
    assert identities.identify_with_katso("TESTIYRITYS-KAYTTAJA", "katso1234").claims["name"] == "Kaisa Kollega Testaaja"
    with pytest.raises(Invalid):
        identities.identify_with_katso("testiyritys-kayttaja", "KATSO1234")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("+358401230001", "+358401230001"), ("0401230001", "+358401230001"), ("040 123 0001", "+358401230001"),
     ("+358 50 123 4567", "+358501234567"), ("045-123 4567", "+358451234567")],
)
def test_finnish_mobile_numbers_are_normalized(typed, e164):
    assert mobile.normalize_phone(typed) == e164


@pytest.mark.parametrize("typed", ["", "   ", "09 123 4567", "+46701234567", "+358", "x" * 50, "12"])
def test_other_numbers_are_refused(typed):
    with pytest.raises(Invalid) as refused:
        mobile.normalize_phone(typed)
    assert set(refused.value.errors) == {"phone"}


# --- the authorization request and the interaction -------------------------------------------


def test_a_valid_request_becomes_an_interaction(aws):
    found = authorize.validate_authorization_request(request_params(acr_values="foo corporate"))
    assert found.acr == "corporate" and found.state == "st" and found.code_challenge == CHALLENGE
    assert authorize.validate_authorization_request(request_params()).acr == "personal"


@pytest.mark.parametrize(("params", "redirect"), [
    ({"client_id": "x"}, False), ({"redirect_uri": "http://localhost:8000/auth/callback?x=1"}, False),
    ({"redirect_uri": None}, False), ({"nonce": "é"}, True), ({"state": "x" * 513}, True),
    ({"code_challenge_method": "s256"}, True), ({"response_mode": "fragment"}, True),
    ({"request_uri": "https://x"}, True),
])
def test_bad_requests(aws, params, redirect):
    with pytest.raises(authorize.AuthorizeError) as refused:
        authorize.validate_authorization_request(request_params(**params))
    assert refused.value.redirect is redirect
    if redirect:
        assert refused.value.redirect_url().startswith(REDIRECT_URI + "?error=")


def test_ui_locales():
    assert authorize.ui_language({"ui_locales": "de sv-FI en"}) == "sv"
    assert authorize.ui_language({"ui_locales": "de"}) is None
    assert authorize.ui_language({}) is None


def test_the_interaction_is_sealed_and_expires(aws, at):
    started = authorize.validate_authorization_request(request_params())
    sent = mobile.send_request(started, "0401230002", "kissa")
    sealed = interaction.seal(sent)
    assert "+358401230002" not in sealed and "kissa" not in sealed
    assert "0401230002" not in base64.urlsafe_b64decode(sealed + "==").decode("latin-1")
    opened = interaction.unseal(sealed)
    assert opened == sent and opened.mobile.phone == "+358401230002"
    changed = sealed[:50] + ("A" if sealed[50] != "A" else "B") + sealed[51:]
    for bad in (changed, None, "", "é" * 10, "a" * 5000):
        with pytest.raises(interaction.InteractionInvalid) as refused:
            interaction.unseal(bad)
        assert not refused.value.expired
    at(interaction.LIFETIME_SECONDS - 1)
    assert interaction.unseal(sealed).state == "st"
    at(interaction.LIFETIME_SECONDS)
    with pytest.raises(interaction.InteractionInvalid) as expired:
        interaction.unseal(sealed)
    assert expired.value.expired


def _raw(sealed: str) -> bytes:
    return base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def test_the_interaction_is_aes_gcm_with_a_derived_key(aws):
    """The format the module docstring describes, read with another implementation (cryptography)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    started = authorize.validate_authorization_request(request_params())
    sealed = interaction.seal(started)
    raw = _raw(sealed)
    plain = json.dumps(dataclasses.asdict(started), separators=(",", ":")).encode()
    assert len(raw) == 12 + len(plain) + 16
    assert "=" not in sealed and len(sealed) < interaction.MAX_SEALED
    key = hmac.new(keys.interaction_secret(), b"devidp interaction AES-256-GCM", hashlib.sha256).digest()
    assert AESGCM(key).decrypt(raw[:12], raw[12:], None) == plain
    assert len(keys.interaction_secret()) == 32
    assert interaction.seal(started) != sealed  # a fresh nonce every time
    # Whoever holds the key can seal; a longer life sealed with it is accepted, so the key is the guard.
    nonce = bytes(12)
    longer = json.dumps({**dataclasses.asdict(started), "expires_at": started.expires_at + 3600}).encode()
    extended = interaction.unseal(_text(nonce + AESGCM(key).encrypt(nonce, longer, None)))
    assert extended.expires_at == started.expires_at + 3600


def test_a_changed_or_foreign_interaction_is_refused(aws, monkeypatch):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    started = authorize.validate_authorization_request(request_params())
    sealed = interaction.seal(started)
    raw = _raw(sealed)
    forged = []
    for position in (0, 11, 12, len(raw) // 2, len(raw) - 17, len(raw) - 16, len(raw) - 1):  # nonce, text, tag
        changed = bytearray(raw)
        changed[position] ^= 0x01
        forged.append(_text(bytes(changed)))
    forged += [
        _text(raw[:-1]), _text(raw[:28]), _text(raw[:27]), _text(raw + b"\0"),  # cut or lengthened
        sealed + "=", sealed[:20] + "+" + sealed[21:], sealed[:20] + "." + sealed[21:],  # not base64url
        "A" * (interaction.MAX_SEALED + 1),
    ]
    # Sealed the same way with the stored secret used as the key directly, or under a random key.
    nonce = bytes(12)
    plain = json.dumps(dataclasses.asdict(started)).encode()
    for key in (keys.interaction_secret(), bytes(32)):
        forged.append(_text(nonce + AESGCM(key).encrypt(nonce, plain, None)))
    for bad in forged:
        with pytest.raises(interaction.InteractionInvalid) as refused:
            interaction.unseal(bad)
        assert not refused.value.expired, bad
    # Another provider's secret (another deployment, or the key after a rotation).
    monkeypatch.setattr(keys, "interaction_secret", lambda: bytes(range(32)))
    with pytest.raises(interaction.InteractionInvalid):
        interaction.unseal(sealed)
    assert interaction.unseal(interaction.seal(started)) == started


def test_the_mobile_time_limit(aws, at):
    started = authorize.validate_authorization_request(request_params())
    sent = mobile.send_request(started, "+358401230003", "")
    at(settings().dev_idp_mobile_timeout_seconds)
    assert identities.person_by_subject(mobile.confirm(sent).sub).national_id == "080885-912Y"
    at(settings().dev_idp_mobile_timeout_seconds + 1)
    with pytest.raises(mobile.MobileInterrupted):
        mobile.confirm(sent)
    never = mobile.send_request(started, identities.NEVER_ANSWERING_PHONE, "")
    at(0)
    with pytest.raises(mobile.MobileInterrupted):
        mobile.confirm(never)
    with pytest.raises(mobile.MobileInterrupted):
        mobile.confirm(started)  # nothing was sent


# --- codes, tokens, keys ---------------------------------------------------------------------


def test_pkce_s256_matches_rfc_7636():
    assert tokens.pkce_challenge(VERIFIER) == CHALLENGE


def _basic(secret="local-development-secret") -> str:
    return "Basic " + base64.b64encode(f"city-eservices-portal:{secret}".encode()).decode()


def test_code_exchange_without_http(aws):
    started = authorize.validate_authorization_request(request_params())
    code = tokens.issue_code(started, identities.identify_with_katso("testiyritys-paakayttaja", "katso1234"))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER}
    answer = tokens.exchange(form, _basic())
    key = keys.signing_key()
    assert jwt.get_unverified_header(answer["id_token"])["kid"] == key.kid
    claims = jwt.decode(answer["id_token"], key.private_key.public_key(), algorithms=["RS256"],
                        audience="city-eservices-portal", issuer=settings().oidc_issuer)
    assert not {"business_id", "organisation_name", "organisation_roles"} & set(claims)
    assert claims["sub"] == identities.subject("person:210281-9988") and claims["name"] == "Portaalia Nordea Testaaja"
    assert claims["amr"] == "katso" and claims["loa"] == "substantial" and claims["nonce"] == "nn" and claims["sid"]
    access = tokens.verify(answer["access_token"])  # a signed JWT, as Keycloak's
    assert access["sub"] == claims["sub"] and access["loa"] == "substantial" and access["azp"] == "city-eservices-portal"
    digest = hashlib.sha256(answer["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    with pytest.raises(tokens.TokenError) as replay:
        tokens.exchange(form, _basic())
    assert replay.value.error == "invalid_grant"


def test_client_authentication(aws):
    form = {"grant_type": "authorization_code", "code": "x" * 43, "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER}
    for header in (_basic("nope"), "Digest abc", "Basic bm9jb2xvbg==", None):
        with pytest.raises(tokens.TokenError) as refused:
            tokens.exchange(form, header)
        assert (refused.value.error, refused.value.status) == ("invalid_client", 401)
    with pytest.raises(tokens.TokenError) as unknown_code:
        tokens.exchange({**form, "client_id": "city-eservices-portal", "client_secret": "local-development-secret"}, None)
    assert unknown_code.value.error == "invalid_grant"


def test_the_signing_key_is_created_once_and_shared(aws):
    from chalicelib.models.dev_idp import DevIdpModel

    keys.clear_cache()
    first = keys.signing_key()
    stored = DevIdpModel.get(keys.SIGNING_KEY_PK)
    assert "PRIVATE KEY" in stored.payload["pem"] and stored.expires_at is None
    keys.clear_cache()  # another Lambda instance
    assert keys.signing_key().kid == first.kid
    assert keys.jwks() == {"keys": [first.public_jwk]}


def test_instances_racing_to_create_the_key_converge(aws, monkeypatch):
    from chalicelib.models.dev_idp import DevIdpModel

    keys.clear_cache()
    winner = keys.signing_key()
    keys.clear_cache()
    real_get = DevIdpModel.get.__func__
    calls = []

    def first_read_misses(cls, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise DevIdpModel.DoesNotExist()
        return real_get(cls, *args, **kwargs)

    monkeypatch.setattr(DevIdpModel, "get", classmethod(first_read_misses))
    # This instance saw no key, generated its own, lost the conditional put and uses the winner's.
    assert keys.signing_key().kid == winner.kid
    assert len(calls) == 2
    keys.clear_cache()


def test_the_kid_is_the_rfc_7638_thumbprint(aws):
    jwk = keys.signing_key().public_jwk
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    assert jwk["kid"] == base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


# --- mounting --------------------------------------------------------------------------------


@pytest.fixture
def stage(monkeypatch):
    def use(name: str):
        monkeypatch.setenv("PORTAL_STAGE", name)
        settings.cache_clear()

    yield use
    settings.cache_clear()


class RecordingApp:
    """Stands in for the Chalice app (a Chalice blueprint can be registered on one app only)."""

    def __init__(self):
        self.registered = []

    def register_blueprint(self, blueprint, url_prefix=None):
        self.registered.append((blueprint, url_prefix))


def test_register_refuses_in_prod(stage):
    from chalicelib.handlers import devidp

    stage("prod")
    assert not settings().dev_idp_enabled
    app = RecordingApp()
    with pytest.raises(RuntimeError):
        devidp.register(app)
    assert app.registered == []


@pytest.mark.parametrize("name", ["local", "dev", "test"])
def test_register_mounts_the_provider_elsewhere(stage, name):
    from chalicelib.handlers import devidp

    stage(name)
    app = RecordingApp()
    devidp.register(app)
    assert app.registered == [(devidp.bp, "/dev-idp")]
