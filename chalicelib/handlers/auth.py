"""Signing in and out, registration on the first sign-in, and keeping a session alive.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.errors import Invalid
from chalicelib.web.responses import clear_cookie, cookie, json_response
from chalicelib.web.urls import safe_return_path
from chalicelib.web.views import page_view

if TYPE_CHECKING:
    from chalicelib.identity.profiles import ContactForm

bp = Blueprint(__name__)
log = logging.getLogger("portal.identity")
FORM = ["application/x-www-form-urlencoded"]
BINDING_COOKIE = "signin"
BINDING_SECONDS = 600
# This browser's last sign-in: "personal" or "corporate", or "login" after a sign-out or a timeout.
# The next authorization request carries prompt=login after a sign-out, a timeout or a change of
# customer type, so a shared computer never signs the next person in as the previous one. Not personal data.
REAUTH_COOKIE = "reauth"
REAUTH_SECONDS = 30 * 24 * 3600


def _prompt_login(page, customer: str) -> bool:
    last = page.request.cookies.get(REAUTH_COOKIE)
    return last == "login" or (last in ("personal", "corporate") and last != customer)


@bp.route("/sign-in", methods=["GET"])
@page_view(bp)
def sign_in(page):
    next_path = safe_return_path(page.request.query.get("next"), default="/")
    if page.signed_in:
        return page.redirect(next_path)
    customer = page.request.query.get("customer")
    timed_out = page.request.query.get("notice") == "timeout" or page.notice == "timeout"
    if timed_out:
        _leave_nothing(page, keep_resume=True)
    return page.render(
        "auth/sign_in.html",
        customer=customer if customer in ("personal", "corporate") else None,
        next_path=next_path,
        headers=CLEAR_SITE_DATA if timed_out else None,
    )


@bp.route("/sign-in/start", methods=["GET"])
@page_view(bp)
def start(page):
    from chalicelib.identity.http import ProviderUnavailable
    from chalicelib.identity.signin import start_sign_in

    customer = page.request.query.get("customer")
    if customer not in ("personal", "corporate"):
        return page.redirect("/sign-in")
    try:
        started = start_sign_in(
            customer=customer,
            return_path=safe_return_path(page.request.query.get("next"), default="/"),
            language=page.language,
            prompt_login=_prompt_login(page, customer),
        )
    except ProviderUnavailable as unavailable:
        log.error("identity provider unavailable: %s", unavailable)
        return page.render("auth/failed.html", status=503, reason="provider-unavailable", headers={"Retry-After": "60"})
    page.cookies.append(cookie(BINDING_COOKIE, started.browser_binding, page.request.base_path, max_age=BINDING_SECONDS))
    return page.response("", status=303, headers={"Location": started.redirect_url, "Content-Type": "text/plain"})


@bp.route("/auth/callback", methods=["GET"])
@page_view(bp)
def callback(page):
    from chalicelib import sessions
    from chalicelib.identity import profiles
    from chalicelib.identity.signin import (
        Repeat,
        SignInFailed,
        complete_sign_in,
        record_completion,
    )
    from chalicelib.privacy import audit

    page.cookies.append(clear_cookie(BINDING_COOKIE, page.request.base_path))
    binding = page.request.cookies.get(BINDING_COOKIE)
    current = sessions.hash_of(page.request.cookies[sessions.COOKIE]) if page.session is not None else None
    try:
        outcome = complete_sign_in(page.request.query, binding, current)
    except SignInFailed as failed:
        log.warning("sign-in refused: %s", failed.reason)  # the reason only: no personal data
        audit.sign_in(None, "unknown", success=False, reason=failed.reason)
        if failed.reason == "profile-unavailable":  # ours to fix, not the person's: try again later
            return page.render("auth/failed.html", status=503, reason=failed.reason, headers={"Retry-After": "60"})
        return page.render("auth/failed.html", status=400, reason=failed.reason)
    if isinstance(outcome, Repeat):  # the same callback again: where the first went, same session
        if outcome.session_token:
            page.cookies.append(cookie(sessions.COOKIE, outcome.session_token, page.request.base_path))
        return page.response("", status=303, headers={"Location": outcome.destination, "Content-Type": "text/plain"})
    identity, return_path = outcome.identity, outcome.return_path
    if page.session is not None:  # a new id at every sign-in
        sessions.destroy(page.session)
    # A corporate customer's organisation (and so its profile) is chosen next, on /act-for.
    profile_id = profiles.find_profile_id(identity) if identity.organisation_chosen else None
    if profile_id is not None and profiles.awaits_its_person(profile_id):
        profile_id = None  # a folder someone acting for them created: they register into it first
    if identity.organisation_chosen:
        return_path = resume_or_home(page, identity, profile_id, return_path)
    provider = sessions.ProviderSession(outcome.id_token, outcome.sid, outcome.sub)
    token, _ = sessions.create_session(identity, profile_id, return_path, provider)
    page.cookies.append(cookie(sessions.COOKIE, token, page.request.base_path))
    page.cookies.append(cookie(REAUTH_COOKIE, identity.customer, page.request.base_path, max_age=REAUTH_SECONDS))
    if not identity.organisation_chosen:
        response = page.redirect("/act-for", next=return_path)
    elif profile_id is None:
        response = page.redirect("/register")
    else:
        path, params = _after_identification(identity, return_path)
        response = page.redirect(path, **params)
    record_completion(outcome, session_token=token, destination=response.headers["Location"], browser_binding=binding)
    if profile_id is not None:
        signed_in(profile_id, identity)
    return response


def signed_in(profile_id: str, identity) -> None:
    """A sign-in reached its profile: its last sign-in and the audit trail."""
    from chalicelib.identity import profiles
    from chalicelib.privacy import audit

    profiles.record_sign_in(profile_id, identity.method)
    audit.sign_in(profile_id, identity.method, success=True)


def resume_or_home(page, identity, profile_id: str | None, return_path: str) -> str:
    """Where the sign-in goes on: a form stashed at a timeout on this browser is kept only for the
    same person (in the same profile), else deleted unread and the return page is "/"."""
    from chalicelib import sessions

    person = sessions.person_hash(identity.customer, profile_id, identity.actor_hash) if profile_id else None
    if _keep_resume_for(page, person) is False and _form_page(return_path):
        return "/"  # someone else's timed-out form: nothing of it, not even its page
    return return_path


@bp.route("/auth/backchannel-logout", methods=["POST"], content_types=FORM)
def backchannel_logout():
    """OpenID Connect Back-Channel Logout 1.0: the provider ends its session; the portal ends the
    sessions it made from it. Register this address as the client's backchannel_logout_uri."""
    from urllib.parse import parse_qs

    from chalicelib import sessions
    from chalicelib.identity import oidc
    from chalicelib.identity.http import ProviderUnavailable

    headers = {"Cache-Control": "no-store"}
    raw = bp.current_request.raw_body or b""
    values = parse_qs(raw.decode("utf-8", "replace")).get("logout_token") if len(raw) <= 16384 else None
    if not values or len(values) != 1:
        log.warning("back-channel logout refused: no logout_token")
        return json_response({"error": "invalid_request"}, 400, headers=headers)
    try:
        claims = oidc.verify_logout_token(values[0])
    except oidc.TokenRejected as rejected:
        log.warning("back-channel logout refused: %s", rejected)
        return json_response({"error": "invalid_request"}, 400, headers=headers)
    except ProviderUnavailable as unavailable:
        log.error("back-channel logout: identity provider unavailable: %s", unavailable)
        return json_response({"error": "temporarily_unavailable"}, 503, headers=headers)
    ended = sessions.end_provider_sessions(sid=claims.get("sid"), sub=claims.get("sub") if not claims.get("sid") else None)
    log.info("back-channel logout: %d session(s) ended", ended)
    return json_response({}, 200, headers=headers)


