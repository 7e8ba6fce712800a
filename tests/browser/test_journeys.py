"""Whole journeys in Chromium: an organisation's shared folder, the session timeout, a phone, and the
keyboard alone."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import at_the_bank, axe_violations, sign_in_with_bank_codes, sign_in_with_katso
from tests.conftest import served_portal

pytestmark = pytest.mark.browser


def new_page(browser, **options):
    context = browser.new_context(bypass_csp=True, **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture(scope="module")
def organisation_portal():
    # Its own portal: the personal sign-in here registers Nordea Testaaja, whom other suites register.
    with served_portal("organisation") as (base_url, _):
        yield base_url


def test_two_people_of_an_organisation_share_its_folder_and_a_personal_sign_in_does_not(organisation_portal, browser):
    portal = organisation_portal
    first_context, first = new_page(browser)
    second_context, second = new_page(browser)
    personal_context, personal = new_page(browser)
    try:
        sign_in_with_katso(first, portal, "testiyritys-paakayttaja")
        first.goto(f"{portal}/e-services/arts-and-culture-grants/form?lang=en")
        first.get_by_role("button", name="Save as draft").click()
        first.get_by_text("The draft was saved", exact=True).wait_for()
        sign_in_with_katso(second, portal, "testiyritys-kayttaja")
        second.goto(f"{portal}/folder?lang=en")
        assert "arts and culture grants" in second.locator("main").inner_text().lower()
        second.goto(f"{portal}/?lang=en")
        assert "You are signed in for Testiyritys Oy." in second.locator("main").inner_text()
        sign_in_with_bank_codes(personal, portal, "123456")  # Nordea Testaaja is also Testiyritys Oy's main user
        personal.goto(f"{portal}/folder?lang=en")
        drafts = personal.locator("section[aria-labelledby=drafts-title]").inner_text()
        assert "arts and culture grants" not in drafts.lower()
    finally:
        for context in (first_context, second_context, personal_context):
            context.close()


def test_the_timeout_warning_continue_and_nothing_lost_when_it_runs_out(browser):
    # A portal of its own whose sessions last 40 seconds, with the warning 30 seconds before the end.
    with served_portal("short-sessions", PORTAL_SESSION_IDLE_SECONDS="40", PORTAL_SESSION_WARNING_SECONDS="30") as (portal, _):
        context, page = new_page(browser)
        try:
            sign_in_with_bank_codes(page, portal, "234567")
            page.goto(f"{portal}/profile?lang=en")
            dialog = page.locator("dialog#session-warning")
            dialog.wait_for(state="visible", timeout=25_000)
            assert "You will soon be signed out" in dialog.inner_text()
            assert axe_violations(page) == []
            dialog.get_by_role("button", name="Continue").click()
            dialog.wait_for(state="hidden")
            status = page.evaluate("fetch('/session/status').then(r => r.json())")
            assert status["signed_in"] and status["seconds_left"] > 30

            page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
            page.get_by_label("Street address").fill("Kirjoitettu ennen aikakatkaisua 7")
            # Let it run out: the page posts what is in the form, the person signs in again and is back.
            page.wait_for_url(re.compile(r"/sign-in\?"), timeout=90_000)
            assert page.locator(".announcements", has_text="You were signed out").is_visible()
            page.get_by_role("link", name="Sign in as a personal customer").click()
            at_the_bank(page, "234567")
            page.wait_for_url(re.compile(r"/drafts/[0-9a-f]{32}/pages/1"))
            assert page.get_by_text("Your answers were kept").is_visible()
            assert page.get_by_label("Street address").input_value() == "Kirjoitettu ennen aikakatkaisua 7"
        finally:
            context.close()


def test_a_journey_on_a_phone_through_the_menu(portal, browser):
    context, page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        sign_in_with_bank_codes(page, portal, "345678")
        assert page.locator(".main-menu--wide").is_hidden()
        page.locator("summary", has_text="Menu").click()
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="E-services").click()
        page.wait_for_url(re.compile(r"/e-services$"))
        page.get_by_label("Search word").fill("dog")
        page.get_by_role("button", name="Search", exact=True).click()
        page.wait_for_url(re.compile(r"q=dog"))
        page.get_by_role("link", name=re.compile(r"^More about the service\W+Dog declaration$")).click()
        assert page.locator("h1").inner_text() == "Dog declaration"
        page.locator("summary", has_text="Menu").click()
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My profile").click()
        assert "My profile" in page.locator("h1").inner_text()
        assert axe_violations(page) == []
    finally:
        context.close()


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching ``selector`` has the focus (after any navigation settles)."""
    from playwright.sync_api import Error

    page.wait_for_load_state()
    for _ in range(limit):
        try:
            if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
                return
        except Error:  # a navigation started by the last key is still under way
            page.wait_for_load_state()
            continue
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus")


