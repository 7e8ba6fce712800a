"""Test data for the folder, in one place (tests and bench/): submissions and drafts of one owner,
written in batches as the portal writes them (the folder's list keys and its item count included)."""
from __future__ import annotations

from datetime import timedelta


def put_items(owner: str, count: int, services: list[str], start: int = 1) -> None:
    """``count`` sent items numbered from ``start``, each a minute older than the one before, and the
    folder's count raised by as many (as sending does, one item at a time, in its transaction)."""
    from chalicelib import clock
    from chalicelib.catalogue.search import folder_name_keys
    from chalicelib.models.forms import CounterModel, SubmissionModel, folder_counter

    now = clock.utcnow()
    with SubmissionModel.batch_write() as batch:
        for n in range(start, start + count):
            at = now - timedelta(minutes=n)
            service = services[n % len(services)]
            batch.save(SubmissionModel(
                item_number=f"{n:06d}", owner_id=owner, sender_id=owner, sent_by="x", service_id=service,
                division_id="urban-environment", status="sent", status_at=at, answers={"dog_name": "Musti"},
                language="fi", created_at=at, updated_at=at, updated_sort=f"{at.isoformat()}#{n:06d}",
                **folder_name_keys(service, f"{n:06d}")))
    folder_counter(owner).update(actions=[CounterModel.value.add(count)])


def put_drafts(owner: str, count: int) -> None:
    from chalicelib import clock
    from chalicelib.models.forms import DraftModel

    now = clock.utcnow()
    with DraftModel.batch_write() as batch:
        for n in range(count):
            batch.save(DraftModel(owner_id=owner, draft_id=f"{n:032x}", service_id="dog-declaration", answers={},
                                  attachments=[], created_by="x", created_at=now - timedelta(seconds=n),
                                  updated_at=now - timedelta(seconds=n), expires_at=now + timedelta(days=90)))
