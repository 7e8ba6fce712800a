"""The public pages: the front page, the instructions and the sign-in entry point."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.i18n import N_
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
    from chalicelib.identity.profiles import read_delivery_status

    return page.render(
        "pages/home.html",
        delivery=read_delivery_status(page.session.profile_id),
        latest_events=folder.latest(page.session.profile_id),
        services=catalogue(),
        status_labels=statuses.LABELS,
        popular=popular(page.language),
        health_care=health_care(page.language),
    )


def _prose(page, folder: str, title: str, heading: str | None = None):
    """A page of text written per language in templates/<folder>/<lang>.html."""
    return page.render("pages/prose.html", folder=folder, title=title, heading=heading)


@bp.route("/instructions", methods=["GET"])
@page_view(bp)
def instructions(page):
    return _prose(page, "instructions", N_("Instructions"), N_("How to use the e-services"))


@bp.route("/accessibility", methods=["GET"])
@page_view(bp)
def accessibility_statement(page):
    """The accessibility statement (Act on the Provision of Digital Services 306/2019), one per language."""
    return _prose(page, "accessibility", N_("Accessibility statement"))


@bp.route("/supported-browsers", methods=["GET"])
@page_view(bp)
def supported_browsers(page):
    return _prose(page, "browsers", N_("Supported browsers and operating systems"))


@bp.route("/security", methods=["GET"])
@page_view(bp)
def security(page):
    return _prose(page, "security", N_("Security"))
