"""The development outbox, /dev/outbox: what the local AWS stack (moto) "sent", shown as the customer
would see it. Registered only in the local stage (app.py); ``register`` refuses anywhere else."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
MOUNT = "/dev/outbox"
# An e-mail's own HTML, shown in a frame of the outbox page: its inline styles are allowed, nothing else.
EMAIL_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"),
    "X-Frame-Options": "SAMEORIGIN",
}


def register(app) -> None:
    if settings().stage != "local":
        raise RuntimeError("the development outbox exists only in the local stage")
    app.register_blueprint(bp)


def _outbox():
    from chalicelib.notifications.outbox import read_outbox

    return read_outbox(settings().aws_endpoint_url)


@bp.route(MOUNT, methods=["GET"])
@page_view(bp)
def outbox(page):
    from chalicelib.notifications.outbox import OutboxUnavailable

    try:
        found = _outbox()
    except OutboxUnavailable:
        return page.render("dev/outbox.html", status=503, unavailable=True, emails=[], texts=[])
    return page.render("dev/outbox.html", unavailable=False, emails=found.emails, texts=found.texts)


@bp.route(MOUNT + "/emails/{message_id}", methods=["GET"])
@page_view(bp)
def email_html(page, message_id):
    from chalicelib.notifications.outbox import OutboxUnavailable

    try:
        email = _outbox().email(message_id)
    except OutboxUnavailable:
        email = None
    if email is None or email.html is None:
        raise NotFound("email")
    return page.response(email.html, headers={**EMAIL_HEADERS, "Content-Language": email.language or page.language})
