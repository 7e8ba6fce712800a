"""A resident signs in in Chromium through the portal and its development identity provider,
registers, reads My profile, edits it and signs out; axe-core checks every page on the way."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    choose_self_if_asked,
    click_and_wait,
    continue_to_the_service,
    sign_in_with_bank_codes,
)
from tests.conftest import served_portal

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal():
    """A portal of its own: the first test is Nordea Testaaja's first sign-in, whatever other browser
    tests did with her on the shared portal (the acting-on-behalf journey registers her)."""
    with served_portal("sign-in") as (base_url, _):
        yield base_url


def test_a_resident_signs_in_with_bank_codes_registers_and_signs_out(portal, page):
    page.goto(f"{portal}/e-services/dog-declaration?lang=en")
    click_and_wait(page, page.get_by_role("link", name="Sign in: e-services"))
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("link", name="Sign in as a personal customer"))

    # The provider's screens: bank access codes, Nordea, user ID and code.
    click_and_wait(page, page.locator("form[action$='/dev-idp/bank'] button"))
    click_and_wait(page, page.get_by_role("button", name="Nordea"))
    page.locator("#user-id").fill("123456")
    page.locator("#code").fill("1234")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    expect(page.get_by_text("The identification was successful")).to_be_visible()
    continue_to_the_service(page)

    # First sign-in: registration.
    assert page.url.endswith("/register")
    expect(page.locator("h1")).to_have_text("Registration")
    click_and_wait(page, page.get_by_role("button", name="Register"))  # nothing filled in: errors
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-mail address", exact=True).fill("nordea.testaaja@example.fi")
    page.locator("label[for=methods-email]").click()
    page.locator("label[for=language-en]").click()
    page.locator("label[for=consent-yes]").click()
    click_and_wait(page, page.get_by_role("button", name="Register"))
    choose_self_if_asked(page)  # whom to act for (issue 17), then the front page
    assert re.search(r"/\?notice=registered$", page.url), page.url

    expect(page.locator("h1")).to_have_text("Welcome, Portaalia Nordea Testaaja")
    assert page.locator("dialog#session-warning").count() == 1 and not page.locator("dialog#session-warning").is_visible()
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My profile"))
    expect(page.locator("main")).to_contain_text("210281-9988")
    expect(page.locator("main")).to_contain_text("21.2.1981")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("link", name="Edit"))
    assert_accessible(page)
    page.get_by_label("Mobile phone number").fill("+358 40 123 0001")
    page.locator("label[for=methods-sms]").click()
    click_and_wait(page, page.get_by_role("button", name="Save"))
    expect(page.locator("main")).to_contain_text("+358401230001")

    click_and_wait(page, page.get_by_role("button", name="Sign out").first, url=re.compile(r"/signed-out(\?state=[\w-]+)?$"))
    expect(page.locator("main")).to_contain_text("close all browser windows")
    assert_accessible(page)
    page.goto(f"{portal}/profile")
    page.wait_for_url(re.compile(r"/sign-in\?next="))


def test_back_after_sign_out_shows_no_personal_page_and_only_the_preferences_stay(portal, page):
    """A shared computer (issue 15): after signing out, Back asks the portal again (every page is
    no-store) and lands on the sign-in page; of the portal's cookies only language and text size stay."""
    sign_in_with_bank_codes(page, portal, email="back@example.fi")
    page.goto(f"{portal}/profile?text=l")  # a preference that must outlive the sign-out
    expect(page.locator("main")).to_contain_text("210281-9988")
    assert {c["name"] for c in page.context.cookies()} >= {"sid", "lang", "textsize"}

    with page.expect_response(re.compile(r"/signed-out(\?state=[\w-]+)?$")) as answer:
        click_and_wait(page, page.get_by_role("button", name="Sign out").first, url=re.compile(r"/signed-out(\?state=[\w-]+)?$"))
    assert answer.value.all_headers()["clear-site-data"] == '"cache", "storage"'
    # The development identity provider's own cookie (its path, another site in production) aside.
    left = {c["name"]: c["value"] for c in page.context.cookies() if not c["path"].startswith("/dev-idp")}
    # the preferences, and the marker that makes the next sign-in ask who is there (prompt=login)
    assert set(left) == {"lang", "textsize", "reauth"} and left["reauth"] == "login"

    with page.expect_navigation(url=re.compile(r"/sign-in\?next=")):
        page.go_back()
    expect(page.locator("main")).not_to_contain_text("210281-9988")
    expect(page.locator("main")).not_to_contain_text("Testaaja")
    expect(page.locator("html")).to_have_attribute("class", "text-size-l")
