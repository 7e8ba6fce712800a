"""The OpenID Connect relying party, on Authlib and joserfc (its JOSE library; docs/identity.md, "The
relying party library"): discovery, the authorization request, client authentication, code exchange,
ID-token and logout-token checks, userinfo and RP-initiated logout.

Works with any standard provider (the City's identity broker in production, the bundled development
provider elsewhere, npm ``oidc-provider`` in the tests). What is ours here is only the glue:

- the issuer is compared exactly as discovery gives it (a trailing ``/`` is part of it);
- ID tokens verify with joserfc against the provider's JWKS (RSA and EC keys, a new ``kid`` fetches
  the set once more), with the algorithms allowed in settings only (``alg: none``, HS* and anything
  off the list are refused before a key is looked at); the claims with Authlib's ``CodeIDToken``;
- ``client_secret_basic`` is written here: Authlib's sends id and secret without the form-encoding
  that RFC 6749 §2.3.1 requires (a secret with ``+ / : %`` then fails at a conforming provider).

Authlib, joserfc and ``cryptography`` are imported by the first sign-in, never by a cold start.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from chalicelib.config import settings
from chalicelib.identity import http

CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60
LOGOUT_TOKEN_MAX_AGE = 300  # seconds: an older back-channel logout token is refused
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# What the allow-list may name: asymmetric signatures only (HS* would take a public key as a secret).
SIGNATURE_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})


class TokenRejected(ValueError):
    """The ID token or the token response cannot be trusted; the reason is safe to log."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str | None


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


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 1.0 §4: a trailing ``/`` of the issuer is removed before appending."""
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def allowed_algorithms() -> list[str]:
    wanted = [a.strip() for a in settings().oidc_id_token_algorithms.split(",") if a.strip()]
    return [a for a in wanted if a in SIGNATURE_ALGORITHMS]


def provider() -> Provider:
    issuer = settings().oidc_issuer

    def load() -> Provider:
        status, doc = http.request_json("GET", discovery_url(issuer))
        if status != 200:
            raise http.ProviderUnavailable(f"discovery answered {status}")
        if doc.get("issuer") != issuer:  # exactly: "https://a/" and "https://a" are two issuers
            raise http.ProviderUnavailable("discovery names another issuer")
        try:
            return Provider(
                issuer, doc["authorization_endpoint"], doc["token_endpoint"], doc["jwks_uri"],
                doc.get("userinfo_endpoint") or None, doc.get("end_session_endpoint") or None,
            )
        except KeyError as missing:
            raise http.ProviderUnavailable(f"discovery lacks {missing}") from None

    return _cached(f"discovery:{issuer}", load)


def _key_set(refresh: bool = False):
    """The provider's signing keys (joserfc ``KeySet``): RSA and EC keys not marked for encryption."""
    jwks_uri = provider().jwks_uri
    if refresh:
        with _lock:
            _cache.pop(f"jwks:{jwks_uri}", None)

    def load():
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet, import_key

        status, doc = http.request_json("GET", jwks_uri)
        if status != 200 or not isinstance(doc.get("keys"), list):
            raise http.ProviderUnavailable(f"JWKS answered {status}")
        keys = []
        for jwk in doc["keys"]:
            if not (isinstance(jwk, dict) and jwk.get("kty") in ("RSA", "EC") and jwk.get("use", "sig") == "sig"):
                continue
            try:
                key = import_key(jwk)
            except (JoseError, ValueError, TypeError):
                continue  # malformed: a token naming it is signed with an unknown key
            if jwk.get("kty") == "RSA" and key.raw_value.key_size < 2048:
                continue
            keys.append(key)
        return KeySet(keys)

    return _cached(f"jwks:{jwks_uri}", load)


def pkce_challenge(verifier: str) -> str:
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    return create_s256_code_challenge(verifier)


def authorization_url(*, state: str, nonce: str, code_verifier: str, customer: str, language: str,
                      prompt_login: bool = False, scope: str | None = None) -> str:
    config = settings()
    query = {
        "client_id": config.oidc_client_id,
        "redirect_uri": config.redirect_uri,
        "response_type": "code",
        "scope": scope or config.oidc_scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce_challenge(code_verifier),
        "code_challenge_method": "S256",
        "acr_values": customer,
        "ui_locales": language,
    }
    if prompt_login:
        query["prompt"] = "login"
    return f"{provider().authorization_endpoint}?{urlencode(query)}"


# -- client authentication ------------------------------------------------------------------------

