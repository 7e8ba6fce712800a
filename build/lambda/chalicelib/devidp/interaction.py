"""The "interaction": the validated authorization request and how far the person has got, carried
through the provider's screens in hidden form fields (and mirrored in a cookie for plain GET
navigation such as the language switch), so that nothing is stored on the server until a code is
issued.

It is sealed with Fernet (AES-128-CBC + HMAC-SHA256, cryptography): a changed byte makes it
unreadable, and a pending mobile request's phone number inside it is not readable in the page
source, a proxy log or a cookie dump. It expires ten minutes after the authorization request.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from chalicelib import clock

LIFETIME_SECONDS = 10 * 60
MAX_SEALED = 3000  # far more than any interaction needs; longer input is refused unread


class InteractionInvalid(ValueError):
    """Missing, tampered with, or expired. ``expired`` tells the last apart from the others."""

    def __init__(self, reason: str, expired: bool = False):
        super().__init__(reason)
        self.expired = expired


@dataclass(frozen=True)
class MobileRequest:
    """An identification request "sent" to a phone and waiting for the person to accept it."""

    phone: str  # E.164
    anti_jam: str
    number_code: str  # shown both on the screen and "on the phone"
    sent_at: float  # epoch seconds


@dataclass(frozen=True)
class Interaction:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str
    acr: str  # personal | corporate
    expires_at: float  # epoch seconds
    mobile: MobileRequest | None = None
    # Set once the identification succeeded: the authorization code to hand to the client.
    code: str | None = field(default=None)

    def with_mobile(self, mobile: MobileRequest | None) -> "Interaction":
        return replace(self, mobile=mobile)

    def completed(self, code: str) -> "Interaction":
        return replace(self, mobile=None, code=code)

    def seconds_left(self, now: datetime | None = None) -> int:
        now = now or clock.utcnow()
        return max(0, int(self.expires_at - now.timestamp()))


def _fernet():
    import base64

    from cryptography.fernet import Fernet

    from chalicelib.devidp.keys import interaction_secret

    return Fernet(base64.urlsafe_b64encode(interaction_secret()))


def new_interaction(*, client_id: str, redirect_uri: str, state: str, nonce: str, code_challenge: str,
                    acr: str) -> Interaction:
    return Interaction(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_challenge=code_challenge,
        acr=acr,
        expires_at=clock.utcnow().timestamp() + LIFETIME_SECONDS,
    )


def seal(interaction: Interaction) -> str:
    data = json.dumps(asdict(interaction), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return _fernet().encrypt_at_time(data, int(clock.utcnow().timestamp())).decode("ascii")


def unseal(sealed: str | None) -> Interaction:
    """The interaction in ``sealed``; InteractionInvalid if it is missing, forged, changed or expired."""
    from cryptography.fernet import InvalidToken

    if not sealed or len(sealed) > MAX_SEALED or not sealed.isascii():
        raise InteractionInvalid("missing or malformed")
    try:
        data = json.loads(_fernet().decrypt(sealed.encode("ascii")))
        mobile = data.pop("mobile", None)
        interaction = Interaction(**data, mobile=MobileRequest(**mobile) if mobile else None)
    except (InvalidToken, ValueError, TypeError):
        raise InteractionInvalid("not sealed by this provider") from None
    if interaction.expires_at <= clock.utcnow().timestamp():
        raise InteractionInvalid("expired", expired=True)
    return interaction
