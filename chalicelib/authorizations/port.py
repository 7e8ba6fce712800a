"""The authorisation port: Suomi.fi e-Authorizations (Suomi.fi-valtuudet) web API, as the portal uses it.

Whom a signed-in person may act for comes from the national service, never from the portal's own
data: persons who have authorised them and their children under 18 (custody, from the population
register, through the same service: the "HPA" mode, person to person) and companies with the
person's roles in the trade register or the service's own authorisations ("YPA", company roles).

The web API's round trip, per mode (the vocabulary of the service's published example client):
1. ``register``: GET ``/service/{hpa|ypa}/user/register/{client_id}/{delegate's personal identity
   code}?requestId=…`` → ``{"sessionId", "userId"}`` (server to server, signed);
2. the browser goes to ``/oauth/authorize?client_id&response_type=code&redirect_uri&user=<userId>``
   (the service's selection screen) and comes back to the portal with ``code``;
3. ``/oauth/token?code&grant_type=authorization_code&redirect_uri`` (POST, HTTP Basic with the
   client id and the OAuth secret) → ``access_token``;
4. HPA: GET ``/service/hpa/api/delegate/{sessionId}`` → ``[{"name", "personId"}, …]``, then for each
   GET ``/service/hpa/api/authorization/{sessionId}/{personId}`` → ``{"result": "ALLOWED" | …}``;
   YPA: GET ``/service/ypa/api/organizationRoles/{sessionId}`` → ``[{"name", "identifier", "roles"}, …]``.
Every ``/service/…`` call carries ``X-AsiointivaltuudetAuthorization: <client id> <timestamp>
<checksum>``, the checksum being Base64(HMAC-SHA256(checksum key, "<path and query> <timestamp>")),
and steps 4 also ``Authorization: Bearer <access token>``.

The bundled development stand-in (``standin.py``, mounted at ``/dev-authorizations`` outside
production) answers exactly these calls, so the default configuration is the production one with
another base URL. Nothing here logs a URL: the register path carries a personal identity code.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from chalicelib.authorizations.principal import ADULT_AGE, Principal, identifier_hash
from chalicelib.config import settings
from chalicelib.identity import http

log = logging.getLogger("portal.authorizations")
MODES = ("hpa", "ypa")
HEADER = "X-AsiointivaltuudetAuthorization"
MAX_PRINCIPALS = 50  # what one answer may list; more is refused as malformed


class AuthorizationsUnavailable(RuntimeError):
    """The authorisation service did not answer in time, or answered something unusable. Safe to log."""


HttpAnswer = http.HttpResponse  # what ``transport`` answers (the tests' stand-ins make them too)


def urllib_transport(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> HttpAnswer:
    try:
        return http.call(method, url, body, headers, timeout=settings().authorizations_timeout_seconds)
    except http.Unreachable as error:  # not chained: its address can carry the delegate's code
        raise AuthorizationsUnavailable(f"{method} e-Authorizations: {error.__cause__.__class__.__name__}") from None


transport = urllib_transport  # the one seam for HTTP: tests route it to the stand-in in process


def timestamp(now: datetime | None = None) -> str:
    """ISO 8601 with the offset, to the second, as the service expects in the checksum header."""
    return (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()


def checksum(key: str, path_and_query: str, stamp: str) -> str:
    digest = hmac.new(key.encode(), f"{path_and_query} {stamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def authorization_header(client_id: str, key: str, path_and_query: str, stamp: str | None = None) -> str:
    stamp = stamp or timestamp()
    return f"{client_id} {stamp} {checksum(key, path_and_query, stamp)}"


def verify_authorization_header(value: str | None, client_id: str, key: str, path_and_query: str,
                                now: datetime | None = None, skew_seconds: int = 300) -> bool:
    """What the service checks (the stand-in uses it): our client, a fresh timestamp, the right checksum."""
    parts = (value or "").split(" ")
    if len(parts) != 3 or parts[0] != client_id:
        return False
    try:
        stamp = datetime.fromisoformat(parts[1])
    except ValueError:
        return False
    if stamp.tzinfo is None or abs(((now or datetime.now(timezone.utc)) - stamp).total_seconds()) > skew_seconds:
        return False
    return hmac.compare_digest(parts[2], checksum(key, path_and_query, parts[1]))


@dataclass(frozen=True)
class Started:
    session_id: str  # the web API's session: kept in the portal's server-side session only
    redirect_url: str  # the service's selection screen


class WebApiAuthorizations:
    """The adapter: speaks the e-Authorizations web API at ``authorizations_base_url``."""

    def __init__(self):
        config = settings()
        self.base = config.authorizations_base_url.rstrip("/")
        self.client_id = config.authorizations_client_id
        self.key = config.authorizations_checksum_key
        self.oauth_secret = config.authorizations_oauth_secret

    def _call(self, method: str, path_and_query: str, *, bearer: str | None = None, body: bytes | None = None,
              headers: dict[str, str] | None = None, signed: bool = True):
        all_headers = {"Accept": "application/json", **(headers or {})}
        if signed:
            all_headers[HEADER] = authorization_header(self.client_id, self.key, path_and_query)
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        answer = transport(method, self.base + path_and_query, body, all_headers)
        operation = path_and_query.split("/")[1:4]  # e.g. service/hpa/user: never the identifiers after it
        if answer.status != 200:
            raise AuthorizationsUnavailable(f"e-Authorizations {'/'.join(operation)} answered {answer.status}")
        try:
            return json.loads(answer.body or b"null")
        except (ValueError, RecursionError) as error:
            raise AuthorizationsUnavailable(f"e-Authorizations {'/'.join(operation)} answered without JSON") from error

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex

    def start(self, mode: str, delegate_code: str, callback_url: str, language: str) -> Started:
        if mode not in MODES:
            raise ValueError(mode)
        path = (f"/service/{mode}/user/register/{quote(self.client_id, safe='')}/{quote(delegate_code, safe='')}"
                f"?{urlencode({'requestId': self._request_id()})}")
        data = self._call("GET", path)
        if not isinstance(data, dict) or not isinstance(data.get("sessionId"), str) or not isinstance(data.get("userId"), str):
            raise AuthorizationsUnavailable(f"e-Authorizations register ({mode}) answered without a session")
        query = urlencode({"client_id": self.client_id, "response_type": "code", "redirect_uri": callback_url,
                           "user": data["userId"], "lang": language})
        return Started(data["sessionId"], f"{self.base}/oauth/authorize?{query}")

    def _token(self, code: str, callback_url: str) -> str:
        basic = base64.b64encode(f"{self.client_id}:{self.oauth_secret}".encode()).decode()
        query = urlencode({"code": code, "grant_type": "authorization_code", "redirect_uri": callback_url})
        data = self._call("POST", f"/oauth/token?{query}", body=b"", signed=False, headers={"Authorization": f"Basic {basic}",
                                                                              "Content-Type": "application/x-www-form-urlencoded"})
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthorizationsUnavailable("e-Authorizations token answered without an access token")
        return token

    def finish(self, mode: str, session_id: str, code: str, callback_url: str) -> list[Principal]:
        """Whom the person may act for in this mode (persons for HPA, companies for YPA)."""
        token = self._token(code, callback_url)
        query = urlencode({"requestId": self._request_id()})
        sid = quote(session_id, safe="")
        if mode == "hpa":
            listed = self._call("GET", f"/service/hpa/api/delegate/{sid}?{query}", bearer=token)
            principals = []
            for entry in _entries(listed):
                person_id, name = entry.get("personId"), entry.get("name")
                if not isinstance(person_id, str) or not isinstance(name, str):
                    raise AuthorizationsUnavailable("e-Authorizations delegate answered a malformed principal")
                decision = self._call("GET", f"/service/hpa/api/authorization/{sid}/{quote(person_id, safe='')}?{query}",
                                      bearer=token)
                if isinstance(decision, dict) and decision.get("result") == "ALLOWED":
                    # The child's language from the register, when the entry carries one: the notice of
                    # consent is made in it (chalicelib/consent/notice.py); otherwise the page's language.
                    language = entry.get("language") if entry.get("language") in ("fi", "sv", "en") else None
                    principals.append(person_principal(person_id, name, language=language))
            return principals
        listed = self._call("GET", f"/service/ypa/api/organizationRoles/{sid}?{query}", bearer=token)
        companies = []
        for entry in _entries(listed):
            name, business_id, roles = entry.get("name"), entry.get("identifier"), entry.get("roles") or []
            if not isinstance(name, str) or not isinstance(business_id, str) or not isinstance(roles, list):
                raise AuthorizationsUnavailable("e-Authorizations organizationRoles answered a malformed company")
            companies.append(company_principal(business_id, name, [str(r) for r in roles]))
        return companies


def _entries(listed) -> list[dict]:
    if not isinstance(listed, list) or len(listed) > MAX_PRINCIPALS or not all(isinstance(e, dict) for e in listed):
        raise AuthorizationsUnavailable("e-Authorizations answered a malformed list")
    return listed


def person_principal(personal_identity_code: str, name: str, today=None, language: str | None = None) -> Principal:
    """A person the service lists: a child under 18 is in the person's custody (a minor cannot give
    an authorisation; the service lists minors only from the population register's custody data);
    an adult has authorised the person."""
    from chalicelib import validators
    from chalicelib.identity.claims import birth_date

    code = validators.personal_identity_code(personal_identity_code)
    if code is None:
        raise AuthorizationsUnavailable("e-Authorizations listed an invalid personal identity code")
    born = birth_date(code)
    principal = Principal("person", "authorisation", name.strip()[:200], identifier_hash("person", code), identifier=code,
                          birth_date=born.isoformat())
    age = principal.age(today)
    if age is not None and age < ADULT_AGE:
        return Principal("child", "custody", principal.name, principal.principal_hash, identifier=code,
                         birth_date=principal.birth_date, language=language)
    return principal


def company_principal(business_id: str, name: str, roles: list[str]) -> Principal:
    from chalicelib import validators

    checked = validators.business_id(business_id)
    if checked is None:
        raise AuthorizationsUnavailable("e-Authorizations listed an invalid Business ID")
    accepted = set(settings().accepted_company_roles)
    return Principal("organisation", "representation", name.strip()[:200], identifier_hash("organisation", checked),
                     identifier=checked, roles=tuple(roles[:20]), allowed=bool(accepted & set(roles)))


def service() -> WebApiAuthorizations:
    """The port's one implementation in code: the web API at the configured base URL (the national
    service in production, the bundled stand-in elsewhere)."""
    return WebApiAuthorizations()
