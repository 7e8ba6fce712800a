"""The e-services folder: the list, each item's information, messages, complements and templates.

Access: a folder belongs to a profile (a person's own, or an organisation's shared one). Every item
is read by its number and answered "not found" unless it is in the caller's folder, exactly as a
number that does not exist: no existence leak. Health care submissions have no folder at all.

Round trips: a page of the list is one GetItem of the folder's item count and one Query of ten items
of a sparse index (``owner-updated`` or ``owner-name-<language>``, only the projected list fields), and
one Query of ten drafts; whatever the folder's size. An item is one GetItem and one Query of its events.
"""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib import clock, observability, statuses
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.i18n import N_, Message

PAGE_SIZE = 10
TEXT_MAX = 4000
SORTS = ("updated", "name")
CURSOR_MAX = 1600  # characters of a cursor parameter; anything longer is not one the folder gave


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
    """One page of the folder. ``cursors`` holds the opaque cursor of each page number the page links
    to that needs one (the neighbours); page 1 and the last page need none."""

    rows: list[FolderRow]
    page: int
    pages: int
    total: int
    query: str = ""
    sort: str = "updated"
    cursors: dict[int, str] = field(default_factory=dict)

    def numbers(self) -> list[int | None]:
        """The page numbers the pagination shows, ``None`` for an ellipsis: 1 … 6 7 8 … 34."""
        shown = sorted({n for n in (1, self.page - 1, self.page, self.page + 1, self.pages) if 1 <= n <= self.pages})
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def _row(r) -> FolderRow:
    return FolderRow(r.item_number, r.service_id, r.status, r.status_at,
                     datetime.fromisoformat(r.updated_sort.split("#", 1)[0]), r.unseen_since is not None)


def _index(sort: str, language: str):
    """The index a sort reads, its range key's name, and whether its reading order is ascending."""
    from chalicelib.models.forms import SubmissionModel

    if sort == "name":
        return getattr(SubmissionModel, f"owner_name_{language}"), f"name_sort_{language}", True
    return SubmissionModel.owner_updated, "updated_sort", False


def _encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, sort_id: str, page: int) -> dict | None:
    """The cursor if it is one the folder gave for this sort and page, else None (the caller shows page 1).
    A cursor holds a row's sort key (a time or an e-service's name, and the item number), the
    direction and the page number: nothing personal, and no owner (that comes from the session)."""
    if not cursor or len(cursor) > CURSOR_MAX:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or set(data) != {"s", "k", "i", "d", "p"}:
        return None
    key, item, separator = data["k"], data["i"], "#" if sort_id == "updated" else "\x1f"
    if data["s"] != sort_id or data["d"] not in ("next", "prev") or data["p"] != page or isinstance(data["p"], bool):
        return None
    if not (isinstance(item, str) and item.isdigit() and len(item) <= 12 and isinstance(key, str)
            and key.endswith(separator + item)):
        return None
    return data


def _count(owner_id: str) -> int:
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import folder_counter

    counter = folder_counter(owner_id)
    try:
        counter.refresh()
    except DoesNotExist:
        return 0
    return max(0, int(counter.value or 0))


def _read(owner_id: str, sort: str, language: str, *, limit: int, backwards: bool = False,
          after: dict | None = None) -> list:
    """At most ``limit`` items of the folder in the sort's reading order (or backwards from its end),
    starting after the row ``after``: one Query, ``limit`` items read."""
    index, range_name, ascending = _index(sort, language)
    start = None
    if after:
        start = {"owner_id": {"S": owner_id}, range_name: {"S": after["k"]}, "item_number": {"S": after["i"]}}
    found = index.query(owner_id, scan_index_forward=ascending != backwards, limit=limit, page_size=limit,
                        last_evaluated_key=start)
    rows = list(found)
    return rows[::-1] if backwards else rows


def _search(owner_id: str, digits: str, sort: str) -> FolderPage:
    """An item number: one GetItem and the owner check (leading zeros may be left out). Only the whole
    number finds an item; the search box says so (docs/data-model.md: why not a part of it)."""
    try:
        item = get_item(owner_id, (digits.lstrip("0") or "0").zfill(6))
    except NotFound:
        return FolderPage([], 1, 1, 0, digits, sort)
    return FolderPage([_row(item)], 1, 1, 1, digits, sort)


