"""Nothing is lost when a session expires while a form is open.

A form page posted without a valid session cannot be saved (nobody is signed in to own it), so its
fields (text only; files must be attached again) are kept for an hour under a random cookie. After
signing in again the person returns to the same page, and the fields go into their draft there.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from chalicelib import clock

COOKIE = "resume"
LIFETIME = timedelta(hours=1)
MAX_CHARS = 200_000  # DynamoDB items are at most 400 kB
FORM_PAGE = re.compile(r"^/drafts/[0-9a-f]{32}/pages/\d{1,2}$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resumable(path: str) -> bool:
    return bool(FORM_PAGE.match(path))


def stash(path: str, pairs: list[tuple[str, str]]) -> str:
    from chalicelib.models.session import PostStashModel

    kept, size = [], 0
    for name, value in pairs:
        if name in ("csrf_token", "action"):
            continue
        size += len(name) + len(value)
        if size > MAX_CHARS:
            break
        kept.append([name, value])
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    PostStashModel(stash_hash=_hash(token), path=path, fields=kept, created_at=now, expires_at=now + LIFETIME).save()
    return token


def take(token: str | None, path: str) -> list[tuple[str, str]] | None:
    """The stashed fields for this page (then forgotten), or None."""
    from pynamodb.exceptions import DeleteError, DoesNotExist

    from chalicelib.models.session import PostStashModel

    if not token or len(token) > 100:
        return None
    try:
        item = PostStashModel.get(_hash(token))
    except DoesNotExist:
        return None
    try:
        item.delete(condition=PostStashModel.stash_hash.exists())
    except DeleteError:
        return None
    if item.path != path or item.expires_at <= clock.utcnow():
        return None
    return [(name, value) for name, value in item.fields]
