"""'Download a copy (PDF)' without JavaScript, in Finnish, Swedish and English: on the sent page and
on the folder's item page, each page checked by axe-core, each download read back as a PDF."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import (assert_accessible, click_and_wait, fill_dog_declaration, new_context,
                                   sign_in_with_bank_codes)
from tests.pdf_reading import read_pdf

pytestmark = pytest.mark.browser
LINK_TEXT = {"fi": "Lataa kopio (PDF)", "sv": "Ladda ner en kopia (PDF)", "en": "Download a copy (PDF)"}


def _download(page, language: str, item: str) -> None:
    link = page.get_by_role("link", name=LINK_TEXT[language])
    with page.expect_download() as download:
        link.click()
    pdf = read_pdf(Path(download.value.path()).read_bytes())
    assert download.value.suggested_filename == \
        f"{ {'fi': 'kuittaus', 'sv': 'kvitto', 'en': 'receipt'}[language]}-{item}.pdf"
    assert pdf.lang == language and item in pdf.info["Title"]


def _accessible(checker, portal: str, html: str) -> None:
    """axe-core needs JavaScript: the page as the no-JavaScript browser got it, in a second tab that runs
    scripts (on the portal's origin, so its style sheet applies)."""
    checker.goto(f"{portal}/supported-browsers")
    checker.set_content(html)
    assert_accessible(checker)


def test_download_a_copy_from_the_sent_page_and_the_item_page_without_javascript(portal, browser):
    context = new_context(browser, java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    scripts = new_context(browser)
    checker = scripts.new_page()
    try:
        sign_in_with_bank_codes(page, portal, "234567", "asa@example.fi", javascript=False)
        for language in ("fi", "sv", "en"):
            draft = fill_dog_declaration(page, portal)
            page.goto(f"{portal}/drafts/{draft}/pages/5?lang={language}")
            click_and_wait(page, page.locator(f"form[action$='/drafts/{draft}/send'] button[type=submit]"))
            item = re.search(r"\d{6}", page.locator(".sent-message").inner_text()).group(0)
            _accessible(checker, portal, page.content())
            _download(page, language, item)
            page.goto(f"{portal}/folder/{item}")
            _accessible(checker, portal, page.content())
            _download(page, language, item)
    finally:
        scripts.close()
        context.close()
