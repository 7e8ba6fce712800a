"""The relying party's signature checks (joserfc, chalicelib/identity/oidc.py) cross-checked against
``cryptography`` for every allowed algorithm: tokens signed by ``cryptography`` alone verify with ours,
tokens signed by our library verify with ``cryptography`` alone; ``alg: none``, HS256 keyed with the
public key, algorithms off the allow-list and changed tokens are refused."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from chalicelib.identity import oidc

ALGORITHMS = ["RS256", "PS256", "ES256"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key(alg: str):
    if alg.startswith("ES"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, alg: str, kid: str) -> dict:
    numbers = key.public_key().public_numbers()
    if alg.startswith("ES"):
        return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")), "kid": kid, "use": "sig", "alg": alg}
    size = lambda value: (value.bit_length() + 7) // 8  # noqa: E731
    return {"kty": "RSA", "n": b64url(numbers.n.to_bytes(size(numbers.n), "big")),
            "e": b64url(numbers.e.to_bytes(size(numbers.e), "big")), "kid": kid, "use": "sig", "alg": alg}


def sign_with_cryptography(claims: dict, key, alg: str, kid: str) -> str:
    """A compact JWS (RFC 7515, 7518) made with ``cryptography`` alone."""
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = ".".join(b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims)).encode()
    if alg == "RS256":
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        signature = key.sign(signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    else:  # ES256: the JWS signature is r || s, 32 bytes each (RFC 7518 §3.4), not DER
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode()}.{b64url(signature)}"


def verify_with_cryptography(token: str, public_key, alg: str) -> dict:
    header, payload, signature = token.split(".")
    signing_input, raw = f"{header}.{payload}".encode(), b64url_decode(signature)
    if alg == "RS256":
        public_key.verify(raw, signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        public_key.verify(raw, signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256())
    else:
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(payload))


def claims_for(idp, nonce: str = "n-1") -> dict:
    from chalicelib.config import settings

    now = int(time.time())
    return {"iss": idp.issuer, "aud": settings().oidc_client_id, "sub": "subject-1", "iat": now, "exp": now + 300,
            "nonce": nonce}


@pytest.fixture
def publish(idp):
    """Publish a new key of ``alg`` in the scriptable provider's JWKS; returns the private key."""
    def add(alg: str, kid: str | None = None, **extra):
        key = new_key(alg)
        idp.extra_jwks.append({**public_jwk(key, alg, kid or alg.lower()), **extra})
        return key

    return add


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_token_signed_by_cryptography_verifies_with_ours(idp, publish, alg):
    key = publish(alg)
    token = sign_with_cryptography(claims_for(idp), key, alg, alg.lower())
    assert oidc.verify_id_token(token, "n-1")["sub"] == "subject-1"
    # one changed byte of the payload, or of the signature, and it no longer verifies
    header, payload, signature = token.split(".")
    changed = json.loads(b64url_decode(payload)) | {"sub": "subject-2"}
    for forged in (f"{header}.{b64url(json.dumps(changed).encode())}.{signature}",
                   f"{header}.{payload}.{b64url(bytes([b64url_decode(signature)[0] ^ 1]) + b64url_decode(signature)[1:])}"):
        with pytest.raises(oidc.TokenRejected, match="signature"):
            oidc.verify_id_token(forged, "n-1")


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_token_signed_by_our_library_verifies_with_cryptography(alg):
    from joserfc import jwt
    from joserfc.jwk import import_key

    key = new_key(alg)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ours = jwt.encode({"alg": alg, "kid": "k"}, {"sub": "subject-1"}, import_key(pem, "EC" if alg.startswith("ES") else "RSA"),
                      algorithms=[alg])
    assert verify_with_cryptography(ours, key.public_key(), alg) == {"sub": "subject-1"}
    with pytest.raises(InvalidSignature):
        verify_with_cryptography(ours, new_key(alg).public_key(), alg)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_an_algorithm_off_the_allow_list_is_refused(idp, publish, monkeypatch, alg):
    from chalicelib.config import settings

    key = publish(alg)
    monkeypatch.setattr(settings(), "oidc_id_token_algorithms", ",".join(a for a in ALGORITHMS if a != alg))
    with pytest.raises(oidc.TokenRejected, match="not allowed"):
        oidc.verify_id_token(sign_with_cryptography(claims_for(idp), key, alg, alg.lower()), "n-1")


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    parts = [b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)]
    return ".".join([*parts, b64url(signature)])


