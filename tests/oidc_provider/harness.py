"""An independent OpenID provider for tests: npm ``oidc-provider`` (pinned in package.json) run by
``tests/oidc_provider/server.mjs`` on a free port, and a cookie-keeping HTTP "browser" that signs in
through it without a real browser.

Use the ``openid_provider`` fixture (tests/conftest.py)::

    def test_something(client, openid_provider):
        op = openid_provider(alg="ES256", auth_method="client_secret_post", secret="a+b/c:d%e",
                             claims_in_id_token=False, minimal_discovery=False, trailing_slash=False,
                             accounts={"user-1": {...claims...}})
        browser = op.browser()
        answer = op.sign_in(client, browser, "user-1")       # the portal's /auth/callback answer

The fixture points the portal's settings at the provider (issuer exactly as discovery gives it, client
id, secret, authentication method) and routes its HTTP back to real urllib; everything else about
the provider is configurable per call (see server.mjs for the full CONFIG). The provider's
interactions are scripted: an authorization request that needs a login answers the provider's login
form (``op.LOGIN_FORM`` in the body); ``browser.login(sub)`` submits it.

Test endpoints: ``op.rotate([{"alg": "RS256", "kid": "k2"}])``, ``op.set_accounts({...})``,
``op.backchannel_logout(sub)`` (the provider sends its real logout token to a capture endpoint; the
tokens are in ``op.logout_tokens()``), ``op.sessions()``.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("server.mjs")
CLIENT_ID = "city-eservices-portal"
LOGIN_FORM = 'id="op-login"'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Answer:
    def __init__(self, status: int, headers, body: bytes, url: str):
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects: the provider's side of a browser."""

    def __init__(self, provider: "OpenIdProvider"):
        self.provider = provider
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.last: Answer | None = None
        self.history: list[str] = []  # every URL requested, in order

    def request(self, url: str, data: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
        self.history.append(url)
        try:
            with self.opener.open(request, timeout=10) as answer:
                result = Answer(answer.status, answer.headers, answer.read(), url)
        except urllib.error.HTTPError as answer:
            result = Answer(answer.code, answer.headers, answer.read(), url)
        self.last = result
        return result

    def follow(self, url: str, stop_at: str, data: dict | None = None) -> Answer | str:
        """Follow redirects from ``url`` until one leaves for ``stop_at`` (returned, a URL) or a page
        answers (returned, an Answer: e.g. the provider's login form)."""
        for _ in range(20):
            if url.startswith(stop_at):
                return url
            answer = self.request(url, data)
            data = None
            if answer.status not in (301, 302, 303, 307, 308):
                return answer
            url = urllib.parse.urljoin(url, answer.location)
        raise AssertionError("too many redirects")

    def login(self, sub: str, stop_at: str) -> Answer | str:
        """Submit the provider's login form (the last page seen) as account ``sub``."""
        assert self.last is not None and LOGIN_FORM in self.last.text, "no login form on the last page"
        action = self.last.text.split(f'{LOGIN_FORM} method="post" action="', 1)[1].split('"', 1)[0]
        return self.follow(urllib.parse.urljoin(self.last.url, action), stop_at, {"login": sub})


class OpenIdProvider:
    def __init__(self, config: dict, workdir: Path):
        self.port = config["port"]
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = config.get("issuer") or self.base
        self.config = config
        path = workdir / f"op-{self.port}.json"
        path.write_text(json.dumps(config))
        self.log = open(workdir / f"op-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [shutil.which("node") or "node", str(SERVER), str(path)], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=self.log, text=True, start_new_session=True,
        )
        line = self.process.stdout.readline()  # blocks until the server listens (or dies)
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"oidc-provider did not start: {line!r}; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()

    # test endpoints
    def _admin(self, method: str, path: str, data=None):
        request = urllib.request.Request(f"{self.base}/__test/{path}", method=method,
                                         data=json.dumps(data).encode() if data is not None else None)
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")

    def rotate(self, keys: list[dict], drop_old: bool = False) -> list[str]:
        return self._admin("POST", "rotate", {"keys": keys, "drop_old": drop_old})["kids"]

    def set_accounts(self, accounts: dict) -> None:
        self._admin("POST", "accounts", accounts)

    def backchannel_logout(self, sub: str, client_id: str = CLIENT_ID) -> dict:
        return self._admin("POST", "backchannel-logout", {"client_id": client_id, "sub": sub})

    def logout_tokens(self) -> list[str]:
        return self._admin("GET", "backchannel")

    def sessions(self) -> dict:
        return self._admin("GET", "sessions")

    # a browser's walk through the portal and the provider
    def browser(self) -> Browser:
        return Browser(self)

    def authorize(self, client, browser: Browser, *, customer: str = "personal", sub: str | None = None,
                  next_path: str | None = None, cookie: str = "") -> tuple[str | Answer, str]:
        """Press "Sign in" at the portal (Chalice test client ``client``) and walk the provider. Returns
        (the portal callback URL, or the provider page where it stopped; the sign-in binding cookie).
        With ``sub`` the provider's login form is submitted as that account when it is shown."""
        from chalicelib.config import settings

        query = {"customer": customer, **({"next": next_path} if next_path else {})}
        started = client.get(f"/sign-in/start?{urllib.parse.urlencode(query)}",
                             headers={"Cookie": cookie} if cookie else {})
        assert started.status_code == 303, started.body[:300]
        binding = _set_cookies(started)["signin"]
        redirect_uri = settings().redirect_uri
        reached = browser.follow(started.headers["Location"], redirect_uri)
        if sub is not None and isinstance(reached, Answer) and LOGIN_FORM in reached.text:
            reached = browser.login(sub, redirect_uri)
        return reached, binding

    def sign_in(self, client, browser: Browser, sub: str, *, customer: str = "personal", cookie: str = "",
                next_path: str | None = None):
        """The whole sign-in; returns the portal's answer to /auth/callback (a Chalice test response)."""
        reached, binding = self.authorize(client, browser, customer=customer, sub=sub, next_path=next_path,
                                          cookie=cookie)
        assert isinstance(reached, str), f"stopped at the provider: {reached.status} {reached.text[:500]}"
        return callback(client, reached, binding, cookie)


def callback(client, url: str, binding: str, cookie: str = ""):
    query = urllib.parse.urlsplit(url).query
    cookies = "; ".join(c for c in (f"signin={binding}", cookie) if c)
    return client.get(f"/auth/callback?{query}", headers={"Cookie": cookies})


def _set_cookies(response) -> dict[str, str]:
    values = response.headers.get("Set-Cookie") or []
    values = values if isinstance(values, list) else [values]
    return {v.split("=", 1)[0]: v.split("=", 1)[1].split(";", 1)[0] for v in values}


def start(options: dict, workdir: Path) -> OpenIdProvider:
    """Start a provider for one test. ``options``: alg, keys, auth_method, secret, accounts,
    claims_in_id_token, minimal_discovery, trailing_slash, end_session, backchannel, userinfo,
    scopes, client (extra client metadata), client_jwks (the portal's public keys, private_key_jwt)."""
    from chalicelib.config import settings

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    alg = options.get("alg", "RS256")
    redirect = settings().redirect_uri
    signed_out = f"{settings().public_base_url.rstrip('/')}/signed-out"
    client = {
        "client_id": CLIENT_ID,
        "redirect_uris": [redirect],
        "post_logout_redirect_uris": [signed_out],
        "token_endpoint_auth_method": options.get("auth_method", "client_secret_basic"),
        "id_token_signed_response_alg": alg,
        "backchannel_logout_uri": "SELF",
        "backchannel_logout_session_required": True,
        **({"client_secret": options.get("secret", "harness-secret")}
           if options.get("auth_method", "client_secret_basic") != "private_key_jwt" else {}),
        **({"jwks": options["client_jwks"]} if "client_jwks" in options else {}),
        **options.get("client", {}),
    }
    config = {
        "port": port,
        "issuer": base + "/" if options.get("trailing_slash") else base,
        "keys": options.get("keys", [{"alg": alg, "kid": f"{alg.lower()}-1"}]),
        "clients": [client],
        "accounts": options.get("accounts", {}),
        "claims_in_id_token": options.get("claims_in_id_token", True),
        "minimal_discovery": options.get("minimal_discovery", False),
        "end_session": options.get("end_session", True),
        "backchannel": options.get("backchannel", True),
        "userinfo": options.get("userinfo", True),
        "scopes": options.get("scopes", {}),
    }
    return OpenIdProvider(config, workdir)


def workdir() -> Path:
    path = ROOT / "test-results"
    path.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="oidc-provider-", dir=path))
