"""Filling in and sending e-service forms: one page at a time, drafts, attachments, the summary.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.errors import Invalid, NotFound
from chalicelib.web.responses import clear_cookie, json_response
from chalicelib.web.views import page_view

if TYPE_CHECKING:
    from chalicelib.forms.drafts import Owner

bp = Blueprint(__name__)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


def _owner(page) -> Owner:
    from chalicelib.forms import drafts

    return drafts.Owner(owner_id=page.session.profile_id, acting_name=page.session.acting_name)


def _form(service_id: str):
    from chalicelib.forms.store import form_for

    form = form_for(service_id)
    if form is None:
        raise NotFound(service_id)
    return form


def _page_number(form, raw) -> int:
    """1..pages for the pages, pages+1 for the summary; anything else (tampered) is a 404."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise NotFound("page") from None
    if not 1 <= number <= len(form.pages) + 1 or str(number) != str(raw):
        raise NotFound("page")
    return number


def render_page(page, form, draft, number: int, *, errors=None, status=200, notice=None, is_new=False):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms.answers import all_errors, visible
    from chalicelib.forms.attachments import ALLOWED_LABEL, MAX_BYTES
    from chalicelib.forms.display import display_value

    service = get_service(form.id)
    if number == len(form.pages) + 1:
        pending = all_errors(form, draft.answers, draft.attachments)
        return page.render(
            "forms/summary.html", status=status, form=form, service=service, draft=draft, number=number,
            pending=pending, can_send=not (form.send_only_when_valid and pending), errors=errors or {},
            notice=notice, visible=visible, display=display_value,
        )
    return page.render(
        "forms/page.html", status=status, form=form, service=service, draft=draft, number=number,
        form_page=form.pages[number - 1], errors=errors or {}, notice=notice, is_new=is_new, visible=visible,
        max_mb=MAX_BYTES // (1024 * 1024), allowed_types=ALLOWED_LABEL,
    )


@bp.route("/e-services/{service_id}/form", methods=["GET"])
@page_view(bp, access="signed_in")
def start(page, service_id):
    """ "Go to the e-service": the form's first page, prefilled; the draft is stored at the first save."""
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms import drafts
    from chalicelib.forms.store import form_for
    from chalicelib.identity.profiles import get_profile

    service = get_service(service_id)
    if service is None:
        raise NotFound(service_id)
    if service.external_url:
        return page.response("", status=303, headers={"Location": str(service.external_url)})
    form = form_for(service_id)
    if form is None:
        return page.render("pages/not_available.html", status=503, headers={"Retry-After": "86400"})
    identity = drafts.identity_values(get_profile(page.session.profile_id), page.session.acting_name)
    draft = drafts.new(_owner(page), uuid.uuid4().hex, form, identity)
    return render_page(page, form, draft, 1, is_new=True)


@bp.route("/drafts/{draft_id}", methods=["GET"])
@page_view(bp, access="signed_in")
def continue_draft(page, draft_id):
    from chalicelib.forms import drafts

    draft = drafts.load(_owner(page), draft_id)
    if draft.sent_item_number:
        raise NotFound(draft_id)
    return page.redirect(f"/drafts/{draft_id}/pages/{draft.page_reached}")


@bp.route("/drafts/{draft_id}/pages/{number}", methods=["GET"])
@page_view(bp, access="signed_in")
def show_page(page, draft_id, number):
    from chalicelib.forms import drafts

    restored = _restore(page, draft_id, number)
    if restored:
        return restored
    draft = drafts.load(_owner(page), draft_id)
    if draft.sent_item_number:
        raise NotFound(draft_id)
    form = _form(draft.service_id)
    return render_page(page, form, draft, _page_number(form, number),
                       notice="saved" if page.request.query.get("saved") == "1" else None)


def _restore(page, draft_id, number):
    """Back after a session timeout: put what was posted then into the draft, and show the page."""
    from pynamodb.exceptions import PutError

    from chalicelib.forms import drafts, resume

    token = page.request.cookies.get(resume.COOKIE)
    if not token:
        return None
    page.cookies.append(clear_cookie(resume.COOKIE, page.request.base_path))
    pairs = resume.take(token, page.request.path)
    if not pairs:
        return None
    posted = dict(pairs)
    draft, form, is_new = _load_or_create(page, draft_id, posted)
    number = _page_number(form, number)
    if number > len(form.pages):
        raise NotFound("page")
    lists = {f.name: [v for k, v in pairs if k == f.name] for f in form.pages[number - 1].fields if f.type == "multichoice"}
    fields = {k: v for k, v in posted.items() if k != "remove_attachment"}
    drafts.apply_page(form, draft, number, fields, lists, {}, [])
    try:
        drafts.save(draft, is_new=is_new)
    except PutError:
        draft = drafts.load(_owner(page), draft_id)
        drafts.apply_page(form, draft, number, fields, lists, {}, [])
        drafts.save(draft, is_new=False)
    return render_page(page, form, draft, number, notice="restored")


def _load_or_create(page, draft_id: str, posted: dict):
    """The draft being filled in. A new form's first save posts ``new`` = the e-service's id."""
    from chalicelib.forms import drafts
    from chalicelib.identity.profiles import get_profile

    owner = _owner(page)
    if posted.get("new"):
        form = _form(posted.get("new", ""))
        identity = drafts.identity_values(get_profile(owner.owner_id), owner.acting_name)
        return drafts.new(owner, draft_id, form, identity), form, True
    draft = drafts.load(owner, draft_id)
    if draft.sent_item_number:
        raise NotFound(draft_id)
    return draft, _form(draft.service_id), False


