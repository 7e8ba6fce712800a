"""Drafts: what a person has filled in so far, page by page, kept in their folder until sent.

Saving a page is one GetItem and one PutItem (the first save of a new form: a profile read for the
identity fields and a conditional PutItem). Answers are stored as typed, so nothing is lost even
when a page has errors; identity fields are always taken from the identification, never the form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import Invalid, NotFound
from chalicelib.forms import attachments as files
from chalicelib.forms.answers import page_errors
from chalicelib.forms.schema import FormDefinition
from chalicelib.i18n import N_, Message

HARD_LIMIT = 10000  # characters kept of any one answer, whatever the field's own limit
CONTROL_FIELDS = {"csrf_token", "action", "new", "remove_attachment", "page"}
_DRAFT_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as the portal makes them


def check_draft_id(draft_id: str | None) -> str:
    """The one check of a draft id from a URL, for every draft route (autosave and a restored post
    included): 32 lower-case hex digits, as ``uuid.uuid4().hex`` makes them, else NotFound, before
    anything is read or written. A tampered id never becomes a draft."""
    if not isinstance(draft_id, str) or not _DRAFT_ID.fullmatch(draft_id):
        raise NotFound("draft")
    return draft_id


@dataclass
class Owner:
    """Whose folder the draft is in, and who is filling it in (and for whom: issue 17)."""

    owner_id: str
    acting_name: str
    principal: object | None = None  # authorizations.Principal; None = the person themselves
    actor_profile_id: str | None = None  # the acting person's own profile, when the folder is a principal's


def identity_values(profile, acting_name: str, *, principal=None, actor_profile=None) -> dict[str, str]:
    """What prefills draw from: the identification (read-only) and the profile (editable).

    ``profile`` is the folder's (the principal's). The applicant's fields (names, identity code) are
    the principal's when the person acts for another person or a child; the guardian's and contact
    fields are the acting person's own (``actor_profile``); the child's fields are filled only when
    the principal is a child in the person's custody."""
    values = {
        "full_name": acting_name,
        "given_name": profile.given_name or "",
        "family_name": profile.family_name or "",
        "personal_identity_code": profile.personal_identity_code or "",
        "organisation_name": profile.organisation_name or "",
        "business_id": profile.business_id or "",
        "email": profile.email or "",
        "phone": profile.phone or "",
        "child_given_name": "",
        "child_family_name": "",
        "child_personal_identity_code": "",
    }
    if profile.kind == "organisation":
        given, _, family = acting_name.partition(" ")
        values.update(given_name=given, family_name=family)
    actor = actor_profile if actor_profile is not None else profile
    for_other_person = principal is not None and principal.kind in ("person", "child") and not principal.is_self
    if for_other_person:
        values["full_name"] = principal.name
        values.update(email=actor.email or "", phone=actor.phone or "")
    if principal is not None and principal.kind == "child":
        values.update(child_given_name=profile.given_name or "", child_family_name=profile.family_name or "",
                      child_personal_identity_code=profile.personal_identity_code or "")
    if actor.kind == "person":
        values.update(guardian_given_name=actor.given_name or "", guardian_family_name=actor.family_name or "",
                      guardian_personal_identity_code=actor.personal_identity_code or "")
    else:
        given, _, family = acting_name.partition(" ")
        values.update(guardian_given_name=given, guardian_family_name=family, guardian_personal_identity_code="")
    return values


def prefilled(form: FormDefinition, identity: dict[str, str]) -> dict:
    return {f.name: identity.get(f.prefill, "") for f in form.fields() if f.prefill}


def _expiry():
    return clock.utcnow() + timedelta(days=settings().draft_retention_days)


