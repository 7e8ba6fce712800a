"""axe-core on every page type in Finnish, Swedish and English, at desktop and phone sizes, on a
portal of its own (fresh data); the suite also writes the README's screenshots."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import (ROOT, SIZES, at_the_bank, axe_violations, click_and_wait, continue_to_the_service,
                                   fill_dog_declaration, new_context, register, text_sizes_that_overflow)
from tests.conftest import served_portal

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"
SHOW = {"front", "catalogue", "description", "form-page-1", "summary", "folder", "item", "profile"}


@pytest.fixture(scope="module")
def fresh_portal():
    with served_portal("a11y") as (base_url, _):
        yield base_url


def check_everywhere(page, url, name, found):
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for language in ("fi", "sv", "en"):
            separator = "&" if "?" in url else "?"
            page.goto(f"{url}{separator}lang={language}")
            violations = axe_violations(page)
            if size == "phone":
                violations += [f"the page scrolls sideways at text size {text}" for text in text_sizes_that_overflow(page)]
            if violations:
                found.append((name, size, language, violations))
            if language == "en" and name in SHOW:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=False)
    page.set_viewport_size(SIZES["desktop"])


def test_every_page_type_in_every_language_and_size(fresh_portal, browser):
    base = fresh_portal
    context = new_context(browser)
    page = context.new_page()
    found: list = []
    try:
        for name, path in [("front", "/"), ("catalogue", "/e-services?topic=daycare-education"),
                           ("catalogue-empty", "/e-services?q=zzzz"), ("description", "/e-services/dog-declaration"),
                           ("instructions", "/instructions"), ("accessibility", "/accessibility"),
                           ("browsers", "/supported-browsers"), ("security", "/security"), ("sign-in", "/sign-in"), ("feedback", "/feedback"),
                           ("signed-out", "/signed-out"), ("not-found", "/e-services/nope"), ("api-docs", "/api/v1/docs")]:
            check_everywhere(page, base + path, name, found)

        # Sign in for the first time: registration.
        page.goto(f"{base}/sign-in/start?customer=personal&lang=en")
        at_the_bank(page, "123456")
        assert re.search(r"/register$", page.url), page.url
        check_everywhere(page, f"{base}/register", "registration", found)
        page.goto(f"{base}/register?lang=en")
        register(page, "nordea@example.fi", "fi")

        # A form, page by page, and its summary.
        page.goto(f"{base}/e-services/dog-declaration/form?lang=en")
        check_everywhere(page, f"{base}/e-services/dog-declaration/form", "form-new", found)
        draft = fill_dog_declaration(page, base)
        for number in range(1, 5):
            check_everywhere(page, f"{base}/drafts/{draft}/pages/{number}", f"form-page-{number}", found)
        check_everywhere(page, f"{base}/drafts/{draft}/pages/5", "summary", found)
        check_everywhere(page, f"{base}/drafts/{draft}/remove", "remove-draft", found)
        page.goto(f"{base}/drafts/{draft}/pages/5?lang=en")
        click_and_wait(page, page.get_by_role("button", name="Send", exact=True))
        item = re.search(r"\d{6}", page.locator(".sent-message").inner_text()).group(0)
        violations = axe_violations(page)
        if violations:
            found.append(("sent", "desktop", "en", violations))

        # A health-care e-service's electronic agreement: the page (and its error), then accepted,
        # so that My profile (checked below) lists it with its Withdraw button.
        check_everywhere(page, f"{base}/e-services/dental-care/agreement", "agreement", found)
        page.goto(f"{base}/e-services/dental-care/agreement?lang=en")
        click_and_wait(page, page.get_by_role("button", name="Accept and continue"))
        assert page.locator("#accept-agreement-error").is_visible()
        violations = axe_violations(page)
        if violations:
            found.append(("agreement-error", "desktop", "en", violations))
        page.locator("label[for=accept-agreement]").click()
        click_and_wait(page, page.get_by_role("button", name="Accept and continue"), url=re.compile(r"/e-services/dental-care/form$"))

        for name, path in [("home", "/"), ("folder", "/folder"), ("item", f"/folder/{item}"),
                           ("application", f"/folder/{item}/application"), ("complement", f"/folder/{item}/complement"),
                           ("profile", "/profile"), ("profile-edit", "/profile/edit"), ("my-data", "/profile/my-data"),
                           ("delete-profile", "/profile/delete"), ("act-for", "/act-for?change=1")]:
            check_everywhere(page, base + path, name, found)
        # Acting for a child (issue 17): the sentence on the form and the health-care refusal page's kin
        page.goto(f"{base}/act-for?change=1&lang=en")
        page.locator("label", has_text="Teemu Testaaja").click()
        click_and_wait(page, page.get_by_role("button", name="Continue"))
        for name, path in [("home-acting-for", "/"), ("not-for-this-service", "/e-services/dental-care/form")]:
            check_everywhere(page, base + path, name, found)
        # A child under 15: the agreement page offers the notice of consent (PDF) in each language.
        page.goto(f"{base}/act-for?change=1&lang=en")
        page.locator("label", has_text="Tiina Testaaja").click()
        click_and_wait(page, page.get_by_role("button", name="Continue"))
        check_everywhere(page, f"{base}/e-services/dental-care/agreement", "agreement-for-a-child", found)
        assert page.get_by_role("heading", name="Notice of consent for Tiina Testaaja").is_visible()
    finally:
        context.close()
    # A corporate customer (Katso ID): which company, before registering (Nordea Testaaja has two).
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{base}/sign-in/start?customer=corporate&lang=en")
        page.locator("#username").fill("testiyritys-paakayttaja")
        page.locator("#password").fill("katso1234")
        click_and_wait(page, page.locator("button[name=action][value=ok]"))
        continue_to_the_service(page)
        assert "/act-for" in page.url, page.url
        check_everywhere(page, f"{base}/act-for?next=%2F", "act-for-company", found)
    finally:
        context.close()
    assert found == []


def test_the_readme_shows_the_screenshots():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in sorted(SHOW):
        for size in SIZES:
            assert f"docs/screenshots/{name}-{size}.png" in readme
