"""The relying party against an independent, certified OpenID provider (npm ``oidc-provider``, started
by the ``openid_provider`` fixture: tests/oidc_provider/)."""
from __future__ import annotations

from tests.fake_idp import NORDEA_TESTAAJA
from tests.oidc_provider.harness import LOGIN_FORM, _set_cookies


def test_a_personal_sign_in_with_rs256_and_client_secret_basic(client, openid_provider):
    op = openid_provider(accounts={"user-1": dict(NORDEA_TESTAAJA)})
    answer = op.sign_in(client, op.browser(), "user-1")
    assert answer.status_code == 303 and answer.headers["Location"] == "/register"
    assert _set_cookies(answer)["sid"]


def test_the_provider_shows_its_login_form_to_a_new_browser(client, openid_provider):
    op = openid_provider(accounts={"user-1": dict(NORDEA_TESTAAJA)})
    reached, _ = op.authorize(client, op.browser())
    assert not isinstance(reached, str) and LOGIN_FORM in reached.text
