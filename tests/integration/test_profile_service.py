"""The profile service's client (chalicelib/identity/profile_service.py) over real HTTP against the
bundled stand-in: the development provider's token endpoint for the UMA exchange and the stand-in's
GraphQL, served by a small threaded server. Down, slow, another person, a low level, nonsense."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from chalicelib.config import settings
from chalicelib.identity import profile_service
from chalicelib.identity.claims import LevelTooLow, ProfileMismatch, identity_from_claims

NORDEA = "210281-9988"


class StandIn:
    """The stand-in's token endpoint and GraphQL on a real socket, with switches for a test."""

    def __init__(self):
        self.hold = threading.Event()  # set: answer; clear: keep the caller waiting (a slow service)
        self.hold.set()
        self.override: tuple[int, bytes] | None = None  # a canned answer (status, body)
        self.requests: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (http.server's name)
                from chalicelib.devidp import profile_service as graphql
                from chalicelib.devidp.tokens import TokenError, exchange

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stand_in.requests.append(self.path)
                stand_in.hold.wait(10)
                if stand_in.override:
                    status, answer = stand_in.override
                elif self.path == "/token":
                    try:
                        status, answer = 200, exchange(dict(parse_qsl(body.decode())), self.headers.get("Authorization"))
                    except TokenError as error:
                        status, answer = error.status, error.body()
                    answer = json.dumps(answer).encode()
                else:
                    claims = graphql.token_claims(self.headers.get("Authorization"))
                    status, answer = 200, json.dumps(graphql.execute(json.loads(body)["query"], claims)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (the timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in(aws, monkeypatch):
    server = StandIn()
    config = settings()
    monkeypatch.setattr(config, "profile_api_url", f"{server.base}/graphql")
    monkeypatch.setattr(config, "profile_api_token_url", f"{server.base}/token")
    monkeypatch.setattr(config, "profile_api_timeout_seconds", 0.5)
    monkeypatch.setattr(profile_service, "transport", profile_service.urllib_transport)
    yield server
    server.stop()


def access_token(national_id: str = NORDEA, loa: str = "substantial") -> str:
    """The development provider's access token for a test person, as its token endpoint issues it."""
    from chalicelib.devidp import identities, tokens

    grant = {"sub": identities.subject(f"person:{national_id}"), "sid": "s", "amr": "suomi_fi", "loa": loa}
    return tokens.access_token(grant, settings().oidc_client_id)


CLAIMS = {"sub": "x", "given_name": "Portaalia Nordea", "family_name": "Testaaja", "amr": "suomi_fi", "loa": "substantial"}


def test_the_verified_person_over_http(stand_in):
    person = profile_service.verified_person(access_token())
    assert person.national_identification_number == NORDEA and person.last_name == "Testaaja"
    assert stand_in.requests == ["/token", "/graphql"]  # exchanged first, then asked with the API token
    assert identity_from_claims(CLAIMS, access_token=access_token()).personal_identity_code == NORDEA


def test_a_service_that_is_down(stand_in, monkeypatch):
    stand_in.stop()
    with pytest.raises(profile_service.ProfileServiceUnavailable) as down:
        profile_service.verified_person(access_token())
    assert "token" in str(down.value) and NORDEA not in str(down.value)


def test_a_slow_service_hits_the_timeout(stand_in):
    stand_in.hold.clear()  # the service never answers while the client waits
    with pytest.raises(profile_service.ProfileServiceUnavailable) as slow:
        profile_service.verified_person(access_token())
    assert "Timeout" in str(slow.value) or "timed out" in str(slow.value)


def test_a_slow_graphql_after_a_quick_exchange_also_hits_the_timeout(stand_in, monkeypatch):
    token = profile_service.api_token(access_token())
    monkeypatch.setattr(profile_service, "api_token", lambda _: token)
    stand_in.hold.clear()
    with pytest.raises(profile_service.ProfileServiceUnavailable):
        profile_service.verified_person(access_token())


def test_a_different_person_is_refused(stand_in, monkeypatch):
    from chalicelib.devidp import identities

    monkeypatch.setattr(identities, "person_by_subject", lambda sub: identities.person("asa-testare"))
    with pytest.raises(ProfileMismatch):
        identity_from_claims(CLAIMS, access_token=access_token())


def test_a_low_level_is_not_released(stand_in):
    with pytest.raises(profile_service.NotReleased):
        profile_service.verified_person(access_token(loa="low"))
    # through the mapping: the ID token says substantial but the access token low: still refused
    with pytest.raises(LevelTooLow):
        identity_from_claims(CLAIMS, access_token=access_token(loa="low"))


def test_no_profile_is_none(stand_in):
    from chalicelib.devidp import identities, tokens

    stranger = tokens.access_token({"sub": identities.subject("person:010190-900P"), "sid": "s", "amr": "suomi_fi",
                                    "loa": "high"}, "city-eservices-portal")
    assert profile_service.verified_person(stranger) is None


@pytest.mark.parametrize(("status", "body"), [
    (500, b"<html>Internal Server Error</html>"),
    (200, b"not json"),
    (200, b"[1, 2]"),
    (200, json.dumps({"errors": [{"message": "boom", "extensions": {"code": "GENERAL_ERROR"}}]}).encode()),
    (200, b"x" * (profile_service.MAX_ANSWER + 10)),
])
def test_nonsense_from_the_service_is_unavailable_not_a_crash(stand_in, monkeypatch, status, body):
    token = profile_service.api_token(access_token())
    monkeypatch.setattr(profile_service, "api_token", lambda _: token)
    stand_in.override = (status, body)
    with pytest.raises(profile_service.ProfileServiceUnavailable):
        profile_service.verified_person(access_token())


def test_a_refused_token_exchange_is_unavailable(stand_in, monkeypatch):
    monkeypatch.setattr(settings(), "profile_api_permission", "#admin")  # the broker answers 403 access_denied
    with pytest.raises(profile_service.ProfileServiceUnavailable) as refused:
        profile_service.verified_person(access_token())
    assert "403" in str(refused.value)


def test_prod_without_the_profile_service_address_is_unavailable_not_a_crash(stand_in, monkeypatch):
    monkeypatch.setattr(settings(), "stage", "prod")
    monkeypatch.setattr(settings(), "profile_api_url", "")  # the stand-in is never used in prod
    with pytest.raises(profile_service.ProfileServiceUnavailable) as missing:
        profile_service.verified_person(access_token())
    assert "PORTAL_PROFILE_API_URL" in str(missing.value) and stand_in.requests == []
