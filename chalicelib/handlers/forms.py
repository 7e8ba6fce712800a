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

    session = page.session
    return drafts.Owner(owner_id=session.profile_id, acting_name=session.acting_name, principal=session.principal,
                        actor_profile_id=session.actor_profile_id)


def _may_act_in(page, service) -> bool:
    """A guardian may not use every e-service for a child of 15-17 (health care: issue 17)."""
    from chalicelib.authorizations import may_act_in

    return may_act_in(page.session.principal, health_care=service.health_care)


def _agreement_gate(page, service_id: str, next_path: str | None = None):
    """A health-care e-service's electronic agreement must be in force (chalicelib/consent): the
    form's start, its pages and Send ask for it; a page's post is saved first, so nothing typed is lost."""
    from chalicelib.catalogue.store import get_service
    from chalicelib.handlers.consent import gate

    service = get_service(service_id)
    return gate(page, service, next_path) if service is not None and service.agreement else None


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
    from chalicelib.forms import pages
    from chalicelib.forms.store import form_for

    service = get_service(service_id)
    if service is None:
        raise NotFound(service_id)
    if service.external_url:
        return page.response("", status=303, headers={"Location": str(service.external_url)})
    form = form_for(service_id)
    if form is None:
        return page.render("pages/not_available.html", status=503, headers={"Retry-After": "86400"})
    if not _may_act_in(page, service):
        return page.render("acting/not_for_this_service.html", status=403, service=service)
    refused = _agreement_gate(page, service_id)
    if refused:
        return refused
    draft = pages.new_draft(_owner(page), uuid.uuid4().hex, form)
    return render_page(page, form, draft, 1, is_new=True)


@bp.route("/drafts/{draft_id}", methods=["GET"])
@page_view(bp, access="signed_in")
def continue_draft(page, draft_id):
    from chalicelib.forms import pages

    draft = pages.open_draft(_owner(page), draft_id)
    return page.redirect(f"/drafts/{draft_id}/pages/{draft.page_reached}")


@bp.route("/drafts/{draft_id}/pages/{number}", methods=["GET"])
@page_view(bp, access="signed_in")
def show_page(page, draft_id, number):
    from chalicelib.forms import pages

    restored = _restore(page, draft_id, number)
    if restored:
        return restored
    draft = pages.open_draft(_owner(page), draft_id)
    form = pages.form_of(draft.service_id)
    number = pages.page_number(form, number)
    refused = _agreement_gate(page, form.id, f"/drafts/{draft_id}/pages/{number}")
    if refused:
        return refused
    return render_page(page, form, draft, number,
                       notice="saved" if page.request.query.get("saved") == "1" else None)


def _restore(page, draft_id, number):
    """Back after a session timeout: put what was posted then into the draft, and show the page (only
    when this session's person is the one who posted it; anyone else's stash is deleted unread)."""
    from chalicelib.forms import pages, resume

    token = page.request.cookies.get(resume.COOKIE)
    if not token:
        return None
    try:
        pairs = resume.take(token, page.request.path, page.session.person_hash, page.session.profile_id)
    except resume.OtherFolder:
        return None  # kept for when the person acts for that principal again
    page.cookies.append(clear_cookie(resume.COOKIE, page.request.base_path))
    if not pairs:
        return None
    saved = pages.save_page(_owner(page), draft_id, number, pairs)
    return (_agreement_gate(page, saved.form.id, f"/drafts/{draft_id}/pages/{saved.number}")
            or render_page(page, saved.form, saved.draft, saved.number, notice="restored"))


