"""The e-services folder: the list, each item's information, messages, complements and templates.

Access: a folder belongs to a profile (a person's own, or an organisation's shared one). Every item
is read by its number and answered "not found" unless it is in the caller's folder, exactly as a
number that does not exist: no existence leak. Health care submissions have no folder at all.

Round trips: the list is one Query of the sparse ``owner-updated`` index (only the projected list
fields) and one Query of the drafts; an item is one GetItem and one Query of its events.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib import clock, observability, statuses
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.i18n import N_, Message

PAGE_SIZE = 10
TEXT_MAX = 4000
@dataclass(frozen=True)
class FolderRow:
    item_number: str
    service_id: str
    status: str
    status_at: datetime
    updated_at: datetime
    unseen: bool


@dataclass
class FolderPage:
    rows: list[FolderRow]
    page: int
    pages: int
    total: int
    query: str = ""
    sort: str = "updated"


def _rows(owner_id: str) -> list[FolderRow]:
    from chalicelib.models.forms import SubmissionModel

    found = SubmissionModel.owner_updated.query(owner_id, scan_index_forward=False)
    return [
        FolderRow(r.item_number, r.service_id, r.status, r.status_at,
                  datetime.fromisoformat(r.updated_sort.split("#", 1)[0]), r.unseen_since is not None)
        for r in found
    ]


def list_folder(owner_id: str, *, language: str, query: str = "", sort: str = "updated", page: int = 1) -> FolderPage:
    """One page of the folder. Search by item number (digits only), sort by update or by name."""
    from chalicelib.catalogue.search import sort_key
    from chalicelib.catalogue.store import get_service

    rows = _rows(owner_id)
    digits = "".join(ch for ch in query if ch.isdigit())[:10]
    if digits:
        rows = [r for r in rows if digits in r.item_number]
    if sort == "name":
        def name(row):
            service = get_service(row.service_id)
            return sort_key(service.name.get(language) if service else row.service_id, language)

        rows.sort(key=lambda r: (name(r), r.item_number))
    else:
        sort = "updated"
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    return FolderPage(rows[start:start + PAGE_SIZE], page, pages, len(rows), digits, sort)


def latest(owner_id: str, limit: int = 5) -> list[FolderRow]:
    """The most recently changed items, for the signed-in front page."""
    from chalicelib.models.forms import SubmissionModel

    found = SubmissionModel.owner_updated.query(owner_id, scan_index_forward=False, limit=limit)
    return [
        FolderRow(r.item_number, r.service_id, r.status, r.status_at,
                  datetime.fromisoformat(r.updated_sort.split("#", 1)[0]), r.unseen_since is not None)
        for r in found
    ][:limit]


def drafts(owner_id: str) -> list:
    from chalicelib.forms.drafts import list_drafts

    return sorted(list_drafts(owner_id), key=lambda d: d.updated_at, reverse=True)


def get_item(owner_id: str, item_number: str):
    """The submission, if it is in this folder; otherwise NotFound, as for a number that does not exist."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import SubmissionModel

    if not item_number.isdigit() or len(item_number) > 12:
        raise NotFound("item")
    try:
        item = SubmissionModel.get(item_number)
    except DoesNotExist:
        raise NotFound("item") from None
    if item.owner_id is None or item.owner_id != owner_id:
        raise NotFound("item")
    return item


@dataclass
class Thread:
    thread_id: str
    messages: list = field(default_factory=list)  # oldest first

    @property
    def reply_allowed(self) -> bool:
        officials = [m for m in self.messages if m.author == "official"]
        return bool(officials) and bool(officials[-1].reply_allowed)


@dataclass
class ItemView:
    item: object
    events: list  # newest first
    threads: list[Thread]
    attachments: list  # every file: application, complements, messages


