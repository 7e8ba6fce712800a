"""Privacy: the audit trail, a customer's own data, deleting a profile, and retention (time travel)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.fake_idp import ORGANISATION_USER, csrf_of, sign_in
from tests.integration.test_folder import CUSTOMER_B, ORG_1_OTHER, send_dog_declaration
from tests.integration.test_forms import Filler


def api(client, key, method, path, body=None):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if method == "GET":
        return client.get(f"/api/v1{path}", headers=headers)
    return client.post(f"/api/v1{path}", headers=headers, body=json.dumps(body))


@pytest.fixture
def urban(aws):
    from chalicelib.divisions.keys import create_key

    return create_key("urban-environment")


def entries(subject):
    from chalicelib.privacy.audit import for_profile

    return for_profile(subject)


def profile_ids():
    from chalicelib.models.identity import ProfileModel

    return {p.given_name or p.organisation_name: p.profile_id for p in ProfileModel.scan()}  # scan-ok: test inspection


def test_sign_ins_and_division_access_are_audited_without_identity_codes(client, idp, urban):
    a = Filler(client, sign_in(client, idp))
    item = send_dog_declaration(a)
    bad = client.get("/auth/callback?" + urlencode({"state": "forged", "code": "x"}))
    assert bad.status_code == 400
    api(client, urban, "GET", "/submissions")
    api(client, urban, "GET", f"/submissions/{item}")
    api(client, urban, "POST", f"/submissions/{item}/status", {"status": "received"})
    api(client, urban, "POST", f"/submissions/{item}/messages", {"text": "Hei"})
    mine = entries(profile_ids()["Portaalia Nordea"])
    actions = [e.action for e in mine]
    assert {"sign-in", "list", "read", "status-change", "message"} <= set(actions)
    division_entries = [e for e in mine if e.actor == "division"]
    assert all(e.division_id == "urban-environment" and e.key_id == urban.split(".")[0] and e.item_number == item
               for e in division_entries)
    assert [e.action for e in entries("unidentified")] == ["sign-in-failed"]
    dumped = json.dumps([e.attribute_values for e in mine + entries("unidentified")], default=str)
    assert "210281" not in dumped and "Testaaja" not in dumped
    profile_page = a.get("/profile").body.decode()
    assert "Sign-ins, the current one first" in profile_page and "Urban Environment Division" in profile_page
    from chalicelib.privacy.audit import for_item

    assert {e.action for e in for_item(item)} == {"list", "read", "status-change", "message"}


def test_ops_export_an_items_audit_trail(client, idp, urban, capsys):
    a = Filler(client, sign_in(client, idp))
    item = send_dog_declaration(a)
    api(client, urban, "GET", f"/submissions/{item}")
    from scripts.audit_export import main

    assert main(["--item", item]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["action"] for line in lines] == ["read"] and lines[0]["division"] == "urban-environment"


def test_my_data_holds_exactly_my_data(client, idp, urban):
    a = Filler(client, sign_in(client, idp))
    item = send_dog_declaration(a)
    api(client, urban, "POST", f"/submissions/{item}/messages", {"text": "Viesti sinulle"})
    b = Filler(client, sign_in(client, idp, CUSTOMER_B))
    other = send_dog_declaration(b)
    a.start()
    a.page(1, {"street_address": "Luonnoskatu 9"}, action="save")
    response = a.get("/profile/my-data.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.body)
    assert data["profile"]["personal_identity_code"] == "210281-9988"
    assert [s["item_number"] for s in data["submissions"]] == [item]
    assert data["submissions"][0]["answers"]["dog_name"] == "Musti"
    assert "Viesti sinulle" in [e.get("text") for e in data["submissions"][0]["events"]]
    assert data["drafts"][0]["answers"]["street_address"] == "Luonnoskatu 9"
    assert {e["action"] for e in data["audit"]} >= {"sign-in", "message"}
    text = json.dumps(data)
    assert other not in text and "150376-904V" not in text and "Åsa" not in text
    page = a.get("/profile/my-data").body.decode()
    assert "Musti" in page and item in page and other not in page


def test_deleting_a_profile_removes_what_it_says_and_keeps_what_it_says(client, idp, urban):
    from chalicelib.models.forms import DraftModel, SubmissionModel
    from chalicelib.models.identity import IdentityModel, ProfileModel
    from chalicelib.models.session import SessionModel

    a = Filler(client, sign_in(client, idp))
    item = send_dog_declaration(a)
    other_session = sign_in(client, idp, register=False)
    a.start()
    a.page(1, {"street_address": "x"}, action="save")
    a_id = profile_ids()["Portaalia Nordea"]
    b = Filler(client, sign_in(client, idp, CUSTOMER_B))
    send_dog_declaration(b)
    page = a.get("/profile/delete").body.decode()
    assert "law requires them to keep" in page
    refused = a.post("/profile/delete", {"csrf_token": csrf_of(page)})
    assert refused.status_code == 400 and ProfileModel.count() == 2
    done = a.post("/profile/delete", {"csrf_token": csrf_of(page), "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/profile/deleted?kept=1"
    assert "1 sent form is kept" in client.get(done.headers["Location"], headers={"Cookie": "lang=en"}).body.decode()
    remaining = {p.given_name for p in ProfileModel.scan()}  # scan-ok: test inspection
    assert remaining == {"Åsa"} and IdentityModel.count() == 1
    assert [d for d in DraftModel.scan() if d.owner_id == a_id] == []  # scan-ok: test inspection
    kept = SubmissionModel.get(item)
    assert kept.owner_id is None and kept.sender_id == "deleted-profile" and kept.answers["dog_name"] == "Musti"
    assert all(s.profile_id != a_id for s in SessionModel.scan())  # scan-ok: test inspection
    for sid in (a.sid, other_session):
        assert client.get("/profile", headers={"Cookie": f"sid={sid}"}).status_code == 303
    assert api(client, urban, "GET", f"/submissions/{item}").status_code == 200  # the division still has it
    assert b.get("/folder").status_code == 200


def test_only_someone_who_may_sign_for_an_organisation_may_delete_it(client, idp):
    from chalicelib.models.identity import ProfileModel

    main = Filler(client, sign_in(client, idp, ORGANISATION_USER))
    colleague = Filler(client, sign_in(client, idp, ORG_1_OTHER, register=False))
    page = colleague.get("/profile/delete").body.decode()
    assert "Only someone with the right to sign for the organisation can delete its profile" in page
    assert colleague.post("/profile/delete", {"csrf_token": colleague.csrf, "confirm": "yes"}).status_code == 403
    assert ProfileModel.count() == 1
    main.get("/profile/delete")
    assert main.post("/profile/delete", {"csrf_token": main.csrf, "confirm": "yes"}).status_code == 303
    assert ProfileModel.count() == 0


def test_retention_removes_exactly_the_expired(client, idp, urban, clock):
    from chalicelib.models.forms import EventModel, SubmissionModel
    from chalicelib.privacy.retention import remove_expired

    a = Filler(client, sign_in(client, idp))
    decided = send_dog_declaration(a)
    still_open = send_dog_declaration(a)
    recent = send_dog_declaration(a)
    api(client, urban, "POST", f"/submissions/{decided}/status", {"status": "decided"})
    clock.advance(days=365 * 5)
    api(client, urban, "POST", f"/submissions/{recent}/status", {"status": "cancelled"})
    clock.advance(days=365 * 5 + 10)  # 10 years after the first decision, 5 after the second
    assert remove_expired() == 1
    remaining = {s.item_number for s in SubmissionModel.scan()}  # scan-ok: test inspection
    assert remaining == {still_open, recent}
    assert list(EventModel.query(decided)) == []
    clock.advance(days=365 * 5)
    assert remove_expired() == 1 and {s.item_number for s in SubmissionModel.scan()} == {still_open}  # scan-ok
    from chalicelib.models.forms import folder_counter
    from chalicelib.models.identity import ProfileModel

    counter = folder_counter(next(iter(ProfileModel.scan())).profile_id)  # scan-ok: test inspection
    counter.refresh()
    assert counter.value == 1  # the folder's count followed each removal (3 sent, 2 removed)


def test_drafts_expire_after_90_days_by_ttl_and_read_filter(client, idp, clock):
    from chalicelib.models.forms import DraftModel

    a = Filler(client, sign_in(client, idp))
    a.start()
    a.page(1, {"street_address": "x"}, action="save")
    (draft,) = list(DraftModel.scan())  # scan-ok: test inspection
    assert 89 <= (draft.expires_at - draft.updated_at).days <= 90
    clock.advance(days=91)
    fresh = Filler(client, sign_in(client, idp, register=False))
    assert "/drafts/" not in fresh.get("/folder").body.decode()
