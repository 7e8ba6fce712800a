"""The e-services folder: what a person's (or organisation's) folder lists.

One Query of the sparse ``owner-updated`` index (only the projected list fields, never the answers)
and one Query of the owner's drafts, whatever the folder's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.i18n import N_

STATUS_LABELS = {
    "sent": N_("Sent"),
    "received": N_("Received"),
    "processing": N_("Processing"),
    "info-requested": N_("Additional information requested"),
    "decided": N_("Decided"),
    "cancelled": N_("Cancelled"),
}


@dataclass(frozen=True)
class FolderRow:
    item_number: str
    service_id: str
    status: str
    status_at: datetime
    unseen: bool


def sent_items(owner_id: str) -> list[FolderRow]:
    from chalicelib.models.forms import SubmissionModel

    rows = SubmissionModel.owner_updated.query(owner_id, scan_index_forward=False)
    return [
        FolderRow(r.item_number, r.service_id, r.status, r.status_at, r.unseen_since is not None)
        for r in rows
    ]


def drafts(owner_id: str) -> list:
    from chalicelib.forms.drafts import list_drafts

    return sorted(list_drafts(owner_id), key=lambda d: d.updated_at, reverse=True)

