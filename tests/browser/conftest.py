"""The browser harness: the portal served exactly as `make run` serves it, driven in Debian's Chromium.

Every later browser test uses the ``portal`` (base URL) and ``browser`` fixtures. Chromium is the
distribution's (/usr/bin/chromium, installed by `make test`); Playwright never downloads one.

Waits follow the page's own signals, never a guessed time: a click that loads another page is made
inside ``page.expect_navigation()`` (``click_and_wait``) or followed by ``page.wait_for_url``, and what
a page shows is checked with ``expect(...)``, which waits for it. The ceilings are generous because
the machine may be loaded: 30 s for a page to load, 10 s for an element on a loaded page.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ELEMENT_CEILING_MS = 10_000
NAVIGATION_CEILING_MS = 30_000
expect.set_options(timeout=ELEMENT_CEILING_MS)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, **options):
    """A browser context with the suite's ceilings (desktop-sized unless ``options`` say otherwise).
    axe-core is injected as a script, which the portal's Content-Security-Policy would refuse."""
    context = browser.new_context(bypass_csp=True, **{"viewport": SIZES["desktop"], **options})
    context.set_default_timeout(ELEMENT_CEILING_MS)
    context.set_default_navigation_timeout(NAVIGATION_CEILING_MS)
    return context


@pytest.fixture
def page(browser):
    context = new_context(browser)
    tab = context.new_page()
    yield tab
    context.close()


def click_and_wait(page, locator, **expect_navigation) -> None:
    """Click something that loads another page (a link, a form's button), and wait until that page
    has loaded: what comes next must never act on the page being left."""
    with page.expect_navigation(**expect_navigation):
        locator.click()


