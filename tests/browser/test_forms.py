"""A resident fills in the Dog declaration in Chromium: errors, conditional fields, an attachment,
a draft continued from the folder, the summary and sending; axe-core checks every form page."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, sign_in_with_bank_codes

pytestmark = pytest.mark.browser


def test_filling_in_saving_continuing_and_sending_the_dog_declaration(portal, page, tmp_path):
    sign_in_with_bank_codes(page, portal, "345678", "matti.perhe@example.fi")
    page.goto(f"{portal}/e-services/dog-declaration?lang=en")
    page.get_by_role("link", name="Go to the e-service").click()
    page.wait_for_url(re.compile(r"/e-services/dog-declaration/form$"))
    assert page.get_by_label("Personal identity code").input_value() == "080885-912Y"
    assert page.get_by_label("Personal identity code").get_attribute("readonly") is not None
    assert_accessible(page)

    page.get_by_role("button", name="Next").click()  # required fields empty
    page.locator("#error-summary").wait_for()
    assert_accessible(page)
    page.get_by_label("Street address").fill("Koirakuja 5")
    page.get_by_label("Zipcode").fill("00510")
    page.get_by_label("Post office").fill("Helsinki")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Dog's name").fill("Musti")
    page.get_by_label("Breed").fill("Suomenlapinkoira")
    page.locator("label[for=sex-female]").click()
    page.get_by_label("Date of birth").fill("12.5.2021")
    assert_accessible(page)
    page.get_by_role("button", name="Next").click()

    # The description field appears only when "Changed details" is chosen (JavaScript on).
    description = page.get_by_label("Which details changed?")
    assert not description.is_visible()
    page.locator("label[for=declaration_type-change]").click()
    assert description.is_visible()
    description.fill("Uusi osoite")
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_text("The draft was saved", exact=True).wait_for()

    # Continue later from the folder.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My folder").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Open\W+Dog declaration$")).click()
    page.wait_for_url(re.compile(r"/pages/3$"))
    assert page.get_by_label("Which details changed?").input_value() == "Uusi osoite"
    page.get_by_role("button", name="Next").click()

    pdf = tmp_path / "rokotustodistus.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% vaccination certificate\n")
    page.get_by_label("Vaccination certificate").set_input_files(str(pdf))
    page.get_by_role("button", name="Add the file").click()
    page.locator(".attachment-list__name").wait_for()
    assert page.locator(".attachment-list__name").inner_text() == "rokotustodistus.pdf"
    page.get_by_label("How many dogs are there in your household?").fill("1")
    page.locator("label[for=field-information_correct]").click()
    assert_accessible(page)
    page.get_by_role("button", name="To the summary").click()

    page.get_by_role("heading", name="Summary", exact=True).wait_for()
    assert "Suomenlapinkoira" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Send", exact=True).click()
    message = page.locator(".sent-message").inner_text()
    assert re.fullmatch(r"The sending of the form was successful and you can follow its status using the item number \d{6}\.", message)
    assert_accessible(page)
    item = re.search(r"\d{6}", message).group(0)
    page.get_by_role("link", name="Go to my folder").click()
    assert f"Dog declaration ({item})" in page.locator("main").inner_text()


def test_the_form_works_without_javascript(portal, browser):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "345678", "matti.perhe@example.fi")
        page.goto(f"{portal}/e-services/referee-fee/form?lang=en")
        assert page.locator("h1").inner_text() == "Referee fee claim"
        page.get_by_role("button", name="Next").click()
        page.locator("#error-summary").wait_for()
    finally:
        context.close()
