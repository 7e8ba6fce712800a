"""Nothing is lost when a session expires while a form is open.

A form page posted without a valid session cannot be saved (nobody is signed in to own it), so its
fields (text only; files must be attached again) are kept for an hour, server-side, bound to the
person whose session timed out; the browser holds only a random cookie. When that person signs in
again they return to the same page, and the fields go into their draft there. When anyone else
signs in on that browser (a shared computer), the stash is deleted unread. A person who was acting
for someone (a child, a company) gets it back once they act for them again: the stash names the
folder, and waits (within its hour) while the person acts for someone else.
"""
from __future__ import annotations

import hashlib
import hmac
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


class OtherFolder(Exception):
    """The stash is this person's, for the folder of someone they are not acting for now: kept."""


def stash(path: str, pairs: list[tuple[str, str]], person: str, folder: str | None = None) -> str:
    """Keep the posted fields for ``person`` (sessions.person_hash) and the ``folder`` (profile id)
    the form was in; returns the cookie value."""
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
    PostStashModel(stash_hash=_hash(token), person_hash=person, folder=folder, path=path, fields=kept, created_at=now,
                   expires_at=now + LIFETIME).save()
    return token


def _get(token: str | None):
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.session import PostStashModel

    if not token or len(token) > 100:
        return None
    try:
        return PostStashModel.get(_hash(token))
    except DoesNotExist:
        return None


def _belongs(item, person: str | None) -> bool:
    return person is not None and hmac.compare_digest((item.person_hash or "").encode(), person.encode())


def keep_for(token: str | None, person: str | None) -> bool | None:
    """At sign-in: True when the cookie names a live stash of ``person`` (it stays for the page);
    False when it named someone else's (deleted unread); None when it names nothing any more."""
    item = _get(token)
    if item is None:
        return None
    if _belongs(item, person) and item.expires_at > clock.utcnow():
        return True
    item.delete()
    return False


def discard(token: str | None) -> None:
    item = _get(token)
    if item is not None:
        item.delete()


def take(token: str | None, path: str, person: str | None, folder: str | None = None) -> list[tuple[str, str]] | None:
    """The stashed fields for this page, this person and this folder (then forgotten), or None.
    Raises OtherFolder (and keeps the stash) when it is the person's, for the folder of someone
    else than the one they act for now."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.models.session import PostStashModel

    item = _get(token)
    if item is None:
        return None
    if _belongs(item, person) and item.folder and folder != item.folder and item.expires_at > clock.utcnow():
        raise OtherFolder()
    try:
        item.delete(condition=PostStashModel.stash_hash.exists())
    except DeleteError:
        return None
    if not _belongs(item, person):
        return None
    if item.path != path or item.expires_at <= clock.utcnow():
        return None
    return [(name, value) for name, value in item.fields]