def encode_client_secret_basic(client, method, uri, headers, body):
    """RFC 6749 §2.3.1: the client id and secret are each application/x-www-form-urlencoded, then
    joined by ``:`` and Base64-encoded (Authlib's own skips the form-encoding)."""
    credentials = f"{quote_plus(client.client_id, safe='')}:{quote_plus(client.client_secret or '', safe='')}"
    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    return uri, headers, body


def _private_key():
    """The private_key_jwt key (joserfc): a private JWK (JSON) or a PEM from the secret setting."""
    from joserfc.jwk import import_key

    raw = settings().oidc_private_key
    if not raw:
        raise http.ProviderUnavailable("private_key_jwt is configured but PORTAL_OIDC_PRIVATE_KEY is empty")
    text = raw.strip()
    if text.startswith("{"):
        data = json.loads(text)
        return import_key(data, data.get("kty"))
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    kty = "EC" if isinstance(load_pem_private_key(text.encode(), None), ec.EllipticCurvePrivateKey) else "RSA"
    return import_key(text, kty)


def _signing_alg(key) -> str:
    if key.key_type == "EC":
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[key.curve_name]
    return "RS256"


def public_jwks() -> dict:
    """The public half of the private_key_jwt key, for the portal's JWKS address (/auth/jwks)."""
    if settings().oidc_client_auth_method != "private_key_jwt" or not settings().oidc_private_key:
        return {"keys": []}

    def load():
        key = _private_key()
        public = key.as_dict(private=False)
        public.update({"use": "sig", "alg": _signing_alg(key), "kid": key.thumbprint()})
        return {"keys": [public]}

    return _cached("own-jwks", load)


def _client_auth():
    from authlib.oauth2.auth import ClientAuth, encode_client_secret_post

    config = settings()
    method = config.oidc_client_auth_method
    if method == "client_secret_basic":
        return ClientAuth(config.oidc_client_id, config.oidc_client_secret, encode_client_secret_basic)
    if method == "client_secret_post":
        return ClientAuth(config.oidc_client_id, config.oidc_client_secret, encode_client_secret_post)
    from authlib.oauth2.rfc7523 import PrivateKeyJWT

    key = _private_key()
    # aud: the issuer as well as the token endpoint (RFC 7523bis; providers accept either or both)
    signer = PrivateKeyJWT(alg=_signing_alg(key), headers={"kid": key.thumbprint()})
    return ClientAuth(config.oidc_client_id, key, signer)


def exchange_code(code: str, code_verifier: str) -> Tokens:
    """Trade the authorization code for tokens; the ID token is still unverified."""
    config = settings()
    endpoint = provider().token_endpoint
    body = urlencode({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "code_verifier": code_verifier,
    })
    uri, headers, body = _client_auth().prepare("POST", endpoint, {"Content-Type": "application/x-www-form-urlencoded"}, body)
    status, answer = http.request_json("POST", uri, body.encode() if isinstance(body, str) else body, headers)
    if status != 200:
        raise TokenRejected(f"the token endpoint answered {status} {str(answer.get('error'))[:40]}")
    id_token, access_token = answer.get("id_token"), answer.get("access_token")
    if not isinstance(id_token, str):
        raise TokenRejected("the token response has no ID token")
    return Tokens(id_token, access_token if isinstance(access_token, str) else None)


# -- signed tokens --------------------------------------------------------------------------------

def _header(token: str) -> dict:
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        raise TokenRejected("the token is not a JWS") from None
    if not isinstance(header, dict):
        raise TokenRejected("the token is not a JWS")
    return header


def _verified(token: str, what: str):
    """joserfc's verification with the allow-list and the provider's keys (fetched again for a new kid)."""
    from joserfc import jwt
    from joserfc.errors import (
        BadSignatureError,
        InvalidKeyIdError,
        JoseError,
        UnsupportedAlgorithmError,
    )

    header = _header(token)
    allowed = allowed_algorithms()
    if header.get("alg") not in allowed:
        raise TokenRejected(f"the {what} is signed with {str(header.get('alg'))[:12]}, which is not allowed")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise TokenRejected(f"the {what} names no key")
    keys = _key_set()
    if not _has_kid(keys, header["kid"]):
        keys = _key_set(refresh=True)  # a rotated key: fetch the set once more
        if not _has_kid(keys, header["kid"]):
            raise TokenRejected(f"the {what} is signed with an unknown key")
    try:
        return jwt.decode(token, keys, algorithms=allowed)
    except BadSignatureError:
        raise TokenRejected(f"the {what}'s signature does not verify") from None
    except (InvalidKeyIdError, UnsupportedAlgorithmError):
        raise TokenRejected(f"the {what}'s key does not fit its algorithm") from None
    except (JoseError, ValueError, TypeError) as error:
        raise TokenRejected(f"the {what} is invalid ({error.__class__.__name__})") from None


