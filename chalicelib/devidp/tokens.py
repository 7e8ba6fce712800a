"""Authorization codes, the token endpoint (RFC 6749 4.1.3, RFC 7636 4.6) and RS256 ID tokens
(signed by joserfc, the relying party's JOSE library, over ``cryptography``).

A code is 256 random bits handed to the client once; only its SHA-256 is stored, with what the
token endpoint needs, for 60 seconds. Redeeming it deletes the item with a condition, so of two
requests racing with the same code exactly one gets tokens; the other gets ``invalid_grant``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote_plus

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.devidp.identities import Identification
from chalicelib.devidp.interaction import Interaction
from chalicelib.devidp.keys import signing_key

CODE_SECONDS = 60
ID_TOKEN_SECONDS = 300
ACCESS_TOKEN_SECONDS = 300
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
MAX_PARAM = 2000
UMA_GRANT = "urn:ietf:params:oauth:grant-type:uma-ticket"
# The one permission the provider's API clients grant: resource scope "access" (what City front ends ask).
API_PERMISSION = "#access"


@dataclass
class TokenError(Exception):
    """An RFC 6749 5.2 error answer; the description is safe to show to the client and to log."""

    error: str
    description: str
    status: int = 400

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def _code_pk(code: str) -> str:
    return "code#" + hashlib.sha256(code.encode("ascii")).hexdigest()


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def issue_code(interaction: Interaction, identification: Identification) -> str:
    """Store what the token endpoint needs and return the code (only its hash is stored)."""
    from chalicelib.models.dev_idp import DevIdpModel

    code = secrets.token_urlsafe(32)
    now = clock.utcnow()
    DevIdpModel(
        pk=_code_pk(code),
        payload={
            "client_id": interaction.client_id,
            "redirect_uri": interaction.redirect_uri,
            "code_challenge": interaction.code_challenge,
            "nonce": interaction.nonce,
            "auth_time": int(now.timestamp()),
            "amr": identification.amr,
            "loa": identification.loa,
            "sid": secrets.token_hex(16),
            "sub": identification.sub,
            "claims": identification.claims,
            "expires_at": now.timestamp() + CODE_SECONDS,
        },
        expires_at=now + timedelta(seconds=CODE_SECONDS),
    ).save(condition=DevIdpModel.pk.does_not_exist())
    return code


def _consume(code: str) -> dict | None:
    """The stored grant of ``code``, deleted in the same breath; None if unknown or already used."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.models.dev_idp import DevIdpModel

    try:
        item = DevIdpModel.get(_code_pk(code), consistent_read=True)
    except DevIdpModel.DoesNotExist:
        return None
    try:
        item.delete(condition=DevIdpModel.pk.exists())
    except DeleteError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return None  # someone else redeemed it between our read and our delete
        raise
    return item.payload


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str, bool]:
    """(client_id, secret, used_basic) from HTTP Basic (RFC 6749 2.3.1) or the body; one method only."""
    basic = None
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            raise TokenError("invalid_client", "unsupported client authentication", 401)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise TokenError("invalid_client", "malformed Basic credentials", 401) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise TokenError("invalid_client", "malformed Basic credentials", 401)
        basic = (client_id, secret)
    if basic and "client_secret" in form:
        raise TokenError("invalid_request", "use one client authentication method only")
    if basic:
        return basic[0], basic[1], True
    if "client_secret" in form:
        return form.get("client_id", ""), form.get("client_secret", ""), False
    raise TokenError("invalid_client", "client authentication is required", 401)


def _secret_matches(given: str, expected: str) -> bool:
    expected_bytes = expected.encode("utf-8")
    # RFC 6749 2.3.1 form-encodes id and secret before Basic; clients that skip it are accepted too.
    return any(hmac.compare_digest(candidate.encode("utf-8"), expected_bytes) for candidate in {given, unquote_plus(given)})


def _authenticate(form: dict[str, str], authorization: str | None) -> str:
    config = settings()
    client_id, secret, used_basic = _client_credentials(form, authorization)
    if used_basic:
        client_id = unquote_plus(client_id)
        if form.get("client_id") and form["client_id"] != client_id:
            raise TokenError("invalid_request", "client_id differs from the authenticated client")
    if not (hmac.compare_digest(client_id.encode(), config.oidc_client_id.encode())
            and _secret_matches(secret, config.oidc_client_secret)):
        raise TokenError("invalid_client", "client authentication failed", 401)
    return client_id


def _sign(claims: dict) -> str:
    """A compact JWS of ``claims``, RS256 with the provider's key (joserfc), ``kid`` in the header."""
    from joserfc import jwt

    key = signing_key()
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims, key.signer, algorithms=["RS256"])


def id_token(grant: dict, client_id: str, access_token: str) -> str:
    """The ID token in the City broker's vocabulary (docs/identity-provider.md): amr a string, loa,
    sid; the names; never the personal identity code, never an organisation (a Katso sign-in is a
    person's: the companies come from e-Authorizations)."""
    now = int(clock.utcnow().timestamp())
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    claims = {
        "iss": settings().oidc_issuer,
        "aud": client_id,
        "sub": grant["sub"],
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": grant["auth_time"],
        "nonce": grant["nonce"],
        "sid": grant["sid"],
        "amr": grant["amr"],
        "loa": grant["loa"],
        "at_hash": base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii"),
        **grant["claims"],
    }
    return _sign(claims)


