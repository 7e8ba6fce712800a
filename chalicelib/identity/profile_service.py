"""The Helsinki profile service's client (a port): the verified personal information of whoever
signed in, read the way the City's own services read it.

1. Token exchange at the broker (Keycloak's UMA grant, as City front ends' ``apiTokensClientSettings``
   and open-city-profile's ``KeycloakTokenExchange.fetch_api_token`` do): ``POST`` to the token
   endpoint with ``Authorization: Bearer <the sign-in's access token>`` and the form
   ``grant_type=urn:ietf:params:oauth:grant-type:uma-ticket``, ``audience=profile-api``,
   ``permission=#access``; the answer's ``access_token`` is the API token.
2. GraphQL ``myProfile { verifiedPersonalInformation { ... } }`` with that token. The service
   releases ``verifiedPersonalInformation`` only when the token's ``loa`` is substantial or high
   (a ``PERMISSION_DENIED_ERROR`` otherwise).

Every call has the ``profile_api_timeout_seconds`` limit; a service that is down, slow or answers
nonsense raises ProfileServiceUnavailable (the sign-in shows its own page; nothing is registered).
Nothing here logs personal data. The bundled stand-in is chalicelib/devidp/profile_service.py.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib.config import settings
from chalicelib.identity import http

Answer = http.HttpResponse  # what ``transport`` answers (the tests' stand-ins make them too)

UMA_GRANT = "urn:ietf:params:oauth:grant-type:uma-ticket"
QUERY = (
    "query VerifiedPersonalInformation { myProfile { verifiedPersonalInformation "
    "{ firstName lastName givenName nationalIdentificationNumber } } }"
)
MAX_ANSWER = 256 * 1024


class ProfileServiceUnavailable(RuntimeError):
    """The profile service (or the token exchange for it) did not answer in time or answered
    something unusable. ``reason`` is a short code; the message is safe to log."""

    reason = "profile-unavailable"


class NotReleased(Exception):
    """The profile service does not release the verified personal information to this token (its
    ``loa`` is below substantial): a GraphQL ``PERMISSION_DENIED_ERROR``."""


@dataclass(frozen=True)
class VerifiedPerson:
    first_name: str
    last_name: str
    given_name: str
    national_identification_number: str

    def same_person(self, given_name: str, family_name: str) -> bool:
        """The provider's names are this person's: the same surname, and the given name is the first
        names, the calling name or one of the first names (the broker may release either)."""
        first_names = _fold(self.first_name)
        given = _fold(given_name)
        return bool(given) and _fold(self.last_name) == _fold(family_name) and (
            given in (first_names, _fold(self.given_name)) or given in first_names.split(" ")
        )


def _fold(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value or "").casefold().split())


def urllib_transport(method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float) -> Answer:
    try:
        return http.call(method, url, body, headers, timeout=timeout, limit=MAX_ANSWER + 1)
    except http.Unreachable as error:
        raise ProfileServiceUnavailable(str(error)) from None


transport = urllib_transport  # the seam: tests route it to the stand-in in process


def _json(answer: Answer, what: str) -> dict:
    if len(answer.body) > MAX_ANSWER:
        raise ProfileServiceUnavailable(f"{what} answered more than {MAX_ANSWER} bytes")
    try:
        data = json.loads(answer.body or b"null")
    except (ValueError, RecursionError):
        raise ProfileServiceUnavailable(f"{what} answered {answer.status} without JSON") from None
    if not isinstance(data, dict):
        raise ProfileServiceUnavailable(f"{what} answered {answer.status} without a JSON object")
    return data


def _token_url() -> str:
    config = settings()
    if config.profile_api_token_url:
        return config.profile_api_token_url
    from chalicelib.identity import oidc

    return oidc.provider().token_endpoint


def api_token(access_token: str) -> str:
    """The profile service's token for the person of ``access_token`` (Keycloak UMA grant)."""
    config = settings()
    body = urlencode({"grant_type": UMA_GRANT, "audience": config.profile_api_audience,
                      "permission": config.profile_api_permission}).encode()
    answer = transport("POST", _token_url(), body, {
        "Authorization": f"Bearer {access_token}", "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
    }, config.profile_api_timeout_seconds)
    data = _json(answer, "the token exchange")
    if answer.status != 200:
        error = data.get("error") if isinstance(data.get("error"), str) else "?"
        raise ProfileServiceUnavailable(f"the token exchange answered {answer.status} {error[:40]}")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ProfileServiceUnavailable("the token exchange answered no access token")
    return token


def _text(node: dict, name: str) -> str:
    value = node.get(name)
    return value if isinstance(value, str) and len(value) <= 200 else ""


def verified_person(access_token: str) -> VerifiedPerson | None:
    """The verified personal information of the signed-in person; None when the service has none.
    Raises ProfileServiceUnavailable, or NotReleased when the service does not release it."""
    config = settings()
    try:
        endpoint = config.profile_api_endpoint
    except ValueError as missing:  # prod without PORTAL_PROFILE_API_URL: a page and a log line, not a 500
        raise ProfileServiceUnavailable(str(missing)) from None
    token = api_token(access_token)
    answer = transport("POST", endpoint, json.dumps({"query": QUERY}).encode(), {
        "Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json",
    }, config.profile_api_timeout_seconds)
    data = _json(answer, "the profile service")
    if answer.status != 200:
        raise ProfileServiceUnavailable(f"the profile service answered {answer.status}")
    errors = data.get("errors") or []
    codes = {e.get("extensions", {}).get("code") for e in errors if isinstance(e, dict) and isinstance(e.get("extensions"), dict)}
    if "PERMISSION_DENIED_ERROR" in codes:
        raise NotReleased("the profile service did not release the verified personal information")
    if errors:
        raise ProfileServiceUnavailable(f"the profile service answered errors {sorted(str(c) for c in codes)[:3]}")
    profile = (data.get("data") or {}).get("myProfile") if isinstance(data.get("data"), dict) else None
    if profile is None:
        return None
    verified = profile.get("verifiedPersonalInformation") if isinstance(profile, dict) else None
    if not isinstance(verified, dict):
        return None
    return VerifiedPerson(
        first_name=_text(verified, "firstName"), last_name=_text(verified, "lastName"),
        given_name=_text(verified, "givenName"),
        national_identification_number=_text(verified, "nationalIdentificationNumber"),
    )