def load(owner: Owner, draft_id: str):
    """The owner's draft, or NotFound: another customer's draft id answers exactly like a missing one."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.forms import DraftModel

    check_draft_id(draft_id)
    try:
        draft = DraftModel.get(owner.owner_id, draft_id)
    except DoesNotExist:
        raise NotFound("draft") from None
    if draft.expires_at <= clock.utcnow():  # TTL deletion may lag up to two days
        raise NotFound("draft")
    return draft


def new(owner: Owner, draft_id: str, form: FormDefinition, identity: dict[str, str]):
    from chalicelib.models.forms import DraftModel

    now = clock.utcnow()
    return DraftModel(
        owner_id=owner.owner_id,
        draft_id=draft_id,
        service_id=form.id,
        answers=prefilled(form, identity),
        attachments=[],
        page_reached=1,
        created_by=owner.acting_name,
        created_at=now,
        updated_at=now,
        expires_at=_expiry(),
    )


def apply_page(form: FormDefinition, draft, page_number: int, posted: dict[str, str], lists: dict[str, list[str]],
               uploads: dict[str, list[files.Upload]], remove: list[str]) -> dict:
    """Put what was posted for one page into the draft; returns the page's errors (field -> message).

    Unknown field names are refused (Invalid) before anything changes: a browser never sends them.
    """
    page = form.pages[page_number - 1]
    names = {f.name for f in page.fields}
    unknown = set(posted) - names - CONTROL_FIELDS
    if unknown:
        raise Invalid({"form": N_("The form contained fields it does not have. Reload the page and try again.")})
    answers = dict(draft.answers or {})
    upload_errors: dict = {}
    for f in page.fields:
        if f.readonly or f.type == "attachment":
            continue
        if f.type == "multichoice":
            answers[f.name] = [v[:100] for v in lists.get(f.name, [])][:50]
        elif f.type == "checkbox":
            answers[f.name] = "yes" if posted.get(f.name) == "yes" else ""
        else:
            answers[f.name] = (posted.get(f.name) or "")[:HARD_LIMIT]
    from chalicelib.models.forms import AttachmentRef

    kept = [a for a in draft.attachments if a.attachment_id not in set(remove)]
    removed = [a.s3_key for a in draft.attachments if a.attachment_id in set(remove)]
    for f in page.fields:
        if f.type != "attachment":
            continue
        new = [u for u in uploads.get(f.name, []) if u.filename or u.content]  # else the input was left empty
        if not new:
            continue
        # Each file, then the field's and the draft's limits, before any file of the field is
        # stored: a file refused or a limit passed stores none of them (the answers are kept).
        try:
            for upload in new:
                files.check_upload(upload)
        except files.AttachmentRefused as refused:
            upload_errors[f.name] = Message(refused.message)
            continue
        beyond = (files.field_limit_error(f.file_limit) if sum(a.field == f.name for a in kept) + len(new) > f.file_limit
                  else files.beyond_totals([int(a.size) for a in kept], new, draft=True))
        if beyond:
            upload_errors[f.name] = beyond
            continue
        kept += [AttachmentRef(**files.store(upload, f.name)) for upload in new]
    if removed:
        files.delete(removed)

    draft.answers = answers
    draft.attachments = kept
    draft.page_reached = max(draft.page_reached or 1, page_number)
    draft.updated_at = clock.utcnow()
    draft.expires_at = _expiry()
    return {**page_errors(page, answers, draft.attachments), **upload_errors}


def save(draft, *, is_new: bool) -> None:
    """One PutItem. A new draft is written only if it does not exist yet (a retried first save)."""
    from chalicelib.models.forms import DraftModel

    if is_new:
        draft.save(condition=DraftModel.draft_id.does_not_exist())
    else:
        draft.save(condition=DraftModel.sent_item_number.does_not_exist())


def remove(owner: Owner, draft_id: str) -> None:
    """Delete the draft and its uploaded files."""
    draft = load(owner, draft_id)
    files.delete([a.s3_key for a in draft.attachments])
    draft.delete()


def list_drafts(owner_id: str) -> list:
    from chalicelib.models.forms import DraftModel

    now = clock.utcnow()
    return [d for d in DraftModel.query(owner_id) if d.expires_at > now and not d.sent_item_number]
