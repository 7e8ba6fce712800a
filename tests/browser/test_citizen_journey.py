"""A citizen's whole journey, in Finnish and again in English: bank codes, registration, the catalogue,
the Dog declaration with errors first, a draft, signing out, the mobile certificate, the draft from the
folder, sending; the division's status and message through the API; "New"; a reply with an attachment;
the sweep at 10:00 Helsinki time e-mails and texts in the customer's language, at 21:00 nothing."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose_self_if_asked, click_and_wait, continue_to_the_service, new_context
from tests.conftest import ROOT, served_portal

pytestmark = pytest.mark.browser

PEOPLE = {  # language: (bank user ID, mobile phone, search word, expected notification word)
    "fi": ("123456", "+358401230001", "koira", "Vastaanotettu"),
    "en": ("234567", "+358401230002", "dog", "Received"),
}


@pytest.fixture(scope="module")
def journey_portal():
    with served_portal("journey") as (base_url, moto_endpoint):
        yield base_url, int(moto_endpoint.rsplit(":", 1)[1])


def division_api(base, path, body):
    keys = json.loads((ROOT / "test-results" / "journey-division-keys.json").read_text())
    request = urllib.request.Request(f"{base}/api/v1{path}", data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {keys['urban-environment']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (localhost)
        return json.loads(answer.read())


def sweep(moto_port, at):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
    # The sweep leaves changes younger than its settle delay (15 s) for the next hour; this test's
    # changes are seconds old, so it sweeps without the delay.
    env["PORTAL_NOTIFICATION_SETTLE_SECONDS"] = "0"
    done = subprocess.run([sys.executable, "scripts/sweep.py", "--at", at, "--moto-port", str(moto_port)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def outbox(page, base, email, phone):
    """This customer's e-mails and text messages in the development outbox, and the page source
    (the e-mails' plain text sits in closed <details>)."""
    page.goto(f"{base}/dev/outbox?lang=en")
    source = page.content()
    return source.count(f"<dd>{email}</dd>"), source.count(f"<strong>{phone}</strong>"), source


def finish_sign_in(page, language, email, phone):
    continue_to_the_service(page)
    if page.url.endswith("/register"):
        page.locator("#email").fill(email)
        page.locator("#phone").fill(phone)
        page.locator("label[for=methods-email]").click()
        page.locator("label[for=methods-sms]").click()
        page.locator(f"label[for=language-{language}]").click()
        page.locator("label[for=consent-yes]").click()
        click_and_wait(page, page.locator("form[action$='/register'] button[type=submit]"))
        choose_self_if_asked(page)  # whom to act for (issue 17)
    assert re.search(r"/(\?.*)?$", page.url), page.url


@pytest.mark.parametrize("language", ["fi", "en"])
def test_a_citizens_whole_journey(journey_portal, browser, language, tmp_path):
    base, moto_port = journey_portal
    user_id, phone, word, received = PEOPLE[language]
    context = new_context(browser)
    page = context.new_page()
    try:
        page.goto(f"{base}/?lang={language}")
        click_and_wait(page, page.locator("a[href*='/sign-in']").first)
        click_and_wait(page, page.locator("a[href*='customer=personal']"))
        click_and_wait(page, page.locator("form[action$='/dev-idp/bank'] button"))
        click_and_wait(page, page.locator("form[action$='/dev-idp/bank/nordea'] button, button[value=nordea]").first)
        page.locator("#user-id").fill(user_id)
        page.locator("#code").fill("1234")
        click_and_wait(page, page.locator("button[name=action][value=ok]"))
        finish_sign_in(page, language, f"journey-{language}@example.fi", phone)

        # The catalogue: search, the description, "Go to the e-service".
        page.locator("#home-search").fill(word)
        click_and_wait(page, page.locator("form.search-form button[type=submit]"))
        click_and_wait(page, page.locator("a[href$='/e-services/dog-declaration']").first)
        click_and_wait(page, page.locator("a.go-to-service"), url=re.compile(r"/e-services/dog-declaration/form$"))
        page.locator("#field-street_address").fill("Koirakuja 1")
        click_and_wait(page, page.locator("button.eform__next"))  # required fields missing
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#field-street_address")).to_have_value("Koirakuja 1")
        page.locator("#field-postal_code").fill("00100")
        page.locator("#field-post_office").fill("Helsinki")
        click_and_wait(page, page.locator("button.eform__next"))
        page.locator("#field-dog_name").fill("Musti")
        page.locator("#field-breed").fill("Pystykorva")
        page.locator("label[for=sex-male]").click()
        page.locator("#field-birth_date").fill("1.2.2020")
        click_and_wait(page, page.locator("button.eform__next"))
        page.locator("label[for=declaration_type-new]").click()
        click_and_wait(page, page.locator("button.eform__next"))
        page.locator("#field-dog_count").fill("1")
        page.locator("label[for=field-information_correct]").click()
        click_and_wait(page, page.locator("button.eform__save"))
        expect(page.locator(".hds-notification--success")).to_be_visible()
        click_and_wait(page, page.locator(".account__sign-out button"), url=re.compile(r"/signed-out"))

        # Back with the mobile certificate; the draft continues from the folder.
        page.goto(f"{base}/sign-in/start?customer=personal")
        click_and_wait(page, page.locator("form[action$='/dev-idp/mobile'] button"))
        page.locator("#phone").fill(phone)
        click_and_wait(page, page.locator("button[name=action][value=send]"))
        click_and_wait(page, page.locator("button[name=action][value=confirm]"))
        finish_sign_in(page, language, "", "")
        page.goto(f"{base}/folder")
        click_and_wait(page, page.locator(".folder-list__actions a[href^='/drafts/']:not([href$='/remove'])").first,
                       url=re.compile(r"/drafts/[0-9a-f]{32}/pages/4$"))
        click_and_wait(page, page.locator("button.eform__next"))
        click_and_wait(page, page.locator("form[action$='/send'] button"))
        item = re.search(r"\d{6}", page.locator(".sent-message").inner_text()).group(0)

        # The division: "Received" and a message that may be answered.
        division_api(base, f"/submissions/{item}/status", {"status": "received"})
        thread = division_api(base, f"/submissions/{item}/messages", {"text": "Lähettäkää rokotustodistus.", "reply_allowed": True})["thread_id"]
        page.goto(f"{base}/folder")
        expect(page.locator(f"[data-item='{item}'] .new-label")).to_be_visible()

        # The citizen opens it and replies with an attachment; the label goes.
        page.goto(f"{base}/folder/{item}")
        pdf = tmp_path / "rokotus.pdf"
        pdf.write_bytes(b"%PDF-1.4\n% rokotustodistus\n")
        page.locator(f"#reply-{thread}").fill("Tässä todistus.")
        page.locator(f"#reply-file-{thread}").set_input_files(str(pdf))
        click_and_wait(page, page.locator(f"form[action$='/messages/{thread}'] button[type=submit]"),
                       url=re.compile(rf"/folder/{item}\?done=sent"))
        expect(page.locator("main")).to_contain_text("rokotus.pdf")
        page.goto(f"{base}/folder")
        expect(page.locator(f"[data-item='{item}'] .new-label")).to_have_count(0)
        # The hourly sweep at 10:00 Helsinki time: an e-mail and a text message in the customer's language
        # (opening the item removed the label, not the news; the customer's own reply is not news).
        email = f"journey-{language}@example.fi"
        emails_before, texts_before, _ = outbox(page, base, email, phone)
        report = sweep(moto_port, "2026-06-01T10:00")
        emails, texts, shown = outbox(page, base, email, phone)
        assert (emails, texts) == (emails_before + 1, texts_before + 1), report
        assert item in shown and received in shown

        # Something new at night: the 21:00 sweep sends nothing.
        division_api(base, f"/submissions/{item}/status", {"status": "processing"})
        sweep(moto_port, "2026-06-01T21:00")
        assert outbox(page, base, email, phone)[:2] == (emails, texts)
    finally:
        context.close()
