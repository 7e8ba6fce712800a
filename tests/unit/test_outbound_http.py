"""The one outbound HTTP implementation (chalicelib/identity/http.py ``call``) and the three seams
over it: the identity provider's, the profile service's and Suomi.fi e-Authorizations'."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.identity import http

CODE = "210281-9988"


@pytest.fixture
def server():
    """A local server answering 503 with a long body to every request."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"x" * 5000)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def closed_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # nobody listens once it is closed


def test_any_status_is_an_answer_read_up_to_the_limit(server):
    answer = http.call("GET", f"{server}/x", None, {}, timeout=5, limit=100)
    assert answer.status == 503 and len(answer.body) == 100
    assert len(http.call("GET", f"{server}/x", None, {}, timeout=5).body) == 5000


def test_no_answer_is_unreachable_with_the_address_without_its_query():
    with pytest.raises(http.Unreachable) as refused:
        http.call("GET", f"{closed_address()}/path?secret=1", None, {}, timeout=5)
    assert "/path" in str(refused.value) and "secret" not in str(refused.value)


def test_each_seam_has_its_own_error():
    from chalicelib.identity import profile_service

    with pytest.raises(http.ProviderUnavailable):
        http.urllib_transport("GET", closed_address(), None, {})
    with pytest.raises(profile_service.ProfileServiceUnavailable):
        profile_service.urllib_transport("POST", closed_address(), b"", {}, 5)


def test_e_authorizations_unreachable_never_carries_the_delegates_code(monkeypatch):
    """Its register call's address names the delegate's personal identity code: neither the error's
    message nor anything chained to it (what a logged traceback would print) may."""
    from chalicelib.authorizations import port

    with pytest.raises(port.AuthorizationsUnavailable) as refused:
        port.urllib_transport("GET", f"{closed_address()}/service/hpa/user/register/client/{CODE}", None, {})
    error, seen = refused.value, []
    while error is not None:
        seen.append(str(error))
        error = error.__cause__ or error.__context__ if not error.__suppress_context__ else error.__cause__
    assert seen and all(CODE not in text for text in seen)
    assert "e-Authorizations" in seen[0]
