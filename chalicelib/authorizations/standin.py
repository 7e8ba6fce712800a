"""The bundled development stand-in for Suomi.fi e-Authorizations (local, dev and test stages only).

It answers the web API's calls (``port.py`` names them) from ``dev_principals.json``, which tests and
developers read, keyed by the development provider's test people (chalicelib/devidp/identities.py),
whichever method they sign in with, a Katso ID included:

- Nordea Testaaja (210281-9988; Katso user ``testiyritys-paakayttaja``): two children in custody (one
  under 15, one 15-17), one person who has authorised her, and two companies with different roles:
  Testiyritys Oy 9876543-0 (NIMKO, TJ: may act for it) and Esimerkki Ky 2345678-0 (J: listed, may not);
- Kaisa Kollega Testaaja (140592-926N; ``testiyritys-kayttaja``): Testiyritys Oy 9876543-0 (TJ);
- Erkki Esimerkki Yhdistyksinen (030768-9315; ``esimerkkiyhdistys-paakayttaja``): Esimerkkiyhdistys ry
  9123456-5 (PJ, NIMKO).

Every ``/service/…`` call's ``X-AsiointivaltuudetAuthorization`` checksum is verified as the service
verifies it, and the bearer token must belong to the web API session in the path. The selection screen asks nothing: it
returns at once with a code (the portal shows its own choice page).

State lives in the development provider's table (``chalicelib/models/dev_idp.py``), never a
personal identity code in a key or a URL: ``authz-session#``, ``authz-user#``, ``authz-code#`` and
``authz-token#`` followed by the SHA-256 of a random token, each expiring in ten minutes; a code is
used once (conditional delete).
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from chalicelib import clock
from chalicelib.authorizations.port import verify_authorization_header
from chalicelib.config import settings

DATA_FILE = Path(__file__).with_name("dev_principals.json")
LIFETIME = timedelta(minutes=10)


class StandInRefused(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def _refuse_in_production() -> None:
    config = settings()
    if config.stage == "prod" or not config.authorizations_standin_enabled:
        raise RuntimeError("the e-Authorizations stand-in must not run in this stage")


@lru_cache(maxsize=1)
def data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def delegate_data(personal_identity_code: str) -> dict:
    return data()["delegates"].get(personal_identity_code, {"persons": [], "companies": []})


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _put(prefix: str, token: str, payload: dict) -> None:
    from chalicelib.models.dev_idp import DevIdpModel

    DevIdpModel(pk=f"{prefix}#{_sha(token)}", payload=payload, expires_at=clock.utcnow() + LIFETIME).save(
        condition=DevIdpModel.pk.does_not_exist())


def _get(prefix: str, token: str, consume: bool = False) -> dict | None:
    from pynamodb.exceptions import DeleteError, DoesNotExist

    from chalicelib.models.dev_idp import DevIdpModel

    if not token or len(token) > 200:
        return None
    try:
        item = DevIdpModel.get(f"{prefix}#{_sha(token)}", consistent_read=True)
    except DoesNotExist:
        return None
    if item.expires_at is not None and item.expires_at <= clock.utcnow():
        return None
    if consume:
        try:
            item.delete(condition=DevIdpModel.pk.exists())
        except DeleteError:
            return None
    return item.payload


def _check_signature(header: str | None, path_and_query: str) -> None:
    config = settings()
    if not verify_authorization_header(header, config.authorizations_client_id, config.authorizations_checksum_key,
                                       path_and_query):
        raise StandInRefused(401, "invalid checksum")


def register(mode: str, client_id: str, delegate: str, path_and_query: str, header: str | None) -> dict:
    _refuse_in_production()
    _check_signature(header, path_and_query)
    if mode not in ("hpa", "ypa") or client_id != settings().authorizations_client_id:
        raise StandInRefused(404, "unknown mode or client")
    session_id, user_id = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    _put("authz-session", session_id, {"mode": mode, "delegate": delegate})
    _put("authz-user", user_id, {"session": _sha(session_id)})
    return {"sessionId": session_id, "userId": user_id}


def authorize(query: dict[str, str]) -> str:
    """The selection screen: straight back to the portal with a code (where to, or StandInRefused)."""
    _refuse_in_production()
    config = settings()
    redirect_uri = query.get("redirect_uri") or ""
    if query.get("client_id") != config.authorizations_client_id or query.get("response_type") != "code":
        raise StandInRefused(400, "invalid request")
    if not redirect_uri.startswith(config.public_base_url.rstrip("/") + "/"):
        raise StandInRefused(400, "redirect_uri is not the client's")
    user = _get("authz-user", query.get("user") or "")
    if user is None:
        raise StandInRefused(400, "unknown user")
    code = secrets.token_urlsafe(24)
    _put("authz-code", code, {"session": user["session"], "redirect_uri": redirect_uri})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode({'code': code})}"


def token(query: dict[str, str], authorization: str | None) -> dict:
    _refuse_in_production()
    config = settings()
    expected = "Basic " + base64.b64encode(f"{config.authorizations_client_id}:{config.authorizations_oauth_secret}".encode()).decode()
    if authorization != expected:
        raise StandInRefused(401, "invalid_client")
    code = _get("authz-code", query.get("code") or "", consume=True)
    if code is None or query.get("grant_type") != "authorization_code" or query.get("redirect_uri") != code["redirect_uri"]:
        raise StandInRefused(400, "invalid_grant")
    access = secrets.token_urlsafe(24)
    _put("authz-token", access, {"session": code["session"]})
    return {"access_token": access, "token_type": "bearer", "expires_in": 599, "scope": "read"}


def _session(session_id: str, authorization: str | None, path_and_query: str, header: str | None, mode: str) -> dict:
    _refuse_in_production()
    _check_signature(header, path_and_query)
    bearer = (authorization or "").removeprefix("Bearer ")
    granted = _get("authz-token", bearer) if authorization and authorization.startswith("Bearer ") else None
    session = _get("authz-session", session_id)
    if granted is None or session is None or granted["session"] != _sha(session_id) or session["mode"] != mode:
        raise StandInRefused(401, "invalid token or session")
    return session


def delegate(session_id: str, authorization: str | None, path_and_query: str, header: str | None) -> list[dict]:
    session = _session(session_id, authorization, path_and_query, header, "hpa")
    return [{"name": p["name"], "personId": p["personId"], **({"language": p["language"]} if p.get("language") else {})}
            for p in delegate_data(session["delegate"])["persons"]]


def authorization_of(session_id: str, person_id: str, authorization: str | None, path_and_query: str,
                     header: str | None) -> dict:
    session = _session(session_id, authorization, path_and_query, header, "hpa")
    for person in delegate_data(session["delegate"])["persons"]:
        if person["personId"] == person_id:
            return {"principalId": person_id, "result": person.get("result", "ALLOWED")}
    return {"principalId": person_id, "result": "DISALLOWED"}


def organization_roles(session_id: str, authorization: str | None, path_and_query: str, header: str | None) -> list[dict]:
    session = _session(session_id, authorization, path_and_query, header, "ypa")
    return [{"name": c["name"], "identifier": c["identifier"], "roles": list(c["roles"]), "complete": True}
            for c in delegate_data(session["delegate"])["companies"]]
