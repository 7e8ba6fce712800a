"""The one URL helper, return-path safety and the stage prefix API Gateway adds."""
from __future__ import annotations

import pytest

from chalicelib.web.request import WebRequest, parse_cookies, parse_form, BadRequest
from chalicelib.web.urls import safe_return_path, url


def test_url_adds_the_base_path_and_query():
    assert url("", "/e-services") == "/e-services"
    assert url("/api", "/e-services", q="koira ä", topic=None) == "/api/e-services?q=koira+%C3%A4"


@pytest.mark.parametrize("path, expected", [
    ("/\u3002evil.example", "/%E3%80%82evil.example"),  # the ideographic full stop: never a host
    ("/äiti", "/%C3%A4iti"),
    ("/e-services?q=ä b&x=1#top", "/e-services?q=%C3%A4%20b&x=1#top"),
    ("/%C3%A4iti", "/%C3%A4iti"),  # already encoded: kept
    ('/a"<b>', "/a%22%3Cb%3E"),
])
def test_url_percent_encodes_what_is_not_ascii(path, expected):
    """What url() writes goes into Location headers and links: plain ASCII, always (issue 15)."""
    assert url("", path) == expected
    assert url("/api", path, next=path).isascii()


@pytest.mark.parametrize("bad", ["e-services", "//evil.example", "https://evil.example/"])
def test_url_refuses_anything_but_a_portal_path(bad):
    with pytest.raises(ValueError):
        url("", bad)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/e-services/dog-declaration/form", "/e-services/dog-declaration/form"),
        ("/folder?page=2", "/folder?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/%0d%0aSet-Cookie", "/%0d%0aSet-Cookie"),
        ("/a\r\nLocation: x", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 600, "/"),
    ],
)
def test_safe_return_path(value, expected):
    assert safe_return_path(value) == expected


class FakeChaliceRequest:
    def __init__(self, event_path, context_path):
        self.method = "GET"
        self.context = {"path": context_path}
        self.query_params = None
        self.headers = {"Cookie": "lang=sv; broken; textsize=l"}
        self.raw_body = b""
        self._event = {"path": event_path} if event_path else {}

    def to_original_event(self):
        return self._event


def test_the_stage_prefix_is_derived_from_api_gateway_paths():
    request = WebRequest.from_chalice(FakeChaliceRequest("/e-services", "/api/e-services"))
    assert (request.base_path, request.path) == ("/api", "/e-services")


def test_no_prefix_under_chalice_local():
    request = WebRequest.from_chalice(FakeChaliceRequest(None, "/e-services"))
    assert (request.base_path, request.path) == ("", "/e-services")
    assert request.cookies == {"lang": "sv", "textsize": "l"}


def test_cookie_parsing_skips_malformed_pairs():
    assert parse_cookies('a=1; =x; b; c="quoted"; a=2') == {"a": "1", "c": "quoted"}


def test_form_parsing_replaces_invalid_utf8_and_limits_fields():
    assert parse_form(b"message=\xff\xfe&email=") == {"message": "\ufffd\ufffd", "email": ""}
    with pytest.raises(BadRequest):
        parse_form("&".join(f"f{i}=1" for i in range(500)).encode())
