"""Idempotency-Key for the division API's POSTs: a retry with the same key returns the first answer
and changes nothing; the same key with another body is a conflict; a retry while the first request
is still running is told so (409) instead of running twice."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock

LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class IdempotencyConflict(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict


def _sha(text: bytes | str) -> str:
    return hashlib.sha256(text if isinstance(text, bytes) else text.encode()).hexdigest()


def begin(division_id: str, key: str, method: str, path: str, body: bytes) -> Replay | None:
    """Claim the key for this request; returns the stored answer when this is a retry."""
    from pynamodb.exceptions import DoesNotExist, PutError

    from chalicelib.models.api import IdempotencyModel

    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyConflict("the Idempotency-Key header must be 1-200 printable characters")
    record_id = f"{division_id}#{_sha(key)}"
    request_hash = _sha(method.encode() + b" " + path.encode() + b"\n" + (body or b""))
    now = clock.utcnow()
    try:
        IdempotencyModel(record_id=record_id, request_hash=request_hash, state="in-progress", created_at=now,
                         expires_at=now + LIFETIME).save(condition=IdempotencyModel.record_id.does_not_exist())
        return None
    except PutError:
        pass
    try:
        record = IdempotencyModel.get(record_id, consistent_read=True)
    except DoesNotExist:
        raise IdempotencyConflict("the request with this Idempotency-Key could not be checked; retry") from None
    if record.request_hash != request_hash:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request")
    if record.state != "done":
        raise IdempotencyConflict("a request with this Idempotency-Key is still being processed; retry later")
    return Replay(int(record.status_code), record.body)


def finish(division_id: str, key: str, status_code: int, body: dict) -> None:
    from chalicelib.models.api import IdempotencyModel

    IdempotencyModel(f"{division_id}#{_sha(key)}").update(actions=[
        IdempotencyModel.state.set("done"), IdempotencyModel.status_code.set(status_code), IdempotencyModel.body.set(body),
    ])


def abandon(division_id: str, key: str) -> None:
    """The request failed without changing anything: the key may be used again."""
    from chalicelib.models.api import IdempotencyModel

    IdempotencyModel(f"{division_id}#{_sha(key)}").delete()