def test_alg_none_and_hs256_keyed_with_the_public_key_are_refused(idp, monkeypatch):
    from chalicelib.config import settings

    claims = claims_for(idp)
    pem = idp.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    forgeries = [unsigned({"alg": "none", "kid": idp.kid}, claims), unsigned({"alg": "None", "kid": idp.kid}, claims),
                 unsigned({"kid": idp.kid}, claims)]
    for secret in (pem, pem.strip(), json.dumps(idp.jwk()).encode()):
        signing_input = unsigned({"alg": "HS256", "kid": idp.kid, "typ": "JWT"}, claims).rsplit(".", 1)[0]
        forgeries.append(f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}")
    # even a setting that names them does not let them in: asymmetric algorithms only
    monkeypatch.setattr(settings(), "oidc_id_token_algorithms", "RS256,none,HS256")
    for forged in forgeries:
        with pytest.raises(oidc.TokenRejected):
            oidc.verify_id_token(forged, "n-1")
    assert oidc.verify_id_token(idp.id_token({"nonce": "n-1"}), "n-1")["sub"] == "subject-1"


def test_a_key_of_another_type_than_the_algorithm_is_refused(idp, publish):
    ec_key = publish("ES256", kid="ec")
    rsa_key = new_key("RS256")
    # an RS256 token naming the EC key's kid, and an ES256 token naming the RSA key's kid
    with pytest.raises(oidc.TokenRejected):
        oidc.verify_id_token(sign_with_cryptography(claims_for(idp), rsa_key, "RS256", "ec"), "n-1")
    with pytest.raises(oidc.TokenRejected):
        oidc.verify_id_token(sign_with_cryptography(claims_for(idp), ec_key, "ES256", idp.kid), "n-1")


def test_a_token_signed_with_a_weak_published_key_is_refused(idp, publish):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    idp.extra_jwks.append(public_jwk(weak, "RS256", "weak"))
    with pytest.raises(oidc.TokenRejected, match="unknown key"):
        oidc.verify_id_token(sign_with_cryptography(claims_for(idp), weak, "RS256", "weak"), "n-1")


def test_an_encryption_key_is_never_used_to_verify(idp, publish):
    key = publish("RS256", kid="enc", use="enc")
    with pytest.raises(oidc.TokenRejected, match="unknown key"):
        oidc.verify_id_token(sign_with_cryptography(claims_for(idp), key, "RS256", "enc"), "n-1")


def test_a_new_kid_fetches_the_key_set_again(idp, publish):
    assert oidc.verify_id_token(idp.id_token({"nonce": "n-1"}), "n-1")  # the key set is cached now
    key = publish("ES256", kid="rotated")
    assert oidc.verify_id_token(sign_with_cryptography(claims_for(idp), key, "ES256", "rotated"), "n-1")


def test_the_issuer_is_compared_exactly(idp):
    claims = claims_for(idp) | {"iss": idp.issuer + "/"}
    token = sign_with_cryptography(claims, idp.key, "RS256", idp.kid)
    with pytest.raises(oidc.TokenRejected, match="another issuer"):
        oidc.verify_id_token(token, "n-1")


def logout_claims(idp, **changes) -> dict:
    from chalicelib.config import settings

    claims = {"iss": idp.issuer, "aud": settings().oidc_client_id, "iat": int(time.time()), "jti": "j-1",
              "sub": "subject-1", "sid": "session-1",
              "events": {oidc.BACKCHANNEL_LOGOUT_EVENT: {}}}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_logout_token_that_passes_every_check(idp):
    token = sign_with_cryptography(logout_claims(idp), idp.key, "RS256", idp.kid)
    assert oidc.verify_logout_token(token)["sid"] == "session-1"
    only_sub = sign_with_cryptography(logout_claims(idp, sid=None), idp.key, "RS256", idp.kid)
    assert oidc.verify_logout_token(only_sub)["sub"] == "subject-1"


@pytest.mark.parametrize("changes, reason", [
    ({"nonce": "n-1"}, "nonce"),
    ({"events": None}, "event"),
    ({"events": {"http://schemas.openid.net/event/other": {}}}, "event"),
    ({"events": {oidc.BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "event"),
    ({"aud": "someone-else"}, "another client"),
    ({"iss": "https://evil.example"}, "another issuer"),
    ({"iat": None}, "iat"),
    ({"iat": int(time.time()) - 3600}, "iat"),
    ({"iat": int(time.time()) + 3600}, "iat"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"sid": None, "sub": None}, "neither"),
], ids=["nonce", "no-events", "other-event", "event-not-object", "audience", "issuer", "no-iat", "old", "future",
        "expired", "no-sid-or-sub"])
def test_a_logout_token_that_fails_a_check_is_refused(idp, changes, reason):
    token = sign_with_cryptography(logout_claims(idp, **changes), idp.key, "RS256", idp.kid)
    with pytest.raises(oidc.TokenRejected, match=reason):
        oidc.verify_logout_token(token)


def test_importing_the_app_loads_no_relying_party_library():
    """Authlib, joserfc and cryptography are imported by the first sign-in, never by a cold start
    of the pages (docs/identity.md, "The relying party library")."""
    import subprocess
    import sys

    code = ("import sys, app; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'authlib', 'joserfc', 'cryptography', 'jwt', 'Crypto'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PORTAL_STAGE": "prod", "PATH": "/usr/bin:/bin"}, cwd=__import__("tests.conftest").conftest.ROOT)
    assert done.stdout.strip().splitlines()[-1] == "[]"
