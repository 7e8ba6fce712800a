"""Acting on behalf (issue 17) in Chromium, in Finnish: Nordea Testaaja signs in, chooses her child on
the choice page (Suomi.fi e-Authorizations' stand-in lists her principals), sees the child's folder
named as such, changes from the top bar to her company without signing in again, and back to herself.
axe checks the choice page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, click_and_wait, new_context, sign_in_with_bank_codes

pytestmark = pytest.mark.browser


def test_a_guardian_chooses_her_child_then_her_company_in_finnish(portal, browser):
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "123456")  # Nordea Testaaja: the choice page follows
        page.goto(f"{portal}/act-for?change=1&next=/&lang=fi")
        expect(page.get_by_role("heading", level=1)).to_have_text("Kenen puolesta asioit?")
        assert axe_violations(page) == []
        expect(page.get_by_text("Huollettavasi lapsi, syntynyt 15.6.2015")).to_be_visible()
        expect(page.get_by_text("Esimerkki Ky (Y-tunnus 2345678-0): roolisi yrityksessä eivät oikeuta")).to_be_visible()
        page.locator("label", has_text="Tiina Testaaja").click()
        click_and_wait(page, page.get_by_role("button", name="Jatka"))
        expect(page.locator("main .acting-for")).to_have_text("Asioit huollettavasi Tiina Testaaja puolesta.")
        expect(page.locator(".account__for")).to_have_text("henkilön Tiina Testaaja puolesta")
        page.goto(f"{portal}/folder")
        expect(page.locator("main .acting-for")).to_contain_text("Tämä on lapsen kansio, erillään omasta kansiostasi.")

        # From the top bar, without signing in again
        click_and_wait(page, page.get_by_role("link", name="Vaihda, kenen puolesta asioit"))
        page.locator("label", has_text="Testiyritys Oy").click()
        click_and_wait(page, page.get_by_role("button", name="Jatka"))
        expect(page.locator("main .acting-for")).to_contain_text("Asioit organisaation Testiyritys Oy (Y-tunnus 9876543-0) puolesta.")
        expect(page.locator(".account__for")).to_have_text("organisaation Testiyritys Oy (Y-tunnus 9876543-0) puolesta")

        click_and_wait(page, page.get_by_role("link", name="Vaihda, kenen puolesta asioit"))
        page.locator("label[for=principal-self]").click()
        click_and_wait(page, page.get_by_role("button", name="Jatka"))
        expect(page.locator("main .acting-for")).to_have_count(0)
        expect(page.locator(".account__for")).to_have_count(0)
    finally:
        context.close()
