"""A corpus of hostile inputs through every kind of field and parameter: the answer is always a clear
error or harmless text, never a 500, never stored markup that runs, never lost data."""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from tests.integration.test_access_matrix import world  # noqa: F401 (a fixture)

CORPUS = [
    "<script>alert(1)</script>", "\"><script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>", "';alert(1)//", "javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "&lt;script&gt;", "<b>bold</b>", "{{7*7}}", "{% for x in range(9) %}x{% endfor %}", "${7*7}", "#{7*7}", "<%= 7*7 %>",
    "{{ config }}", "%s%s%s%n", "{0}{1}", "' OR '1'='1", "1; DROP TABLE profiles;--", "*)(uid=*))(|(uid=*",
    "<!DOCTYPE x [<!ENTITY y SYSTEM 'file:///etc/passwd'>]><x>&y;</x>", "$(rm -rf /)", "`id`", "../../etc/passwd",
    "..\\..\\windows\\system32", "%2e%2e%2f%2e%2e%2f", "//evil.example/", "https://evil.example/", "/\\evil.example",
    "\r\nSet-Cookie: sid=attacker", "line1\nline2\r\nline3", "\x00\x01\x02", "\x1b[31mred\x1b[0m", "\u202eevil\u202c",
    "zero\u200bwidth\u200djoiner", "e" + "\u0301" * 50, "\ufeffBOM", "👍🏽🇫🇮", "Ｈｅｌｌｏ", "раураl", "ÅÄÖåäöİı",
    "lentokonesuihkuturbiinimoottoriapumekaanikkoaliupseerioppilas", "", "   ", "\t\t", "null", "undefined", "true",
    "[]", "{}", '"}', "0", "-1", "99999999999999999999", "1e309", "NaN", "-0", "x" * 10_000, "ä" * 5_000,
    # Return paths with non-ASCII characters (issue 15): once written raw into Location
    "/\u3002evil.example", "/äiti", "/\u3002",
]


def status_ok(response):
    assert response.status_code < 500, response.body[:300]
    return response


def no_live_markup(response, value):
    body = response.body.decode("utf-8", errors="replace") if isinstance(response.body, bytes) else response.body
    if "<" in value and any(tag in value for tag in ("<script", "<img", "<svg", "<iframe", "<b>")):
        assert value not in body, "markup echoed unescaped"


