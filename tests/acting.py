"""Test helpers for the step after identification (issue 17): whom the person acts for.

``through_choice`` follows a sign-in's redirect to /act-for: the round trips to the e-Authorizations
stand-in, then the choice page (where a person with principals, such as Nordea Testaaja, chooses
themselves) or its skip, and returns the answer that sends the person on to where they were going.
``in_process_authorizations`` routes the portal's calls to the stand-in to the same app in process.
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

BASE = "http://localhost:8000"


def in_process_authorizations(monkeypatch, client) -> None:
    from chalicelib.authorizations import port

    def transport(method, url, body, headers):
        path = url[len(BASE):] if url.startswith(BASE) else urlparse(url).path
        answer = client.get(path, headers=headers) if method == "GET" else client.post(path, body=body or b"", headers=headers)
        return port.HttpAnswer(answer.status_code, answer.body)

    monkeypatch.setattr(port, "transport", transport)


def stand_in_data(monkeypatch, extra: dict) -> None:
    """The e-Authorizations stand-in answers from ``extra`` (delegate's code -> persons and
    companies, as in dev_principals.json) first, then from its file, for this test."""
    from chalicelib.authorizations import standin

    real = standin.delegate_data
    monkeypatch.setattr(standin, "delegate_data", lambda code: extra.get(code) or real(code))


def through_choice(get, post, response, principal: str = "self"):
    """``get(path)`` and ``post(path, fields)`` send with the person's cookies. Returns the 303 that
    leaves the choice step (choosing ``principal``, a choice's ref, where there is a choice: oneself
    unless said; a corporate customer with one company has none)."""
    for _ in range(12):
        location = response.headers.get("Location", "")
        location = location[len(BASE):] if location.startswith(BASE) else location
        if response.status_code == 200 and 'action="/act-for"' in response.body.decode():
            page = response.body.decode()
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            next_path = re.search(r'name="next" value="([^"]*)"', page).group(1)
            import html

            notice = re.search(r'name="notice" value="([^"]*)"', page)
            return post("/act-for", {"csrf_token": csrf, "principal": principal, "next": html.unescape(next_path),
                                     **({"notice": notice.group(1)} if notice else {})})
        if response.status_code != 303 or not (location.startswith("/act-for") or location.startswith("/dev-authorizations")):
            return response
        response = get(location)
    raise AssertionError("the choice step did not end")


def landing(path: str, customer: str = "personal", **params) -> str:
    """Where a sign-in sends a person: first whom to act for (issue 17), with the return page as
    ``next``; a corporate customer, once the company is chosen (``through_choice``), to the page."""
    from urllib.parse import urlencode

    if customer == "personal":
        return "/act-for?" + urlencode({"next": path, **params})
    return path + ("?" + urlencode(params) if params else "")
