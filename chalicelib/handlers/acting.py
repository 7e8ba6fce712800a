"""Whom the signed-in person acts for (issue 17): the choice page after identification, the round
trips to Suomi.fi e-Authorizations that list the principals, and changing the choice from the top bar.
A corporate customer chooses here, before registering, which company they act for (YPA only): the
organisation and the roles in it come from e-Authorizations, never from the identification.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

import logging

from chalice import Blueprint

from chalicelib.errors import NotFound
from chalicelib.i18n import N_, Message
from chalicelib.web.urls import safe_return_path
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
log = logging.getLogger("portal.authorizations")
FORM = ["application/x-www-form-urlencoded"]


def _next(page, source: dict | None = None) -> str:
    return safe_return_path((source or page.request.query).get("next"), default="/")


def _callback_url(mode: str) -> str:
    from chalicelib.config import settings

    return f"{settings().public_base_url.rstrip('/')}/act-for/callback/{mode}"


def _own_profile(page):
    from chalicelib.identity.profiles import get_profile

    return get_profile(page.session.actor_profile_id)


def _code(page) -> str:
    """The identified person's code: a corporate customer's from their identification (they have no
    profile of their own), else from the person's own profile."""
    if _corporate(page):
        return page.session.identification.personal_identity_code
    return _own_profile(page).personal_identity_code


def _corporate(page) -> bool:
    return page.session.customer == "corporate"


def _not_choosing(page, next_path: str):
    """Where a session that has nothing to choose here goes: a person registers first (a corporate
    customer chooses the company before registering it, and may change it later)."""
    if _corporate(page):  # a session from before the identification was kept has nothing to change with
        return None if page.session.identification is not None else page.redirect(next_path)
    return None if page.session.registered else page.redirect("/register")


def _start(page, mode: str, next_path: str, found: list | None = None, notice: str | None = None):
    """Register a web API session for ``mode`` and send the browser to the service's selection."""
    from chalicelib import sessions
    from chalicelib.authorizations import port

    started = port.service().start(mode, _code(page), _callback_url(mode), page.language)
    sessions.set_authorization_flow(page.session, {"mode": mode, "session_id": started.session_id, "next": next_path,
                                                   "found": found or [], "notice": notice})
    return page.response("", status=303, headers={"Location": started.redirect_url, "Content-Type": "text/plain"})


def _unavailable(page, next_path: str):
    return page.render("acting/unavailable.html", status=503, next_path=next_path, corporate=_corporate(page),
                       headers={"Retry-After": "60"})


def _self(page):
    from chalicelib.authorizations import Principal

    return Principal("person", "self", page.session.acting_name, page.session.actor_hash)


def _finish_choice(page, principal, next_path: str, notice: str | None = None):
    from chalicelib import sessions
    from chalicelib.authorizations.folders import folder_for
    from chalicelib.privacy import audit

    folder = folder_for(principal, _own_profile(page))
    sessions.act_for(page.session, principal, folder)
    audit.record(folder, "acting-for", "customer", detail=principal.relation,
                 principal_hash=principal.principal_hash, actor_hash=page.session.actor_hash)
    return page.redirect(next_path, notice=notice)


def _represent(page, principal, next_path: str):
    """A corporate customer chose ``principal``: its folder, or its registration when it has none."""
    from chalicelib import sessions
    from chalicelib.handlers.auth import resume_or_home, signed_in
    from chalicelib.identity import profiles

    identity = page.session.identification.for_organisation(principal.identifier, principal.name, principal.roles)
    profile_id = profiles.find_profile_id(identity)
    next_path = resume_or_home(page, identity, profile_id, next_path)
    sessions.represent(page.session, identity, principal, profile_id, next_path)
    if profile_id is None:
        return page.redirect("/register")
    signed_in(profile_id, identity)
    return page.redirect(next_path)


def _render_choices(page, choices, next_path: str, *, status: int = 200, errors: dict | None = None):
    current = page.session.principal
    return page.render(
        "acting/choose.html", status=status, choices=choices, next_path=next_path, errors=errors or {},
        own=_self(page), current_ref=current.ref, notice=None, corporate=_corporate(page),  # "Registration complete" waits for the page after
        then_notice="registered" if page.request.query.get("notice") == "registered" else None,
        children=[c for c in choices if c.kind == "child"], persons=[c for c in choices if c.kind == "person"],
        organisations=[c for c in choices if c.kind == "organisation"],
    )


