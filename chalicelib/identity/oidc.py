"""The OpenID Connect relying party: discovery, the authorization request, code exchange and ID-token checks.

Works with any standard provider (the City's identity broker in production, the bundled
development provider elsewhere). Signatures are checked with PyJWT against the provider's JWKS (RS256,
computed with pycryptodome by ``chalicelib.identity.rs256``); ``iss``, ``aud``, ``exp``, ``iat`` and
``nonce`` are all required and checked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib.config import settings
from chalicelib.identity import http

CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60


class TokenRejected(ValueError):
    """The ID token or the token response cannot be trusted; the reason is safe to log."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}


def _cached(key: str, load):
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = load()
    with _lock:
        _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def provider() -> Provider:
    issuer = settings().oidc_issuer.rstrip("/")

    def load() -> Provider:
        status, doc = http.request_json("GET", f"{issuer}/.well-known/openid-configuration")
        if status != 200:
            raise http.ProviderUnavailable(f"discovery answered {status}")
        if doc.get("issuer", "").rstrip("/") != issuer:
            raise http.ProviderUnavailable("discovery names another issuer")
        try:
            return Provider(issuer, doc["authorization_endpoint"], doc["token_endpoint"], doc["jwks_uri"])
        except KeyError as missing:
            raise http.ProviderUnavailable(f"discovery lacks {missing}") from None

    return _cached(f"discovery:{issuer}", load)


def _jwks(refresh: bool = False) -> dict[str, object]:
    jwks_uri = provider().jwks_uri
    if refresh:
        with _lock:
            _cache.pop(f"jwks:{jwks_uri}", None)

    def load() -> dict[str, object]:
        # PyJWT and pycryptodome: loaded by the first sign-in, not by every cold start
        from jwt.exceptions import InvalidKeyError

        from chalicelib.identity.rs256 import RS256

        status, doc = http.request_json("GET", jwks_uri)
        if status != 200 or not isinstance(doc.get("keys"), list):
            raise http.ProviderUnavailable(f"JWKS answered {status}")
        keys = {}
        for jwk in doc["keys"]:
            if (isinstance(jwk, dict) and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig"
                    and jwk.get("alg", "RS256") == "RS256" and isinstance(jwk.get("kid"), str) and jwk["kid"]):
                try:
                    keys[jwk["kid"]] = RS256.from_jwk(jwk)
                except InvalidKeyError:
                    continue  # malformed or under 2048 bits: a token naming it is signed with an unknown key
        return keys

    return _cached(f"jwks:{jwks_uri}", load)


def _signing_key(kid: str | None):
    if not kid:
        raise TokenRejected("the ID token names no key")
    key = _jwks().get(kid) or _jwks(refresh=True).get(kid)  # a rotated key: fetch the set once more
    if key is None:
        raise TokenRejected("the ID token is signed with an unknown key")
    return key


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(*, state: str, nonce: str, code_verifier: str, customer: str, language: str) -> str:
    config = settings()
    query = urlencode(
        {
            "client_id": config.oidc_client_id,
            "redirect_uri": config.redirect_uri,
            "response_type": "code",
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
            "acr_values": customer,
            "ui_locales": language,
        }
    )
    return f"{provider().authorization_endpoint}?{query}"


def exchange_code(code: str, code_verifier: str) -> str:
    """Trade the authorization code for tokens; returns the (still unverified) ID token."""
    return exchange_code_for_tokens(code, code_verifier)[0]


def exchange_code_for_tokens(code: str, code_verifier: str) -> tuple[str, str | None]:
    """Trade the authorization code for tokens: the (still unverified) ID token and the access token
    (what the claim mapping may exchange for the profile service's token)."""
    config = settings()
    credentials = base64.b64encode(f"{config.oidc_client_id}:{config.oidc_client_secret}".encode()).decode()
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": config.redirect_uri,
            "code_verifier": code_verifier,
        }
    ).encode()
    status, answer = http.request_json(
        "POST",
        provider().token_endpoint,
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"},
    )
    if status != 200:
        raise TokenRejected(f"the token endpoint answered {status} {str(answer.get('error'))[:40]}")
    id_token = answer.get("id_token")
    if not isinstance(id_token, str):
        raise TokenRejected("the token response has no ID token")
    access_token = answer.get("access_token")
    return id_token, access_token if isinstance(access_token, str) and access_token else None


def verify_id_token(id_token: str, nonce: str) -> dict:
    import jwt

    from chalicelib.identity import rs256

    rs256.register()  # jwt.decode's RS256 is pycryptodome's (idempotent: the import did it already)
    config = settings()
    try:
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") != "RS256":
            raise TokenRejected("the ID token is not signed with RS256")
        claims = jwt.decode(
            id_token,
            key=_signing_key(header.get("kid")),
            algorithms=["RS256"],
            audience=config.oidc_client_id,
            issuer=provider().issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("the ID token has expired") from None
    except jwt.InvalidAudienceError:
        raise TokenRejected("the ID token is for another client") from None
    except jwt.InvalidIssuerError:
        raise TokenRejected("the ID token is from another issuer") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("the ID token's signature does not verify") from None
    except jwt.PyJWTError as error:
        raise TokenRejected(f"the ID token is invalid ({error.__class__.__name__})") from None
    if not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > time.time() + LEEWAY_SECONDS:
        raise TokenRejected("the ID token is issued in the future")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise TokenRejected("the ID token's nonce does not match this sign-in")
    return claims
