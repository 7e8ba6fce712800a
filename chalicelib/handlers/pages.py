"""The public pages: the front page, the instructions and the sign-in entry point."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.web.views import page_view

bp = Blueprint(__name__)


@bp.route("/", methods=["GET"])
@page_view(bp)
def front_page(page):
    from chalicelib.catalogue.labels import TOPIC_LABELS
    from chalicelib.catalogue.search import popular

    if page.signed_in:
        return signed_in_front_page(page)
    return page.render("pages/front.html", popular=popular(page.language), topics=TOPIC_LABELS)


def signed_in_front_page(page):
    from chalicelib import folder, statuses
    from chalicelib.catalogue.search import health_care, popular
    from chalicelib.catalogue.store import catalogue

    return page.render(
        "pages/home.html",
        latest_events=folder.latest(page.session.profile_id),
        services=catalogue(),
        status_labels=statuses.LABELS,
        popular=popular(page.language),
        health_care=health_care(page.language),
    )


@bp.route("/instructions", methods=["GET"])
@page_view(bp)
def instructions(page):
    return page.render("pages/instructions.html")


@bp.route("/accessibility", methods=["GET"])
@page_view(bp)
def accessibility_statement(page):
    """The accessibility statement (Act on the Provision of Digital Services 306/2019), one per language."""
    return page.render("pages/accessibility.html")


@bp.route("/supported-browsers", methods=["GET"])
@page_view(bp)
def supported_browsers(page):
    return page.render("pages/browsers.html")


@bp.route("/security", methods=["GET"])
@page_view(bp)
def security(page):
    return page.render("pages/security.html")
