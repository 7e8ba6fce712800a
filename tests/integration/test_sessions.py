"""Sessions: idle and absolute expiry (time travel), extension, sign-out, rotation and CSRF."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.fake_idp import csrf_of, sign_in

FORM = "application/x-www-form-urlencoded"


def get(client, path, sid):
    return client.get(path, headers={"Cookie": f"sid={sid}; lang=en"})


def post(client, path, sid, fields, headers=None):
    return client.post(path, body=urlencode(fields), headers={"Cookie": f"sid={sid}; lang=en", "Content-Type": FORM, **(headers or {})})


def session_count():
    from chalicelib.models.session import SessionModel

    return len(list(SessionModel.scan()))  # scan-ok: test inspection


def test_the_cookie_value_is_not_the_key_it_is_stored_under(client, idp):
    from chalicelib.models.session import SessionModel

    sid = sign_in(client, idp)
    (record,) = list(SessionModel.scan())  # scan-ok: test inspection
    assert sid not in record.session_hash and len(record.session_hash) == 64


def test_idle_timeout_after_two_hours_signs_out_and_says_why(client, idp, clock):
    sid = sign_in(client, idp)
    clock.advance(hours=1, minutes=59)
    assert get(client, "/profile", sid).status_code == 200
    clock.advance(hours=2, seconds=1)
    response = get(client, "/profile", sid)
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=%2Fprofile&notice=timeout"
    assert any(c.startswith("sid=;") and "Max-Age=0" in c for c in response.headers["Set-Cookie"])
    assert "you were signed out" in client.get(response.headers["Location"], headers={"Cookie": "lang=en"}).body.decode().lower()
    # What stays is a timed-out marker for an hour: it names only the person (a keyed hash), for a
    # form posted at the timeout, and is never a session again.
    assert_only_a_timed_out_marker()
    assert get(client, "/profile", sid).status_code == 303
    clock.advance(hours=1)
    get(client, "/profile", sid)
    assert session_count() == 0


def assert_only_a_timed_out_marker():
    from chalicelib.models.session import SessionModel

    (marker,) = SessionModel.scan()  # scan-ok: test inspection
    assert marker.timed_out_at is not None and re.fullmatch(r"[0-9a-f]{64}", marker.person_hash)
    assert marker.pending_identity is None and marker.roles == []
    assert 3599 <= (marker.expires_at - marker.timed_out_at).total_seconds() <= 3600


def test_activity_slides_the_idle_timeout(client, idp, clock):
    sid = sign_in(client, idp)
    for _ in range(5):
        clock.advance(hours=1, minutes=30)
        assert get(client, "/profile", sid).status_code == 200


def test_the_absolute_limit_ends_even_an_active_session(client, idp, clock):
    sid = sign_in(client, idp)
    for _ in range(6):
        clock.advance(hours=1, minutes=50)
        assert get(client, "/profile", sid).status_code == 200
    clock.advance(hours=1, minutes=30)  # 12 h 30 min after signing in, 1 h 30 min after the last page
    assert get(client, "/profile", sid).status_code == 303


def test_continue_in_the_warning_extends_the_session(client, idp, clock):
    sid = sign_in(client, idp)
    page = get(client, "/", sid).body.decode()
    assert 'id="session-warning"' in page and 'data-warning-seconds="300"' in page
    clock.advance(hours=1, minutes=56)
    status = json.loads(get(client, "/session/status", sid).body)
    assert status["signed_in"] and 230 <= status["seconds_left"] <= 240
    response = post(client, "/session/extend", sid, {"csrf_token": csrf_of(page)}, headers={"Accept": "application/json"})
    answer = json.loads(response.body)
    assert answer["signed_in"] and 7190 <= answer["seconds_left"] <= 7200
    clock.advance(hours=1, minutes=59)
    assert get(client, "/profile", sid).status_code == 200


def test_continue_works_without_javascript_too(client, idp):
    sid = sign_in(client, idp)
    page = get(client, "/profile", sid).body.decode()
    response = post(client, "/session/extend", sid, {"csrf_token": csrf_of(page), "next": "/profile"})
    assert response.status_code == 303 and response.headers["Location"] == "/profile"


def test_status_does_not_extend_the_session(client, idp, clock):
    sid = sign_in(client, idp)
    clock.advance(hours=1)
    get(client, "/session/status", sid)
    clock.advance(hours=1, seconds=1)
    assert get(client, "/session/status", sid).status_code == 401


def test_sign_out_ends_the_session_on_the_server(client, idp):
    sid = sign_in(client, idp)
    page = get(client, "/", sid).body.decode()
    response = post(client, "/sign-out", sid, {"csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/signed-out"
    assert any(c.startswith("sid=;") for c in response.headers["Set-Cookie"])
    # The old cookie, replayed, is worth nothing.
    assert get(client, "/profile", sid).status_code == 303
    assert session_count() == 0
    advice = client.get("/signed-out", headers={"Cookie": "lang=en"}).body.decode()
    assert "close all browser windows" in advice


def cleared(response):
    values = response.headers.get("Set-Cookie") or []
    return {v.split("=", 1)[0] for v in (values if isinstance(values, list) else [values]) if "Max-Age=0" in v}


def test_sign_out_clears_every_portal_cookie_but_the_preferences(client, idp):
    sid = sign_in(client, idp)
    page = get(client, "/", sid).body.decode()
    jar = f"sid={sid}; lang=sv; textsize=large; signin=x; resume=y"
    response = client.post("/sign-out", body=f"csrf_token={csrf_of(page)}",
                           headers={"Cookie": jar, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 303
    assert cleared(response) == {"sid", "signin", "resume"}
    signed_out = client.get("/signed-out", headers={"Cookie": "lang=sv; textsize=large; sid=z; signin=x; resume=y"})
    assert cleared(signed_out) == {"sid", "signin", "resume"}
    # "cookies" is not asked for: it would take the language and text size too (docs/architecture.md).
    assert signed_out.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert signed_out.headers["Cache-Control"] == "no-store"


def test_the_timeout_pages_clear_everything_but_the_preferences_and_the_resume_cookie(client, idp, clock):
    sid = sign_in(client, idp)
    clock.advance(hours=2, seconds=1)
    jar = f"sid={sid}; lang=sv; textsize=large; signin=x; resume=y"
    for path in ("/sign-in?notice=timeout", "/signed-out?reason=timeout"):
        response = client.get(path, headers={"Cookie": jar})
        assert response.status_code == 200
        assert cleared(response) == {"sid", "signin"}, path
        assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Clear-Site-Data" not in client.get("/sign-in", headers={"Cookie": "lang=en"}).headers


def test_signing_out_after_a_timeout_removes_the_timed_out_marker(client, idp, clock):
    sid = sign_in(client, idp)
    clock.advance(hours=2, seconds=1)
    assert json.loads(get(client, "/session/status", sid).body) == {"signed_in": False}
    assert_only_a_timed_out_marker()
    response = post(client, "/sign-out", sid, {})
    assert response.status_code == 303 and session_count() == 0


def test_a_new_session_id_at_every_sign_in(client, idp):
    first = sign_in(client, idp)
    second = sign_in(client, idp, register=False)
    assert first != second


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 43])
def test_state_changes_without_the_right_csrf_token_are_refused(client, idp, token):
    sid = sign_in(client, idp)
    fields = {"email": "evil@example.fi", "methods": "email", "language": "fi"}
    if token is not None:
        fields["csrf_token"] = token
    for path in ("/profile/edit", "/sign-out", "/session/extend", "/feedback"):
        assert post(client, path, sid, fields).status_code == 403, path
    from chalicelib.models.identity import ProfileModel

    (profile,) = list(ProfileModel.scan())  # scan-ok: test inspection
    assert profile.email == "testaaja@example.fi"
    assert get(client, "/profile", sid).status_code == 200


def test_a_csrf_token_of_another_session_is_refused(client, idp):
    from tests.fake_idp import ORGANISATION_USER

    mine = sign_in(client, idp)
    other = sign_in(client, idp, ORGANISATION_USER)
    other_token = csrf_of(get(client, "/", other).body.decode())
    assert post(client, "/sign-out", mine, {"csrf_token": other_token}).status_code == 403


@pytest.mark.parametrize("cookie", ["sid=", "sid=" + "A" * 500, "sid=../../etc", "sid=%00", "sid"])
def test_tampered_session_cookies_are_just_signed_out(client, cookie):
    response = client.get("/profile", headers={"Cookie": cookie})
    assert response.status_code == 303
