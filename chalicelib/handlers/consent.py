"""Health-care consent: the electronic agreement page (before a health-care form) and withdrawing an
accepted agreement in My profile.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.errors import NotFound
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]
# Where accepting may continue: the service's form or one of the person's own draft pages.
_NEXT = re.compile(r"^/drafts/[0-9a-f]{32}/pages/[0-9]{1,3}$")


def _service_with_agreement(service_id: str):
    from chalicelib.catalogue.store import get_service

    service = get_service(service_id)
    if service is None or service.agreement is None:
        raise NotFound(service_id)
    return service


def _next(service, raw: str | None) -> str:
    return raw if raw and _NEXT.fullmatch(raw) else f"/e-services/{service.id}/form"


def render_agreement(page, service, *, next_path: str | None = None, status: int = 200, error: bool = False,
                     reason: str | None = None):
    """The agreement page. ``reason`` "draft": a draft's page (or Send) sent the person here; what they
    posted was saved, and the form goes on once the agreement is accepted (again, or its new version).
    Acting for a child, the page also offers the notice of consent."""
    from chalicelib import consent
    from chalicelib.consent.notice import notice_language
    from chalicelib.i18n import LANGUAGE_NAMES, LANGUAGES

    current = consent.acceptance(consent.acceptor(page.session).key, service.id)
    child = _child(page)
    notice = None
    if child is not None:  # the notice of consent, in the child's language first
        first = notice_language(child.language, page.language)
        notice = {"child": child, "languages": [(code, LANGUAGE_NAMES[code]) for code in
                                                sorted(LANGUAGES, key=lambda code: code != first)]}
    return page.render("consent/agreement.html", status=status, service=service, agreement=service.agreement,
                       current=current, next_path=_next(service, next_path), error=error, reason=reason, notice=notice)


@bp.route("/e-services/{service_id}/agreement", methods=["GET"])
@page_view(bp, access="signed_in")
def agreement(page, service_id):
    return render_agreement(page, _service_with_agreement(service_id), next_path=page.request.query.get("next"))


@bp.route("/e-services/{service_id}/agreement", methods=["POST"], content_types=FORM)
@page_view(bp, access="signed_in")
def accept(page, service_id):
    from chalicelib import consent
    from chalicelib.privacy import audit

    service = _service_with_agreement(service_id)
    posted = page.request.form()
    if posted.get("accept") != "yes":
        return render_agreement(page, service, next_path=posted.get("next"), status=400, error=True)
    person = consent.acceptor(page.session)
    accepted = consent.accept(person.key, person.profile_id, service, page.language)
    audit.record(person.profile_id, "agreement-accepted", "customer",
                 detail=f"{service.id} v{accepted.version}")
    return page.redirect(_next(service, posted.get("next")))


@bp.route("/profile/agreements/{service_id}/withdraw", methods=["POST"], content_types=FORM)
@page_view(bp, access="signed_in")
def withdraw(page, service_id):
    from chalicelib import consent
    from chalicelib.catalogue.store import get_service
    from chalicelib.privacy import audit

    if get_service(service_id) is None:
        raise NotFound(service_id)
    person = consent.acceptor(page.session)
    if consent.withdraw(person.key, service_id):
        audit.record(person.profile_id, "agreement-withdrawn", "customer", detail=service_id)
    return page.redirect("/profile", done="withdrawn")


def _child(page):
    """The child a guardian acts for in health care, else None: a child in custody under 15 (from
    15, a minor uses health care themselves: ``authorizations.may_act_in``)."""
    from chalicelib.authorizations import is_child_in_custody, may_act_in

    principal = page.session.principal
    return principal if is_child_in_custody(principal) and may_act_in(principal, health_care=True) else None


@bp.route("/e-services/{service_id}/consent-notice.pdf", methods=["GET"])
@page_view(bp, access="signed_in")
def consent_notice(page, service_id):
    """The notice of consent (PDF) for a guardian acting for a child: in the child's language (from
    the register; ``?language=`` chooses another of fi/sv/en), to print, sign and take to the health station."""
    from datetime import date

    from chalicelib import clock
    from chalicelib.consent import notice
    from chalicelib.i18n import LANGUAGES
    from chalicelib.clock import HELSINKI

    service = _service_with_agreement(service_id)
    child = _child(page)
    if child is None:  # only a guardian acting for a child has one
        raise NotFound("notice")
    requested = page.request.query.get("language")
    language = requested if requested in LANGUAGES else notice.notice_language(child.language, page.language)
    facts = notice.NoticeFacts(
        guardian_name=page.session.acting_name, child_name=child.name,
        child_birth_date=date.fromisoformat(child.birth_date) if child.birth_date else None)
    body = notice.render(service, facts, language, clock.utcnow().astimezone(HELSINKI).date())
    return page.response(body, headers={
        "Content-Type": "application/pdf",
        # No personal data in the file name: the e-service and the language only.
        "Content-Disposition": f'attachment; filename="consent-notice-{service.id}-{language}.pdf"',
        "Content-Language": language,
    })


def gate(page, service, next_path: str | None = None):
    """None when the person may go on with the service's form; else the agreement page (to accept
    it, or again after withdrawing or after a new version) as the answer."""
    from chalicelib import consent

    if consent.in_force(consent.acceptor(page.session).key, service):
        return None
    if next_path is None:
        return page.redirect(f"/e-services/{service.id}/agreement")
    return render_agreement(page, service, next_path=next_path, status=403, reason="draft")
