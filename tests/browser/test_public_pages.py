"""A visitor in Chromium: front page, catalogue search, a service description, language switch;
axe-core finds no WCAG 2.1 A/AA violations on any of them."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_a_visitor_finds_a_service_and_reads_it_in_another_language(portal, page):
    page.goto(f"{portal}/")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator("h1").inner_text() == "Helsingin kaupungin asiointipalvelut"
    assert_accessible(page)

    page.get_by_label("Hakusana").fill("koira")
    page.get_by_role("button", name="Hae").click()
    page.wait_for_url(re.compile(r"/e-services\?q=koira"))
    results = page.locator(".service-list__name")
    assert "Koirailmoitus" in results.all_text_contents()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(r"^Lisää palvelusta\W+Koirailmoitus$")).click()
    page.wait_for_url(re.compile(r"/e-services/dog-declaration$"))
    assert page.locator("h1").inner_text() == "Koirailmoitus"
    page.locator("summary", has_text="Vaihtoehtoiset asiointitavat").click()
    assert page.get_by_role("link", name="Koirailmoitus (PDF-lomake)").is_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Kieli").get_by_role("link", name="Svenska").click()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Hundanmälan"
    assert_accessible(page)

    # The choice is remembered on the next page.
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="E-tjänster").click()
    assert page.locator("html").get_attribute("lang") == "sv"


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
    page.get_by_role("button", name="Send feedback").click()
    assert page.locator("#error-summary").is_visible()
    assert page.get_by_label("E-mail address (optional)").input_value() == "not-an-address"
    assert_accessible(page)
    page.locator("#feedback-message").fill("Selkeä palvelu.")
    page.get_by_label("E-mail address (optional)").fill("")
    page.get_by_role("button", name="Send feedback").click()
    assert page.locator("h1").inner_text() == "Thank you for your feedback"


def test_text_size_and_phone_menu(portal, browser):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{portal}/?lang=en")
        assert page.locator(".main-menu--wide").is_hidden()
        page.locator("summary", has_text="Menu").click()
        page.get_by_role("link", name="E-services", exact=True).last.click()
        assert page.locator("h1").inner_text() == "E-services"
        page.get_by_role("link", name="Largest text size").click()
        assert page.locator("html").get_attribute("class") == "text-size-xl"
        assert_accessible(page)
    finally:
        context.close()
