"""The footer's feedback form: validation in the visitor's language, input kept, stored exactly once."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(client, language="en", **fields):
    return client.post("/feedback", headers={**FORM, "Cookie": f"lang={language}"}, body=urlencode(fields))


def token_from(client) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', client.get("/").body.decode()).group(1)


def stored():
    from chalicelib.models.feedback import FeedbackModel

    return list(FeedbackModel.scan())  # scan-ok: test inspection of a tiny table


def test_valid_feedback_is_stored_and_thanked(client):
    token = token_from(client)
    response = post(client, message="Hyvä palvelu!", email="matti@example.fi", page="/e-services", token=token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/feedback/thanks?back=%2Fe-services"
    items = stored()
    assert [(i.feedback_id, i.message, i.email, i.page, i.language) for i in items] == [
        (token, "Hyvä palvelu!", "matti@example.fi", "/e-services", "en")
    ]
    thanks = client.get(response.headers["Location"], headers={"Cookie": "lang=en"}).body.decode()
    assert "Thank you for your feedback" in thanks and 'href="/e-services"' in thanks


def test_sending_the_same_form_twice_stores_it_once(client):
    token = token_from(client)
    first = post(client, message="Tupla", token=token)
    second = post(client, message="Tupla", token=token)
    assert first.status_code == second.status_code == 303
    assert len(stored()) == 1


def test_errors_are_shown_at_the_fields_and_in_a_summary_and_input_is_kept(client):
    response = post(client, language="fi", message="   ", email="not an address <b>", page="/", token=token_from(client))
    assert response.status_code == 400
    body = response.body.decode()
    assert 'id="error-summary"' in body
    assert 'href="#feedback-message"' in body and 'href="#feedback-email"' in body
    assert 'id="feedback-email-error"' in body and 'aria-invalid="true"' in body
    assert 'value="not an address &lt;b&gt;"' in body  # kept, escaped
    assert '<html lang="fi"' in body
    assert "Write your feedback." not in body  # shown in Finnish, not as the English message id
    assert stored() == []


def test_markup_in_feedback_is_kept_as_text_and_escaped(client):
    long_text = "<script>alert(1)</script>" + "x" * 2001
    body = post(client, message=long_text, token=token_from(client)).body.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "at most 2000 characters" in body
    assert stored() == []


@pytest.mark.parametrize("token", ["", "abc", "../../x", "A" * 32])
def test_a_missing_or_forged_form_token_is_refused_with_a_fresh_one(client, token):
    response = post(client, message="Hei", token=token)
    assert response.status_code == 400
    assert "The form has expired" in response.body.decode()
    assert re.search(r'name="token" value="[0-9a-f]{32}"', response.body.decode())
    assert stored() == []


def test_an_absolute_return_page_is_not_kept(client):
    response = post(client, message="Hei", page="https://evil.example/", token=token_from(client))
    assert response.headers["Location"] == "/feedback/thanks?back=%2F"
    assert stored()[0].page == "/"


def test_a_body_with_too_many_fields_is_a_clear_400(client):
    body = "&".join(f"f{i}=1" for i in range(500))
    response = client.post("/feedback", headers=FORM, body=body)
    assert response.status_code == 400
    assert "<h1" in response.body.decode()


def test_a_wrong_content_type_is_refused(client):
    response = client.post("/feedback", headers={"Content-Type": "application/json"}, body="{}")
    assert response.status_code == 415
