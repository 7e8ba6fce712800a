"""What a new user stumbles on (issue 20), in Chromium: each case failed before its fix."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (SIZES, at_the_bank, click_and_wait, problems_at_every_size,
                                    sign_in_with_bank_codes, text_sizes_that_overflow)
from tests.conftest import served_portal

pytestmark = pytest.mark.browser
@pytest.fixture(scope="module")
def portal():
    """A portal of its own: nobody has registered yet."""
    with served_portal("new-user") as (base_url, _):
        yield base_url


LONG_EMAIL = "firstname.middlename.lastname.with.a.long.address@department.example-municipality.fi"


def set_email(page, portal: str, email: str) -> None:
    page.goto(f"{portal}/profile/edit?lang=en")
    page.get_by_label("E-mail address", exact=True).fill(email)
    click_and_wait(page, page.get_by_role("button", name="Save"), url=re.compile(r"/profile\?saved=1$"))


def test_a_long_email_on_my_profile_wraps_at_every_text_size_on_a_phone(portal, page):
    sign_in_with_bank_codes(page, portal, "234567", "asa@example.fi")
    set_email(page, portal, LONG_EMAIL)
    page.set_viewport_size(SIZES["phone"])
    for size in ("m", "l", "xl"):
        page.goto(f"{portal}/profile?lang=en&text={size}")
        expect(page.locator("html")).to_have_class(f"text-size-{size}")  # what the check below sets
        expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
        assert text_sizes_that_overflow(page) == []
    assert problems_at_every_size(page) == []


def test_registration_errors_follow_the_page_and_registering_is_confirmed_once(portal, page):
    page.goto(f"{portal}/sign-in/start?customer=personal&lang=en")
    at_the_bank(page, "123456")
    click_and_wait(page, page.get_by_role("button", name="Register"))  # nothing filled in
    summary = page.locator("#error-summary li")
    expect(summary).to_have_count(3)
    assert [text.split(":")[0] for text in summary.all_inner_texts()] == [
        "E-mail address", "Notification method", "Consent"]  # the page's order: consent is the last field
    email = page.get_by_label("E-mail address", exact=True)
    hint = page.locator("#email-help").inner_text()
    error = page.locator("#email-error").inner_text()
    assert hint not in error, (hint, error)  # the error says what is wrong, the hint what to give

    email.fill("nordea@example.fi")
    page.locator("label[for=methods-email]").click()
    page.locator("label[for=consent-yes]").click()
    click_and_wait(page, page.get_by_role("button", name="Register"))
    expect(page.get_by_text("Registration complete", exact=True)).to_be_visible()
    click_and_wait(page, page.get_by_role("navigation", name="Language").get_by_role("link", name="Suomi"))
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_text("Rekisteröityminen on valmis")).to_have_count(0)
    click_and_wait(page, page.get_by_role("link", name="Suurin tekstin koko"))
    expect(page.get_by_text("Rekisteröityminen on valmis")).to_have_count(0)


def test_the_changes_saved_notice_does_not_come_back_after_switching_language_or_text_size(portal, page):
    sign_in_with_bank_codes(page, portal, "345678", "matti@example.fi")
    set_email(page, portal, "matti.perhe@example.fi")
    expect(page.get_by_text("Your changes were saved")).to_be_visible()
    click_and_wait(page, page.get_by_role("link", name="Largest text size"))
    expect(page.locator("html")).to_have_class("text-size-xl")
    expect(page.get_by_text("Your changes were saved")).to_have_count(0)
    set_email(page, portal, "matti.perhe@example.fi")
    click_and_wait(page, page.get_by_role("navigation", name="Language").get_by_role("link", name="Svenska"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator(".hds-notification--success")).to_have_count(0)