def test_signing_in_and_a_whole_form_with_the_keyboard_only(portal, browser):
    context, page = new_page(browser)
    try:
        page.goto(f"{portal}/sign-in?lang=en")
        tab_to(page, "a[href*='customer=personal']")
        page.keyboard.press("Enter")
        tab_to(page, "form[action$='/dev-idp/card'] button")
        page.keyboard.press("Enter")
        # Åsa, not Nordea Testaaja (whose first sign-in test_sign_in.py checks): Tab reaches the radio
        # group, the arrow keys choose within it.
        tab_to(page, "input[name=certificate]")
        for _ in range(5):
            if page.evaluate("() => document.activeElement.value") == "asa-testare":
                break
            page.keyboard.press("ArrowDown")
        assert page.evaluate("() => document.activeElement.checked && document.activeElement.value") == "asa-testare"
        tab_to(page, "#pin")
        page.keyboard.type("1234")
        page.keyboard.press("Enter")
        # "The identification was successful": the page continues by itself after 3 seconds; Enter on
        # the focused "Continue to the service" link does the same at once.
        page.get_by_text("The identification was successful").wait_for()
        try:
            tab_to(page, "a[data-auto-continue]", limit=10)
            page.keyboard.press("Enter")
        except AssertionError:
            pass  # it already continued by itself
        page.wait_for_url(re.compile(r"/(register)?$"))
        if page.url.endswith("/register"):
            tab_to(page, "#email")
            page.keyboard.type("keyboard@example.fi")
            tab_to(page, "#methods-email")
            page.keyboard.press("Space")
            tab_to(page, "#language-en")
            page.keyboard.press("Space")
            tab_to(page, "#consent-yes")
            page.keyboard.press("Space")
            tab_to(page, "form[action$='/register'] button[type=submit]")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/$"))

        page.goto(f"{portal}/e-services/referee-fee?lang=en")
        tab_to(page, "a.go-to-service")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/form$"))
        from chalicelib.forms.store import form_for

        form = form_for("referee-fee")
        for number, form_page in enumerate(form.pages, start=1):
            for field in form_page.fields:
                if field.readonly or not field.required or field.condition or field.type == "attachment":
                    continue
                if field.type in ("choice", "multichoice"):
                    tab_to(page, f"#{field.name}-{field.options[0].value}")
                    page.keyboard.press("Space")
                elif field.type == "checkbox":
                    tab_to(page, f"#field-{field.name}")
                    page.keyboard.press("Space")
                else:
                    tab_to(page, f"#field-{field.name}")
                    page.keyboard.press("Control+A")
                    page.keyboard.type({"email": "a@example.fi", "phone": "+358401234567", "date": "1.6.2026",
                                        "number": "1", "postal_code": "00100"}.get(field.type, "Vastaus"))
            tab_to(page, "button.eform__next")
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(rf"/pages/{number + 1}$"))
        tab_to(page, "form[action$='/send'] button")
        page.keyboard.press("Enter")
        assert re.search(r"item number \d{6}", page.locator(".sent-message").inner_text())
    finally:
        context.close()