@bp.route("/act-for", methods=["GET"])
@page_view(bp, access="identified")
def choose(page):
    """The choice page: first asks the authorisation service (once per sign-in), then lists the
    principals; skipped when there is nobody else to act for (unless the person asked to change).
    A corporate customer's page lists the companies only, and is skipped when there is just one."""
    from chalicelib.authorizations.port import AuthorizationsUnavailable

    next_path = _next(page)
    elsewhere = _not_choosing(page, next_path)
    if elsewhere is not None:
        return elsewhere
    choices = page.session.principal_choices
    if choices is None:
        try:
            notice = page.request.query.get("notice")
            return _start(page, "ypa" if _corporate(page) else "hpa", next_path,
                          notice=notice if notice == "registered" else None)
        except AuthorizationsUnavailable as down:
            log.error("e-Authorizations unavailable: %s", down)
            return _unavailable(page, next_path)
    if _corporate(page):  # YPA lists companies only; one is chosen without asking at the sign-in
        if len(choices) == 1 and choices[0].allowed and page.session.choosing_organisation:
            return _represent(page, choices[0], next_path)
        return _render_choices(page, choices, next_path)
    if not choices and page.request.query.get("change") != "1":
        return page.redirect(next_path, notice=page.request.query.get("notice"))
    return _render_choices(page, choices, next_path)


@bp.route("/act-for/callback/{mode}", methods=["GET"])
@page_view(bp, access="identified")
def callback(page, mode):
    """Back from the service's selection: fetch what it lists, then the next mode, then the choice page."""
    from chalicelib import sessions
    from chalicelib.authorizations import Principal, port

    flow = page.session.record.authorization_flow
    if mode not in port.MODES or not flow or flow.get("mode") != mode:
        raise NotFound("no e-Authorizations round trip under way")
    next_path = safe_return_path(flow.get("next"), default="/")
    found = [Principal.from_json(p) for p in flow.get("found") or []]
    code = page.request.query.get("code") or ""
    try:
        if code and len(code) <= 500:
            found += port.service().finish(mode, flow["session_id"], code, _callback_url(mode))
        # else: the person cancelled at the service's screen (or it sent no code): nothing from this mode
        if mode == "hpa" and not _corporate(page):
            return _start(page, "ypa", next_path, [p.to_json() for p in found], notice=flow.get("notice"))
    except port.AuthorizationsUnavailable as down:
        log.error("e-Authorizations unavailable: %s", down)
        sessions.set_authorization_flow(page.session, None)
        return _unavailable(page, next_path)
    sessions.set_authorization_flow(page.session, None)
    sessions.remember_choices(page.session, found)
    return page.redirect("/act-for", next=next_path, notice=flow.get("notice"))


@bp.route("/act-for", methods=["POST"], content_types=FORM)
@page_view(bp, access="identified")
def chosen(page):
    from chalicelib.authorizations import is_child_in_custody

    fields = page.request.form()
    next_path = _next(page, fields)
    elsewhere = _not_choosing(page, next_path)
    if elsewhere is not None:
        return elsewhere
    notice = "registered" if fields.get("notice") == "registered" else None  # announced on the page after
    ref = fields.get("principal") or ""
    if ref == "self" and not _corporate(page):
        return _finish_choice(page, _self(page), next_path, notice)
    choices = page.session.principal_choices or []
    principal = next((c for c in choices if c.ref == ref), None)
    if principal is None:
        return _render_choices(page, choices, next_path, status=400,
                               errors={"principal": Message(N_("Choose whom you act for."))})
    if not principal.allowed:
        return _render_choices(page, choices, next_path, status=403, errors={"principal": Message(N_(
            "Your roles in this company do not allow acting for it in the e-services. Ask the company to authorise you in Suomi.fi e-Authorizations."))})
    if principal.kind == "child" and not is_child_in_custody(principal):
        return _render_choices(page, choices, next_path, status=403,
                               errors={"principal": Message(N_("The child has come of age: a guardian no longer acts for them."))})
    if _corporate(page):
        return _represent(page, principal, next_path)
    return _finish_choice(page, principal, next_path, notice)


@bp.route("/act-for/refresh", methods=["POST"], content_types=FORM)
@page_view(bp, access="identified")
def refresh(page):
    """Ask the authorisation service again (a new authorisation given meanwhile, or after it was down)."""
    from chalicelib import sessions

    next_path = _next(page, page.request.form())
    elsewhere = _not_choosing(page, next_path)
    if elsewhere is not None:
        return elsewhere
    sessions.remember_choices(page.session, None)
    return page.redirect("/act-for", next=next_path, change="1")