@bp.route("/auth/jwks", methods=["GET"])
def jwks():
    """The portal's public key for private_key_jwt client authentication (an empty set otherwise)."""
    from chalicelib.identity import oidc

    return json_response(oidc.public_jwks(), 200, headers={"Cache-Control": "public, max-age=300"})


def _after_identification(identity, return_path: str, **params):
    """A person first chooses whom they act for (issue 17; the page skips itself when there is
    nobody else); a corporate customer has chosen their organisation before registering."""
    if identity.customer == "personal":
        return ("/act-for", {"next": return_path, **params})
    return (return_path, params)


def _form_page(path: str) -> bool:
    from chalicelib.forms import resume

    return resume.resumable(path.split("?", 1)[0])


def _keep_resume_for(page, person: str | None) -> bool | None:
    """A form stashed at a timeout on this browser stays only for the same person's sign-in; anyone
    else's sign-in deletes it unread and clears its cookie. True: kept; False: someone else's, gone;
    None: no stash (a stale cookie is cleared)."""
    from chalicelib.forms import resume

    token = page.request.cookies.get(resume.COOKIE)
    if not token:
        return None
    kept = resume.keep_for(token, person)
    if not kept:
        page.cookies.append(clear_cookie(resume.COOKIE, page.request.base_path))
    return kept


def _leave_nothing(page, *, keep_resume: bool = False) -> None:
    """Expire every portal cookie but the preferences (language, text size): sign-out and timeout.
    At a timeout the resume cookie stays: it is opaque and only its own person's sign-in uses it."""
    from chalicelib import sessions
    from chalicelib.forms import resume

    names = [sessions.COOKIE, BINDING_COOKIE] + ([] if keep_resume else [resume.COOKIE])
    cleared = {c.split("=", 1)[0] for c in page.cookies if "Max-Age=0" in c}
    page.cookies.extend(clear_cookie(name, page.request.base_path) for name in names if name not in cleared)
    if not any(c.startswith(f"{REAUTH_COOKIE}=") for c in page.cookies):  # the next sign-in asks again
        page.cookies.append(cookie(REAUTH_COOKIE, "login", page.request.base_path, max_age=REAUTH_SECONDS))


