"""RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 3.3) for PyJWT, computed with pycryptodome.

Why: PyJWT's own RS256 needs ``cryptography``, whose wheel (with cffi and pycparser) made about a
third of the zipped Lambda package. pycryptodome is about half its size and has all we need. PyJWT
still does everything else: the token format, the ``alg`` allow-list, and the claims (``exp``,
``iss``, ``aud``...); only the signature arithmetic is ours.

Importing this module registers ``RS256`` with PyJWT's module-level ``jwt.encode``/``jwt.decode``
(the ones the portal calls), replacing PyJWT's own handler where ``cryptography`` is installed
(development and tests need it for moto), so that the tests run the code production runs.
``jwt.PyJWK`` does not see registrations (it asks PyJWT for its built-in algorithms, which need
``cryptography``): load JWKS keys with ``RS256.from_jwk`` instead.

Keys are pycryptodome ``RsaKey`` objects (or PEM text). Keys under 2048 bits are refused for
signing and verifying alike (NIST SP 800-131A), not merely warned about as PyJWT does.
"""
from __future__ import annotations

import json
import threading

import jwt
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from jwt.algorithms import Algorithm
from jwt.exceptions import InvalidKeyError
from jwt.utils import force_bytes, from_base64url_uint, to_base64url_uint

MIN_KEY_BITS = 2048


def _check_size(key: RSA.RsaKey) -> RSA.RsaKey:
    if key.size_in_bits() < MIN_KEY_BITS:
        raise InvalidKeyError(f"the RSA key has {key.size_in_bits()} bits; at least {MIN_KEY_BITS} are required")
    return key


class RS256(Algorithm):
    """PyJWT's Algorithm interface over pycryptodome's RSA."""

    def prepare_key(self, key: RSA.RsaKey | str | bytes) -> RSA.RsaKey:
        if isinstance(key, RSA.RsaKey):
            return _check_size(key)
        if not isinstance(key, (str, bytes)):
            # e.g. a ``cryptography`` key object: only pycryptodome computes signatures here.
            raise InvalidKeyError(f"expected a pycryptodome RSA key or PEM text, not {type(key).__name__}")
        pem = force_bytes(key).strip()
        if not pem.startswith(b"-----BEGIN "):
            raise InvalidKeyError("the RSA key is not in PEM format")
        try:
            return _check_size(RSA.import_key(pem))  # a private key, a public key or a certificate
        except (ValueError, IndexError, TypeError):
            raise InvalidKeyError("the PEM text is not an RSA key") from None

    def sign(self, msg: bytes, key: RSA.RsaKey) -> bytes:
        if not key.has_private():
            raise InvalidKeyError("signing needs the private key")
        return pkcs1_15.new(key).sign(SHA256.new(msg))

    def verify(self, msg: bytes, key: RSA.RsaKey, sig: bytes) -> bool:
        try:
            pkcs1_15.new(key).verify(SHA256.new(msg), sig)  # raises ValueError if it does not verify
            return True
        except (ValueError, TypeError):
            return False

    @staticmethod
    def to_jwk(key_obj: RSA.RsaKey, as_dict: bool = False) -> dict | str:
        """The public part of the key as a JWK (a private key's private parts are never written)."""
        jwk = {"kty": "RSA", "n": to_base64url_uint(key_obj.n).decode(), "e": to_base64url_uint(key_obj.e).decode()}
        return jwk if as_dict else json.dumps(jwk)

    @staticmethod
    def from_jwk(jwk: str | dict) -> RSA.RsaKey:
        """The public key in an RSA JWK (``n`` and ``e``); private JWKs are not needed and refused."""
        try:
            data = json.loads(jwk) if isinstance(jwk, str) else jwk
        except ValueError:
            raise InvalidKeyError("the JWK is not valid JSON") from None
        if not isinstance(data, dict) or data.get("kty") != "RSA":
            raise InvalidKeyError("not an RSA key")
        if "d" in data:
            raise InvalidKeyError("private RSA JWKs are not supported")
        n, e = data.get("n"), data.get("e")
        if not isinstance(n, str) or not isinstance(e, str):
            raise InvalidKeyError("the RSA JWK lacks n or e")
        try:
            # construct() checks that n and e make a plausible public key (odd, 1 < e < n...).
            key = RSA.construct((from_base64url_uint(n), from_base64url_uint(e)))
        except (ValueError, TypeError):
            raise InvalidKeyError("the RSA JWK's n and e are not a valid key") from None
        return _check_size(key)


_lock = threading.Lock()


def register() -> None:
    """Make ``RS256`` ours in PyJWT's module-level encoder and decoder; harmless to call again."""
    with _lock:
        try:
            current = jwt.get_algorithm_by_name("RS256")
        except NotImplementedError:  # PyJWT without cryptography: no RS256 at all
            current = None
        if isinstance(current, RS256):
            return
        if current is not None:
            jwt.unregister_algorithm("RS256")
        jwt.register_algorithm("RS256", RS256())


register()