def list_folder(owner_id: str, *, language: str, query: str = "", sort: str = "updated", page: int = 1,
                cursor: str | None = None) -> FolderPage:
    """One page of the folder, reading one page: the count (one GetItem of the folder's counter) and
    ten items (one Query of ``owner-updated`` or of ``owner-name-<language>``). Page 1 and the last page
    are read from either end of the index; the pages in between from the cursor of a neighbouring page
    (the links of 1 … 6 7 8 … 34 carry it). A cursor that is not one the folder gave shows page 1.
    Search by item number (digits only)."""
    from chalicelib.i18n import DEFAULT_LANGUAGE, LANGUAGES

    digits = "".join(ch for ch in query if ch.isdigit())[:12]
    sort = sort if sort in SORTS else "updated"
    if digits:
        return _search(owner_id, digits, sort)
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    sort_id = "updated" if sort == "updated" else f"name-{language}"
    total = _count(owner_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows: list = []
    if 1 < page == pages:
        rows = _read(owner_id, sort, language, limit=total - (pages - 1) * PAGE_SIZE, backwards=True)
    elif page > 1:
        at = _decode_cursor(cursor, sort_id, page)
        if at is not None:
            if at["d"] == "next":
                rows = _read(owner_id, sort, language, limit=PAGE_SIZE, after=at)
            else:
                rows = _read(owner_id, sort, language, limit=PAGE_SIZE, backwards=True, after=at)
    if not rows:  # page 1, or a cursor not given by the folder, or a page emptied meanwhile
        page = 1
        rows = _read(owner_id, sort, language, limit=PAGE_SIZE)
        if len(rows) < PAGE_SIZE:  # the whole folder is on this page: its size is known exactly
            total = len(rows)
    total = max(total, (page - 1) * PAGE_SIZE + len(rows))  # never fewer than shown (a count behind)
    pages = max(1, -(-total // PAGE_SIZE))
    _, range_name, _ = _index(sort, language)
    cursors = {}
    if rows and page + 1 < pages:
        last = rows[-1]
        cursors[page + 1] = _encode_cursor({"s": sort_id, "k": getattr(last, range_name), "i": last.item_number,
                                            "d": "next", "p": page + 1})
    if rows and page - 1 > 1:
        first = rows[0]
        cursors[page - 1] = _encode_cursor({"s": sort_id, "k": getattr(first, range_name), "i": first.item_number,
                                            "d": "prev", "p": page - 1})
    return FolderPage([_row(r) for r in rows], page, pages, total, "", sort, cursors)


def latest(owner_id: str, limit: int = 5) -> list[FolderRow]:
    """The most recently changed items, for the signed-in front page: one Query, ``limit`` items read."""
    return [_row(r) for r in _read(owner_id, "updated", "fi", limit=limit)][:limit]


@dataclass
class DraftsPage:
    drafts: list
    next_cursor: str | None = None
    more: bool = False  # not the first page: a link back to the first


def drafts(owner_id: str, cursor: str | None = None) -> DraftsPage:
    """The drafts at the bottom of the folder, ten read at a time (one Query, ``Limit`` 10) in the
    table's order of draft ids, the page's drafts newest first; expired drafts and sent markers that
    the page read are left out (so a page may show fewer than ten)."""
    from chalicelib.models.forms import DraftModel

    start = None
    if cursor and len(cursor) <= 64:
        try:
            draft_id = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
        except (ValueError, RecursionError, binascii.Error, UnicodeDecodeError):
            draft_id = ""
        if len(draft_id) == 32 and all(ch in "0123456789abcdef" for ch in draft_id):
            start = {"owner_id": {"S": owner_id}, "draft_id": {"S": draft_id}}
    found = DraftModel.query(owner_id, limit=PAGE_SIZE, page_size=PAGE_SIZE, last_evaluated_key=start)
    now = clock.utcnow()
    shown = sorted((d for d in found if d.expires_at > now and not d.sent_item_number),
                   key=lambda d: d.updated_at, reverse=True)
    last = found.last_evaluated_key
    next_cursor = base64.urlsafe_b64encode(last["draft_id"]["S"].encode()).decode().rstrip("=") if last else None
    return DraftsPage(shown, next_cursor, start is not None)


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
    beyond = files.beyond_totals([], uploads, draft=False)
    if beyond:
        raise Invalid({"files": beyond})
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
