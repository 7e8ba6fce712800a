"""The catalogue of e-services: the searchable list and each service's description page.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.errors import NotFound
from chalicelib.web.views import page_view

bp = Blueprint(__name__)


def _labels() -> dict:
    """The topic and target group labels both pages show."""
    from chalicelib.catalogue import labels

    return {
        "topics": labels.TOPIC_LABELS,
        "groups": labels.TARGET_GROUP_LABELS,
        "residents": labels.RESIDENT_GROUP_LABELS,
    }


@bp.route("/e-services", methods=["GET"])
@page_view(bp)
def catalogue_list(page):
    from chalicelib.catalogue.search import SearchFilters, search

    filters = SearchFilters.parse(page.request.query)
    return page.render("catalogue/list.html", filters=filters, results=search(filters, page.language), **_labels())


def _service(service_id: str):
    from chalicelib.catalogue.store import get_service

    service = get_service(service_id)
    if service is None:
        raise NotFound(service_id)
    return service


@bp.route("/e-services/{service_id}", methods=["GET"])
@page_view(bp)
def service_description(page, service_id):
    from chalicelib.catalogue import labels
    from chalicelib.catalogue.store import division_name

    service = _service(service_id)
    return page.render(
        "catalogue/service.html",
        service=service,
        division_name=division_name(service.division, page.language),
        alternative_labels=labels.ALTERNATIVE_LABELS,
        language_labels=labels.LANGUAGE_LABELS,
        **_labels(),
    )
