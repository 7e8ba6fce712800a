"""Saving one page of a form: the one use case behind the page's post, the form script's autosave
and the post restored after a session timeout.

The web layer passes plain data: the posted text fields as (name, value) pairs in order (a
multichoice field repeats its name), and the page's files as ``attachments.Upload``. A new form is
stored at its first save (the post carries ``new`` = the e-service's id); a retried first save
finds the draft already written and applies the page to it instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.errors import NotFound
from chalicelib.forms import drafts
from chalicelib.forms.attachments import Upload
from chalicelib.forms.schema import FormDefinition


@dataclass
class SavedPage:
    draft: object  # DraftModel
    form: FormDefinition
    number: int
    errors: dict = field(default_factory=dict)  # field name -> Message


def form_of(service_id: str) -> FormDefinition:
    from chalicelib.forms.store import form_for

    form = form_for(service_id)
    if form is None:
        raise NotFound(service_id)
    return form


def page_number(form: FormDefinition, raw) -> int:
    """1..pages for the pages, pages+1 for the summary; anything else (tampered) is NotFound."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise NotFound("page") from None
    if not 1 <= number <= len(form.pages) + 1 or str(number) != str(raw):
        raise NotFound("page")
    return number


def open_draft(owner: drafts.Owner, draft_id: str):
    """A draft still being filled in: once sent it is only a marker, and NotFound here."""
    draft = drafts.load(owner, draft_id)
    if draft.sent_item_number:
        raise NotFound(draft_id)
    return draft


def new_draft(owner: drafts.Owner, draft_id: str, form: FormDefinition):
    """A new, unsaved draft prefilled from the identification and the profile."""
    from chalicelib.identity.profiles import get_profile

    profile = get_profile(owner.owner_id)
    actor = get_profile(owner.actor_profile_id) if owner.actor_profile_id and owner.actor_profile_id != owner.owner_id else None
    identity = drafts.identity_values(profile, owner.acting_name, principal=owner.principal, actor_profile=actor)
    return drafts.new(owner, draft_id, form, identity)


def _draft_to_fill(owner: drafts.Owner, draft_id: str, new_service_id: str | None):
    drafts.check_draft_id(draft_id)
    if new_service_id:
        form = form_of(new_service_id)
        return new_draft(owner, draft_id, form), form, True
    draft = open_draft(owner, draft_id)
    return draft, form_of(draft.service_id), False


def save_page(owner: drafts.Owner, draft_id: str, page, pairs: list[tuple[str, str]],
              uploads: dict[str, list[Upload]] | None = None) -> SavedPage:
    """Put one posted page into the draft and store it; returns the page's errors with the draft.

    ``page`` is the page number as posted (NotFound unless it is one of the form's pages).
    ``uploads`` None: the text fields only (autosave, a restored post), files neither added nor
    removed; otherwise the page's new files, and the ``remove_attachment`` ids posted are removed.
    Invalid (before anything changes) for fields the page does not have.
    """
    from pynamodb.exceptions import PutError

    posted = dict(pairs)
    draft, form, is_new = _draft_to_fill(owner, draft_id, posted.get("new"))
    number = page_number(form, page)
    if number > len(form.pages):
        raise NotFound("page")
    lists = {f.name: [v for k, v in pairs if k == f.name]
             for f in form.pages[number - 1].fields if f.type == "multichoice"}
    remove = [v for k, v in pairs if k == "remove_attachment"] if uploads is not None else []
    errors = drafts.apply_page(form, draft, number, posted, lists, uploads or {}, remove)
    try:
        drafts.save(draft, is_new=is_new)
    except PutError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        if not is_new:  # sent meanwhile (another tab, a double click): as open_draft answers for a sent draft
            raise NotFound(draft_id) from None
        # A retried first save: the draft exists now. Apply the page to it instead.
        draft = open_draft(owner, draft_id)
        errors = drafts.apply_page(form, draft, number, posted, lists, uploads or {}, remove)
        drafts.save(draft, is_new=False)
    return SavedPage(draft=draft, form=form, number=number, errors=errors)
