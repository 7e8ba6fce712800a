"""Signing in: start the OpenID Connect flow, and complete it exactly once in the same browser.

A double submit is safe: the first callback claims the transaction (a conditional update), a second
one arriving meanwhile waits for its outcome, and one arriving after it (a reload, "Continue to the
service" pressed while the automatic continue was already under way) lands where the first went with
the same session, never an error and never a sign-out (``Repeat``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock, observability
from chalicelib.identity import oidc
from chalicelib.identity.claims import (
    Identity,
    InvalidIdentity,
    claims_needed,
    identity_from_claims,
)
from chalicelib.identity.http import ProviderUnavailable
from chalicelib.identity.profile_service import ProfileServiceUnavailable

log = logging.getLogger("portal.identity")
TRANSACTION_LIFETIME = timedelta(minutes=10)
REPEAT_WINDOW = timedelta(minutes=5)  # how long the same callback again still lands where the first went
WAIT_SECONDS = 10.0  # a double submit waits this long at most for the first callback's outcome
WAIT_STEP = 0.2


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


@dataclass(frozen=True)
class Completed:
    identity: Identity
    return_path: str
    state_hash: str
    id_token: str
    sid: str | None
    sub: str


@dataclass(frozen=True)
class Repeat:
    """The same callback again: go where the first went; ``session_token`` is set again as the cookie
    when this browser never got the first answer (its navigation was replaced by the second)."""

    destination: str
    session_token: str | None


def start_sign_in(*, customer: str, return_path: str, language: str, prompt_login: bool = False) -> SignInStart:
    from chalicelib.models.session import LoginTransactionModel

    if customer not in ("personal", "corporate"):
        raise ValueError("customer is personal or corporate")
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, browser = secrets.token_urlsafe(64), secrets.token_urlsafe(32)
    now = clock.utcnow()
    url = oidc.authorization_url(state=state, nonce=nonce, code_verifier=verifier, customer=customer,
                                 language=language, prompt_login=prompt_login)
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


def _pad(browser_binding: str, state_hash: str, length: int) -> bytes:
    return hashlib.shake_256(f"portal-sign-in-handoff\n{state_hash}\n{browser_binding}".encode()).digest(length)


def _seal(token: str, browser_binding: str, state_hash: str) -> str:
    """The session cookie value, readable only with the browser binding (the table keeps its hash only)."""
    data = token.encode()
    return base64.urlsafe_b64encode(bytes(a ^ b for a, b in zip(data, _pad(browser_binding, state_hash, len(data))))).decode()


def _unseal(sealed: str, browser_binding: str, state_hash: str) -> str:
    data = base64.urlsafe_b64decode(sealed.encode())
    return bytes(a ^ b for a, b in zip(data, _pad(browser_binding, state_hash, len(data)))).decode()


def _repeat(transaction, browser_binding: str | None, session_hash: str | None) -> Repeat:
    if transaction.completed_at is None or transaction.completed_at + REPEAT_WINDOW <= clock.utcnow():
        raise SignInFailed("replayed-state")
    if session_hash is not None and hmac.compare_digest(session_hash, transaction.session_hash or ""):
        return Repeat(transaction.destination, None)  # this browser has the session already
    if browser_binding and hmac.compare_digest(_hash(browser_binding), transaction.browser_hash):
        return Repeat(transaction.destination, _unseal(transaction.sealed_session, browser_binding, transaction.state_hash))
    raise SignInFailed("replayed-state")


def _wait_for_first(state_hash: str, browser_binding: str | None, session_hash: str | None) -> Repeat:
    """Another callback with this state is completing the sign-in: wait for its outcome."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.session import LoginTransactionModel

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            transaction = LoginTransactionModel.get(state_hash, consistent_read=True)
        except DoesNotExist:
            raise SignInFailed("replayed-state") from None  # the first one failed
        if transaction.completed_at is not None:
            return _repeat(transaction, browser_binding, session_hash)
        time.sleep(WAIT_STEP)
    raise SignInFailed("replayed-state")


