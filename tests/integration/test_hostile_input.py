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


# Issue 15: JSON bodies, draft ids, security headers, the site icon.

def _api_post(client, world, body: bytes, path="/api/v1/submissions/{item}/messages"):
    return client.post(path.format(item=world["item"]), body=body,
                       headers={"Authorization": f"Bearer {world['keys']['DX']}", "Content-Type": "application/json"})


@pytest.mark.parametrize("body", [
    b"[" * 5000 + b"]" * 5000,                                  # RecursionError in json.loads
    b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"text": "' + b"{" * 5000 + b'"}',                        # brackets inside a string are text, not depth
    b'{"text": "\xff\xfe caf\xe9"}',                            # not UTF-8
    b'{"text": "\\ud800"}',                                     # a lone surrogate
    b'{"text": ' + b"9" * 5000 + b"}",                          # past Python's 4,300-digit limit
    b"\xef\xbb\xbf{\"text\": \"BOM\"}", b"", b"\x00", b"{\"text\": \"x\"" + b" " * 1000,
], ids=["deep-array", "deep-field", "brackets-in-string", "not-utf8", "lone-surrogate", "long-number", "bom", "empty",
        "nul", "truncated"])
@pytest.mark.parametrize("path", ["/api/v1/submissions/{item}/messages", "/api/v1/submissions/{item}/status"])
def test_hostile_json_bodies_are_problems_never_500(client, world, body, path):  # noqa: F811
    response = _api_post(client, world, body, path)
    assert response.status_code in (201, 400, 422), (response.status_code, response.body[:200])
    assert response.headers["Content-Type"] in ("application/json", "application/problem+json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.status_code >= 400:
        problem = json.loads(response.body)
        assert problem["status"] == response.status_code and problem["title"]


def test_deep_json_is_400_problem_json_before_parsing(client, world):  # noqa: F811
    response = _api_post(client, world, b'{"text": "x", "author_name": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "nested deeper" in json.loads(response.body)["errors"][0]["message"]


def test_a_json_body_over_8_mb_is_413(client, world):  # noqa: F811
    response = _api_post(client, world, b'{"text": "' + b"x" * (8 * 1024 * 1024) + b'"}')
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("draft_id", ["x" * 900, "z" * 32, "zz-not-a-uuid", "A" * 32, "a" * 31, "a" * 33, "%00", "..",
                                      "b" * 31 + "\u0661"])
def test_a_draft_id_that_is_not_one_the_portal_makes_never_becomes_a_draft(client, world, draft_id):  # noqa: F811
    from chalicelib.models.forms import DraftModel

    a = world["people"]["A"]
    before = {d.draft_id for d in DraftModel.query(a["profile_id"])}
    headers = {"Cookie": f"sid={a['sid']}; lang=en"}
    path = quote(draft_id, safe="")
    autosave = post(client, f"/drafts/{path}/autosave", {"page": "1", "new": "dog-declaration", "csrf_token": a["csrf"]},
                    headers)
    page = post(client, f"/drafts/{path}/pages/1", {"new": "dog-declaration", "action": "save", "csrf_token": a["csrf"]},
                headers)
    # Every draft route answers the same for such an id: 404, as for a draft that does not exist.
    answers = {autosave.status_code, page.status_code}
    for route in ("", "/pages/1", "/remove"):
        answers.add(client.get(f"/drafts/{path}{route}", headers=headers).status_code)
    answers.add(post(client, f"/drafts/{path}/remove", {"csrf_token": a["csrf"]}, headers).status_code)
    answers.add(post(client, f"/drafts/{path}/send", {"csrf_token": a["csrf"]}, headers).status_code)
    assert answers == {404}
    assert {d.draft_id for d in DraftModel.query(a["profile_id"])} == before


def test_the_site_icon_is_served_and_linked(client, world):  # noqa: F811
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.headers["Cache-Control"] == "public, max-age=86400"
    assert icon.headers["X-Content-Type-Options"] == "nosniff"
    body = icon.body.decode() if isinstance(icon.body, bytes) else icon.body
    assert body.startswith("<svg") and "<script" not in body
    page = client.get("/", headers={"Cookie": "lang=fi"}).body.decode()
    from chalicelib.web.assets import hashed_name

    assert f'<link rel="icon" href="/static/{hashed_name("favicon.svg")}" type="image/svg+xml">' in page


def test_security_headers_on_answers_no_route_builds_itself(client, world):  # noqa: F811
    """A 404 of the static handler, the API's 401, a redirect and a JSON answer of a page route."""
    a = world["people"]["A"]
    from chalicelib.web.responses import SECURITY_HEADERS

    for response in (client.get("/static/nothing.css"), client.get("/api/v1/submissions"),
                     client.get("/profile"), client.get("/session/status", headers={"Cookie": f"sid={a['sid']}"})):
        assert {k: response.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, response.status_code


# Issue 15: how many files. A single-file field took 54 files in one post, 30 posts left 1,624
# references on one draft, a complement took 30 files at once.

PDF = b"%PDF-1.4\n" + b"0" * 100


def _multipart(client, path, sid, fields, files):
    boundary = "hostile-files"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n" for name, filename, content in files]
    parts.append(f"--{boundary}--\r\n".encode())
    return client.post(path, body=b"".join(parts),
                       headers={"Cookie": f"sid={sid}; lang=fi", "Content-Type": f"multipart/form-data; boundary={boundary}"})


PAGE_FOUR = {"additional_info": "Kirjoitettu ennen liitteitä", "dog_count": "1", "information_correct": "yes"}


def test_a_single_file_field_takes_one_file_in_one_post_or_many(client, world):  # noqa: F811
    from chalicelib.models.forms import DraftModel

    a = world["people"]["A"]
    path = f"/drafts/{world['draft']}/pages/4"
    many = _multipart(client, path, a["sid"], {"csrf_token": a["csrf"], "action": "upload", **PAGE_FOUR},
                      [("vaccination_certificate", f"{n}.pdf", PDF) for n in range(54)])
    body = many.body.decode()
    assert many.status_code == 400 and "Tähän kohtaan voi lisätä yhden tiedoston." in body
    assert "Kirjoitettu ennen liitteitä" in body  # what was typed is shown again, and stored
    assert "Yksi tiedosto." in body and " multiple" not in body  # the field says how many it takes
    draft = DraftModel.get(a["profile_id"], world["draft"])
    assert draft.attachments == [] and draft.answers["additional_info"] == "Kirjoitettu ennen liitteitä"
    for n in range(30):
        answer = _multipart(client, path, a["sid"], {"csrf_token": a["csrf"], "action": "upload", **PAGE_FOUR},
                            [("vaccination_certificate", f"{n}.pdf", PDF)])
        assert answer.status_code == (200 if n == 0 else 400)
    assert len(DraftModel.get(a["profile_id"], world["draft"]).attachments) == 1


@pytest.mark.parametrize("route", ["complement", "reply"])
def test_a_complement_or_reply_takes_at_most_10_files(client, world, route):  # noqa: F811
    from chalicelib.models.forms import EventModel

    a = world["people"]["A"]
    path = (f"/folder/{world['item']}/complement" if route == "complement"
            else f"/folder/{world['item']}/messages/{world['thread']}")
    before = len(list(EventModel.query(world["item"])))
    many = _multipart(client, path, a["sid"], {"csrf_token": a["csrf"], "text": "Tässä liitteet"},
                      [("files", f"{n}.pdf", PDF) for n in range(30)])
    body = many.body.decode()
    assert many.status_code == 400 and "Voit lähettää kerralla enintään 10 tiedostoa." in body
    assert "Tässä liitteet" in body  # the text is kept
    if route == "complement":
        assert "Enintään 10 tiedostoa, yhteensä enintään 15 Mt." in body
    assert len(list(EventModel.query(world["item"]))) == before
    ten = _multipart(client, path, a["sid"], {"csrf_token": a["csrf"], "text": "Tässä liitteet"},
                     [("files", f"{n}.pdf", PDF) for n in range(10)])
    assert ten.status_code == 303
    assert [len(e.attachments) for e in EventModel.query(world["item"])][-1] == 10


def test_cursors_nested_1500_deep_are_refused_not_500(client, world):  # noqa: F811
    """The cursors are JSON too (base64): a forged one nested past the parser's recursion limit."""
    import base64

    a = world["people"]["A"]
    deep = base64.urlsafe_b64encode(b"[" * 1200).decode().rstrip("=")
    api = client.get(f"/api/v1/submissions?cursor={deep}", headers={"Authorization": f"Bearer {world['keys']['DX']}"})
    assert api.status_code == 400 and api.headers["Content-Type"] == "application/problem+json"
    folder = client.get(f"/folder?c={deep}", headers={"Cookie": f"sid={a['sid']}"})
    assert folder.status_code == 200  # a cursor the folder did not give: page 1


@pytest.mark.parametrize("link, arrives", [
    ("/sign-in/start?customer=personal&next=/%E3%80%82evil.example", "/%E3%80%82evil.example"),
    ("/sign-in/start?customer=personal&next=/%C3%A4iti", "/%C3%A4iti"),
    ("/sign-in/start?customer=personal&next=%2F%E3%80%82", "/%E3%80%82"),
])
def test_non_ascii_return_paths_through_the_sign_in(client, idp, link, arrives):
    """The issue 15 links, through the callback: the session is set and the Location is plain ASCII."""
    from urllib.parse import parse_qsl, urlsplit

    from tests.fake_idp import _set_cookies, sign_in

    sign_in(client, idp)  # registered: the callback goes to whom-to-act-for (issue 17), then the return path
    started = client.get(link)
    params = idp.authorize(started.headers["Location"])
    answer = client.get(f"/auth/callback?{urlencode(params)}", headers={"Cookie": f"signin={_set_cookies(started)['signin']}"})
    assert answer.status_code == 303 and "sid" in _set_cookies(answer)
    from urllib.parse import unquote

    from tests.acting import landing

    assert answer.headers["Location"] == landing(unquote(arrives)) and answer.headers["Location"].isascii()
    assert dict(parse_qsl(urlsplit(link).query))["next"].startswith("/")
