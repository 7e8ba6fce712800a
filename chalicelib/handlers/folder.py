"""The e-services folder: the list, "Open the information", the application, complements,
replies to officials' messages and "Use as template".

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.errors import Invalid
from chalicelib.web.views import page_view

if TYPE_CHECKING:
    from chalicelib.forms.attachments import Upload

bp = Blueprint(__name__)
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


def _owner(page) -> str:
    return page.session.profile_id


def _int(value, default=1) -> int:
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return default


@bp.route("/folder", methods=["GET"])
@page_view(bp, access="signed_in")
def folder_list(page):
    from chalicelib import folder, statuses
    from chalicelib.catalogue.store import catalogue

    query = page.request.query
    listing = folder.list_folder(_owner(page), language=page.language, query=query.get("q", "")[:50],
                                 sort=query.get("sort", "updated"), page=_int(query.get("page")), cursor=query.get("c"))
    return page.render(
        "folder/index.html", listing=listing, drafts=folder.drafts(_owner(page), query.get("drafts")),
        services=catalogue(),
        status_labels=statuses.LABELS, removed=query.get("removed") == "1",
        searched=bool(query.get("q", "").strip()),
    )


def _item_page(page, item_number, *, status=200, errors=None, typed=None, focus=None):
    from chalicelib import folder, statuses
    from chalicelib.catalogue.store import catalogue

    from chalicelib import scanning

    view = folder.view_item(_owner(page), item_number)
    scans = scanning.states([a.s3_key for a in view.attachments])  # "being checked", or refused as unsafe
    return page.render(
        "folder/item.html", status=status, view=view, item=view.item, service=catalogue().get(view.item.service_id),
        scans=scans,
        status_labels=statuses.LABELS, errors=errors or {}, typed=typed or {}, focus=focus, **_file_limits(),
    )


@bp.route("/folder/{item_number}", methods=["GET"])
@page_view(bp, access="signed_in")
def open_item(page, item_number):
    return _item_page(page, item_number)


@bp.route("/folder/{item_number}/application", methods=["GET"])
@page_view(bp, access="signed_in")
def show_application(page, item_number):
    from chalicelib import folder
    from chalicelib.catalogue.store import catalogue
    from chalicelib.forms.display import display_value
    from chalicelib.forms.store import form_for

    item = folder.get_item(_owner(page), item_number)
    return page.render("folder/application.html", item=item, form=form_for(item.service_id),
                       service=catalogue().get(item.service_id), display=display_value)


@bp.route("/folder/{item_number}/receipt", methods=["GET"])
@page_view(bp, access="signed_in")
def receipt(page, item_number):
    """ "Download a copy (PDF)": the receipt of a folder item, in the language it was sent in."""
    from chalicelib import folder
    from chalicelib.handlers.forms import receipt_response

    return receipt_response(page, folder.get_item(_owner(page), item_number))


def _file_limits() -> dict:
    """What the complement page tells about files: types, size of one, how many and how much in all."""
    from chalicelib.forms.attachments import ALLOWED_LABEL, MAX_BYTES, MAX_FILES, MAX_TOTAL_BYTES

    return {"max_mb": MAX_BYTES // (1024 * 1024), "allowed_types": ALLOWED_LABEL, "max_files": MAX_FILES,
            "total_mb": MAX_TOTAL_BYTES // (1024 * 1024)}


def _uploads(page) -> list[Upload]:
    from chalicelib.forms.attachments import Upload

    return [Upload(f.filename, f.content) for f in page.request.files()]


@bp.route("/folder/{item_number}/complement", methods=["GET"])
@page_view(bp, access="signed_in")
def complement_form(page, item_number):
    from chalicelib import folder
    from chalicelib.catalogue.store import catalogue
    item = folder.get_item(_owner(page), item_number)
    return page.render("folder/complement.html", item=item, service=catalogue().get(item.service_id), errors={},
                       typed="", **_file_limits())


@bp.route("/folder/{item_number}/complement", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def complement(page, item_number):
    from chalicelib import folder
    from chalicelib.catalogue.store import catalogue
    text = page.request.form().get("text", "")
    try:
        folder.complement(_owner(page), item_number, text=text, uploads=_uploads(page), author_name=page.session.acting_name)
    except Invalid as invalid:
        item = folder.get_item(_owner(page), item_number)
        return page.render("folder/complement.html", status=400, item=item, service=catalogue().get(item.service_id),
                           errors=invalid.errors, typed=text, **_file_limits())
    return page.redirect(f"/folder/{item_number}", done="complemented")


@bp.route("/folder/{item_number}/messages/{thread_id}", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def reply(page, item_number, thread_id):
    from chalicelib import folder

    text = page.request.form().get("text", "")
    try:
        folder.reply(_owner(page), item_number, thread_id, text=text, uploads=_uploads(page),
                     author_name=page.session.acting_name)
    except Invalid as invalid:
        return _item_page(page, item_number, status=400, errors={thread_id: invalid.errors}, typed={thread_id: text},
                          focus=thread_id)
    return page.redirect(f"/folder/{item_number}", done="sent")


@bp.route("/folder/{item_number}/template", methods=["POST"], content_types=FORM_TYPES)
@page_view(bp, access="signed_in")
def use_as_template(page, item_number):
    from chalicelib import folder
    from chalicelib.forms.drafts import identity_values
    from chalicelib.identity.profiles import get_profile

    session = page.session
    actor = get_profile(session.actor_profile_id) if session.actor_profile_id != session.profile_id else None
    identity = identity_values(get_profile(_owner(page)), session.acting_name, principal=session.principal, actor_profile=actor)
    draft = folder.use_as_template(_owner(page), item_number, identity=identity, acting_name=page.session.acting_name)
    return page.redirect(f"/drafts/{draft.draft_id}/pages/1")
