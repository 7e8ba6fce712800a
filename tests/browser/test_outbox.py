"""The development outbox in Chromium, after a real `make sweep` against the local stack: axe-core on
the outbox page in three languages and on each e-mail as the customer sees it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import axe_violations
from tests.conftest import ROOT, served_portal

pytestmark = pytest.mark.browser

SEED = """
import os, sys
sys.path.insert(0, os.getcwd())
from scripts.local_stack import local_environment
os.environ.update(local_environment(int(sys.argv[1]), int(sys.argv[2])))
from chalicelib import folder
from tests.integration.test_notifications import item, profile
for methods, language, email, phone in [(("email", "sms"), "fi", "testaaja@example.fi", "+358401234567"),
                                        (("email",), "sv", "asa@example.fi", None), (("sms",), "en", None, "+358409876543")]:
    owner = profile(methods=methods, language=language, email=email, phone=phone)
    folder.change_status(item(owner), "received")
    folder.official_message(item(owner, "referee-fee"), text="Send the receipt.", author_name="Culture", reply_allowed=True)
"""


@pytest.fixture(scope="module")
def swept_stack():
    """A local stack of its own (like `make run`), three customers with news, and one `make sweep`."""
    with served_portal("outbox-portal") as (base_url, moto_endpoint):
        port, moto_port = base_url.rsplit(":", 1)[1], moto_endpoint.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
        run = {"cwd": ROOT, "env": {**env, "PYTHONPATH": str(ROOT), "PORTAL_NOTIFICATION_SETTLE_SECONDS": "0"},
               "check": True, "capture_output": True}
        subprocess.run([sys.executable, "-c", SEED, moto_port, port], **run)
        swept = subprocess.run([sys.executable, "scripts/sweep.py", "--moto-port", moto_port, "--port", port,
                                "--at", "2026-06-01T10:00"], **run)
        assert "Sent 2 e-mail(s) and 2 text message(s) to 3 customer(s)" in swept.stdout.decode()
        yield base_url


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_outbox_page_is_accessible(swept_stack, page, language):
    page.goto(f"{swept_stack}/dev/outbox?lang={language}")
    assert page.locator("iframe").count() == 2
    assert "asiointikansiossasi" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_each_email_is_accessible_as_the_customer_sees_it(swept_stack, page):
    page.goto(f"{swept_stack}/dev/outbox?lang=en")
    sources = page.locator("iframe").evaluate_all("frames => frames.map(f => f.getAttribute('src'))")
    titles = set()
    for source in sources:
        page.goto(swept_stack + source)
        titles.add(page.title())
        assert axe_violations(page) == [], source
        assert page.get_by_role("link").first.get_attribute("href") == f"{swept_stack}/folder"
    assert titles == {"Uusia tapahtumia asiointikansiossasi", "Nya händelser i din e-tjänstmapp"}
