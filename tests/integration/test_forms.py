"""Filling in, saving and sending forms through the portal (chalice.test.Client + moto)."""
from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

import pytest

from tests.fake_idp import ORGANISATION_USER, csrf_of, sign_in

URLENCODED = "application/x-www-form-urlencoded"

OWNER = {"office_phone": "", "email": "omistaja@example.fi", "street_address": "Testikatu 1", "postal_code": "00100",
         "post_office": "Helsinki"}
DOG = {"dog_name": "Musti", "breed": "Sekarotuinen", "sex": "male", "birth_date": "1.2.2020", "microchip": ""}
CHANGE = {"declaration_type": "new", "change_description": "", "change_date": ""}
ADDITIONAL = {"additional_info": "", "dog_count": "1", "information_correct": "yes"}


class Filler:
    def __init__(self, client, sid, lang="en"):
        self.client, self.sid, self.lang = client, sid, lang
        self.draft_id = None
        self.csrf = None
        self.new = None

    @property
    def headers(self):
        return {"Cookie": f"sid={self.sid}; lang={self.lang}"}

    def get(self, path):
        response = self.client.get(path, headers=self.headers)
        body = response.body.decode() if isinstance(response.body, bytes) else response.body
        if 'name="csrf_token"' in body:
            self.csrf = csrf_of(body)
        return response

    def start(self, service_id="dog-declaration"):
        response = self.get(f"/e-services/{service_id}/form")
        assert response.status_code == 200, response.body[:500]
        self.draft_id = re.search(r'action="/drafts/([0-9a-f]{32})/pages/1"', response.body.decode()).group(1)
        self.new = service_id
        return response

    def accept_agreement(self, service_id):
        """A health-care e-service's electronic agreement, accepted on its page (chalicelib/consent)."""
        page = self.get(f"/e-services/{service_id}/agreement")
        assert page.status_code == 200, page.body[:500]
        return self.post(f"/e-services/{service_id}/agreement", {"csrf_token": self.csrf, "accept": "yes"})

    def post(self, path, fields, content_type=URLENCODED, body=None):
        headers = {**self.headers, "Content-Type": content_type}
        return self.client.post(path, headers=headers, body=body if body is not None else urlencode(fields, doseq=True))

    def page(self, number, fields, action="next"):
        data = {"csrf_token": self.csrf, "action": action, **fields}
        if self.new:
            data["new"] = self.new
            self.new = None
        return self.post(f"/drafts/{self.draft_id}/pages/{number}", data)

    def multipart(self, number, fields, files, action="next"):
        return self.multipart_to(f"/drafts/{self.draft_id}/pages/{number}", {"action": action, **fields}, files)

    def multipart_to(self, path, fields, files):
        boundary = "----portaltestboundary"
        parts = []
        for name, value in {"csrf_token": self.csrf, **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.post(path, None, f"multipart/form-data; boundary={boundary}", b"".join(parts))

    def fill_dog_declaration(self):
        self.start()
        for number, fields in enumerate((OWNER, DOG, CHANGE, ADDITIONAL), start=1):
            response = self.page(number, fields)
            assert response.status_code == 303, response.body.decode()[:3000]

    def send(self):
        return self.post(f"/drafts/{self.draft_id}/send", {"csrf_token": self.csrf})


@pytest.fixture
def filler(client, idp):
    return Filler(client, sign_in(client, idp))


def submissions():
    from chalicelib.models.forms import SubmissionModel

    return list(SubmissionModel.scan())  # scan-ok: test inspection


def drafts_stored():
    from chalicelib.models.forms import DraftModel

    return list(DraftModel.scan())  # scan-ok: test inspection


def s3_keys():
    import boto3

    listed = boto3.client("s3", region_name="eu-north-1").list_objects_v2(Bucket="eservices-test-attachments")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_go_to_the_eservice_needs_sign_in_and_returns_to_the_form(client):
    response = client.get("/e-services/dog-declaration/form")
    assert response.headers["Location"] == "/sign-in?next=%2Fe-services%2Fdog-declaration%2Fform"


def test_the_first_page_is_prefilled_and_identity_fields_are_read_only(filler):
    body = filler.start().body.decode()
    assert re.search(r'id="field-personal_identity_code"[^>]*value="210281-9988"[^>]*readonly', body)
    assert re.search(r'id="field-last_name"[^>]*value="Testaaja"[^>]*readonly', body)
    assert 'value="testaaja@example.fi"' in body  # from the profile, editable
    assert "Required fields are marked with an asterisk (*)." in body
    assert 'aria-current="step"' in body
    assert drafts_stored() == []  # nothing is stored before the first save


def test_identity_fields_cannot_be_changed_by_posting_them(filler):
    filler.start()
    filler.page(1, {**OWNER, "personal_identity_code": "131052-308T", "last_name": "Someone"})
    (draft,) = drafts_stored()
    assert draft.answers["personal_identity_code"] == "210281-9988" and draft.answers["last_name"] == "Testaaja"


def test_errors_show_at_the_fields_and_in_a_summary_and_input_is_kept(filler):
    filler.start()
    response = filler.page(1, {**OWNER, "postal_code": "1234", "email": "<script>x</script>", "street_address": ""})
    assert response.status_code == 400
    body = response.body.decode()
    assert 'id="error-summary"' in body
    assert 'href="#field-postal_code"' in body and 'href="#field-street_address"' in body
    assert 'id="field-postal_code-error"' in body and "Give a postal code of five digits." in body
    assert 'value="1234"' in body and 'value="&lt;script&gt;x&lt;/script&gt;"' in body
    assert "<script>x</script>" not in body
    (draft,) = drafts_stored()  # what was typed is kept in the draft, nothing is lost
    assert draft.answers["postal_code"] == "1234"


def test_errors_in_the_visitors_language(client, idp):
    filler = Filler(client, sign_in(client, idp), lang="sv")
    filler.start()
    body = filler.page(1, {**OWNER, "postal_code": "x"}).body.decode()
    assert '<html lang="sv"' in body and "Give a postal code" not in body


def test_next_and_previous_keep_answers_and_every_page_can_be_revisited(filler):
    filler.start()
    assert filler.page(1, OWNER).headers["Location"] == f"/drafts/{filler.draft_id}/pages/2"
    response = filler.page(2, {**DOG, "breed": ""}, action="previous")  # errors do not stop going back
    assert response.headers["Location"] == f"/drafts/{filler.draft_id}/pages/1"
    assert 'value="Testikatu 1"' in filler.get(f"/drafts/{filler.draft_id}/pages/1").body.decode()
    assert 'value="Musti"' in filler.get(f"/drafts/{filler.draft_id}/pages/2").body.decode()


def test_save_as_draft_on_any_page_and_continue_after_signing_in_again(client, idp):
    sid = sign_in(client, idp)
    filler = Filler(client, sid)
    filler.start()
    filler.page(1, OWNER)
    saved = filler.page(2, {"dog_name": "Rekku"}, action="save")
    assert saved.status_code == 200 and "The draft was saved" in saved.body.decode()
    # Signed out and in again (a new session): the draft continues where it was left.
    again = Filler(client, sign_in(client, idp, register=False))
    response = again.get(f"/drafts/{filler.draft_id}")
    assert response.headers["Location"] == f"/drafts/{filler.draft_id}/pages/2"
    assert 'value="Rekku"' in again.get(response.headers["Location"]).body.decode()
    folder = again.get("/folder").body.decode()
    assert "Dog declaration" in folder and f"/drafts/{filler.draft_id}" in folder


def test_the_summary_groups_answers_by_page_with_links_to_edit(filler):
    filler.fill_dog_declaration()
    body = filler.get(f"/drafts/{filler.draft_id}/pages/5").body.decode()
    for number, title in enumerate(["Owner information", "Dog information", "Change information"], start=1):
        assert f"{number}. {title}" in body
        assert f'href="/drafts/{filler.draft_id}/pages/{number}"' in body
    assert "1.2.2020" in body and "Male" in body and "Musti" in body
    assert "Which details changed?" not in body  # a hidden field is not summarised


def test_sending_gives_an_item_number_and_moves_the_form_to_the_folder(filler):
    filler.fill_dog_declaration()
    response = filler.send()
    body = response.body.decode()
    item = re.search(r"The sending of the form was successful and you can follow its status using the item number (\d{6})\.", body).group(1)
    (submission,) = submissions()
    assert submission.item_number == item and submission.status == "sent" and submission.owner_id
    assert submission.answers["dog_name"] == "Musti" and "change_description" not in submission.answers
    from chalicelib.models.forms import EventModel

    assert [e.status for e in EventModel.query(item)] == ["sent"]
    folder = filler.get("/folder").body.decode()
    assert f"Dog declaration ({item})" in folder and "Sent" in folder
    assert f"/drafts/{filler.draft_id}" not in folder  # the draft is gone from the folder
    assert filler.get(f"/drafts/{filler.draft_id}/pages/1").status_code == 404


def test_sending_twice_creates_exactly_one_submission(filler):
    filler.fill_dog_declaration()
    first = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    second = re.search(r"item number (\d{6})", filler.send().body.decode()).group(1)
    assert first == second and len(submissions()) == 1


@pytest.mark.race
def test_item_numbers_are_unique_under_concurrency(aws):
    from chalicelib.forms.sending import next_item_number

    # moto applies each request atomically, as DynamoDB does (the `aws` fixture), so this checks our
    # side: an atomic ADD, never a read-then-write (which would repeat numbers even so).
    numbers: list[str] = []
    lock = threading.Lock()

    def take(count):
        for _ in range(count):
            number = next_item_number()
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=take, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 200 and len(set(numbers)) == 200
    assert sorted(numbers) == [f"{n:06d}" for n in range(1, 201)]


@pytest.mark.race
def test_parallel_sends_of_one_draft_make_one_submission(client, idp):
    filler = Filler(client, sign_in(client, idp))
    filler.fill_dog_declaration()
    from chalicelib.forms import drafts, sending
    from chalicelib.forms.store import form_for

    owner = drafts.Owner(drafts_stored()[0].owner_id, "x")
    results, errors = [], []

    def send_once():
        try:
            results.append(sending.send(form_for("dog-declaration"), drafts.load(owner, filler.draft_id),
                                        sender_id=owner.owner_id, sent_by="x", language="fi").item_number)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=send_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(submissions()) == 1
    assert set(results) == {submissions()[0].item_number}


def test_an_incomplete_form_cannot_be_sent(filler):
    filler.start()
    filler.page(1, OWNER)
    response = filler.send()
    assert response.status_code == 400
    assert "Some required answers are missing" in response.body.decode()
    assert submissions() == []


def test_send_button_only_when_valid_for_flagged_forms(filler):
    filler.start("copies-of-certificates")
    filler.page(1, {}, action="save")
    body = filler.get(f"/drafts/{filler.draft_id}/pages/4").body.decode()
    assert "The Send button appears when every required answer is given." in body
    assert f'action="/drafts/{filler.draft_id}/send"' not in body


def test_health_care_forms_go_to_the_division_never_to_the_folder(filler):
    from chalicelib.forms.store import form_for

    form = form_for("dental-care")
    filler.accept_agreement("dental-care")
    filler.start("dental-care")
    answers = {}
    for f in form.fields():
        if f.readonly or not f.required:
            continue
        answers[f.name] = {"choice": f.options[0].value if f.options else "", "checkbox": "yes", "email": "a@example.fi",
                           "phone": "+358401234567", "date": "1.1.2027", "number": "1"}.get(f.type, "Vastaus")
    for number, page in enumerate(form.pages, start=1):
        filler.page(number, {f.name: answers.get(f.name, "") for f in page.fields if not f.readonly and f.type != "attachment" and f.type != "multichoice"})
    body = filler.send().body.decode()
    item = re.search(r"item number (\d{6})", body).group(1)
    assert "not saved in the e-services folder" in body
    (submission,) = submissions()
    assert submission.health_care and submission.owner_id is None and submission.item_number == item
    assert item not in filler.get("/folder").body.decode()


@pytest.mark.parametrize("page", ["0", "6", "-1", "01", "x", "1.5", "99999999999999999999"])
def test_tampered_page_numbers_are_not_found(filler, page):
    filler.fill_dog_declaration()
    assert filler.get(f"/drafts/{filler.draft_id}/pages/{page}").status_code == 404
    assert filler.page(page, {}).status_code == 404


def test_unknown_field_names_are_refused_and_nothing_changes(filler):
    filler.fill_dog_declaration()
    before = drafts_stored()[0].answers
    response = filler.page(2, {**DOG, "dog_name": "Changed", "is_admin": "yes"})
    assert response.status_code == 400 and "fields it does not have" in response.body.decode()
    assert drafts_stored()[0].answers == before


def test_wrong_choice_values_and_over_long_answers_are_errors(filler):
    filler.start()
    filler.page(1, OWNER)
    body = filler.page(2, {**DOG, "sex": "dragon", "dog_name": "x" * 51}).body.decode()
    assert "Choose from the options given." in body and "at most 50 characters" in body


def test_a_form_that_does_not_exist_is_not_found(filler):
    assert filler.get("/e-services/no-such-service/form").status_code == 404
    filler.start()
    filler.new = "no-such-service"
    assert filler.page(1, OWNER).status_code == 404
    assert drafts_stored() == []


def test_an_eservice_without_a_form_says_so(filler):
    assert filler.get("/e-services/resident-parking-permit/form").status_code == 503


def test_another_customers_draft_answers_like_a_missing_one(client, idp):
    mine = Filler(client, sign_in(client, idp))
    mine.fill_dog_declaration()
    theirs = Filler(client, sign_in(client, idp, ORGANISATION_USER))
    theirs.get("/")
    for path in (f"/drafts/{mine.draft_id}", f"/drafts/{mine.draft_id}/pages/2", f"/drafts/{mine.draft_id}/remove"):
        assert theirs.get(path).status_code == 404
    theirs.draft_id = mine.draft_id
    assert theirs.page(2, DOG).status_code == 404
    assert theirs.send().status_code == 404
    assert theirs.post(f"/drafts/{mine.draft_id}/remove", {"csrf_token": theirs.csrf}).status_code == 404
    assert len(drafts_stored()) == 1 and drafts_stored()[0].answers["dog_name"] == "Musti"


def test_a_draft_expires_ninety_days_after_it_was_last_saved(client, idp, clock):
    """Each look is in a new session, signed in after the clock moved (a session ends after 12 hours,
    long before a draft), so the page's 404 and the folder's silence come from the draft's expiry."""
    filler = Filler(client, sign_in(client, idp))
    filler.start()
    filler.page(1, OWNER, action="save")

    def look_after(**delta):
        clock.advance(**delta)
        again = Filler(client, sign_in(client, idp, register=False))
        again.draft_id = filler.draft_id
        page = again.get(f"/drafts/{filler.draft_id}/pages/1")
        listed = f"/drafts/{filler.draft_id}" in again.get("/folder").body.decode()
        return again, page.status_code, listed

    again, status, listed = look_after(days=89, hours=23)
    assert (status, listed) == (200, True)
    saved = again.page(1, {**OWNER, "street_address": "Testikatu 2"}, action="save")
    assert saved.status_code == 200  # saved on day 89: kept until day 179
    _, status, listed = look_after(days=89, hours=23)
    assert (status, listed) == (200, True)
    _, status, listed = look_after(hours=2)
    assert (status, listed) == (404, False)
    # Still stored (DynamoDB's TTL deletion may lag by days): the portal itself stops showing it.
    assert [d.draft_id for d in drafts_stored()] == [filler.draft_id]


def test_a_session_that_expires_while_a_form_is_open_loses_nothing(client, idp, clock):
    sid = sign_in(client, idp)
    filler = Filler(client, sid)
    filler.start()
    filler.page(1, OWNER)
    filler.get(f"/drafts/{filler.draft_id}/pages/2")
    clock.advance(hours=2, minutes=1)
    response = filler.page(2, {**DOG, "dog_name": "Typed before the timeout"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/sign-in?next=%2Fdrafts%2F{filler.draft_id}%2Fpages%2F2&notice=timeout"
    resume_cookie = next(c for c in response.headers["Set-Cookie"] if c.startswith("resume=")).split(";")[0]
    new_sid = sign_in(client, idp, register=False)
    back = client.get(f"/drafts/{filler.draft_id}/pages/2", headers={"Cookie": f"sid={new_sid}; lang=en; {resume_cookie}"})
    body = back.body.decode()
    assert back.status_code == 200 and "Your answers were kept" in body
    assert 'value="Typed before the timeout"' in body
    assert drafts_stored()[0].answers["dog_name"] == "Typed before the timeout"


class TestAttachments:
    PDF = b"%PDF-1.4\n" + b"0" * 100

    def _to_page_four(self, filler):
        filler.start()
        for number, fields in enumerate((OWNER, DOG, CHANGE), start=1):
            filler.page(number, fields)

    def test_a_pdf_is_stored_encrypted_under_an_unguessable_key_with_a_clean_name(self, filler):
        self._to_page_four(filler)
        response = filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("..\\..\\rokotus\u202etodistus <b>.pdf", self.PDF)})
        assert response.status_code == 303
        (attachment,) = drafts_stored()[0].attachments
        assert attachment.name == "rokotustodistus _b_.pdf" and attachment.content_type == "application/pdf"
        assert re.fullmatch(r"attachments/[0-9a-f]{32}", attachment.s3_key)
        import boto3

        head = boto3.client("s3", region_name="eu-north-1").head_object(Bucket="eservices-test-attachments", Key=attachment.s3_key)
        assert head["ServerSideEncryption"] == "AES256"
        assert "rokotustodistus _b_.pdf" in filler.get(f"/drafts/{filler.draft_id}/pages/5").body.decode()

    def test_exactly_2_mb_is_accepted_and_one_byte_more_is_refused(self, filler):
        self._to_page_four(filler)
        limit = 2 * 1024 * 1024
        ok = filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("a.pdf", self.PDF + b"0" * (limit - len(self.PDF)))}, action="upload")
        assert ok.status_code == 200
        too_big = filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("b.pdf", self.PDF + b"0" * (limit + 1 - len(self.PDF)))})
        assert too_big.status_code == 400 and "The file is larger than 2 MB." in too_big.body.decode()
        assert len(drafts_stored()[0].attachments) == 1 and len(s3_keys()) == 1

    @pytest.mark.parametrize("name, content", [
        ("virus.pdf", b"MZ\x90\x00" + b"0" * 100),  # a Windows program calling itself a PDF
        ("page.pdf", b"<html><script>alert(1)</script></html>"),
        ("empty.pdf", b""),
        ("image.gif", b"GIF89a" + b"0" * 50),
    ])
    def test_files_that_lie_about_their_type_are_refused(self, filler, name, content):
        self._to_page_four(filler)
        response = filler.multipart(4, ADDITIONAL, {"vaccination_certificate": (name, content)})
        if content:
            assert response.status_code == 400 and "The file type is not allowed" in response.body.decode()
            assert drafts_stored()[0].attachments == [] and s3_keys() == []

    def test_add_the_file_shows_no_errors_for_the_fields_not_filled_in_yet(self, filler):
        self._to_page_four(filler)
        nothing_yet = {**ADDITIONAL, "dog_count": "", "information_correct": ""}
        added = filler.multipart(4, nothing_yet, {"vaccination_certificate": ("a.pdf", self.PDF)}, action="upload")
        assert added.status_code == 200
        assert 'id="error-summary"' not in added.body.decode() and len(drafts_stored()[0].attachments) == 1
        refused = filler.multipart(4, nothing_yet, {"vaccination_certificate": ("b.pdf", b"MZ\x90\x00" + b"0" * 100)}, action="upload")
        body = refused.body.decode()
        assert refused.status_code == 400 and "The file type is not allowed" in body
        assert 'href="#field-dog_count"' not in body and 'href="#field-information_correct"' not in body
        assert filler.page(4, nothing_yet).status_code == 400  # Next still checks every field

    def test_removing_a_draft_deletes_its_files(self, filler):
        self._to_page_four(filler)
        filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("a.pdf", self.PDF)})
        assert len(s3_keys()) == 1
        confirm = filler.get(f"/drafts/{filler.draft_id}/remove")
        assert "cannot be restored" in confirm.body.decode()
        response = filler.post(f"/drafts/{filler.draft_id}/remove", {"csrf_token": filler.csrf})
        assert response.headers["Location"] == "/folder?removed=1"
        assert drafts_stored() == [] and s3_keys() == []

    def test_removing_one_attachment(self, filler):
        self._to_page_four(filler)
        filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("a.pdf", self.PDF)}, action="upload")
        attachment_id = drafts_stored()[0].attachments[0].attachment_id
        response = filler.page(4, {**ADDITIONAL, "remove_attachment": attachment_id}, action="")
        assert response.status_code == 200
        assert drafts_stored()[0].attachments == [] and s3_keys() == []

    def test_a_malformed_multipart_body_is_a_clear_400(self, filler):
        self._to_page_four(filler)
        response = filler.post(f"/drafts/{filler.draft_id}/pages/4", None, "multipart/form-data; boundary=abc", b"--abc\r\ngarbage")
        assert response.status_code == 400

    def test_files_are_never_served_back(self, filler):
        self._to_page_four(filler)
        filler.multipart(4, ADDITIONAL, {"vaccination_certificate": ("a.pdf", self.PDF)})
        key = drafts_stored()[0].attachments[0].s3_key
        assert filler.get(f"/{key}").status_code in (403, 404)


