"""The notification itself: an e-mail (subject, HTML and plain text) and a short text message, in the
customer's notification language. Lists service names (from the catalogue, in that language), item
numbers and the kind of each change: never answers, names or identity codes (nothing of the kind is
even read: see digest.py)."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib import statuses
from chalicelib.i18n import N_
from chalicelib.notifications.digest import KIND_LABELS, NEW_STATUS, Change

SUBJECT = N_("New events in your e-services folder")
SENDER_NAME = N_("City of Helsinki e-services")
# An e-mail lists at most this many items, then "and N more".
MAX_LINES = 20


@dataclass(frozen=True)
class Email:
    subject: str
    sender_name: str
    html: str
    text: str


@dataclass(frozen=True)
class Line:
    service_name: str
    item_number: str
    at: object  # datetime of the change
    kinds: tuple[str, ...]  # translated descriptions


def folder_url() -> str:
    from chalicelib.config import settings

    return settings().public_base_url.rstrip("/") + "/folder"


def _lines(changes: list[Change], language: str) -> list[Line]:
    from chalicelib.catalogue.store import get_service
    from chalicelib.i18n import translations

    gettext = translations(language).gettext
    lines = []
    for change in changes:
        service = get_service(change.service_id)
        kinds = []
        for kind in change.kinds:
            if kind == "status":
                label = statuses.LABELS.get(change.new_status)
                kinds.append(gettext(NEW_STATUS) % {"status": gettext(label) if label else change.new_status})
            else:
                kinds.append(gettext(KIND_LABELS[kind]))
        lines.append(Line(service.name.get(language) if service else change.service_id, change.item_number,
                          change.updated_at, tuple(kinds)))
    return lines


def compose_email(changes: list[Change], language: str) -> Email:
    from chalicelib.i18n import translations
    from chalicelib.templating import render_message

    gettext = translations(language).gettext
    lines = _lines(changes[:MAX_LINES], language)
    # ``count``: the items with something new (one line each), as in the text message; an item's line
    # names every kind of change it had (a new status, a new message), not how many events made them.
    context = {"subject": gettext(SUBJECT), "lines": lines, "more": max(0, len(changes) - MAX_LINES),
               "count": len(changes), "folder_url": folder_url()}
    return Email(
        subject=gettext(SUBJECT),
        sender_name=gettext(SENDER_NAME),
        html=render_message("notifications/email.html", language, **context),
        text=render_message("notifications/email.txt", language, **context),
    )


def compose_sms(changes: list[Change], language: str) -> str:
    """"Something new in N items": N counts the items with something new (``changes`` has one per
    item), the same number as the e-mail's first line; three changes to one item are one item."""
    from chalicelib.templating import render_message

    return render_message("notifications/sms.txt", language, count=len(changes), folder_url=folder_url()).strip()
