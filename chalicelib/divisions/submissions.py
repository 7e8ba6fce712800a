"""What divisions do through the API: list and read their submissions, change statuses, message
customers. A division never sees another division's submissions: they answer NotFound, as if absent."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from chalicelib.config import settings
from chalicelib.divisions import name_of
from chalicelib.divisions.keys import ApiCaller
from chalicelib.divisions.schemas import (
    ActorOut, AttachmentOut, EventOut, MessageIn, MessagePosted, StatusChange, StatusChanged, SubmissionDetail, SubmissionList,
    PrincipalOut, SubmissionSummary,
)
from chalicelib.errors import Conflict, Invalid, NotFound, TooLarge, UnsupportedType

MAX_LIMIT = 100
DOWNLOAD_SECONDS = 300


def _updated_at(row) -> datetime:
    return datetime.fromisoformat(row.updated_sort.split("#", 1)[0])


def _summary(row) -> SubmissionSummary:
    return SubmissionSummary(item_number=row.item_number, service_id=row.service_id, status=row.status,
                             status_at=row.status_at, updated_at=_updated_at(row), health_care=bool(row.health_care))


def _encode_cursor(key: dict | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode() if key else None


def _decode_cursor(cursor: str | None, division_id: str) -> dict | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        fields = {"division_id", "updated_sort", "item_number"}
        if not isinstance(key, dict) or set(key) != fields or key["division_id"] != {"S": division_id}:
            raise ValueError
        if not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values()):
            raise ValueError
    except (ValueError, RecursionError, binascii.Error, UnicodeDecodeError):
        raise Invalid({"cursor": "the cursor is not one this API gave"}) from None
    return key


def list_submissions(caller: ApiCaller, *, service: str | None = None, status: str | None = None,
                     updated_since: datetime | None = None, cursor: str | None = None, limit: int = 50,
                     health_care_only: bool = False) -> SubmissionList:
    from chalicelib.models.forms import SubmissionModel

    condition = SubmissionModel.updated_sort > updated_since.isoformat() if updated_since else None
    filters = None
    for extra in (
        SubmissionModel.service_id == service if service else None,
        SubmissionModel.status == status if status else None,
        SubmissionModel.health_care == True if health_care_only else None,  # noqa: E712 (a PynamoDB condition)
    ):
        if extra is not None:
            filters = extra if filters is None else filters & extra
    result = SubmissionModel.division_updated.query(
        caller.division_id, condition, filter_condition=filters, limit=min(max(1, limit), MAX_LIMIT),
        last_evaluated_key=_decode_cursor(cursor, caller.division_id),
    )
    rows = list(result)
    from chalicelib.privacy import audit

    audit.record_many([(row.owner_id or row.sender_id, "list", "division",
                        {"division_id": caller.division_id, "key_id": caller.key_id, "item_number": row.item_number})
                       for row in rows])
    return SubmissionList(items=[_summary(row) for row in rows], next_cursor=_encode_cursor(result.last_evaluated_key))


def _submission(caller: ApiCaller, item_number: str):
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import SubmissionModel

    try:
        item = SubmissionModel.get(item_number, consistent_read=True)  # a status change is checked against it
    except DoesNotExist:
        raise NotFound("submission") from None
    if item.division_id != caller.division_id:
        raise NotFound("submission")
    return item


def get_submission(caller: ApiCaller, item_number: str) -> SubmissionDetail:
    from chalicelib.clients import client
    from chalicelib.models.forms import EventModel

    from chalicelib.privacy import audit

    item = _submission(caller, item_number)
    audit.division_access(item, "read", caller)
    events = list(EventModel.query(item_number))
    s3 = client("s3")
    from chalicelib import scanning

    refs = [("application", a) for a in item.attachments] + [
        ("message" if e.kind == "message" else "complement", a) for e in events for a in e.attachments or []]
    scans = scanning.states([a.s3_key for _, a in refs])

    def link(ref) -> str | None:
        # Only a file GuardDuty found clean is handed out (docs/operations.md, "Malware scanning").
        if not scanning.deliverable(scans.get(ref.s3_key, scanning.PENDING)):
            return None
        return s3.generate_presigned_url("get_object", Params={"Bucket": settings().attachments_bucket, "Key": ref.s3_key},
                                         ExpiresIn=DOWNLOAD_SECONDS)

    files = [AttachmentOut(attachment_id=a.attachment_id, name=a.name, size=int(a.size), content_type=a.content_type,
                           source=source, scan_status=scans.get(a.s3_key, scanning.PENDING), download_url=link(a))
             for source, a in refs]
    return SubmissionDetail(
        **_summary(item).model_dump(), language=item.language, sent_by=item.sent_by, created_at=item.created_at,
        principal=_principal(item), acted_by=ActorOut(name=item.sent_by),
        answers=item.answers, attachments=files,
        events=[EventOut(kind=e.kind, at=e.created_at, status=e.status, author=e.author, text=e.text, thread_id=e.thread_id,
                         reply_allowed=e.reply_allowed, attachment_ids=[a.attachment_id for a in e.attachments or []])
                for e in events],
    )


def _principal(item) -> PrincipalOut:
    """For whom the item was sent. Items from before issue 17, and a person's own, carry no principal:
    it is the profile that sent it (one GetItem; a deleted profile leaves only the sender's name)."""
    from chalicelib.identity.profiles import get_profile

    if item.principal_kind:
        return PrincipalOut(kind=item.principal_kind, relation=item.principal_relation or "self",
                            name=item.principal_name or "", identifier=item.principal_identifier)
    try:
        profile = get_profile(item.owner_id or item.sender_id)
    except NotFound:
        return PrincipalOut(kind="person", relation="self", name=item.sent_by)
    if profile.kind == "organisation":
        return PrincipalOut(kind="organisation", relation="self", name=profile.organisation_name or "",
                            identifier=profile.business_id)
    return PrincipalOut(kind="person", relation="self", name=f"{profile.given_name or ''} {profile.family_name or ''}".strip(),
                        identifier=profile.personal_identity_code)


def change_status(caller: ApiCaller, item_number: str, change: StatusChange) -> StatusChanged:
    from chalicelib import folder

    from chalicelib.privacy import audit

    item = _submission(caller, item_number)
    status_at = folder.change_status(item_number, change.status, note=change.note,
                                     author_name=name_of(caller.division_id, item.language), item=item)
    audit.division_access(item, "status-change", caller)
    return StatusChanged(item_number=item_number, status=change.status, status_at=status_at)


def post_message(caller: ApiCaller, item_number: str, message: MessageIn) -> MessagePosted:
    from chalicelib import folder
    from chalicelib.forms import attachments as files
    from chalicelib.models.forms import EventModel

    item = _submission(caller, item_number)
    if item.health_care:
        raise Conflict("health care messages go through the health care messaging service")
    if message.thread_id and not any(e.thread_id == message.thread_id for e in EventModel.query(item_number)):
        raise NotFound("thread")
    uploads = []
    for n, attachment in enumerate(message.attachments):
        try:
            content = base64.b64decode(attachment.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid({f"attachments[{n}].content_base64": "not valid base64"}) from None
        upload = files.Upload(attachment.filename, content)
        try:
            files.check_upload(upload)
        except files.AttachmentRefused as refused:
            error = {"size": TooLarge, "type": UnsupportedType}.get(refused.reason, Invalid)
            raise error({f"attachments[{n}]": refused.message}) from None
        uploads.append(upload)
    from chalicelib.privacy import audit

    stored = [files.store(u, "message") for u in uploads]
    audit.division_access(item, "message", caller)
    thread_id = folder.official_message(
        item_number, text=message.text, author_name=message.author_name or name_of(caller.division_id, item.language),
        reply_allowed=message.reply_allowed, thread_id=message.thread_id, attachments=stored,
    )
    return MessagePosted(item_number=item_number, thread_id=thread_id)
