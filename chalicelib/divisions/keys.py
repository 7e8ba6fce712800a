"""Division API keys: created and revoked by ops, shown once, stored only as a hash.

A key is "<key id>.<secret>": the id finds the record with one GetItem, the secret's SHA-256 is
compared in constant time. A key is scoped to its division's e-services.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from chalicelib import clock
from chalicelib.divisions import division_ids

_KEY = re.compile(r"^(dk[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ApiCaller:
    key_id: str
    division_id: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(division_id: str, label: str | None = None) -> str:
    """A new key for the division; returns the whole key, which is never shown again."""
    from chalicelib.models.api import DivisionKeyModel

    if division_id not in division_ids():
        raise ValueError(f"unknown division {division_id!r}; one of {', '.join(division_ids())}")
    key_id, secret = "dk" + secrets.token_hex(8), secrets.token_urlsafe(32)
    DivisionKeyModel(key_id=key_id, secret_hash=_hash(secret), division_id=division_id, label=label,
                     created_at=clock.utcnow()).save(condition=DivisionKeyModel.key_id.does_not_exist())
    return f"{key_id}.{secret}"


def revoke_key(key_id: str) -> bool:
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.api import DivisionKeyModel

    try:
        DivisionKeyModel(key_id).update(actions=[DivisionKeyModel.revoked_at.set(clock.utcnow())],
                                        condition=DivisionKeyModel.key_id.exists())
    except UpdateError:
        return False
    return True


def list_keys(division_id: str | None = None) -> list:
    """Ops only (a handful of items): every key's id, division, label and dates."""
    from chalicelib.models.api import DivisionKeyModel

    keys = DivisionKeyModel.scan()  # scan-ok: ops command over a tiny table, never on a request path
    return [k for k in keys if division_id is None or k.division_id == division_id]


def authenticate(presented: str | None) -> ApiCaller | None:
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.api import DivisionKeyModel

    found = _KEY.match((presented or "").strip())
    if not found:
        return None
    key_id, secret = found.groups()
    try:
        record = DivisionKeyModel.get(key_id)
    except DoesNotExist:
        return None
    if record.revoked_at is not None or not hmac.compare_digest(record.secret_hash, _hash(secret)):
        return None
    return ApiCaller(key_id, record.division_id)
