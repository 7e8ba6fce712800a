"""The feedback form in every page's footer (and on its own page, where errors are shown).

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.errors import Invalid
from chalicelib.web.urls import safe_return_path
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


def _page_path(value: str | None) -> str:
    return safe_return_path(value).split("?", 1)[0].split("#", 1)[0] or "/"


@bp.route("/feedback", methods=["GET"])
@page_view(bp)
def feedback_page(page):
    return page.render("feedback/page.html", feedback_page=_page_path(page.request.query.get("from")))


@bp.route("/feedback", methods=["POST"], content_types=FORM_CONTENT_TYPES)
@page_view(bp)
def send(page):
    from chalicelib.feedback import FeedbackForm, new_token, send_feedback

    fields = page.request.form()
    form = FeedbackForm(
        message=fields.get("message", ""),
        email=fields.get("email", ""),
        page=_page_path(fields.get("page")),
        token=fields.get("token", ""),
    )
    try:
        send_feedback(form, page.language)
    except Invalid as invalid:
        return page.render(
            "feedback/page.html",
            status=400,
            feedback_form=form,
            feedback_errors=invalid.errors,
            feedback_page=form.page,
            # An expired or forged token gets a fresh one, so the next attempt can succeed.
            feedback_token=form.token if "token" not in invalid.errors else new_token(),
        )
    return page.redirect("/feedback/thanks", back=form.page)


@bp.route("/feedback/thanks", methods=["GET"])
@page_view(bp)
def thanks(page):
    return page.render("feedback/thanks.html", back_path=_page_path(page.request.query.get("back")))