def post(client, path, fields, headers):
    return client.post(path, body=urlencode(fields), headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("value", CORPUS, ids=range(len(CORPUS)))
def test_hostile_input_everywhere(client, world, value):  # noqa: F811 (the imported fixture)
    a = world["people"]["A"]
    signed = {"Cookie": f"sid={a['sid']}; lang=en"}
    csrf = a["csrf"]
    anonymous = {"Cookie": "lang=en"}

    # Query parameters and path parameters
    for path in (f"/e-services?{urlencode({'q': value, 'topic': value, 'group': value, 'resident': value})}",
                 f"/e-services/{quote(value, safe='')}", f"/sign-in?{urlencode({'next': value, 'customer': value})}",
                 f"/feedback/thanks?{urlencode({'back': value})}", f"/signed-out?{urlencode({'reason': value})}"):
        no_live_markup(status_ok(client.get(path, headers=anonymous)), value)
    for path in (f"/folder?{urlencode({'q': value, 'sort': value, 'page': value})}", f"/folder/{quote(value, safe='')}",
                 f"/drafts/{quote(value, safe='')}/pages/1", f"/drafts/{world['draft']}/pages/{quote(value, safe='')}"):
        no_live_markup(status_ok(client.get(path, headers=signed)), value)

    # A return path, for someone signed in: the Location is a same-site path in plain ASCII
    back = status_ok(client.get(f"/sign-in?{urlencode({'next': value})}", headers=signed))
    assert back.status_code == 303 and back.headers["Location"].isascii()
    assert back.headers["Location"].startswith("/") and not back.headers["Location"].startswith(("//", "/\\"))

    # Cookies
    status_ok(client.get("/", headers={"Cookie": f"lang={quote(value)}; textsize={quote(value)}; sid={quote(value)}"}))

    # The feedback form (anonymous): kept as text, escaped when shown
    feedback = status_ok(post(client, "/feedback", {"message": value, "email": value, "page": value, "token": "a" * 32}, anonymous))
    no_live_markup(feedback, value)

    # My profile's edit form
    no_live_markup(status_ok(post(client, "/profile/edit", {"email": value, "phone": value, "methods": value,
                                                            "language": value, "csrf_token": csrf}, signed)), value)

    # A form page: saved as typed (nothing lost), escaped when shown again
    saved = status_ok(post(client, f"/drafts/{world['draft']}/pages/2", {
        "dog_name": value, "breed": value, "sex": value, "birth_date": value, "microchip": value, "action": "save",
        "csrf_token": csrf}, signed))
    no_live_markup(saved, value)
    from chalicelib.forms.drafts import HARD_LIMIT
    from chalicelib.models.forms import DraftModel

    stored = DraftModel.get(a["profile_id"], world["draft"]).answers["dog_name"]
    assert stored == value[:HARD_LIMIT]
    no_live_markup(status_ok(client.get(f"/drafts/{world['draft']}/pages/5", headers=signed)), value)

    # The folder: a complement and a reply
    for path in (f"/folder/{world['item']}/complement", f"/folder/{world['item']}/messages/{world['thread']}"):
        no_live_markup(status_ok(post(client, path, {"text": value, "csrf_token": csrf}, signed)), value)
    no_live_markup(status_ok(client.get(f"/folder/{world['item']}", headers=signed)), value)

    # Forged CSRF tokens change nothing
    assert post(client, "/profile/edit", {"email": "x@example.fi", "csrf_token": value}, signed).status_code == 403

    # The division API: JSON fields and query parameters
    key = {"Authorization": f"Bearer {world['keys']['DX']}"}
    message = client.post(f"/api/v1/submissions/{world['item']}/messages", body=json.dumps({"text": value}),
                          headers={**key, "Content-Type": "application/json"})
    assert message.status_code in (201, 422), message.body
    status_ok(client.post(f"/api/v1/submissions/{world['item']}/status", body=value.encode("utf-8", "surrogatepass"),
                          headers={**key, "Content-Type": "application/json"}))
    status_ok(client.get(f"/api/v1/submissions?{urlencode({'service': value, 'cursor': value, 'status': value})}", headers=key))
    status_ok(client.get(f"/api/v1/submissions/{quote(value, safe='')}", headers=key))
    status_ok(client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {value}"}))


FILENAMES = ["../../etc/passwd", "..\\..\\boot.ini", "<script>.pdf", "nul\x00byte.pdf", "\u202egnp.pdf", "CON.pdf",
             "a" * 500 + ".pdf", "", ".pdf", "файл.pdf", "line\r\nbreak.pdf"]


@pytest.mark.parametrize("filename", FILENAMES)
def test_hostile_file_names_are_sanitised(client, world, filename):  # noqa: F811
    a = world["people"]["A"]
    boundary = "hostile"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{a['csrf']}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nLiite\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode("utf-8") + b"%PDF-1.4 x\r\n" + f"--{boundary}--\r\n".encode()
    response = client.post(f"/folder/{world['item']}/complement", body=body,
                           headers={"Cookie": f"sid={a['sid']}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code < 500
    from chalicelib.models.forms import EventModel

    for event in EventModel.query(world["item"]):
        for attachment in event.attachments or []:
            assert "/" not in attachment.name and "\\" not in attachment.name and "<" not in attachment.name
            assert all(ch.isprintable() for ch in attachment.name) and len(attachment.name) <= 100


@pytest.mark.parametrize("body, content_type", [
    (b"--x\r\ngarbage", "multipart/form-data; boundary=x"),
    (b"no boundary at all", "multipart/form-data"),
    (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + b"v" * 100 + b"\r\n--x", "multipart/form-data; boundary=x"),
    (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
    (b"{\"a\":", "application/json"),
    (b"x=1", "text/plain"),
])
def test_malformed_bodies_and_wrong_content_types(client, world, body, content_type):  # noqa: F811
    a = world["people"]["A"]
    for path in (f"/folder/{world['item']}/complement", f"/drafts/{world['draft']}/pages/2", "/feedback", "/profile/edit"):
        response = client.post(path, body=body, headers={"Cookie": f"sid={a['sid']}", "Content-Type": content_type})
        assert response.status_code in (400, 403, 415), (path, response.status_code)


@pytest.mark.parametrize("link, arrives", [
    ("/sign-in/start?customer=personal&next=/%E3%80%82evil.example", "/%E3%80%82evil.example"),
    ("/sign-in/start?customer=personal&next=/%C3%A4iti", "/%C3%A4iti"),
    ("/sign-in/start?customer=personal&next=%2F%E3%80%82", "/%E3%80%82"),
])
def test_non_ascii_return_paths_through_the_sign_in(client, idp, link, arrives):
    """The issue 15 links, through the callback: the session is set and the Location is plain ASCII."""
    from urllib.parse import parse_qsl, urlsplit

    from tests.fake_idp import _set_cookies, sign_in

    sign_in(client, idp)  # registered: the callback goes straight back to the return path
    started = client.get(link)
    params = idp.authorize(started.headers["Location"])
    answer = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"signin={_set_cookies(started)['signin']}"})
    assert answer.status_code == 303 and "sid" in _set_cookies(answer)
    assert answer.headers["Location"] == arrives
    assert dict(parse_qsl(urlsplit(link).query))["next"].startswith("/")