def complete_sign_in(params: dict[str, str], browser_binding: str | None, session_hash: str | None = None) -> Completed | Repeat:
    """Check the callback, claim its transaction, exchange the code and verify the ID token.

    Returns what the sign-in asserts (``Completed``; the caller creates the session and calls
    ``record_completion``), or ``Repeat`` for the same callback again. Raises SignInFailed (reason
    ``cancelled`` when the person cancelled at the provider). ``session_hash``: the session this
    browser already has, if any.
    """
    from pynamodb.exceptions import DoesNotExist, UpdateError

    from chalicelib.models.session import LoginTransactionModel

    state, code, error = params.get("state") or "", params.get("code") or "", params.get("error")
    if not state or len(state) > 200:
        raise SignInFailed("no-state")
    state_hash = _hash(state)
    try:
        transaction = LoginTransactionModel.get(state_hash, consistent_read=True)
    except DoesNotExist:
        raise SignInFailed("unknown-state") from None
    if transaction.claimed_at is not None:
        if transaction.completed_at is not None:
            return _repeat(transaction, browser_binding, session_hash)
        return _wait_for_first(state_hash, browser_binding, session_hash)
    try:
        # Claimed before anything else: only one callback completes the flow.
        transaction.update(
            actions=[LoginTransactionModel.claimed_at.set(clock.utcnow())],
            condition=LoginTransactionModel.state_hash.exists() & LoginTransactionModel.claimed_at.does_not_exist(),
        )
    except UpdateError:
        return _wait_for_first(state_hash, browser_binding, session_hash)
    try:
        return _complete(transaction, state_hash, code, error, browser_binding)
    except SignInFailed:
        transaction.delete()  # a failed flow cannot be completed by a second try (nor waited for)
        raise


def _complete(transaction, state_hash: str, code: str, error: str | None, browser_binding: str | None) -> Completed:
    if not browser_binding or _hash(browser_binding) != transaction.browser_hash:
        raise SignInFailed("other-browser")
    if transaction.expires_at <= clock.utcnow():
        raise SignInFailed("expired-state")
    if error:
        raise SignInFailed("cancelled" if error == "access_denied" else "provider-error")
    if not code or len(code) > 500:
        raise SignInFailed("no-code")
    try:
        tokens = oidc.exchange_code(code, transaction.code_verifier)
        claims = oidc.verify_id_token(tokens.id_token, transaction.nonce, tokens.access_token)
        claims = _completed_from_userinfo(claims, tokens.access_token)
        identity = identity_from_claims(claims, customer=transaction.customer, access_token=tokens.access_token)
    except oidc.TokenRejected as rejected:
        log.warning("sign-in refused: token-rejected (%s)", rejected)
        raise SignInFailed("token-rejected") from None
    except InvalidIdentity as invalid:  # LevelTooLow, ProfileMismatch: their own reasons
        log.warning("sign-in refused: %s (%s)", invalid.reason, invalid)
        raise SignInFailed(invalid.reason) from None
    except ProviderUnavailable as unavailable:
        log.error("identity provider unavailable: %s", unavailable)
        raise SignInFailed("provider-unavailable") from None
    except ProfileServiceUnavailable as unavailable:
        log.error("sign-in refused: profile-unavailable (%s)", unavailable)
        raise SignInFailed("profile-unavailable") from None
    if identity.customer != transaction.customer:
        raise SignInFailed("customer-mismatch")
    observability.count(observability.SIGN_INS, method=identity.method)
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    return Completed(identity, transaction.return_path, state_hash, tokens.id_token, sid, claims["sub"])


def _completed_from_userinfo(claims: dict, access_token: str | None) -> dict:
    """The ID token's claims, completed at the userinfo endpoint when the mapping needs claims the
    ID token lacks (and the provider has one). The ID token's own claims win."""
    missing = claims_needed() - claims.keys()
    if not missing or not access_token or not oidc.provider().userinfo_endpoint:
        return claims
    extra = oidc.userinfo(access_token, claims["sub"])
    return {**{k: v for k, v in extra.items() if k in missing}, **claims}


def record_completion(completed: Completed, *, session_token: str, destination: str, browser_binding: str) -> None:
    """Remember the outcome for the same callback arriving again (``Repeat``), for REPEAT_WINDOW."""
    from chalicelib.models.session import LoginTransactionModel

    now = clock.utcnow()
    LoginTransactionModel(state_hash=completed.state_hash).update(actions=[
        LoginTransactionModel.completed_at.set(now),
        LoginTransactionModel.destination.set(destination),
        LoginTransactionModel.session_hash.set(_hash(session_token)),
        LoginTransactionModel.sealed_session.set(_seal(session_token, browser_binding, completed.state_hash)),
        LoginTransactionModel.expires_at.set(now + REPEAT_WINDOW),
        LoginTransactionModel.nonce.set("-"),
        LoginTransactionModel.code_verifier.set("-"),
    ])
