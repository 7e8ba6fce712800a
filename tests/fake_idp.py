"""A scriptable OpenID Connect provider for relying-party tests: it answers the portal's HTTP calls
(discovery, JWKS, token) in process, and lets a test decide exactly what the ID token says.

Its keys and signatures are made with ``cryptography`` alone, not with joserfc that the portal
verifies with (chalicelib/identity/oidc.py): every sign-in test is also a cross-check of the
portal's RS256 against another implementation, as with a real provider."""
from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.config import settings
from chalicelib.identity import http, oidc
from tests.acting import through_choice

NORDEA_TESTAAJA = {
    "amr": ["bank"], "acr": "personal", "given_name": "Portaalia Nordea", "family_name": "Testaaja",
    "national_id": "210281-9988", "loa": "substantial",
}
# A corporate customer: a person (as every identification is) who signs in as a corporate customer.
# The organisation keys are not claims: ``sign_in`` gives them to the e-Authorizations stand-in as
# what it lists for her (YPA's organizationRoles), and takes them out of the token.
ORGANISATION_USER = {
    "amr": ["katso"], "acr": "corporate", "given_name": "Maija", "family_name": "Meikäläinen",
    "national_id": "150580-9511", "loa": "substantial",
    "business_id": "0201256-6", "organisation_name": "Testiyritys Oy", "organisation_roles": ["NIMKO"],
}
COMPANY_KEYS = ("business_id", "organisation_name", "organisation_roles")


def represents(provider, claims: dict) -> dict:
    """The claims without the organisation keys, which become what the e-Authorizations stand-in
    lists for the person (only that company: a later sign-in of the same person replaces it)."""
    claims = dict(claims)
    company = {key: claims.pop(key) for key in COMPANY_KEYS if key in claims}
    if company:
        provider.delegates[claims["national_id"]] = {"persons": [], "companies": [{
            "identifier": company["business_id"], "name": company["organisation_name"],
            "roles": list(company.get("organisation_roles") or [])}]}
    return claims


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_rs256(claims: dict, private_key, headers: dict | None = None) -> str:
    """A compact JWS (RFC 7515) signed RS256 by ``cryptography`` alone (no JOSE library)."""
    header = {"alg": "RS256", "typ": "JWT", **(headers or {})}
    signing_input = b".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _b64url(signature)).decode("ascii")


class FakeProvider:
    issuer = "https://idp.test"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key"
        self.codes: dict[str, dict] = {}
        self.next_claims = dict(NORDEA_TESTAAJA)
        self.token_overrides: dict = {}
        self.sign_with = None  # another private key: a forged signature
        self.extra_jwks: list[dict] = []  # more keys for the JWKS, as a test wants them
        self.delegates: dict = {}  # the e-Authorizations stand-in's data added by ``represents``

    def jwk(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    # What the provider received in the authorization request, by state.
    def authorize(self, url: str) -> dict:
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        code = uuid.uuid4().hex
        self.codes[code] = query
        return {"code": code, "state": query["state"]}

    def id_token(self, request: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": settings().oidc_client_id, "sub": "subject-1", "iat": now, "exp": now + 300,
            "nonce": request["nonce"], "loa": "substantial", **self.next_claims,
        }
        claims.update(self.token_overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return sign_rs256(claims, self.sign_with or self.key, {"kid": self.kid})

    def transport(self, method, url, body, headers):
        path = url[len(self.issuer):]
        if path == "/.well-known/openid-configuration":
            return self._json(200, {
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            })
        if path == "/jwks":
            return self._json(200, {"keys": [self.jwk(), *self.extra_jwks]})
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            request = self.codes.pop(form.get("code"), None)  # single use
            if request is None or oidc.pkce_challenge(form["code_verifier"]) != request["code_challenge"]:
                return self._json(400, {"error": "invalid_grant"})
            return self._json(200, {"access_token": "x", "token_type": "Bearer", "id_token": self.id_token(request)})
        return self._json(404, {"error": "not_found"})

    @staticmethod
    def _json(status, data):
        return http.HttpResponse(status, json.dumps(data).encode())


def _set_cookies(response) -> dict[str, str]:
    values = response.headers.get("Set-Cookie") or []
    values = values if isinstance(values, list) else [values]
    return {v.split("=", 1)[0]: v.split("=", 1)[1].split(";", 1)[0] for v in values}


def csrf_of(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browsing(client, sid: str):
    """``get(path)`` and ``post(path, fields)`` with the session's cookie (tests/acting.py's helpers)."""
    from urllib.parse import urlencode

    cookie = {"Cookie": f"sid={sid}"}

    def get(path):
        return client.get(path, headers=cookie)

    def post(path, fields):
        return client.post(path, body=urlencode(fields, doseq=True),
                           headers={**cookie, "Content-Type": "application/x-www-form-urlencoded"})

    return get, post


def sign_in(client, provider: FakeProvider, claims: dict | None = None, *, register: bool = True,
            contact: dict | None = None, next_path: str | None = None) -> str:
    """Sign in through the portal's real flow with the fake provider; returns the session cookie value."""
    from urllib.parse import urlencode

    provider.next_claims = represents(provider, claims or NORDEA_TESTAAJA)
    customer = provider.next_claims["acr"]
    query = {"customer": customer, **({"next": next_path} if next_path else {})}
    started = client.get(f"/sign-in/start?{urlencode(query)}")
    binding = _set_cookies(started)["signin"]
    params = provider.authorize(started.headers["Location"])
    answer = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"signin={binding}"})
    assert answer.status_code == 303, answer.body[:300]
    sid = _set_cookies(answer)["sid"]
    if customer == "corporate":  # the company from e-Authorizations first (tests/acting.py)
        answer = through_choice(*browsing(client, sid), answer)
    if register and answer.headers["Location"] == "/register":
        form = client.get("/register", headers={"Cookie": f"sid={sid}"}).body.decode()
        fields = {"email": "testaaja@example.fi", "methods": "email", "language": "fi", "consent": "yes",
                  **(contact or {}), "csrf_token": csrf_of(form)}
        done = client.post("/register", body=urlencode(fields, doseq=True),
                           headers={"Cookie": f"sid={sid}", "Content-Type": "application/x-www-form-urlencoded"})
        assert done.status_code == 303, done.body.decode()[:2000]
    return sid
