"""A resident fills in the Dog declaration in Chromium: errors, conditional fields, an attachment,
a draft continued from the folder, the summary and sending; axe-core checks every form page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, click_and_wait, new_context, sign_in_with_bank_codes

pytestmark = pytest.mark.browser


def test_filling_in_saving_continuing_and_sending_the_dog_declaration(portal, page, tmp_path):
    sign_in_with_bank_codes(page, portal, "345678", "matti.perhe@example.fi")
    page.goto(f"{portal}/e-services/dog-declaration?lang=en")
    click_and_wait(page, page.get_by_role("link", name="Go to the e-service"),
                   url=re.compile(r"/e-services/dog-declaration/form$"))
    expect(page.get_by_label("Personal identity code")).to_have_value("080885-912Y")
    assert page.get_by_label("Personal identity code").get_attribute("readonly") is not None
    assert_accessible(page)

    click_and_wait(page, page.get_by_role("button", name="Next"))  # required fields empty
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Street address").fill("Koirakuja 5")
    page.get_by_label("Zipcode").fill("00510")
    page.get_by_label("Post office").fill("Helsinki")
    click_and_wait(page, page.get_by_role("button", name="Next"))

    page.get_by_label("Dog's name").fill("Musti")
    page.get_by_label("Breed").fill("Suomenlapinkoira")
    page.locator("label[for=sex-female]").click()
    page.get_by_label("Date of birth").fill("12.5.2021")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Next"))

    # The description field appears only when "Changed details" is chosen (JavaScript on).
    description = page.get_by_label("Which details changed?")
    expect(description).to_be_hidden()
    page.locator("label[for=declaration_type-change]").click()
    expect(description).to_be_visible()
    description.fill("Uusi osoite")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Save as draft"))
    expect(page.get_by_text("The draft was saved", exact=True)).to_be_visible()

    # Continue later from the folder.
    click_and_wait(page, page.get_by_role("navigation", name="Main menu").get_by_role("link", name="My folder"))
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("link", name=re.compile(r"^Open\W+Dog declaration$")), url=re.compile(r"/pages/3$"))
    expect(page.get_by_label("Which details changed?")).to_have_value("Uusi osoite")
    click_and_wait(page, page.get_by_role("button", name="Next"))

    pdf = tmp_path / "rokotustodistus.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% vaccination certificate\n")
    page.get_by_label("Vaccination certificate").set_input_files(str(pdf))
    click_and_wait(page, page.get_by_role("button", name="Add the file"))
    expect(page.locator(".attachment-list__name")).to_have_text("rokotustodistus.pdf")
    page.get_by_label("How many dogs are there in your household?").fill("1")
    page.locator("label[for=field-information_correct]").click()
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="To the summary"))

    expect(page.get_by_role("heading", name="Summary", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Suomenlapinkoira")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("button", name="Send", exact=True))
    message = page.locator(".sent-message").inner_text()
    assert re.fullmatch(r"The sending of the form was successful and you can follow its status using the item number \d{6}\.", message)
    assert_accessible(page)
    item = re.search(r"\d{6}", message).group(0)
    click_and_wait(page, page.get_by_role("link", name="Go to my folder"))
    expect(page.locator("main")).to_contain_text(f"Dog declaration ({item})")


def test_the_form_works_without_javascript(portal, browser):
    context = new_context(browser, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "345678", "matti.perhe@example.fi", javascript=False)
        page.goto(f"{portal}/e-services/referee-fee/form?lang=en")
        expect(page.locator("h1")).to_have_text("Referee fee claim")
        click_and_wait(page, page.get_by_role("button", name="Next"))
        expect(page.locator("#error-summary")).to_be_visible()
    finally:
        context.close()
