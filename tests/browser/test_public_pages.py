"""A visitor in Chromium: front page, catalogue search, a service description, language switch;
axe-core finds no WCAG 2.1 A/AA violations on any of them."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, click_and_wait, new_context

pytestmark = pytest.mark.browser


def test_a_visitor_finds_a_service_and_reads_it_in_another_language(portal, page):
    page.goto(f"{portal}/")
    assert page.locator("html").get_attribute("lang") == "fi"
    expect(page.locator("h1")).to_have_text("Helsingin kaupungin asiointipalvelut")
    assert_accessible(page)

    page.get_by_label("Hakusana").fill("koira")
    click_and_wait(page, page.get_by_role("button", name="Hae"), url=re.compile(r"/e-services\?q=koira"))
    results = page.locator(".service-list__name")
    assert "Koirailmoitus" in results.all_text_contents()
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("link", name=re.compile(r"^Lisää palvelusta\W+Koirailmoitus$")),
                   url=re.compile(r"/e-services/dog-declaration$"))
    expect(page.locator("h1")).to_have_text("Koirailmoitus")
    page.locator("summary", has_text="Vaihtoehtoiset asiointitavat").click()
    expect(page.get_by_role("link", name="Koirailmoitus (PDF-lomake)")).to_be_visible()
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("navigation", name="Kieli").get_by_role("link", name="Svenska"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("h1")).to_have_text("Hundanmälan")
    assert_accessible(page)

    # The choice is remembered on the next page.
    click_and_wait(page, page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="E-tjänster"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("h1")).to_have_text("E-tjänster")


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize(
    "path",
    ["/", "/e-services", "/e-services?topic=daycare-education&group=personal", "/e-services?q=zzzzqqq",
     "/e-services/social-assistance", "/instructions", "/sign-in", "/feedback", "/e-services/none"],
)
def test_public_pages_have_no_accessibility_violations(portal, page, language, path):
    separator = "&" if "?" in path else "?"
    page.goto(f"{portal}{path}{separator}lang={language}")
    assert_accessible(page)


def test_the_feedback_form_shows_errors_accessibly_and_keeps_input(portal, page):
    page.goto(f"{portal}/?lang=en")
    page.get_by_label("E-mail address (optional)").fill("not-an-address")
    click_and_wait(page, page.get_by_role("button", name="Send feedback"))
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.get_by_label("E-mail address (optional)")).to_have_value("not-an-address")
    assert_accessible(page)
    page.locator("#feedback-message").fill("Selkeä palvelu.")
    page.get_by_label("E-mail address (optional)").fill("")
    click_and_wait(page, page.get_by_role("button", name="Send feedback"))
    expect(page.locator("h1")).to_have_text("Thank you for your feedback")


def test_text_size_and_phone_menu(portal, browser):
    context = new_context(browser, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{portal}/?lang=en")
        assert page.locator(".main-menu--wide").is_hidden()
        page.locator("summary", has_text="Menu").click()
        click_and_wait(page, page.get_by_role("link", name="E-services", exact=True).last)
        expect(page.locator("h1")).to_have_text("E-services")
        click_and_wait(page, page.get_by_role("link", name="Largest text size"))
        expect(page.locator("html")).to_have_attribute("class", "text-size-xl")
        assert_accessible(page)
    finally:
        context.close()
