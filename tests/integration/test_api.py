"""The division API: keys, isolation between divisions, listing with cursors, reading, status
transitions, messages, idempotency, and problem+json for every error."""
from __future__ import annotations

import base64
import json
import re

import pytest

from tests.fake_idp import sign_in
from tests.integration.test_folder import send_dog_declaration
from tests.integration.test_forms import Filler


@pytest.fixture
def keys(aws):
    from chalicelib.divisions.keys import create_key

    return {"urban": create_key("urban-environment"), "culture": create_key("culture-leisure")}


@pytest.fixture
def item(client, idp):
    filler = Filler(client, sign_in(client, idp))
    number = send_dog_declaration(filler)
    filler.item = number
    return filler


def call(client, method, path, key=None, body=None, headers=None, raw=None, content_type="application/json"):
    h = {**({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    if method == "GET":
        response = client.get(f"/api/v1{path}", headers=h)
    else:
        h.setdefault("Content-Type", content_type)
        response = client.post(f"/api/v1{path}", headers=h, body=raw if raw is not None else json.dumps(body))
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    return response.status_code, response.headers.get("Content-Type", ""), (json.loads(text) if text else None)


def assert_problem(result, status):
    code, content_type, body = result
    assert code == status, body
    assert content_type == "application/problem+json"
    assert body["status"] == status and body["title"] and body["detail"]


@pytest.mark.parametrize("key", [None, "", "dk0000000000000000.wrong", "Bearer x", "dk" + "0" * 16 + "." + "a" * 43])
def test_no_valid_key_is_401(client, keys, key):
    assert_problem(call(client, "GET", "/submissions", key=key), 401)


def test_a_revoked_key_is_401(client, keys):
    from chalicelib.divisions.keys import revoke_key

    assert call(client, "GET", "/submissions", keys["urban"])[0] == 200
    assert revoke_key(keys["urban"].split(".")[0])
    assert_problem(call(client, "GET", "/submissions", keys["urban"]), 401)


def test_keys_are_stored_only_as_hashes(keys):
    from chalicelib.models.api import DivisionKeyModel

    for record in DivisionKeyModel.scan():  # scan-ok: test inspection
        assert all(key.split(".")[1] not in json.dumps(record.attribute_values, default=str) for key in keys.values())


def test_a_division_reads_its_submission_with_answers_events_and_file_links(client, keys, item):
    code, _, body = call(client, "GET", f"/submissions/{item.item}", keys["urban"])
    assert code == 200
    assert body["service_id"] == "dog-declaration" and body["status"] == "sent" and body["answers"]["dog_name"] == "Musti"
    assert [e["kind"] for e in body["events"]] == ["status"]


def test_another_division_sees_nothing_of_it(client, keys, item):
    assert_problem(call(client, "GET", f"/submissions/{item.item}", keys["culture"]), 404)
    assert call(client, "GET", "/submissions", keys["culture"])[2]["items"] == []
    assert_problem(call(client, "POST", f"/submissions/{item.item}/status", keys["culture"], {"status": "received"}), 404)
    assert_problem(call(client, "POST", f"/submissions/{item.item}/messages", keys["culture"], {"text": "Hei"}), 404)
    assert call(client, "GET", f"/submissions/{item.item}", keys["urban"])[2]["status"] == "sent"


def test_a_status_change_shows_in_the_folder_as_new_and_leaves_a_notification(client, keys, item):
    code, _, body = call(client, "POST", f"/submissions/{item.item}/status", keys["urban"],
                         {"status": "received", "note": "Otimme hakemuksen käsittelyyn."})
    assert code == 200 and body["status"] == "received"
    folder = item.get("/folder").body.decode()
    assert 'class="new-label"' in folder and "Received" in folder
    from chalicelib.models.identity import ProfileModel

    (profile,) = list(ProfileModel.scan())  # scan-ok: test inspection
    assert profile.notify_pending_since is not None


@pytest.mark.parametrize("first, second, allowed", [
    ("received", "processing", True), ("processing", "info-requested", True), ("info-requested", "processing", True),
    ("decided", "processing", False), ("cancelled", "received", False), ("received", "received", False),
])
def test_transitions(client, keys, item, first, second, allowed):
    assert call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": first})[0] == 200
    result = call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": second})
    if allowed:
        assert result[0] == 200
    else:
        assert_problem(result, 409)


def test_messages_start_and_continue_threads_and_the_customer_can_reply(client, keys, item):
    code, _, posted = call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"],
                           {"text": "Lähetättekö rokotustodistuksen?", "reply_allowed": True,
                            "attachments": [{"filename": "ohje.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 ohje").decode()}]})
    assert code == 201
    thread = posted["thread_id"]
    page = item.get(f"/folder/{item.item}").body.decode()
    assert "Lähetättekö rokotustodistuksen?" in page and "ohje.pdf" in page
    assert item.post(f"/folder/{item.item}/messages/{thread}", {"csrf_token": item.csrf, "text": "Liitän sen."}).status_code == 303
    detail = call(client, "GET", f"/submissions/{item.item}", keys["urban"])[2]
    assert detail["attachments"][0]["scan_status"] == "PENDING" and detail["attachments"][0]["download_url"] is None
    from tests.scanning import scanner

    scanner().scan_new()  # GuardDuty's stand-in: a clean file gets its link
    detail = call(client, "GET", f"/submissions/{item.item}", keys["urban"])[2]
    assert [(e["kind"], e["author"]) for e in detail["events"]][-1] == ("message", "customer")
    assert detail["attachments"][0]["download_url"].startswith("http")
    again = call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"],
                 {"text": "Kiitos.", "reply_allowed": False, "thread_id": thread})
    assert again[0] == 201 and again[2]["thread_id"] == thread
    assert_problem(call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"],
                        {"text": "x", "thread_id": "f" * 32}), 404)


