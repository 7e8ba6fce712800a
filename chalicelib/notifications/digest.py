"""What is new for one customer: read from the folder's sparse ``owner-updated`` index only.

One Query per customer (``owner_id``, ``updated_sort`` after the last notification), reading only
the projected list fields (service_id, status, status_at, city_changed_at, message_at): no answers,
no attachments, nothing about the person. Every item the City changed (a status or a message) after
the last notification is listed, whether or not the customer has opened it in the portal meanwhile:
the guide promises a notification whenever something changes in one's own e-services, and a
customer who opened the item on one device may still want the e-mail to find it again. The
customer's own complements and replies are never notified (they move ``updated_sort``, which only
widens the Query, but not ``city_changed_at``).

Each item says what kind of change it had: a new status (with its name) when ``status_at`` is newer
than what was notified, and "new message" when ``message_at`` is; both when both are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.i18n import N_

KIND_LABELS = {
    "message": N_("New message"),
    "update": N_("New event"),
}
NEW_STATUS = N_("New status: %(status)s")


@dataclass(frozen=True)
class Row:
    """One folder item as the index shows it."""

    item_number: str
    service_id: str
    status: str
    status_at: datetime
    updated_at: datetime  # the City's latest change to it
    message_at: datetime | None  # the City's latest message in it


@dataclass(frozen=True)
class Change:
    """One line of a notification: an item and what is new in it."""

    item_number: str
    service_id: str
    updated_at: datetime
    new_status: str | None  # the status's id when the status changed
    new_message: bool

    @property
    def kinds(self) -> tuple[str, ...]:
        kinds = (("status",) if self.new_status else ()) + (("message",) if self.new_message else ())
        return kinds or ("update",)


def sort_bound(since: datetime) -> str:
    """The smallest ``updated_sort`` ("<iso>#<item>") strictly after ``since``: '~' sorts after every
    digit of an item number, so a change at exactly ``since`` (already notified) stays out."""
    return f"{since.isoformat()}#~"


def rows_since(owner_id: str, since: datetime) -> list[Row]:
    """Items of the folder that the City changed after ``since`` (any change after ``since`` moved the
    item's ``updated_sort`` past it, so the Query's range holds them all)."""
    from chalicelib.models.forms import SubmissionModel

    found = SubmissionModel.owner_updated.query(owner_id, SubmissionModel.updated_sort > sort_bound(since))
    return [
        Row(r.item_number, r.service_id, r.status, r.status_at, r.city_changed_at, r.message_at)
        for r in found
        if r.city_changed_at is not None and r.city_changed_at > since
    ]


def changes(rows: list[Row], since: datetime) -> list[Change]:
    """The lines of a notification for everything in ``rows`` newer than ``since``, newest first."""
    lines = [
        Change(
            item_number=r.item_number,
            service_id=r.service_id,
            updated_at=r.updated_at,
            new_status=r.status if r.status_at > since and r.status != "sent" else None,
            new_message=r.message_at is not None and r.message_at > since,
        )
        for r in rows
        if r.updated_at > since
    ]
    return sorted(lines, key=lambda c: (c.updated_at, c.item_number), reverse=True)


def first_change_bound(pending_since: datetime) -> datetime:
    """Before any notification: everything from the first pending change on is new."""
    return pending_since - timedelta(microseconds=1)