def _has_kid(keys, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _id_token_claims_class():
    from authlib.oidc.core.claims import CodeIDToken

    class IDToken(CodeIDToken):
        def validate_amr(self):
            """OpenID Connect says a list; brokers (the City's Keycloak) send a string: the claim
            mapping reads either, so it is not refused here."""

        def validate_iat(self, now, leeway):
            if not isinstance(self.get("iat"), (int, float)):
                from joserfc.errors import MissingClaimError

                raise MissingClaimError("iat")
            super().validate_iat(now, leeway)

    return IDToken


def verify_id_token(id_token: str, nonce: str, access_token: str | None = None) -> dict:
    from joserfc.errors import (
        ExpiredTokenError,
        InvalidClaimError,
        JoseError,
        MissingClaimError,
    )

    config = settings()
    token = _verified(id_token, "ID token")
    options = {"iss": {"essential": True, "value": provider().issuer}, "aud": {"essential": True, "value": config.oidc_client_id}}
    params = {"nonce": nonce, "client_id": config.oidc_client_id, **({"access_token": access_token} if access_token else {})}
    claims = _id_token_claims_class()(token.claims, token.header, options, params)
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise TokenRejected("the ID token has expired") from None
    except (MissingClaimError, InvalidClaimError) as error:
        name = getattr(error, "claim", None) or str(error)[:40]
        described = {"aud": "the ID token is for another client", "iss": "the ID token is from another issuer",
                     "nonce": "the ID token's nonce does not match this sign-in"}
        raise TokenRejected(described.get(name, f"the ID token's claim {name} is missing or invalid")) from None
    except JoseError as error:
        if "future" in str(error):
            raise TokenRejected("the ID token is issued in the future") from None
        raise TokenRejected(f"the ID token is invalid ({error.__class__.__name__})") from None
    return dict(token.claims)


def userinfo(access_token: str, sub: str) -> dict:
    """The userinfo endpoint's claims (OpenID Connect Core §5.3), only when its ``sub`` is the ID token's."""
    endpoint = provider().userinfo_endpoint
    if not endpoint:
        return {}
    status, claims = http.request_json("GET", endpoint, None, {"Authorization": f"Bearer {access_token}"})
    if status != 200:
        raise TokenRejected(f"the userinfo endpoint answered {status}")
    if claims.get("sub") != sub:
        raise TokenRejected("the userinfo sub is not the ID token's")
    return claims


def verify_logout_token(logout_token: str) -> dict:
    """OpenID Connect Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat, events, no nonce, sid/sub."""
    config = settings()
    claims = dict(_verified(logout_token, "logout token").claims)
    now = time.time()
    aud = claims.get("aud")
    if claims.get("iss") != provider().issuer:
        raise TokenRejected("the logout token is from another issuer")
    if not (aud == config.oidc_client_id or (isinstance(aud, list) and config.oidc_client_id in aud)):
        raise TokenRejected("the logout token is for another client")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > now + LEEWAY_SECONDS or iat < now - LOGOUT_TOKEN_MAX_AGE:
        raise TokenRejected("the logout token's iat is missing or out of range")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < now - LEEWAY_SECONDS):
        raise TokenRejected("the logout token has expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenRejected("the logout token names no back-channel logout event")
    if "nonce" in claims:
        raise TokenRejected("the logout token carries a nonce")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not (isinstance(sid, str) and sid) and not (isinstance(sub, str) and sub):
        raise TokenRejected("the logout token names neither sid nor sub")
    return claims


def end_session_url(*, id_token_hint: str | None, state: str, language: str) -> str | None:
    """RP-initiated logout 1.0: where to send the browser, or None when the provider has no endpoint."""
    endpoint = provider().end_session_endpoint
    if not endpoint:
        return None
    config = settings()
    query = {
        "client_id": config.oidc_client_id,
        "post_logout_redirect_uri": config.post_logout_redirect_uri,
        "state": state,
        "ui_locales": language,
        **({"id_token_hint": id_token_hint} if id_token_hint else {}),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