def test_idempotency_keys(client, keys, item):
    from chalicelib.models.forms import EventModel

    headers = {"Idempotency-Key": "retry-1"}
    first = call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"], {"text": "Hei"}, headers=headers)
    second = call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"], {"text": "Hei"}, headers=headers)
    assert first[0] == second[0] == 201 and first[2] == second[2]
    assert len([e for e in EventModel.query(item.item) if e.kind == "message"]) == 1
    assert_problem(call(client, "POST", f"/submissions/{item.item}/messages", keys["urban"], {"text": "Toinen"}, headers=headers), 409)
    # Another division using the same key string is a different record.
    assert call(client, "POST", f"/submissions/{item.item}/messages", keys["culture"], {"text": "Hei"}, headers=headers)[0] == 404
    failed = {"Idempotency-Key": "bad-then-good"}
    assert_problem(call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": "nope"}, headers=failed), 422)
    # A request that failed changed nothing, so its key is free again (like Stripe's API).
    assert call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": "received"}, headers=failed)[0] == 200
    same = {"Idempotency-Key": "status-1"}
    a = call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": "processing"}, headers=same)
    b = call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": "processing"}, headers=same)
    assert a == b and a[0] == 200
    assert len([e for e in EventModel.query(item.item) if e.kind == "status"]) == 3  # sent, received, processing


def test_listing_with_filters_and_cursor_pagination(client, keys, item, aws):
    from tests.integration.test_folder import _put_items
    from chalicelib.models.identity import ProfileModel

    owner = next(iter(ProfileModel.scan())).profile_id  # scan-ok: test inspection
    _put_items(owner, 7, ["dog-declaration", "terrace-permit"], start=100)
    seen, cursor = [], None
    while True:
        path = "/submissions?limit=3" + (f"&cursor={cursor}" if cursor else "")
        code, _, body = call(client, "GET", path, keys["urban"])
        assert code == 200 and len(body["items"]) <= 3
        seen += [i["item_number"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 8
    only = call(client, "GET", "/submissions?service=terrace-permit", keys["urban"])[2]["items"]
    assert only and all(i["service_id"] == "terrace-permit" for i in only)
    call(client, "POST", f"/submissions/{item.item}/status", keys["urban"], {"status": "received"})
    received = call(client, "GET", "/submissions?status=received", keys["urban"])[2]["items"]
    assert [i["item_number"] for i in received] == [item.item]
    since = call(client, "GET", "/submissions?updated_since=2999-01-01T00:00:00Z", keys["urban"])[2]["items"]
    assert since == []


@pytest.mark.parametrize("query", ["cursor=garbage", "cursor=" + base64.urlsafe_b64encode(b'{"a":1}').decode(), "limit=0",
                                   "limit=1000", "status=lost", "updated_since=yesterday", "updated_since=2026-01-01T00:00:00",
                                   "unknown=1"])
def test_bad_list_parameters_are_400(client, keys, query):
    assert_problem(call(client, "GET", f"/submissions?{query}", keys["urban"]), 400)


def test_bodies_that_are_wrong(client, keys, item):
    path = f"/submissions/{item.item}/messages"
    assert_problem(call(client, "POST", path, keys["urban"], raw="{not json"), 400)
    assert_problem(call(client, "POST", path, keys["urban"], raw="text=hei", content_type="application/x-www-form-urlencoded"), 415)
    assert_problem(call(client, "POST", path, keys["urban"], {"text": ""}), 422)
    assert_problem(call(client, "POST", path, keys["urban"], {"text": "x", "extra": 1}), 422)
    assert_problem(call(client, "POST", path, keys["urban"], {"text": "x" * 4001}), 422)
    big = base64.b64encode(b"%PDF-1.4" + b"0" * (2 * 1024 * 1024)).decode()
    assert_problem(call(client, "POST", path, keys["urban"], {"text": "x", "attachments": [{"filename": "a.pdf", "content_base64": big}]}), 413)
    gif = base64.b64encode(b"GIF89a" + b"0" * 30).decode()
    assert_problem(call(client, "POST", path, keys["urban"], {"text": "x", "attachments": [{"filename": "a.pdf", "content_base64": gif}]}), 415)
    assert_problem(call(client, "POST", path, keys["urban"], {"text": "x", "attachments": [{"filename": "a.pdf", "content_base64": "***"}]}), 400)
    assert_problem(call(client, "GET", "/submissions/12", keys["urban"]), 404)
    from chalicelib.models.forms import EventModel

    assert [e.kind for e in EventModel.query(item.item)] == ["status"]


def test_the_health_care_inbox(client, keys, idp, aws):
    from tests.integration.test_forms import Filler as F
    from chalicelib.divisions.keys import create_key

    social = create_key("social-health")
    filler = F(client, sign_in(client, idp))
    from chalicelib.forms.store import form_for

    form = form_for("dental-care")
    filler.accept_agreement("dental-care")
    filler.start("dental-care")
    for number, page in enumerate(form.pages, start=1):
        fields = {}
        for f in page.fields:
            if f.readonly or not f.required or f.type in ("attachment", "multichoice"):
                continue
            fields[f.name] = {"choice": f.options[0].value if f.options else "", "checkbox": "yes", "email": "a@example.fi",
                              "phone": "+358401234567", "date": "1.1.2027", "number": "1"}.get(f.type, "Vastaus")
        filler.page(number, fields)
    number = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    inbox = call(client, "GET", "/health-care-inbox", social)[2]["items"]
    assert [i["item_number"] for i in inbox] == [number] and inbox[0]["health_care"]
    assert call(client, "GET", "/health-care-inbox", keys["urban"])[2]["items"] == []
    assert_problem(call(client, "POST", f"/submissions/{number}/messages", social, {"text": "Hei"}), 409)


def test_the_openapi_document_and_its_page(client):
    code, content_type, doc = call(client, "GET", "/openapi.json")
    assert code == 200 and doc["openapi"].startswith("3.")
    assert {"/api/v1/submissions", "/api/v1/submissions/{item_number}", "/api/v1/submissions/{item_number}/status",
            "/api/v1/submissions/{item_number}/messages", "/api/v1/health-care-inbox"} <= set(doc["paths"])
    assert "StatusChange" in doc["components"]["schemas"]
    from openapi_spec_validator import validate

    validate(doc)
    page = client.get("/api/v1/docs?lang=en").body.decode()
    assert "POST /api/v1/submissions/{item_number}/status" in page


def test_every_api_route_is_in_the_document():
    from app import app
    from chalicelib.divisions.openapi import document

    routes = {(m.lower(), path) for path, entries in app.routes.items() if path.startswith("/api/v1/")
              for m in entries if path not in ("/api/v1/openapi.json", "/api/v1/docs")}
    documented = {(m, p) for p, ops in document()["paths"].items() for m in ops}
    assert routes == documented
