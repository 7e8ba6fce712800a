"""What a new user stumbles on (issue 20), in Chromium: each case failed before its fix."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (SIZES, at_the_bank, choose_self_if_asked, click_and_wait, fill_dog_declaration, new_context,
                                    problems_at_every_size, sign_in_with_bank_codes, text_sizes_that_overflow)
from tests.browser.test_folder import send_a_dog_declaration
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
    choose_self_if_asked(page)  # whom to act for (issue 17): "Registration complete" on the page after
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


def first_field_box(page) -> dict:
    return page.locator("main form.eform").get_by_role("textbox").first.bounding_box()


def test_on_a_phone_the_forms_first_field_is_on_the_first_screen(portal, page):
    sign_in_with_bank_codes(page, portal, "345678", "matti@example.fi")
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
    expect(page.get_by_label("Last name")).to_be_visible()
    box = first_field_box(page)
    assert 0 <= box["y"] and box["y"] + box["height"] <= SIZES["phone"]["height"], box
    assert problems_at_every_size(page) == []


def test_the_form_counts_its_steps_dates_its_example_in_the_past_and_styles_every_error_alike(portal, page):
    sign_in_with_bank_codes(page, portal, "345678", "matti@example.fi")
    draft = fill_dog_declaration(page, portal)

    # Five steps shown, five counted, in one row on a desktop.
    page.goto(f"{portal}/drafts/{draft}/pages/1?lang=en")
    steps = page.get_by_role("navigation", name="Form steps").get_by_role("listitem")
    expect(steps).to_have_count(5)
    expect(page.locator("h2.eform__page-title")).to_have_text("1/5 Owner information")
    assert steps.first.bounding_box()["y"] == steps.last.bounding_box()["y"]

    # The example birth date is not in the future.
    page.goto(f"{portal}/drafts/{draft}/pages/2?lang=en")
    hint = page.locator("#field-birth_date-help").inner_text()
    day, month, year = map(int, re.search(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", hint).groups())
    assert date(year, month, day) <= date.today(), hint

    # "Add the file" answers for the file only; Next shows the checkbox's error like every other.
    page.goto(f"{portal}/drafts/{draft}/pages/4?lang=en")
    page.get_by_label("How many dogs are there in your household?").fill("")
    page.locator("label[for=field-information_correct]").click()  # unchecked now
    click_and_wait(page, page.get_by_role("button", name="Add the file"))
    expect(page.locator("#error-summary")).to_have_count(0)
    click_and_wait(page, page.get_by_role("button", name="To the summary"))
    expect(page.locator("#error-summary li")).to_have_count(2)
    style = "e => { const c = getComputedStyle(e); return [c.display, c.backgroundColor, c.borderLeft, c.padding, c.color] }"
    checkbox_error = page.locator("#field-information_correct-error").evaluate(style)
    text_error = page.locator("#field-dog_count-error").evaluate(style)
    assert checkbox_error == text_error


def test_the_form_says_it_saves_itself_and_announces_each_automatic_save(portal, browser):
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "345678", "matti@example.fi")
        page.clock.install()
        page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
        expect(page.get_by_text("Your answers are saved as a draft automatically every five minutes.")).to_be_visible()
        status = page.get_by_role("status")
        expect(status).to_have_attribute("aria-live", "polite")
        expect(status).to_have_text("")
        page.get_by_label("Street address").fill("Koirakuja 5")
        page.clock.run_for("05:01")
        expect(status).to_have_text(re.compile(r"^Saved at \d{2}:\d{2}$"))
    finally:
        context.close()


def test_without_javascript_the_form_does_not_promise_automatic_saving(portal, browser):
    context = new_context(browser, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "345678", "matti@example.fi", javascript=False)
        page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
        expect(page.get_by_label("Street address")).to_be_visible()
        expect(page.get_by_text("saved as a draft automatically")).to_be_hidden()
    finally:
        context.close()


def test_an_item_opened_in_the_folder_shows_its_status_once_and_comes_back_after_the_application(portal, page):
    sign_in_with_bank_codes(page, portal, "234567", "asa@example.fi")
    item = send_a_dog_declaration(page, portal)
    page.goto(f"{portal}/folder?lang=en")
    row = page.locator(f"#item-{item}")
    link = row.locator("a.open-item")
    link.click()  # expanded in place
    details = page.locator(f"#details-{item}")
    expect(details).to_contain_text("Use as template")
    expect(row.get_by_text("Status:")).to_have_count(1)
    expect(details.get_by_role("heading", level=3, name="Functions")).to_be_visible()  # under "Sent forms" (h2)
    assert details.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.url.endswith(f"#item-{item}")

    click_and_wait(page, details.get_by_role("link", name="Show application"))
    page.go_back(wait_until="load")
    expect(page.locator(f"#details-{item}")).to_be_visible()
    expect(page.locator(f"#item-{item} a.open-item")).to_have_attribute("aria-expanded", "true")

    link = page.locator(f"#item-{item} a.open-item")
    link.click()  # closed: the address forgets it
    expect(link).to_have_attribute("aria-expanded", "false")
    assert not page.url.endswith(f"#item-{item}")


def test_the_folders_sort_choices_stand_apart(portal, page):
    sign_in_with_bank_codes(page, portal, "234567", "asa@example.fi")
    page.goto(f"{portal}/folder?lang=en")
    first, second = (page.locator(".folder-tools__sort .hds-radio-button").nth(n).bounding_box() for n in (0, 1))
    assert second["x"] - (first["x"] + first["width"]) >= 24 or second["y"] >= first["y"] + first["height"], (first, second)


def click_the_circle(page, radio) -> None:
    """A click on the radio button's circle (the label's left end), not on its text."""
    box = page.locator(f"label[for={radio}]").bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 12)


def test_radio_buttons_are_chosen_by_their_circle_too(portal, page):
    page.goto(f"{portal}/e-services?lang=en")
    for radio in ("topic-social-health", "group-personal"):
        click_the_circle(page, radio)
        expect(page.locator(f"#{radio}")).to_be_checked()
    sign_in_with_bank_codes(page, portal, "234567", "asa@example.fi")
    page.goto(f"{portal}/folder?lang=en")
    click_the_circle(page, "sort-name")
    expect(page.locator("#sort-name")).to_be_checked()


def test_every_element_asks_for_the_citys_typeface_with_arial_metrics_after_it(portal, page):
    page.goto(f"{portal}/feedback?lang=en")
    stack = 'HelsinkiGroteskPro, Arial, "Liberation Sans", Arimo, Helvetica, sans-serif'
    for selector in ("body", "h1", ".main-menu__link", "textarea", "button[type=submit]"):
        family = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
        assert family == stack, (selector, family)


# The browser's speech synthesis, scripted: Debian's Chromium has no voices of its own. It speaks
# nothing; it records what the page asked, and has voices for the languages given in `VOICES`.
FAKE_SPEECH = """
(() => {
  const langs = window.VOICES || [];
  const calls = window.spoken = [];
  const listeners = {};
  Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
    getVoices: () => langs.map(lang => ({lang, name: "Test " + lang, default: false, localService: true, voiceURI: lang})),
    speak: u => calls.push(["speak", u.lang, u.text]), pause: () => calls.push(["pause"]),
    resume: () => calls.push(["resume"]), cancel: () => calls.push(["cancel"]),
    addEventListener: (name, f) => { listeners[name] = f; },
  }});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
})();
"""


def test_listen_reads_the_main_content_aloud_where_a_voice_speaks_the_pages_language(portal, browser):
    context = new_context(browser)
    try:
        page = context.new_page()
        page.add_init_script("window.VOICES = ['fi-FI', 'en-GB'];" + FAKE_SPEECH)
        page.goto(f"{portal}/instructions?lang=en")
        listen = page.get_by_role("button", name="Listen")
        expect(listen).to_be_visible()
        expect(page.get_by_role("button", name="Stop")).to_have_count(0)
        listen.focus()
        page.keyboard.press("Enter")
        spoken = page.evaluate("window.spoken")
        assert spoken[-1][0:2] == ["speak", "en-GB"] and "Instructions" in spoken[-1][2], spoken
        assert "Skip to main content" not in spoken[-1][2]  # the main content only
        expect(page.get_by_role("status").filter(has_text="Reading the page aloud.")).to_have_count(1)
        page.get_by_role("button", name="Pause").click()
        expect(page.get_by_role("button", name="Continue listening")).to_be_visible()
        page.get_by_role("button", name="Continue listening").click()
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_role("button", name="Listen")).to_be_focused()
        assert [call[0] for call in page.evaluate("window.spoken")][-3:] == ["pause", "resume", "cancel"]
        assert problems_at_every_size(page) == []

        page.goto(f"{portal}/instructions?lang=sv")  # no Swedish voice: no button
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator("[data-listen]")).to_be_hidden()
    finally:
        context.close()


def test_without_javascript_or_a_voice_there_is_no_listen_button(portal, browser):
    for options in ({"java_script_enabled": False}, {}):
        context = new_context(browser, **options)
        try:
            page = context.new_page()
            if options == {}:
                page.add_init_script("window.VOICES = [];" + FAKE_SPEECH)
            page.goto(f"{portal}/instructions?lang=en")
            expect(page.locator("h1")).to_be_visible()
            expect(page.get_by_role("button", name="Listen")).to_have_count(0)
        finally:
            context.close()
