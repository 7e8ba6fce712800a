"""The public pages: the front page, the instructions and the sign-in entry point."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.web.urls import safe_return_path
from chalicelib.web.views import page_view

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
@page_view(bp)
def front_page(page):
    from chalicelib.catalogue.labels import TOPIC_LABELS
    from chalicelib.catalogue.search import popular

    return page.render("pages/front.html", popular=popular(page.language), topics=TOPIC_LABELS)


@bp.route("/instructions", methods=["GET"])
@page_view(bp)
def instructions(page):
    return page.render("pages/instructions.html")


@bp.route("/sign-in", methods=["GET"])
@page_view(bp)
def sign_in(page):
    customer = page.request.query.get("customer")
    return page.render(
        "pages/sign_in.html",
        customer=customer if customer in ("personal", "corporate") else None,
        next_path=safe_return_path(page.request.query.get("next"), default=""),
    )