@bp.route("/drafts/{draft_id}/pages/{number}", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def save_page(page, draft_id, number):
    from chalicelib.forms import pages
    from chalicelib.forms.attachments import Upload

    request = page.request
    uploads: dict[str, list[Upload]] = {}
    for item in request.files():
        uploads.setdefault(item.field, []).append(Upload(item.filename, item.content))
    try:
        saved = pages.save_page(_owner(page), draft_id, number, request.pairs(), uploads)
    except Invalid as invalid:
        return page.render("errors/400.html", status=400, detail=invalid.errors.get("form"))
    form, draft, number = saved.form, saved.draft, saved.number
    refused = _agreement_gate(page, form.id, f"/drafts/{draft_id}/pages/{number}")
    if refused:  # the page is saved (nothing typed is lost), but the form goes no further
        return refused
    action = request.form().get("action") or ("upload" if request.form_list("remove_attachment") else "next")
    if action == "save":
        return render_page(page, form, draft, number, notice="saved")
    if action == "previous":
        return page.redirect(f"/drafts/{draft_id}/pages/{max(1, number - 1)}")
    if action.startswith("goto-"):
        target = pages.page_number(form, action[5:])
        return page.redirect(f"/drafts/{draft_id}/pages/{target}")
    if action == "upload":
        # "Add the file" answers for the files just sent: a refused file, never the fields the user
        # has not reached yet (they are checked by Next, as always).
        sent = {field for field, items in uploads.items() if any(u.filename or u.content for u in items)}
        errors = {field: m for field, m in saved.errors.items() if field in sent}
        return render_page(page, form, draft, number, errors=errors, status=400 if errors else 200)
    if saved.errors:
        return render_page(page, form, draft, number, errors=saved.errors, status=400 if saved.errors else 200)
    return page.redirect(f"/drafts/{draft_id}/pages/{number + 1}")


@bp.route("/drafts/{draft_id}/autosave", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def autosave(page, draft_id):
    """The five-minute (and leaving-the-page) save of the form script: the page's fields, no validation."""
    from chalicelib.forms import pages

    saved = pages.save_page(_owner(page), draft_id, page.request.form().get("page", ""), page.request.pairs())
    saved_at = page.format_datetime(saved.draft.updated_at)
    return json_response({"saved": True, "saved_at": saved_at, "saved_time": saved_at.split(" ")[1]})


@bp.route("/drafts/{draft_id}/send", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def send_form(page, draft_id):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms import drafts, pages
    from chalicelib.forms.sending import FormIncomplete, send

    draft = drafts.load(_owner(page), draft_id)
    form = pages.form_of(draft.service_id)
    if not _may_act_in(page, get_service(form.id)):
        return page.render("acting/not_for_this_service.html", status=403, service=get_service(form.id))
    if not draft.sent_item_number:  # a second Send of a sent draft answers with its item number, as always
        refused = _agreement_gate(page, form.id, f"/drafts/{draft_id}/pages/{len(form.pages) + 1}")
        if refused:
            return refused
    try:
        sent = send(form, draft, sender_id=page.session.profile_id, sent_by=page.session.acting_name,
                    language=page.language, principal=page.session.principal, actor_id=page.session.actor_profile_id,
                    actor_hash=page.session.actor_hash)
    except FormIncomplete:
        return render_page(page, form, draft, len(form.pages) + 1, status=400, errors={"send": True})
    if page.session.acting_for is not None:  # the audit trail records both: for whom, and who acted
        from chalicelib.privacy import audit

        audit.record(page.session.profile_id, "sent-for", "customer", item_number=sent.item_number,
                     detail=page.session.principal.relation, principal_hash=page.session.principal.principal_hash,
                     actor_hash=page.session.actor_hash)
    return page.render("forms/sent.html", item_number=sent.item_number, health_care=sent.health_care,
                       service=get_service(form.id), draft_id=draft_id)


def receipt_response(page, item):
    """The receipt of ``item`` as a PDF download (sender and for whom from this session)."""
    from chalicelib.forms.receipt import filename, parties, receipt_pdf

    body = receipt_pdf(item, parties(item, page.session.acting_for))
    return page.response(body, headers={
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{filename(item)}"',
        "Content-Language": item.language,
    })


@bp.route("/drafts/{draft_id}/receipt", methods=["GET"])
@page_view(bp, access="signed_in")
def receipt_after_sending(page, draft_id):
    """The sent page's "Download a copy (PDF)": the only way to a health-care form's receipt."""
    from chalicelib.forms.receipt import just_sent

    return receipt_response(page, just_sent(page.session.profile_id, draft_id))


@bp.route("/drafts/{draft_id}/remove", methods=["GET"])
@page_view(bp, access="signed_in")
def confirm_remove(page, draft_id):
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms import pages

    draft = pages.open_draft(_owner(page), draft_id)
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
    from chalicelib.forms.pages import form_of

    form = form_of(service_id)
    posted = page.request.form()
    field = next((f for f in form.fields() if f.name == posted.get("field") and not f.readonly), None)
    if field is None or field.type in ("attachment", "multichoice", "choice", "checkbox"):
        raise NotFound("field")
    _, error = check(field, posted.get("value", ""))
    return json_response({"error": error.translate(page.gettext) if error else None})
