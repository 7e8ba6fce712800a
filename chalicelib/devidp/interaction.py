"""The "interaction": the validated authorization request and how far the person has got, carried
through the provider's screens in hidden form fields (and mirrored in a cookie for plain GET
navigation such as the language switch), so that nothing is stored on the server until a code is
issued.

It is sealed with AES-256-GCM (`cryptography`): authenticated encryption, so a changed byte or a
forgery is refused, and a pending mobile request's phone number inside it is not readable in the
page source, a proxy log or a cookie dump. It expires ten minutes after the authorization request.

The sealed text is base64url (no padding) of a random 12-byte nonce, the ciphertext and the 16-byte
tag. The AES key is HMAC-SHA256(interaction_secret(), "devidp interaction AES-256-GCM"): the
stored 32-byte secret is never used directly as a cipher key, and another use or format of sealing
would get its own key by another label. Random 96-bit nonces are safe for far more seals than a
development provider makes under one key (NIST SP 800-38D: up to 2^32).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from chalicelib import clock

LIFETIME_SECONDS = 10 * 60
MAX_SEALED = 3000  # far more than any interaction needs; longer input is refused unread
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_LABEL = b"devidp interaction AES-256-GCM"
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


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


def _aes_key() -> bytes:
    from chalicelib.devidp.keys import interaction_secret

    return hmac.new(interaction_secret(), _KEY_LABEL, hashlib.sha256).digest()  # 32 bytes: AES-256


def _encrypt(data: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(_aes_key()).encrypt(nonce, data, None)  # ciphertext || 16-byte tag
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def _decrypt(sealed: str) -> bytes:
    """The sealed bytes; ValueError if ``sealed`` was not sealed with our key or was changed."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not _BASE64URL.match(sealed):
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise ValueError("too short")
    # The tag is checked before anything is returned.
    try:
        return AESGCM(_aes_key()).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag:
        raise ValueError("MAC check failed") from None


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
    return _encrypt(data)


def unseal(sealed: str | None) -> Interaction:
    """The interaction in ``sealed``; InteractionInvalid if it is missing, forged, changed or expired."""
    if not sealed or len(sealed) > MAX_SEALED or not sealed.isascii():
        raise InteractionInvalid("missing or malformed")
    try:
        data = json.loads(_decrypt(sealed))
        mobile = data.pop("mobile", None)
        interaction = Interaction(**data, mobile=MobileRequest(**mobile) if mobile else None)
    except (ValueError, TypeError):
        raise InteractionInvalid("not sealed by this provider") from None
    if interaction.expires_at <= clock.utcnow().timestamp():
        raise InteractionInvalid("expired", expired=True)
    return interaction
