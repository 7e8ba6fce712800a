"""The e-services folder in Chromium: a sent form in the list, expanded in place with JavaScript,
its own page, the application and a complement; axe-core on each."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, click_and_wait, fill_dog_declaration, sign_in_with_bank_codes

pytestmark = pytest.mark.browser


def send_a_dog_declaration(page, portal) -> str:
    fill_dog_declaration(page, portal, address=("Åsankatu 2", "00100", "Helsingfors"),
                         dog=("Bella", "Labrador", "female", "3.3.2020"), dogs="2")
    click_and_wait(page, page.get_by_role("button", name="Send", exact=True))
    return re.search(r"\d{6}", page.locator(".sent-message").inner_text()).group(0)


def test_the_folder_lists_expands_and_opens_an_item(portal, page):
    sign_in_with_bank_codes(page, portal, user_id="234567", email="asa@example.fi")
    item = send_a_dog_declaration(page, portal)
    page.goto(f"{portal}/folder?lang=en")
    expect(page.locator("main")).to_contain_text(f"Dog declaration ({item})")
    assert_accessible(page)

    expect(page.get_by_role("link", name=re.compile(rf"^Open the information\W+Dog declaration \({item}\)$"))).to_be_visible()
    link = page.locator(f'[data-item="{item}"] a.open-item')
    link.click()  # JavaScript expands the item in place: no new page
    expect(page.locator(f"#details-{item}")).to_contain_text("Use as template")
    expect(link).to_have_attribute("aria-expanded", "true")
    expect(link).to_have_text(re.compile(r"^\s*Close information"), use_inner_text=True)

    page.goto(f"{portal}/folder/{item}")
    assert_accessible(page)
    click_and_wait(page, page.get_by_role("link", name="Show application"))
    expect(page.locator("main")).to_contain_text("Bella")
    assert_accessible(page)
    page.go_back()
    click_and_wait(page, page.get_by_role("link", name="Complement", exact=True))
    click_and_wait(page, page.get_by_role("button", name="Send the complement"))  # empty: an error
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Complement", exact=True).fill("Bellalla on uusi mikrosiru.")
    click_and_wait(page, page.get_by_role("button", name="Send the complement"))
    expect(page.get_by_text("The complement was sent")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Complemented")
