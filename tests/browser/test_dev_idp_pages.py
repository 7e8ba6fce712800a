"""The development identity provider's screens in Chromium: every screen and error state has no
WCAG 2.1 A/AA violations (axe-core) at desktop and phone size and no sideways scrolling on a phone, the flows work without JavaScript, and with JavaScript the
success page continues to the service by itself after 3 seconds."""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_and_wait, new_context, problems_at_every_size

pytestmark = pytest.mark.browser


def redirect_uri(portal: str) -> str:
    """The registered redirect URI: scripts/local_stack.py sets the portal's own address per port."""
    return f"{portal}/auth/callback"


def assert_accessible(page):
    problems = problems_at_every_size(page)
    assert problems == [], f"{page.url}: {problems}"
    assert page.locator("h1").count() == 1


def authorize_url(portal: str, language: str = "en", **overrides) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(12)
    params = {
        "client_id": "city-eservices-portal",
        "redirect_uri": redirect_uri(portal),
        "response_type": "code",
        "scope": "openid profile",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "ui_locales": language,
        **overrides,
    }
    return f"{portal}/dev-idp/authorize?{urlencode(params)}", state


@pytest.fixture
def no_js_page(browser):
    context = new_context(browser, java_script_enabled=False)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_bank_screens_are_accessible(portal, page, language):
    url, _ = authorize_url(portal, language)
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page)
    click_and_wait(page, page.locator("form[action$='/dev-idp/bank'] button"), url=re.compile(r"/dev-idp/bank$"))
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Nordea"), url=re.compile(r"/dev-idp/bank/nordea$"))
    assert_accessible(page)
    page.locator("#user-id").fill("123456")
    page.locator("#code").fill("0000")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#user-id")).to_have_value("123456")
    assert_accessible(page)
    click_and_wait(page, page.locator(".devidp-tabs a").nth(1), url=re.compile(r"tab=card"))
    assert_accessible(page)


def test_personal_methods_error_states_are_accessible(portal, page):
    url, _ = authorize_url(portal, "en")
    page.goto(url)
    click_and_wait(page, page.get_by_role("button", name="Mobile certificate"))
    assert_accessible(page)
    page.get_by_label("Phone number").fill("123")
    click_and_wait(page, page.get_by_role("button", name="Send"))
    page.locator("#error-summary").wait_for()
    assert_accessible(page)
    page.get_by_label("Phone number").fill("+358401230000")
    click_and_wait(page, page.get_by_role("button", name="Send"))
    page.locator(".devidp-number-code").wait_for()
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="I accepted the request on my phone"))
    page.get_by_text("The identification with mobile ID was interrupted.").wait_for()
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Choose another identification method"))
    click_and_wait(page, page.get_by_role("button", name="Certificate card"))
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="OK"))
    page.locator("#error-summary").wait_for()
    assert_accessible(page)


def test_katso_and_the_invalid_request_page_are_accessible(portal, page):
    url, _ = authorize_url(portal, "fi", acr_values="corporate")
    page.goto(url)
    assert_accessible(page)
    page.locator("#username").fill("testiyritys-kayttaja")
    page.locator("#password").fill("wrong")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    bad, _ = authorize_url(portal, "en", client_id="nobody")
    response = page.goto(bad)
    assert response.status == 400
    assert_accessible(page)


def test_success_continues_by_itself_with_javascript(portal, page):
    arrived = []

    def callback(route):
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>callback</title><h1>ok</h1>")

    page.route(re.compile("^" + re.escape(redirect_uri(portal))), callback)
    url, state = authorize_url(portal, "en", acr_values="corporate")
    page.goto(url)
    page.locator("#username").fill("esimerkkiyhdistys-paakayttaja")
    page.locator("#password").fill("katso1234")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    expect(page.locator("h2", has_text="The identification was successful")).to_be_visible()
    assert_accessible(page)
    page.wait_for_url(re.compile("^" + re.escape(redirect_uri(portal))))  # by itself, after 3 seconds
    query = parse_qs(urlsplit(arrived[0]).query)
    assert set(query) == {"code", "state"} and query["state"] == [state]


def test_everything_works_without_javascript(portal, no_js_page):
    page = no_js_page
    url, state = authorize_url(portal, "en")
    page.goto(url)
    click_and_wait(page, page.get_by_role("button", name="Certificate card"))
    page.locator("label[for=certificate-nordea-testaaja]").click()  # HDS draws the radio on the label
    page.get_by_label("PIN 1").fill("1234")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="OK").click()
    button = page.get_by_role("link", name="Continue to the service")
    expect(button).to_be_visible()
    # Nothing continues by itself without JavaScript: no page can leave by itself but through a
    # Refresh header or a <meta http-equiv="refresh">, and the success page has neither.
    assert "refresh" not in navigation.value.all_headers()
    assert page.locator("meta[http-equiv='refresh' i]").count() == 0
    assert "/dev-idp/" in page.url
    href = button.get_attribute("href")
    assert href.startswith(redirect_uri(portal) + "?") and parse_qs(urlsplit(href).query)["state"] == [state]