def press_and_wait(page, key: str) -> None:
    """Press a key that loads another page (Enter on a link or a form's button); wait for that page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def back_from_the_provider(url: str) -> bool:
    return "/dev-idp/" not in url and "/auth/callback" not in url


def continue_to_the_service(page, javascript: bool = True) -> None:
    """From the provider's success page back to the portal, and wait until the portal's page (the
    registration, or the page asked for) has loaded. With JavaScript the success page continues by
    itself after 3 seconds: that is waited for, not raced with a click on its link (the timer can
    fire while the click's page loads, or remove the link before the click). Without JavaScript, the
    link."""
    if not javascript:
        page.get_by_role("link", name="Continue to the service").click()
    page.wait_for_url(back_from_the_provider)
    choose_self_if_asked(page)


def choose_self_if_asked(page) -> None:
    """Whom the person acts for (issue 17): a person with principals (Nordea Testaaja has children,
    a person who authorised her and companies) gets the choice page after identification; she goes
    on for herself ("Myself" is chosen already). Anyone else never sees the page."""
    choice = page.locator("form[action$='/act-for'] input[name=principal][value=self]")
    if "/act-for" in page.url and choice.count():
        click_and_wait(page, page.locator("form[action$='/act-for']").first.locator("button[type=submit]"))


def axe_violations(page) -> list[dict]:
    """WCAG 2.1 A and AA violations that axe-core finds on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


TEXT_SIZES = ("m", "l", "xl")


def overflows_sideways(page) -> bool:
    """Whether the page as laid out now needs a horizontal scroll bar (WCAG 1.4.10 Reflow)."""
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def text_sizes_that_overflow(page) -> list[str]:
    """The portal's text sizes (normal, large, largest) at which the page as it is now scrolls sideways.

    The text size's only effect on a page is the class ``text-size-<size>`` on ``<html>`` (base.html,
    portal.css), so each size is laid out by setting that class, without reloading: the page keeps its
    state (errors shown, details opened). Pages without the class (the development provider's) are
    checked as they are. The class is put back afterwards."""
    return page.evaluate(
        """sizes => {
            const html = document.documentElement, original = html.className;
            const overflows = () => html.scrollWidth > html.clientWidth;
            if (!/(^|\\s)text-size-/.test(original)) return overflows() ? ["as served"] : [];
            const found = [];
            for (const size of sizes) {
                html.className = original.replace(/text-size-\\w+/, "text-size-" + size);
                if (overflows()) found.push(size);
            }
            html.className = original;
            return found;
        }""",
        list(TEXT_SIZES),
    )


def _text_size_class(page, classes: str | None = None) -> str:
    """The class attribute of ``<html>`` (which carries the text size: ``text-size-<size>``), set to
    ``classes`` first when given: a text size is laid out without reloading the page."""
    return page.evaluate("c => { const h = document.documentElement; if (c !== null) h.className = c; return h.className; }",
                         classes)


def problems_at_every_size(page) -> list:
    """axe-core's violations at desktop and phone size, each at every text size, and a phone layout
    that scrolls sideways at any of the text sizes, for the page as it is now; the viewport is
    desktop-sized and the text size as served again afterwards."""
    found = []
    served = _text_size_class(page)
    # The development provider's pages have no text sizes: they are checked as served.
    texts = TEXT_SIZES if re.search(r"(^|\s)text-size-", served) else ("as served",)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for text in texts:
            _text_size_class(page, re.sub(r"text-size-\w+", f"text-size-{text}", served))
            found += [(f"{size}, text size {text}", v) for v in axe_violations(page)]
        _text_size_class(page, served)
        if size == "phone":
            found += [(size, f"the page scrolls sideways at text size {text}") for text in text_sizes_that_overflow(page)]
    page.set_viewport_size(SIZES["desktop"])
    return found


def assert_accessible(page) -> None:
    """No WCAG 2.1 A/AA violations (axe-core) on the page as it is now."""
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


# Signing in through the bundled development provider (docs/identity-provider.md has the test people).
def at_the_bank(page, user_id: str, javascript: bool = True) -> None:
    """On the provider's start screen: bank access codes at Nordea with code 1234, then back to the
    portal, whose page has loaded when this returns."""
    click_and_wait(page, page.locator("form[action$='/dev-idp/bank'] button"))
    click_and_wait(page, page.get_by_role("button", name="Nordea"))
    page.locator("#user-id").fill(user_id)
    page.locator("#code").fill("1234")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    continue_to_the_service(page, javascript)


def register(page, email: str, language: str = "en") -> None:
    """The registration form: an e-mail address, notifications by e-mail in ``language``, consent."""
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.locator("label[for=methods-email]").click()
    page.locator(f"label[for=language-{language}]").click()
    page.locator("label[for=consent-yes]").click()
    click_and_wait(page, page.get_by_role("button", name="Register"), url=re.compile(r"[?&]notice=registered$"))
    choose_self_if_asked(page)


def register_if_asked(page, email: str, language: str = "en") -> None:
    """After ``continue_to_the_service``: the portal's page has loaded, so its address is final."""
    if page.url.endswith("/register"):
        register(page, email, language)


def sign_in_with_bank_codes(page, portal: str, user_id: str = "123456", email: str = "person@example.fi",
                            language: str = "en", javascript: bool = True) -> None:
    """123456 is Nordea Testaaja, 234567 Åsa Söderström-Testare, 345678 Matti Olavi Perhe-Testaaja."""
    page.goto(f"{portal}/sign-in?lang=en")
    click_and_wait(page, page.get_by_role("link", name="Sign in as a personal customer"))
    at_the_bank(page, user_id, javascript)
    register_if_asked(page, email, language)


def sign_in_with_katso(page, portal: str, username: str, email: str = "toimisto@testiyritys.example",
                       language: str = "fi", company: str = "Testiyritys Oy") -> None:
    """The Katso ID identifies a person; the company comes from e-Authorizations' stand-in: chosen
    on the portal's page when it lists more than one (Nordea Testaaja), else without asking."""
    page.goto(f"{portal}/sign-in?lang=en")
    click_and_wait(page, page.get_by_role("link", name="Sign in as a corporate customer"))
    page.locator("#username").fill(username)
    page.locator("#password").fill("katso1234")
    click_and_wait(page, page.locator("button[name=action][value=ok]"))
    continue_to_the_service(page)
    if "/act-for" in page.url:
        expect(page.get_by_role("heading", level=1)).to_have_text("Which company do you act for?")
        page.locator("label", has_text=company).click()
        click_and_wait(page, page.get_by_role("button", name="Continue"))
    register_if_asked(page, email, language)


def fill_dog_declaration(page, portal: str, *, address=("Katu 1", "00100", "Helsinki"),
                         dog=("Musti", "Pystykorva", "male", "1.1.2020"), dogs: str = "1") -> str:
    """A new Dog declaration filled in page by page up to its summary (in English); its draft id."""
    page.goto(f"{portal}/e-services/dog-declaration/form?lang=en")
    for label, value in zip(("Street address", "Zipcode", "Post office"), address):
        page.get_by_label(label).fill(value)
    click_and_wait(page, page.get_by_role("button", name="Next"))
    name, breed, sex, born = dog
    page.get_by_label("Dog's name").fill(name)
    page.get_by_label("Breed").fill(breed)
    page.locator(f"label[for=sex-{sex}]").click()
    page.get_by_label("Date of birth").fill(born)
    click_and_wait(page, page.get_by_role("button", name="Next"))
    page.locator("label[for=declaration_type-new]").click()
    click_and_wait(page, page.get_by_role("button", name="Next"))
    page.get_by_label("How many dogs are there in your household?").fill(dogs)
    page.locator("label[for=field-information_correct]").click()
    click_and_wait(page, page.get_by_role("button", name="To the summary"),
                   url=re.compile(r"/drafts/[0-9a-f]{32}/pages/\d+$"))
    return re.search(r"/drafts/([0-9a-f]{32})/", page.url).group(1)
