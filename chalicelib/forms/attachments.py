"""Attachments: at most 2 MB, of an allowed type judged by content (not by name), stored in the
private bucket with server-side encryption under an unguessable key. Never served back to customers.
Every stored file is scanned for malware (chalicelib/scanning): the type check by content is not the
only defence, and a division gets a file only when the scan found no threat.

How many: each file field of a form takes ``FormField.max_files`` files (one by default); a draft,
and a complement or a reply, has at most ``MAX_FILES`` files of at most ``MAX_TOTAL_BYTES`` in all
(``beyond_totals``). These numbers also bound the size of a DynamoDB item's attachment references
(docs/data-model.md).
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from chalicelib.config import settings
from chalicelib.i18n import N_, Message

MAX_BYTES = 2 * 1024 * 1024  # one file
MAX_FILES = 10  # files of one draft (all its fields together), or of one complement or reply
MAX_TOTAL_BYTES = 15 * 1024 * 1024  # their sizes added up (below MAX_FILES * MAX_BYTES, or it could never bind)
# Content types we accept, keyed by what `filetype` recognises in the bytes.
ALLOWED = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
}
ALLOWED_LABEL = "PDF, JPEG, PNG, DOCX"


class AttachmentRefused(ValueError):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason  # size | empty | type


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def sanitise_name(raw: str) -> str:
    """A file name fit to show: no folders, control or direction characters, at most 100 characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w .()\-]", "_", name).strip(" .")
    name = re.sub(r"_{2,}", "_", name)
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 95 - len(ext)] + "." + ext) if dot and len(ext) <= 5 else name[:100]
    return name or "attachment"


def detect_type(content: bytes) -> str | None:
    import filetype

    kind = filetype.guess(content[:8192] if not content.startswith(b"PK") else content)
    if kind is None:
        return None
    return kind.mime if kind.mime in ALLOWED else None


def check_upload(upload: Upload) -> str:
    """Returns the content type, or raises AttachmentRefused with a message id."""
    if len(upload.content) > MAX_BYTES:
        raise AttachmentRefused(N_("The file is larger than 2 MB."), "size")
    if not upload.content:
        raise AttachmentRefused(N_("The file is empty."), "empty")
    content_type = detect_type(upload.content)
    if content_type is None:
        raise AttachmentRefused(N_("The file type is not allowed. Allowed types: PDF, JPEG, PNG and DOCX."), "type")
    return content_type


def field_limit_error(limit: int) -> Message:
    """The error at a file field that already has ``limit`` files (or would have more)."""
    if limit == 1:
        return Message(N_("This field takes one file. Remove the file first to add another."))
    return Message(N_("This field takes at most %(max)d files. Remove a file first to add another."), {"max": limit})


def beyond_totals(kept_sizes: list[int], new: list[Upload], *, draft: bool) -> Message | None:
    """The error when ``new`` files added to files of ``kept_sizes`` bytes would be more than
    MAX_FILES files or MAX_TOTAL_BYTES in all (``draft``: of a form, else of one complement or reply)."""
    if len(kept_sizes) + len(new) > MAX_FILES:
        if draft:
            return Message(N_("A form can have at most %(max)d attachments. Remove an attachment first to add another."),
                           {"max": MAX_FILES})
        return Message(N_("You can send at most %(max)d files at a time."), {"max": MAX_FILES})
    if sum(kept_sizes) + sum(len(u.content) for u in new) > MAX_TOTAL_BYTES:
        mb = MAX_TOTAL_BYTES // (1024 * 1024)
        if draft:
            return Message(N_("The attachments of a form can be at most %(mb)d MB together. Remove an attachment first."),
                           {"mb": mb})
        return Message(N_("The files can be at most %(mb)d MB together."), {"mb": mb})
    return None


def store(upload: Upload, field: str) -> dict:
    """Check and store one file; returns its reference for the draft (AttachmentRef fields)."""
    from chalicelib.clients import client

    content_type = check_upload(upload)
    attachment_id = uuid.uuid4().hex
    key = f"attachments/{attachment_id}"
    client("s3").put_object(
        Bucket=settings().attachments_bucket,
        Key=key,
        Body=upload.content,
        ContentType=content_type,
        ServerSideEncryption="AES256",
    )
    from chalicelib import scanning

    scanning.expect(key)  # "being scanned" until GuardDuty's result arrives
    return {
        "attachment_id": attachment_id,
        "field": field,
        "name": sanitise_name(upload.filename),
        "size": len(upload.content),
        "content_type": content_type,
        "s3_key": key,
    }


def delete(keys: list[str]) -> None:
    from chalicelib import scanning
    from chalicelib.clients import client

    for start in range(0, len(keys), 1000):
        batch = keys[start:start + 1000]
        if batch:
            client("s3").delete_objects(
                Bucket=settings().attachments_bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
    scanning.forget(keys)
