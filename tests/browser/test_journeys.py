"""Whole journeys in Chromium: an organisation's shared folder, the session timeout, a phone, and the
keyboard alone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (at_the_bank, axe_violations, back_from_the_provider, click_and_wait, new_context,
                                    press_and_wait, register, sign_in_with_bank_codes, sign_in_with_katso)
from tests.conftest import served_portal

pytestmark = pytest.mark.browser


def new_page(browser, **options):
    context = new_context(browser, **options)
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
        click_and_wait(first, first.get_by_role("button", name="Save as draft"))
        expect(first.get_by_text("The draft was saved", exact=True)).to_be_visible()
        sign_in_with_katso(second, portal, "testiyritys-kayttaja")
        second.goto(f"{portal}/folder?lang=en")
        expect(second.locator("main")).to_contain_text(re.compile("arts and culture grants", re.IGNORECASE))
        second.goto(f"{portal}/?lang=en")
        expect(second.locator("main")).to_contain_text(re.compile(r"You are acting for Testiyritys Oy \(Business ID \d{7}-\d\)\."))
        expect(second.locator(".account__for")).to_contain_text("for Testiyritys Oy (Business ID")
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
            expect(dialog).to_be_visible(timeout=40_000)  # by 30 s before the 40-second session ends
            assert "You will soon be signed out" in dialog.inner_text()
            assert axe_violations(page) == []
            dialog.get_by_role("button", name="Continue").click()  # JavaScript: no new page
            expect(dialog).to_be_hidden()
            status = page.evaluate("fetch('/session/status').then(r => r.json())")
            assert status["signed_in"] and status["seconds_left"] > 30

            page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
            page.get_by_label("Street address").fill("Kirjoitettu ennen aikakatkaisua 7")
            # Let it run out: the page posts what is in the form, the person signs in again and is back.
            # (the ceiling: the 40-second session's end, plus a loaded machine)
            page.wait_for_url(re.compile(r"/sign-in\?"), timeout=90_000)
            expect(page.locator(".announcements", has_text="You were signed out")).to_be_visible()
            click_and_wait(page, page.get_by_role("link", name="Sign in as a personal customer"))
            at_the_bank(page, "234567")
            assert re.search(r"/drafts/[0-9a-f]{32}/pages/1", page.url)
            expect(page.get_by_text("Your answers were kept")).to_be_visible()
            expect(page.get_by_label("Street address")).to_have_value("Kirjoitettu ennen aikakatkaisua 7")
        finally:
            context.close()


def test_on_a_shared_computer_the_next_person_gets_nothing_of_a_timed_out_form(browser):
    """Issue 15: A types a health description into the dental-care form and walks away; the page
    posts it at the timeout; B signs in on the same browser and sees nothing of it, anywhere."""
    with served_portal("shared-computer", PORTAL_SESSION_IDLE_SECONDS="40", PORTAL_SESSION_WARNING_SECONDS="30") as (portal, _):
        context, page = new_page(browser)
        secret = "Hammas särkee yöllä, Burana 600"
        try:
            sign_in_with_bank_codes(page, portal, "234567", email="asa@example.fi")
            page.goto(f"{portal}/e-services/dental-care/form?lang=en")  # first, the electronic agreement
            page.locator("label[for=accept-agreement]").click()
            click_and_wait(page, page.get_by_role("button", name="Accept and continue"), url=re.compile(r"/form$"))
            page.locator("label[for=visit_reason-pain]").click()  # the description shows for a reason like this
            page.get_by_label("Describe the problem").fill(secret)
            page.wait_for_url(re.compile(r"/sign-in\?"), timeout=90_000)  # the page posted the form itself
            assert "resume" in {c["name"] for c in context.cookies()}
            click_and_wait(page, page.get_by_role("link", name="Sign in as a personal customer"))
            at_the_bank(page, "123456")  # B: Nordea Testaaja, a first sign-in
            register(page, "b@example.fi")  # lands on the front page, not on A's form
            assert "resume" not in {c["name"] for c in context.cookies()}
            expect(page.locator("main")).not_to_contain_text(secret)
            for path in ("/folder?lang=en", "/profile/my-data?lang=en"):
                page.goto(f"{portal}{path}")
                expect(page.locator("main")).not_to_contain_text("Burana")
                expect(page.locator("main")).not_to_contain_text("dental", ignore_case=True)
        finally:
            context.close()


def test_a_journey_on_a_phone_through_the_menu(portal, browser):
    context, page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        sign_in_with_bank_codes(page, portal, "345678")
        assert page.locator(".main-menu--wide").is_hidden()
        page.locator("summary", has_text="Menu").click()
        click_and_wait(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="E-services"),
                       url=re.compile(r"/e-services$"))
        page.get_by_label("Search word").fill("dog")
        click_and_wait(page, page.get_by_role("button", name="Search", exact=True), url=re.compile(r"q=dog"))
        click_and_wait(page, page.get_by_role("link", name=re.compile(r"^More about the service\W+Dog declaration$")))
        expect(page.locator("h1")).to_have_text("Dog declaration")
        page.locator("summary", has_text="Menu").click()
        click_and_wait(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My profile"))
        expect(page.locator("h1")).to_contain_text("My profile")
        assert axe_violations(page) == []
    finally:
        context.close()


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching ``selector`` has the focus. Called on a page that has
    loaded: every key that loads another page is pressed with ``press_and_wait``."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus")


def test_signing_in_and_a_whole_form_with_the_keyboard_only(portal, browser):
    context, page = new_page(browser)
    try:
        page.goto(f"{portal}/sign-in?lang=en")
        tab_to(page, "a[href*='customer=personal']")
        press_and_wait(page, "Enter")
        tab_to(page, "form[action$='/dev-idp/card'] button")
        press_and_wait(page, "Enter")
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
        press_and_wait(page, "Enter")
        # "The identification was successful": the page continues by itself after 3 seconds (no key
        # needed; a key pressed on its link could race that timer).
        expect(page.get_by_text("The identification was successful")).to_be_visible()
        page.wait_for_url(back_from_the_provider)
        assert re.search(r"/(register)?$", page.url), page.url
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
            press_and_wait(page, "Enter")
            assert re.search(r"/\?notice=registered$", page.url), page.url

        page.goto(f"{portal}/e-services/referee-fee?lang=en")
        tab_to(page, "a.go-to-service")
        press_and_wait(page, "Enter")
        assert page.url.endswith("/form"), page.url
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
            press_and_wait(page, "Enter")
            assert page.url.endswith(f"/pages/{number + 1}"), page.url
        tab_to(page, "form[action$='/send'] button")
        press_and_wait(page, "Enter")
        expect(page.locator(".sent-message")).to_contain_text(re.compile(r"item number \d{6}"))
    finally:
        context.close()
