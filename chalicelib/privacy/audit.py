"""Appending to the audit trail (never updating or deleting) and reading it back."""
from __future__ import annotations

import uuid

from chalicelib import clock

UNIDENTIFIED = "unidentified"


def _entry(subject: str, action: str, actor: str, **fields):
    from chalicelib.models.audit import AuditModel

    now = clock.utcnow()
    return AuditModel(subject=subject, entry=f"{now.isoformat()}#{uuid.uuid4().hex[:12]}", at=now, action=action,
                      actor=actor, **{k: v for k, v in fields.items() if v is not None})


def record(subject: str | None, action: str, actor: str, **fields) -> None:
    from chalicelib.models.audit import AuditModel

    entry = _entry(subject or UNIDENTIFIED, action, actor, **fields)
    entry.save(condition=AuditModel.entry.does_not_exist())


def record_many(entries: list[tuple[str, str, str, dict]]) -> None:
    """Puts in transactions of up to 100 (not BatchWriteItem: the deployment allows only PutItem on
    this table, and a transaction's puts are authorised as PutItem; BatchWriteItem could also delete)."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.audit import AuditModel
    from chalicelib.models.base import connection

    for start in range(0, len(entries), 100):
        with TransactWrite(connection=connection()) as transaction:
            for subject, action, actor, fields in entries[start:start + 100]:
                transaction.save(_entry(subject or UNIDENTIFIED, action, actor, **fields),
                                 condition=AuditModel.entry.does_not_exist())


def sign_in(profile_id: str | None, method: str, *, success: bool, reason: str | None = None) -> None:
    record(profile_id, "sign-in" if success else "sign-in-failed", "customer", method=method, detail=reason)


def division_access(item, action: str, caller) -> None:
    """A division read or changed an item: the entry belongs to the customer whose data it is."""
    record(item.owner_id or item.sender_id, action, "division", division_id=caller.division_id, key_id=caller.key_id,
           item_number=item.item_number)


def for_profile(profile_id: str, limit: int = 200) -> list:
    from chalicelib.models.audit import AuditModel

    return list(AuditModel.query(profile_id, scan_index_forward=False, limit=limit))


def for_item(item_number: str) -> list:
    from chalicelib.models.audit import AuditModel

    return list(AuditModel.by_item.query(item_number))
