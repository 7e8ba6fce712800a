"""Retention: submissions and their files are removed a per-e-service period after the decision
(default 10 years, `retention_years` in the catalogue), by a daily scheduled job that queries the
sparse `retention` index (never a Scan). Drafts, sessions, sign-in transactions, idempotency
records, stashes and feedback expire by DynamoDB TTL (and are filtered on read where it matters).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from chalicelib import clock

log = logging.getLogger("portal.retention")


def retain_until(service_id: str) -> datetime:
    from chalicelib.catalogue.store import get_service

    service = get_service(service_id)
    years = service.retention_years if service else 10
    return clock.utcnow() + timedelta(days=round(365.25 * years))


def remove_expired(now: datetime | None = None) -> int:
    """Delete every submission whose retention ended, with its events and files. Returns how many."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.forms.attachments import delete as delete_files
    from chalicelib.models.base import connection
    from chalicelib.models.forms import CounterModel, EventModel, SubmissionModel, folder_counter

    now = now or clock.utcnow()
    removed = 0
    for key in SubmissionModel.retention.query("r", SubmissionModel.retain_until <= now):
        item = SubmissionModel.get(key.item_number)
        events = list(EventModel.query(item.item_number))
        delete_files([a.s3_key for a in item.attachments] + [a.s3_key for e in events for a in (e.attachments or [])])
        with EventModel.batch_write() as batch:
            for event in events:
                batch.delete(event)
        # The item leaves its folder and the folder's count with it, together (the count gives the page numbers).
        with TransactWrite(connection=connection()) as transaction:
            transaction.delete(item, condition=SubmissionModel.retain_until <= now)
            if item.owner_id:
                transaction.update(folder_counter(item.owner_id), actions=[CounterModel.value.add(-1)])
        removed += 1
    log.info("retention: removed %d submissions", removed)
    return removed