def view_item(owner_id: str, item_number: str, *, mark_seen: bool = True) -> ItemView:
    """Everything "Open the information" shows; opening it marks the item seen (on every device)."""
    from chalicelib.models.forms import EventModel, SubmissionModel

    item = get_item(owner_id, item_number)
    events = list(EventModel.query(item_number, scan_index_forward=False))
    threads: dict[str, Thread] = {}
    for event in reversed(events):
        if event.kind == "message" and event.thread_id:
            threads.setdefault(event.thread_id, Thread(event.thread_id)).messages.append(event)
    files = list(item.attachments) + [a for e in reversed(events) for a in (e.attachments or [])]
    if mark_seen and item.unseen_since is not None:
        from pynamodb.exceptions import UpdateError

        try:
            item.update(
                actions=[SubmissionModel.unseen_since.remove(), SubmissionModel.seen_at.set(clock.utcnow())],
                condition=SubmissionModel.unseen_since.exists(),
            )
        except UpdateError:
            pass  # seen meanwhile on another device
    return ItemView(item, events, list(threads.values()), files)


def _text(raw: str, *, required: bool) -> str:
    text = (raw or "").strip()
    if len(text) > TEXT_MAX:
        raise Invalid({"text": Message(N_("The text can be at most %(max)d characters long."), {"max": TEXT_MAX})})
    if required and not text:
        raise Invalid({"text": N_("Write a message.")})
    return text


def _store_files(uploads, kind: str) -> list[dict]:
    """Check every file before storing any: a refused file stores nothing."""
    from chalicelib.forms import attachments as files

    uploads = [u for u in uploads if u.filename or u.content]
    for upload in uploads:
        try:
            files.check_upload(upload)
        except files.AttachmentRefused as refused:
            raise Invalid({"files": refused.message}) from None
    return [files.store(u, kind) for u in uploads]


class _LostRace(Exception):
    """The item's status was not the one the change was checked against: another change came first."""


def _add_event(item, event, *, from_city: bool, status: str | None = None, extra_actions: list | None = None) -> None:
    """Append an event and touch the item (its place in the folder), in one transaction. Something
    from the City also labels the item "New" until opened, records when the City last changed it
    (and sent a message), and leaves the owner a pending notification for the hourly sweep: in the
    same transaction, so that no change is recorded without its notification. A new ``status`` is
    compare-and-set: written only if the item still has the status it was checked against
    (``item.status``), else ``_LostRace`` and nothing is written."""
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.base import connection
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.notifications import mark_pending

    now = event.created_at
    actions = [SubmissionModel.updated_at.set(now), SubmissionModel.updated_sort.set(f"{now.isoformat()}#{item.item_number}")]
    condition = SubmissionModel.item_number.exists()
    if status:
        actions += [SubmissionModel.status.set(status), SubmissionModel.status_at.set(now)]
        condition &= SubmissionModel.status == item.status
    if from_city:
        actions += [SubmissionModel.unseen_since.set(SubmissionModel.unseen_since | now),
                    SubmissionModel.city_changed_at.set(now)]
        if event.kind == "message":
            actions.append(SubmissionModel.message_at.set(now))
    actions += extra_actions or []
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(event, condition=type(event).event_sort.does_not_exist())
            transaction.update(item, actions=actions, condition=condition)
            if from_city and item.owner_id:
                mark_pending(transaction, item.owner_id, now)
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        if status and len(reasons) > 1 and reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            raise _LostRace from None
        raise


def _event(item_number: str, kind: str, **attributes):
    from chalicelib.models.forms import AttachmentRef, EventModel

    now = clock.utcnow()
    files = [a if isinstance(a, AttachmentRef) else AttachmentRef(**a) for a in attributes.pop("attachments", [])]
    return EventModel(item_number=item_number, event_sort=f"{now.isoformat()}#{uuid.uuid4().hex[:12]}", kind=kind,
                      created_at=now, attachments=files, **attributes)


def complement(owner_id: str, item_number: str, *, text: str, uploads: list, author_name: str) -> None:
    """Add text and/or files to a sent application: the event "Complemented", visible to the division."""
    item = get_item(owner_id, item_number)
    text = _text(text, required=False)
    if not text and not [u for u in uploads if u.filename or u.content]:
        raise Invalid({"text": N_("Write the complement or add a file.")})
    stored = _store_files(uploads, "complement")
    _add_event(item, _event(item_number, "complement", author="customer", author_name=author_name, text=text or None,
                            attachments=stored), from_city=False)