def access_token(grant: dict, client_id: str) -> str:
    """A signed JWT, as Keycloak's access tokens are: whom it is for, and how strongly identified
    (what the token exchange and the profile service need). ``typ: Bearer``, ``azp`` the client."""
    now = int(clock.utcnow().timestamp())
    return _sign({
        "iss": settings().oidc_issuer, "sub": grant["sub"], "typ": "Bearer", "azp": client_id,
        "iat": now, "exp": now + ACCESS_TOKEN_SECONDS, "jti": secrets.token_urlsafe(16),
        "sid": grant["sid"], "amr": grant["amr"], "loa": grant["loa"], "scope": "openid profile",
    })


def verify(token: str, *, typ: str = "Bearer", audience: str | None = None) -> dict:
    """The claims of a token this provider signed (an access token or an API token), or TokenError.
    Times are the provider's clock (``clock.utcnow``), as when it issued them."""
    from joserfc import jwt
    from joserfc.errors import JoseError

    invalid = TokenError("invalid_grant", "the bearer token is invalid or expired", 401)
    try:
        claims = jwt.decode(token, signing_key().signer, algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        raise invalid from None
    if claims.get("iss") != settings().oidc_issuer or not isinstance(claims.get("sub"), str):
        raise invalid
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= clock.utcnow().timestamp():
        raise invalid
    if audience is not None and audience not in (claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]):
        raise invalid
    if claims.get("typ") != typ:
        raise TokenError("invalid_grant", "the bearer token is not an access token", 401)
    return claims


def _uma_ticket(form: dict[str, str], authorization: str | None) -> dict:
    """Keycloak's UMA grant as the City's services use it for API tokens: the person's access token
    as Bearer, ``audience`` (an API client, e.g. profile-api) and ``permission`` (``#access``)."""
    scheme, _, bearer = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise TokenError("invalid_client", "a bearer access token is required", 401)
    claims = verify(bearer.strip())
    audience, permission = form.get("audience", ""), form.get("permission", "")
    if audience != settings().profile_api_audience:
        raise TokenError("invalid_request", "unknown audience")
    if permission != API_PERMISSION:
        raise TokenError("access_denied", "not_authorized", 403)
    now = int(clock.utcnow().timestamp())
    token = _sign({
        "iss": settings().oidc_issuer, "aud": audience, "sub": claims["sub"], "typ": "Bearer",
        "azp": claims.get("azp"), "iat": now, "exp": now + ACCESS_TOKEN_SECONDS, "jti": secrets.token_urlsafe(16),
        "sid": claims.get("sid"), "amr": claims.get("amr"), "loa": claims.get("loa"),
        "authorization": {"permissions": [{"scopes": [permission.lstrip("#")], "rsname": "Default Resource"}]},
    })
    return {"upgraded": False, "access_token": token, "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0}


def exchange(form: dict[str, str], authorization: str | None) -> dict:
    """The token endpoint: the JSON answer for a valid request, TokenError otherwise."""
    if any(len(value) > MAX_PARAM for value in form.values()):
        raise TokenError("invalid_request", "a parameter is too long")
    if form.get("grant_type") == UMA_GRANT:
        return _uma_ticket(form, authorization)
    client_id = _authenticate(form, authorization)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise TokenError("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        raise TokenError("unsupported_grant_type", "only authorization_code and the UMA grant are supported")
    code, redirect_uri, verifier = form.get("code", ""), form.get("redirect_uri", ""), form.get("code_verifier", "")
    if not code or not redirect_uri or not verifier:
        raise TokenError("invalid_request", "code, redirect_uri and code_verifier are required")
    if not _VERIFIER.match(verifier):
        raise TokenError("invalid_request", "code_verifier is malformed")
    if not _CODE.match(code):
        raise TokenError("invalid_grant", "the code is invalid, expired or already used")
    grant = _consume(code)  # burnt now, whatever follows: a code is worth one attempt
    if grant is None or grant["expires_at"] <= clock.utcnow().timestamp():
        raise TokenError("invalid_grant", "the code is invalid, expired or already used")
    if grant["client_id"] != client_id:
        raise TokenError("invalid_grant", "the code was issued to another client")
    if grant["redirect_uri"] != redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri differs from the authorization request")
    if not hmac.compare_digest(pkce_challenge(verifier).encode(), grant["code_challenge"].encode()):
        raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")
    bearer = access_token(grant, client_id)
    return {
        "access_token": bearer,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "id_token": id_token(grant, client_id, bearer),
    }


def discovery() -> dict:
    issuer = settings().oidc_issuer.rstrip("/")
    return {
        "issuer": settings().oidc_issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        # RP-initiated logout 1.0: ends this provider's own state in the browser (its /dev-idp cookie).
        "end_session_endpoint": f"{issuer}/end-session",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", UMA_GRANT],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": [
            "iss", "aud", "sub", "iat", "exp", "auth_time", "nonce", "sid", "amr", "loa", "at_hash",
            "given_name", "family_name", "name",
        ],
        "acr_values_supported": ["personal", "corporate"],
        "ui_locales_supported": ["fi", "sv", "en"],
        "claims_parameter_supported": False,
        # It keeps no sign-in between authorization requests: every one identifies the person again,
        # so prompt=login is honoured by construction (prompt=none answers login_required).
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