# "cookies" is left out on purpose: it would also clear the language and text-size cookies, the
# spec has a Set-Cookie in the same answer ignored (so they could not be set again there), and it
# reaches every site of the registrable domain (the city's other services). The portal's own
# cookies are expired by name instead (_leave_nothing). docs/architecture.md.
CLEAR_SITE_DATA = {"Clear-Site-Data": '"cache", "storage"'}


def _contact_form(page) -> ContactForm:
    from chalicelib.identity import profiles

    return profiles.ContactForm.from_fields(page.request.form(), page.request.form_list("methods"))


@bp.route("/register", methods=["GET"])
@page_view(bp, access="registering")
def registration(page):
    from chalicelib.identity import profiles

    identity = page.session.pending_identity
    form = profiles.ContactForm(language=page.language, methods=())
    return page.render("auth/register.html", identity=identity, form=form, errors={})


@bp.route("/register", methods=["POST"], content_types=FORM)
@page_view(bp, access="registering")
def register(page):
    from chalicelib import sessions
    from chalicelib.identity import profiles
    from chalicelib.privacy import audit

    identity = page.session.pending_identity
    form = _contact_form(page)
    try:
        profile_id = profiles.register(identity, form)
    except Invalid as invalid:
        return page.render("auth/register.html", status=400, identity=identity, form=form, errors=invalid.errors)
    sessions.complete_registration(page.session, profile_id)
    audit.sign_in(profile_id, identity.method, success=True, reason="registration")
    path, params = _after_identification(identity, page.session.return_path, notice="registered")
    return page.redirect(path, **params)


@bp.route("/register/cancel", methods=["POST"], content_types=FORM)
@page_view(bp, access="registering")
def cancel_registration(page):
    from chalicelib import sessions

    sessions.destroy(page.session)
    _leave_nothing(page)
    return page.redirect("/signed-out", reason="cancelled")


@bp.route("/sign-out", methods=["POST"], content_types=FORM)
@page_view(bp)
def sign_out(page):
    """End the portal's session and, where the provider publishes end_session_endpoint, the
    provider's too (RP-initiated logout 1.0), landing on the signed-out page either way."""
    from chalicelib import sessions
    from chalicelib.forms import resume

    id_token = None
    if page.session is not None:
        id_token = page.session.record.id_token
        sessions.destroy(page.session)
    else:
        sessions.forget(page.request.cookies.get(sessions.COOKIE))  # a timed-out marker
    resume.discard(page.request.cookies.get(resume.COOKIE))
    _leave_nothing(page)
    provider_logout = _end_session_url(page, id_token)
    if provider_logout:
        return page.response("", status=303, headers={"Location": provider_logout, "Content-Type": "text/plain"})
    return page.redirect("/signed-out")


def _end_session_url(page, id_token: str | None) -> str | None:
    import secrets

    from chalicelib.identity import oidc
    from chalicelib.identity.http import ProviderUnavailable

    if not id_token:
        return None  # nothing to hint with (a timed-out session): prompt=login covers the next sign-in
    try:
        return oidc.end_session_url(id_token_hint=id_token, state=secrets.token_urlsafe(16), language=page.language)
    except ProviderUnavailable as unavailable:
        log.error("identity provider unavailable at sign-out: %s", unavailable)
        return None


@bp.route("/signed-out", methods=["GET"])
@page_view(bp)
def signed_out(page):
    reason = page.request.query.get("reason")
    reason = reason if reason in ("timeout", "cancelled") else None
    _leave_nothing(page, keep_resume=reason == "timeout")
    return page.render("auth/signed_out.html", reason=reason, headers=CLEAR_SITE_DATA)


@bp.route("/session/extend", methods=["POST"], content_types=FORM + ["application/json"])
@page_view(bp)
def extend_session(page):
    """ "Continue" in the timeout warning: slide the idle expiry; JSON for the script, a page without it."""
    from chalicelib import sessions

    wants_json = "application/json" in page.request.headers.get("accept", "")
    if page.session is None:
        if wants_json:
            return json_response({"signed_in": False}, 401)
        return page.redirect("/sign-in", notice="timeout")
    sessions.extend(page.session)
    if wants_json:
        return json_response({"signed_in": True, "seconds_left": page.session.seconds_left()})
    return page.redirect(safe_return_path(page.request.form().get("next"), default="/"))


@bp.route("/session/status", methods=["GET"])
def session_status():
    """How long the session has left, without extending it (the timeout warning asks before acting)."""
    from chalicelib import sessions
    from chalicelib.web.request import parse_cookies

    cookies = parse_cookies((bp.current_request.headers or {}).get("cookie"))
    loaded = sessions.load_session(cookies.get(sessions.COOKIE), touch=False)
    body = {"signed_in": loaded.session is not None}
    if loaded.session is not None:
        body["seconds_left"] = loaded.session.seconds_left()
    return json_response(body, 200 if loaded.session else 401)
