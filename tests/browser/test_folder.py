"""The e-services folder in Chromium: a sent form in the list, expanded in place with JavaScript,
its own page, the application and a complement; axe-core on each."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, fill_dog_declaration, sign_in_with_bank_codes

pytestmark = pytest.mark.browser


def send_a_dog_declaration(page, portal) -> str:
    fill_dog_declaration(page, portal, address=("Åsankatu 2", "00100", "Helsingfors"),
                         dog=("Bella", "Labrador", "female", "3.3.2020"), dogs="2")
    page.get_by_role("button", name="Send", exact=True).click()
    return re.search(r"\d{6}", page.locator(".sent-message").inner_text()).group(0)


def test_the_folder_lists_expands_and_opens_an_item(portal, page):
    sign_in_with_bank_codes(page, portal, user_id="234567", email="asa@example.fi")
    item = send_a_dog_declaration(page, portal)
    page.goto(f"{portal}/folder?lang=en")
    assert f"Dog declaration ({item})" in page.locator("main").inner_text()
    assert_accessible(page)

    assert page.get_by_role("link", name=re.compile(rf"^Open the information\W+Dog declaration \({item}\)$")).is_visible()
    link = page.locator(f'[data-item="{item}"] a.open-item')
    link.click()
    page.locator(f"#details-{item}").wait_for()
    assert link.get_attribute("aria-expanded") == "true" and link.inner_text().startswith("Close information")
    assert "Use as template" in page.locator(f"#details-{item}").inner_text()

    page.goto(f"{portal}/folder/{item}")
    assert_accessible(page)
    page.get_by_role("link", name="Show application").click()
    assert "Bella" in page.locator("main").inner_text()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Complement", exact=True).click()
    page.get_by_role("button", name="Send the complement").click()  # empty: an error
    page.locator("#error-summary").wait_for()
    assert_accessible(page)
    page.get_by_label("Complement", exact=True).fill("Bellalla on uusi mikrosiru.")
    page.get_by_role("button", name="Send the complement").click()
    page.get_by_text("The complement was sent").wait_for()
    assert "Complemented" in page.locator("main").inner_text()
