"""A resident signs in in Chromium through the portal and its development identity provider,
registers, reads My profile, edits it and signs out; axe-core checks every page on the way."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_a_resident_signs_in_with_bank_codes_registers_and_signs_out(portal, page):
    page.goto(f"{portal}/e-services/dog-declaration?lang=en")
    page.get_by_role("link", name="Sign in: e-services").click()
    assert_accessible(page)
    page.get_by_role("link", name="Sign in as a personal customer").click()

    # The provider's screens: bank access codes, Nordea, user ID and code.
    page.locator("form[action$='/dev-idp/bank'] button").click()
    page.get_by_role("button", name="Nordea").click()
    page.locator("#user-id").fill("123456")
    page.locator("#code").fill("1234")
    page.locator("button[name=action][value=ok]").click()
    page.get_by_text("The identification was successful").wait_for()
    page.get_by_role("link", name="Continue to the service").click()

    # First sign-in: registration.
    page.wait_for_url(re.compile(r"/register$"))
    assert page.locator("h1").inner_text() == "Registration"
    page.get_by_role("button", name="Register").click()  # nothing filled in: errors
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page)
    page.get_by_label("E-mail address", exact=True).fill("nordea.testaaja@example.fi")
    page.locator("label[for=methods-email]").click()
    page.locator("label[for=language-en]").click()
    page.locator("label[for=consent-yes]").click()
    page.get_by_role("button", name="Register").click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Welcome, Portaalia Nordea Testaaja"
    assert page.locator("dialog#session-warning").count() == 1 and not page.locator("dialog#session-warning").is_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My profile").click()
    assert "210281-9988" in page.locator("main").inner_text()
    assert "21.2.1981" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Edit").click()
    assert_accessible(page)
    page.get_by_label("Mobile phone number").fill("+358 40 123 0001")
    page.locator("label[for=methods-sms]").click()
    page.get_by_role("button", name="Save").click()
    assert "+358401230001" in page.locator("main").inner_text()

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/signed-out$"))
    assert "close all browser windows" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(f"{portal}/profile")
    page.wait_for_url(re.compile(r"/sign-in\?next="))
