"""chalicelib/web/responses.py: every cookie and every JSON answer is built in one place."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.web import responses


@pytest.fixture
def stage(monkeypatch):
    def use(secure: bool):
        monkeypatch.setattr(responses, "settings", lambda: SimpleNamespace(secure_cookies=secure))
    return use


def test_a_cookie_is_http_only_and_lax_and_secure_outside_the_local_stage(stage):
    stage(True)
    assert responses.cookie("sid", "abc", "/api") == "sid=abc; Path=/api; HttpOnly; SameSite=Lax; Secure"
    stage(False)
    assert responses.cookie("sid", "abc", "/api") == "sid=abc; Path=/api; HttpOnly; SameSite=Lax"


def test_a_cookie_with_a_lifetime_a_preference_a_script_may_read_and_the_root_path(stage):
    stage(True)
    assert responses.cookie("signin", "x", "", max_age=600) == "signin=x; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure"
    assert responses.cookie("lang", "sv", "/api", max_age=31536000, http_only=False) == \
        "lang=sv; Path=/api; Max-Age=31536000; SameSite=Lax; Secure"


def test_clearing_a_cookie_empties_it_now(stage):
    stage(False)
    assert responses.clear_cookie("resume", "") == "resume=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"


def test_a_json_answer_is_not_stored_and_writes_dates_as_text():
    answer = responses.json_response({"at": datetime(2026, 1, 2, tzinfo=timezone.utc), "ä": 1}, 201)
    assert answer.status_code == 201
    assert answer.headers == {"Content-Type": "application/json", "Cache-Control": "no-store", **responses.SECURITY_HEADERS}
    assert answer.body == '{"at": "2026-01-02 00:00:00+00:00", "\\u00e4": 1}'


def test_a_problem_answer_keeps_its_content_type_and_extra_headers_replace_defaults():
    answer = responses.json_response({"status": 409}, 409, content_type="application/problem+json",
                                     headers={"Cache-Control": "public, max-age=300", "Retry-After": "1"})
    assert answer.headers == {"Content-Type": "application/problem+json", "Cache-Control": "public, max-age=300",
                              "Retry-After": "1", **responses.SECURITY_HEADERS}
    assert json.loads(answer.body) == {"status": 409}


def test_a_pretty_answer_is_indented_and_keeps_non_ascii_letters():
    answer = responses.json_response({"nimi": "Äyräpää"}, pretty=True)
    assert answer.body == '{\n  "nimi": "Äyräpää"\n}'


def test_json_answers_carry_the_security_headers_and_hsts_over_https(stage):
    stage(True)
    headers = responses.json_response({"a": 1}).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    stage(False)
    assert "Strict-Transport-Security" not in responses.json_response({"a": 1}).headers


def test_the_middleware_adds_the_security_headers_and_keeps_a_handlers_own():
    from chalice import Response

    answer = responses.add_security_headers(
        {}, lambda event: Response(body="", status_code=303, headers={"Location": "/", "x-frame-options": "SAMEORIGIN"}))
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Content-Security-Policy"] == responses.SECURITY_HEADERS["Content-Security-Policy"]
    assert answer.headers["x-frame-options"] == "SAMEORIGIN" and "X-Frame-Options" not in answer.headers