def test_the_field_check_endpoint_uses_the_servers_rules(filler):
    filler.start()
    response = filler.post("/e-services/dog-declaration/form/check", {"field": "postal_code", "value": "123", "csrf_token": filler.csrf})
    import json

    assert json.loads(response.body) == {"error": "Give a postal code of five digits."}
    ok = filler.post("/e-services/dog-declaration/form/check", {"field": "postal_code", "value": "00100", "csrf_token": filler.csrf})
    assert json.loads(ok.body) == {"error": None}
    assert filler.post("/e-services/dog-declaration/form/check", {"field": "personal_identity_code", "value": "x", "csrf_token": filler.csrf}).status_code == 404


def test_autosave_saves_without_validating(filler):
    filler.start()
    response = filler.post(f"/drafts/{filler.draft_id}/autosave",
                           {"csrf_token": filler.csrf, "new": "dog-declaration", "page": "1", **OWNER, "postal_code": "12"})
    import json

    assert json.loads(response.body)["saved"] is True
    assert drafts_stored()[0].answers["postal_code"] == "12"


def test_a_page_posted_to_a_draft_sent_meanwhile_is_not_found_and_changes_nothing(client, idp, monkeypatch):
    """Another tab sends the draft between this post's read and its write: the post answers 404, as a
    sent draft's page does, never a 500, and the sent marker stays as sending left it."""
    filler = Filler(client, sign_in(client, idp))
    filler.fill_dog_declaration()
    from chalicelib.forms import drafts, pages

    (stored,) = drafts_stored()
    stale = drafts.load(drafts.Owner(stored.owner_id, "x"), filler.draft_id)  # read before the send
    assert filler.send().status_code == 200
    monkeypatch.setattr(pages, "open_draft", lambda owner, draft_id: stale)
    response = filler.page(1, OWNER)
    assert response.status_code == 404
    (marker,) = drafts_stored()
    assert marker.sent_item_number and marker.answers == {}
