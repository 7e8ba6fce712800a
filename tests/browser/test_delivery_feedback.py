"""Delivery feedback in the browser (issue 18): a bounced address and an opted-out number on My profile
and the signed-in front page in fi/sv/en, axe-clean at desktop and phone sizes, and saving My
profile clears them. A portal of its own: the block is written into its moto server's table."""
from __future__ import annotations

import pytest

from tests.browser.conftest import (SIZES, axe_violations, click_and_wait, new_context, sign_in_with_bank_codes,
                                   text_sizes_that_overflow)
from tests.conftest import served_portal

pytestmark = pytest.mark.browser

TITLES = {
    "en": ("Messages to your e-mail address could not be delivered",
           "Text messages to your mobile phone number could not be delivered"),
    "fi": ("Sähköpostiosoitteeseesi lähetettyjä viestejä ei voitu toimittaa",
           "Matkapuhelinnumeroosi lähetettyjä tekstiviestejä ei voitu toimittaa"),
    "sv": ("Meddelanden till din e-postadress kunde inte levereras", "Sms till ditt mobilnummer kunde inte levereras"),
}
ADDRESS = "bounced.browser@example.fi"


@pytest.fixture(scope="module")
def delivery_portal():
    with served_portal("delivery-feedback") as (base_url, moto_endpoint):
        yield base_url, moto_endpoint


def block_channels(moto_endpoint: str) -> None:
    """What the delivery_feedback handler and the sweep record for a bounce and an opted-out number."""
    import boto3

    table = boto3.resource("dynamodb", region_name="eu-north-1", endpoint_url=moto_endpoint,
                           aws_access_key_id="local", aws_secret_access_key="local").Table("eservices-local-profiles")
    [item] = [i for i in table.scan()["Items"] if i.get("email") == ADDRESS]  # scan-ok: test inspection
    table.update_item(Key={"profile_id": item["profile_id"]},
                      UpdateExpression="SET phone = :p, email_blocked_reason = :e, sms_blocked_reason = :s",
                      ExpressionAttributeValues={":p": "+358401234599", ":e": "bounce", ":s": "opted-out"})


def test_my_profile_and_the_front_page_tell_of_blocked_channels_accessibly(delivery_portal, browser):
    base, moto_endpoint = delivery_portal
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in_with_bank_codes(page, base, user_id="234567", email=ADDRESS)
        block_channels(moto_endpoint)
        found = []
        for path in ("/profile", "/"):
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                for language, titles in TITLES.items():
                    page.goto(f"{base}{path}?lang={language}")
                    for title in titles:
                        assert page.get_by_role("heading", name=title).is_visible(), (path, language, title)
                    problems = axe_violations(page)
                    if size == "phone":
                        problems += [f"sideways at text size {t}" for t in text_sizes_that_overflow(page)]
                    if problems:
                        found.append((path, size, language, problems))
        assert found == []
        # The front page links to the contact details; saving them (unchanged) clears both notices.
        page.set_viewport_size(SIZES["desktop"])
        page.goto(f"{base}/?lang=en")
        click_and_wait(page, page.get_by_role("link", name="Check your contact details").first)
        assert page.url.split("?")[0].endswith("/profile/edit")
        click_and_wait(page, page.get_by_role("button", name="Save"))
        for title in TITLES["en"]:
            assert page.get_by_role("heading", name=title).count() == 0
        page.goto(f"{base}/?lang=en")
        assert page.get_by_role("heading", name=TITLES["en"][0]).count() == 0
    finally:
        context.close()
