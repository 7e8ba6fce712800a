"""The division API's request and response bodies. The OpenAPI document is generated from these
models (chalicelib/divisions/openapi.py), so the documentation cannot drift from the code."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib import statuses

Status = Literal[statuses.ALL]
ScanStatus = Literal["PENDING", "NO_THREATS_FOUND", "THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED"]
NewStatus = Literal[statuses.SETTABLE]
ITEM_NUMBER = r"^\d{6,12}$"
THREAD_ID = r"^[0-9a-f]{32}$"


class _Out(BaseModel):
    # Validators are built on first use, not when the app is imported (cold start: docs/benchmarks.md).
    model_config = ConfigDict(defer_build=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class StatusChange(_In):
    """A new processing status (compare-and-set: a change that loses a race to another is 409)."""

    status: NewStatus = Field(description=statuses.describe_transitions())
    note: str | None = Field(default=None, max_length=2000, description="Shown to the customer with the status.")


class AttachmentIn(_In):
    filename: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(description="The file, base64-encoded; at most 2 MB decoded; PDF, JPEG, PNG or DOCX.")


class MessageIn(_In):
    """A message to the customer. Without thread_id it starts a new thread."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    reply_allowed: bool = Field(default=True, description="May the customer answer in this thread.")
    thread_id: str | None = Field(default=None, pattern=THREAD_ID)
    author_name: str | None = Field(default=None, max_length=200, description="Shown to the customer; the division's name by default.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)


class SubmissionSummary(_Out):
    item_number: str
    service_id: str
    status: Status
    status_at: datetime
    updated_at: datetime
    health_care: bool


class SubmissionList(_Out):
    items: list[SubmissionSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class AttachmentOut(_Out):
    attachment_id: str
    name: str
    size: int
    content_type: str
    source: Literal["application", "complement", "message"]
    scan_status: ScanStatus = Field(description=(
        "The malware scan's result (GuardDuty's GuardDutyMalwareScanStatus tag): PENDING while the file is being "
        "scanned, then NO_THREATS_FOUND, THREATS_FOUND, UNSUPPORTED, ACCESS_DENIED or FAILED. Only NO_THREATS_FOUND "
        "has a download_url; a file with a threat is never handed out and is deleted after a retention period."))
    download_url: str | None = Field(description=(
        "A short-lived (5 minutes) link to the file; null unless scan_status is NO_THREATS_FOUND."))


class EventOut(_Out):
    kind: Literal["status", "message", "complement"]
    at: datetime
    status: Status | None = None
    author: Literal["customer", "official"] | None = None
    text: str | None = None
    thread_id: str | None = None
    reply_allowed: bool | None = None
    attachment_ids: list[str] = Field(default_factory=list)


class PrincipalOut(_Out):
    """For whom the form was sent (issue 17)."""

    kind: Literal["person", "child", "organisation"] = Field(
        description="`person`: the customer themselves or a person who authorised the sender; `child`: a child in the "
                    "sender's custody; `organisation`: a company or other organisation.")
    relation: Literal["self", "custody", "authorisation", "representation"] = Field(
        description="How the sender may act for it: themselves, custody of a child (population register), an "
                    "authorisation or a role in the organisation (Suomi.fi e-Authorizations).")
    name: str
    identifier: str | None = Field(default=None, description="The personal identity code or Business ID.")


class ActorOut(_Out):
    """Who acted (issue 17): the person who filled in and sent the form."""

    name: str


class SubmissionDetail(SubmissionSummary):
    language: str
    sent_by: str = Field(description="The name of the person who sent it (the same as `acted_by.name`).")
    principal: PrincipalOut = Field(description="For whom it was sent: the customer themselves unless someone acted for them.")
    acted_by: ActorOut
    created_at: datetime
    answers: dict
    attachments: list[AttachmentOut]
    events: list[EventOut] = Field(description="Oldest first: statuses, messages (in threads), complements.")


class StatusChanged(_Out):
    item_number: str
    status: Status
    status_at: datetime


class MessagePosted(_Out):
    item_number: str
    thread_id: str


class Problem(_Out):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
