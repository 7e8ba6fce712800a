"""Signing in: start the OpenID Connect flow, and complete it exactly once in the same browser."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock, observability
from chalicelib.identity import oidc
from chalicelib.identity.claims import Identity, InvalidIdentity, identity_from_claims
from chalicelib.identity.http import ProviderUnavailable
from chalicelib.identity.profile_service import ProfileServiceUnavailable

log = logging.getLogger("portal.identity")
TRANSACTION_LIFETIME = timedelta(minutes=10)


class SignInFailed(Exception):
    """The sign-in cannot be completed. ``reason`` is a short code, safe to log (no personal data)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class SignInStart:
    redirect_url: str
    browser_binding: str  # goes into a short-lived HttpOnly cookie


def start_sign_in(*, customer: str, return_path: str, language: str) -> SignInStart:
    from chalicelib.models.session import LoginTransactionModel

    if customer not in ("personal", "corporate"):
        raise ValueError("customer is personal or corporate")
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, browser = secrets.token_urlsafe(64), secrets.token_urlsafe(32)
    now = clock.utcnow()
    url = oidc.authorization_url(state=state, nonce=nonce, code_verifier=verifier, customer=customer, language=language)
    LoginTransactionModel(
        state_hash=_hash(state),
        browser_hash=_hash(browser),
        nonce=nonce,
        code_verifier=verifier,
        return_path=return_path,
        customer=customer,
        created_at=now,
        expires_at=now + TRANSACTION_LIFETIME,
    ).save()
    return SignInStart(url, browser)


def complete_sign_in(params: dict[str, str], browser_binding: str | None) -> tuple[Identity, str]:
    """Check the callback, consume its transaction, exchange the code and verify the ID token.

    Returns the identity and the path to return to. Raises SignInFailed (reason ``cancelled`` when
    the person cancelled at the provider).
    """
    from pynamodb.exceptions import DeleteError, DoesNotExist

    from chalicelib.models.session import LoginTransactionModel

    state, code, error = params.get("state") or "", params.get("code") or "", params.get("error")
    if not state or len(state) > 200:
        raise SignInFailed("no-state")
    try:
        transaction = LoginTransactionModel.get(_hash(state))
    except DoesNotExist:
        raise SignInFailed("unknown-state") from None
    try:
        # Consumed before anything else: a replayed callback (or a second tab) finds nothing.
        transaction.delete(condition=LoginTransactionModel.state_hash.exists())
    except DeleteError:
        raise SignInFailed("replayed-state") from None
    if not browser_binding or _hash(browser_binding) != transaction.browser_hash:
        raise SignInFailed("other-browser")
    if transaction.expires_at <= clock.utcnow():
        raise SignInFailed("expired-state")
    if error:
        raise SignInFailed("cancelled" if error == "access_denied" else "provider-error")
    if not code or len(code) > 500:
        raise SignInFailed("no-code")
    try:
        id_token, access_token = oidc.exchange_code_for_tokens(code, transaction.code_verifier)
        claims = oidc.verify_id_token(id_token, transaction.nonce)
        identity = identity_from_claims(claims, access_token=access_token)
    except oidc.TokenRejected as rejected:
        log.warning("sign-in rejected: %s", rejected)
        raise SignInFailed("token-rejected") from None
    except InvalidIdentity as invalid:  # LevelTooLow, ProfileMismatch: their own reasons
        log.warning("sign-in rejected (%s): %s", invalid.reason, invalid)
        raise SignInFailed(invalid.reason) from None
    except ProviderUnavailable as unavailable:
        log.error("identity provider unavailable: %s", unavailable)
        raise SignInFailed("provider-unavailable") from None
    except ProfileServiceUnavailable as unavailable:
        log.error("profile service unavailable: %s", unavailable)
        raise SignInFailed("profile-unavailable") from None
    if identity.customer != transaction.customer:
        raise SignInFailed("customer-mismatch")
    observability.count(observability.SIGN_INS, method=identity.method)
    return identity, transaction.return_path
