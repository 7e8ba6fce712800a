"""The provider's keys: an RSA 2048 signing key for ID tokens and a secret that seals interactions.

Both are generated on first use and stored in the dev-idp table with a conditional put, so that
parallel Lambda instances that race to create one end up using the same key (the loser of the race
reads the winner's). Each process caches what it read. In the local stage moto's memory is fresh on
every start, so the keys are effectively generated at start. Rotation: delete the item; instances
pick up the new key when they start (existing ID tokens then fail verification, which is fine for
a development provider).
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass

SIGNING_KEY_PK = "signing-key"
INTERACTION_KEY_PK = "interaction-key"

_lock = threading.Lock()
_cache: dict[str, object] = {}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: object  # cryptography's RSAPrivateKey
    public_jwk: dict
    signer: object  # the same key for joserfc (RSAKey), which signs the ID tokens


def clear_cache() -> None:
    """Forget the keys read by this process (tests; a new Lambda instance starts this way)."""
    with _lock:
        _cache.clear()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _stored(pk: str, create) -> dict:
    """The payload of item ``pk``, created with ``create()`` if missing; the first writer wins."""
    from pynamodb.exceptions import PutError

    from chalicelib.models.dev_idp import DevIdpModel

    try:
        return DevIdpModel.get(pk, consistent_read=True).payload
    except DevIdpModel.DoesNotExist:
        pass
    item = DevIdpModel(pk=pk, payload=create())
    try:
        item.save(condition=DevIdpModel.pk.does_not_exist())
        return item.payload
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
    # Another instance stored its key first: use that one.
    return DevIdpModel.get(pk, consistent_read=True).payload


def _new_signing_key() -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"pem": pem.decode("ascii")}  # "-----BEGIN PRIVATE KEY-----"


def _thumbprint(jwk: dict) -> str:
    """RFC 7638 JWK thumbprint: the key id."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def signing_key() -> SigningKey:
    with _lock:
        cached = _cache.get(SIGNING_KEY_PK)
    if cached is not None:
        return cached
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from joserfc.jwk import RSAKey

    payload = _stored(SIGNING_KEY_PK, _new_signing_key)
    private_key = load_pem_private_key(payload["pem"].encode("ascii"), password=None)
    numbers = private_key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _int_b64url(numbers.n), "e": _int_b64url(numbers.e)}
    kid = _thumbprint(jwk)
    key = SigningKey(kid=kid, private_key=private_key, public_jwk={**jwk, "use": "sig", "alg": "RS256", "kid": kid},
                     signer=RSAKey.import_key(payload["pem"]))
    with _lock:
        _cache[SIGNING_KEY_PK] = key
    return key


def jwks() -> dict:
    return {"keys": [signing_key().public_jwk]}


def interaction_secret() -> bytes:
    """32 random bytes from which the key that seals the interaction carried through the screens is
    derived (see chalicelib.devidp.interaction)."""
    with _lock:
        cached = _cache.get(INTERACTION_KEY_PK)
    if cached is not None:
        return cached
    payload = _stored(INTERACTION_KEY_PK, lambda: {"secret": _b64url(secrets.token_bytes(32))})
    secret = base64.urlsafe_b64decode(payload["secret"] + "=" * (-len(payload["secret"]) % 4))
    with _lock:
        _cache[INTERACTION_KEY_PK] = secret
    return secret