@bp.route("/drafts/{draft_id}/pages/{number}", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def save_page(page, draft_id, number):
    from pynamodb.exceptions import PutError

    from chalicelib.forms import drafts
    from chalicelib.forms.attachments import Upload

    request = page.request
    posted = request.form()
    if not draft_id or len(draft_id) != 32 or not draft_id.isalnum():
        raise NotFound(draft_id)
    draft, form, is_new = _load_or_create(page, draft_id, posted)
    number = _page_number(form, number)
    if number > len(form.pages):
        raise NotFound("page")
    uploads: dict[str, list[Upload]] = {}
    for item in request.files():
        uploads.setdefault(item.field, []).append(Upload(item.filename, item.content))
    lists = {f.name: request.form_list(f.name) for f in form.pages[number - 1].fields if f.type == "multichoice"}
    try:
        errors = drafts.apply_page(form, draft, number, posted, lists, uploads, request.form_list("remove_attachment"))
    except Invalid as invalid:
        return page.render("errors/400.html", status=400, detail=invalid.errors.get("form"))
    try:
        drafts.save(draft, is_new=is_new)
    except PutError as error:
        if not is_new or getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        # A retried first save: the draft exists now. Apply the page to it instead.
        draft = drafts.load(_owner(page), draft_id)
        errors = drafts.apply_page(form, draft, number, posted, lists, uploads, request.form_list("remove_attachment"))
        drafts.save(draft, is_new=False)
    action = posted.get("action") or ("upload" if request.form_list("remove_attachment") else "next")
    if action == "save":
        return render_page(page, form, draft, number, notice="saved")
    if action == "previous":
        return page.redirect(f"/drafts/{draft_id}/pages/{max(1, number - 1)}")
    if action.startswith("goto-"):
        target = _page_number(form, action[5:])
        return page.redirect(f"/drafts/{draft_id}/pages/{target}")
    if action == "upload" or errors:
        return render_page(page, form, draft, number, errors=errors, status=400 if errors else 200)
    return page.redirect(f"/drafts/{draft_id}/pages/{number + 1}")


@bp.route("/drafts/{draft_id}/autosave", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def autosave(page, draft_id):
    """The five-minute (and leaving-the-page) save of the form script: the page's fields, no validation."""
    from pynamodb.exceptions import PutError

    from chalicelib.forms import drafts

    request = page.request
    posted = request.form()
    draft, form, is_new = _load_or_create(page, draft_id, posted)
    number = _page_number(form, posted.get("page", ""))
    if number > len(form.pages):
        raise NotFound("page")
    lists = {f.name: request.form_list(f.name) for f in form.pages[number - 1].fields if f.type == "multichoice"}
    fields = {k: v for k, v in posted.items() if k != "page"}
    drafts.apply_page(form, draft, number, fields, lists, {}, [])
    try:
        drafts.save(draft, is_new=is_new)
    except PutError as error:
        if not is_new or getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        draft = drafts.load(_owner(page), draft_id)
        drafts.apply_page(form, draft, number, fields, lists, {}, [])
        drafts.save(draft, is_new=False)
    return json_response({"saved": True, "saved_at": page.format_datetime(draft.updated_at)})


@bp.route("/drafts/{draft_id}/send", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def send_form(page, draft_id):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms import drafts
    from chalicelib.forms.sending import FormIncomplete, send

    draft = drafts.load(_owner(page), draft_id)
    form = _form(draft.service_id)
    try:
        sent = send(form, draft, sender_id=page.session.profile_id, sent_by=page.session.acting_name,
                    language=page.language)
    except FormIncomplete:
        return render_page(page, form, draft, len(form.pages) + 1, status=400, errors={"send": True})
    return page.render("forms/sent.html", item_number=sent.item_number, health_care=sent.health_care,
                       service=get_service(form.id))


@bp.route("/drafts/{draft_id}/remove", methods=["GET"])
@page_view(bp, access="signed_in")
def confirm_remove(page, draft_id):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms import drafts

    draft = drafts.load(_owner(page), draft_id)
    if draft.sent_item_number:
        raise NotFound(draft_id)
    return page.render("forms/remove.html", draft=draft, service=get_service(draft.service_id))


@bp.route("/drafts/{draft_id}/remove", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def remove(page, draft_id):
    from chalicelib.forms import drafts

    drafts.remove(_owner(page), draft_id)
    return page.redirect("/folder", removed="1")


@bp.route("/e-services/{service_id}/form/check", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@page_view(bp, access="signed_in")
def check_field(page, service_id):
    """The form script's check of one field as the person leaves it: the server's own rules."""
    from chalicelib.forms.answers import check

    form = _form(service_id)
    posted = page.request.form()
    field = next((f for f in form.fields() if f.name == posted.get("field") and not f.readonly), None)
    if field is None or field.type in ("attachment", "multichoice", "choice", "checkbox"):
        raise NotFound("field")
    _, error = check(field, posted.get("value", ""))
    message = None
    if error:
        message = page.gettext(error) if isinstance(error, str) else page.gettext(error[0]) % error[1]
    return json_response({"error": message})