def reply(owner_id: str, item_number: str, thread_id: str, *, text: str, uploads: list, author_name: str) -> None:
    """The customer's message in a thread an official started and left open for replies."""
    from chalicelib.models.forms import EventModel

    item = get_item(owner_id, item_number)
    thread = [e for e in EventModel.query(item_number) if e.kind == "message" and e.thread_id == thread_id]
    if not thread:
        raise NotFound("thread")
    if not Thread(thread_id, thread).reply_allowed:
        raise Invalid({"text": N_("This conversation is closed for replies.")})
    text = _text(text, required=True)
    stored = _store_files(uploads, "message")
    _add_event(item, _event(item_number, "message", author="customer", author_name=author_name, text=text,
                            thread_id=thread_id, attachments=stored), from_city=False)


def official_message(item_number: str, *, text: str, author_name: str, reply_allowed: bool,
                     thread_id: str | None = None, attachments: list | None = None) -> str:
    """An official starts or continues a thread (the division API calls this). Marks the item New."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import SubmissionModel

    try:
        item = SubmissionModel.get(item_number)
    except DoesNotExist:
        raise NotFound("item") from None
    thread_id = thread_id or uuid.uuid4().hex
    _add_event(item, _event(item_number, "message", author="official", author_name=author_name, text=_text(text, required=True),
                            thread_id=thread_id, reply_allowed=reply_allowed, attachments=attachments or []),
               from_city=True)
    return thread_id


def change_status(item_number: str, status: str, *, note: str | None = None, author_name: str | None = None,
                  item=None) -> datetime:
    """A new processing status from the division (the division API calls this). Marks the item New.

    Only the transitions of chalicelib/statuses.py are allowed, checked against the status the item
    has when it is written (compare-and-set): of two changes racing from the same status, one wins
    and the other is a ``Conflict`` that changed nothing. ``item`` saves a read when the caller has it.
    Returns the new status's time.
    """
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import SubmissionModel

    if status not in statuses.SETTABLE:
        raise Invalid({"status": N_("Unknown status.")})
    if item is None:
        try:
            item = SubmissionModel.get(item_number, consistent_read=True)
        except DoesNotExist:
            raise NotFound("item") from None
    if not statuses.can_move(item.status, status):
        raise Conflict(f"a submission in status {item.status!r} cannot move to {status!r}")
    extra = []
    if status in statuses.FINAL:
        from chalicelib.privacy.retention import retain_until

        extra = [SubmissionModel.retain_shard.set("r"), SubmissionModel.retain_until.set(retain_until(item.service_id))]
    event = _event(item_number, "status", status=status, text=(note or None), author="official", author_name=author_name)
    try:
        _add_event(item, event, from_city=True, status=status, extra_actions=extra)
    except _LostRace:
        raise Conflict(f"another change moved the submission from {item.status!r} meanwhile; read it again") from None
    observability.count(observability.STATUS_UPDATES)
    return event.created_at


def use_as_template(owner_id: str, item_number: str, *, identity: dict[str, str], acting_name: str):
    """A new draft with this application's answers; identity fields from the current sign-in; no files."""
    from chalicelib.forms import drafts as form_drafts
    from chalicelib.forms.store import form_for

    item = get_item(owner_id, item_number)
    form = form_for(item.service_id)
    if form is None:
        raise NotFound("form")
    draft = form_drafts.new(form_drafts.Owner(owner_id, acting_name), uuid.uuid4().hex, form, identity)
    answers = dict(item.answers)
    for f in form.fields():
        if f.type == "attachment":
            answers.pop(f.name, None)
        elif f.readonly:
            answers[f.name] = identity.get(f.prefill, "")
        elif f.type == "checkbox":
            answers[f.name] = "yes" if answers.get(f.name) is True else ""
        elif f.type == "date" and f.name in answers:
            day = answers[f.name]
            answers[f.name] = f"{int(day[8:10])}.{int(day[5:7])}.{day[0:4]}"
    draft.answers = answers
    form_drafts.save(draft, is_new=True)
    return draft
