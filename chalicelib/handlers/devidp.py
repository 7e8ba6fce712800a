"""The bundled development identity provider's HTTP side, mounted at /dev-idp (never in prod).

JSON endpoints: discovery, JWKS, token. Screens: the authorization request, then the method
choice and each method's pages. Screens carry the sealed interaction in a hidden field of every
form (the POST handlers read only that) and mirror it in an HttpOnly cookie scoped to /dev-idp, so
that plain links (the language switch, the code-type tabs) can show the same screen again.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib import devidp
from chalicelib.config import settings
from chalicelib.devidp import identities, mobile
from chalicelib.devidp.authorize import (
    AuthorizeError,
    cancel_url,
    success_url,
    ui_language,
    validate_authorization_request,
)
from chalicelib.devidp.interaction import Interaction, InteractionInvalid, seal, unseal
from chalicelib.devidp.keys import jwks as current_jwks
from chalicelib.devidp.tokens import TokenError, discovery, exchange
from chalicelib.errors import Invalid, NotFound
from chalicelib.web.render import Page
from chalicelib.web.responses import cookie, json_response
from chalicelib.web.views import page_view

bp = Blueprint(__name__)
MOUNT = "/dev-idp"
COOKIE = "devidp_interaction"
FORM = ["application/x-www-form-urlencoded"]
# The token endpoint answers any body type itself (with RFC 6749 errors) instead of Chalice's 415.
TOKEN_CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data"]
TABS = ("app", "card", "calculator")
MAX_TOKEN_FIELDS = 20

log = logging.getLogger("portal.devidp")


def register(app) -> None:
    """Mount the provider at /dev-idp; refuses in prod and wherever the settings disable it."""
    config = settings()
    if config.stage == "prod" or not config.dev_idp_enabled:
        raise RuntimeError("the development identity provider must not run in this stage")
    app.register_blueprint(bp, url_prefix=MOUNT)


# ---------------------------------------------------------------------------------------------
# JSON endpoints


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return json_response(body, status, headers={"Pragma": "no-cache", "X-Content-Type-Options": "nosniff", **(headers or {})})


def json_view(fn):
    @functools.wraps(fn)
    def wrapper(**kwargs):
        try:
            return fn(**kwargs)
        except Exception:
            log.exception("unhandled error on %s", bp.current_request.path)
            return _json({"error": "server_error"}, status=500)

    return wrapper


@bp.route("/.well-known/openid-configuration", methods=["GET"])
@json_view
def openid_configuration():
    return _json(discovery(), headers={"Cache-Control": "public, max-age=300"})


@bp.route("/jwks", methods=["GET"])
@json_view
def jwks():
    return _json(current_jwks(), headers={"Cache-Control": "public, max-age=300"})


def _token_form(request) -> dict[str, str]:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise TokenError("invalid_request", "the body must be application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((request.raw_body or b"").decode("utf-8"), keep_blank_values=True,
                          strict_parsing=False, max_num_fields=MAX_TOKEN_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise TokenError("invalid_request", "the body cannot be read") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise TokenError("invalid_request", f"parameter {name[:30]} is repeated")
        form[name] = value
    return form


@bp.route("/token", methods=["POST"], content_types=TOKEN_CONTENT_TYPES)
@json_view
def token():
    request = bp.current_request
    try:
        answer = exchange(_token_form(request), request.headers.get("authorization"))
    except TokenError as error:
        log.info("token request refused: %s (%s)", error.error, error.description)
        headers = {"WWW-Authenticate": 'Basic realm="dev-idp"'} if error.status == 401 else None
        return _json(error.body(), status=error.status, headers=headers)
    return _json(answer)


# ---------------------------------------------------------------------------------------------
# Screens


@bp.route("/end-session", methods=["GET"])
@page_view(bp)
def end_session(page):
    """RP-initiated logout 1.0: forget this browser's interaction (the /dev-idp cookie) and go back
    to the registered post_logout_redirect_uri with ``state``. The provider keeps no other session."""
    from chalicelib.devidp.authorize import client_redirect

    query = page.request.query
    page.cookies.append(_cookie(page, "", 0))
    target = query.get("post_logout_redirect_uri")
    client_id = query.get("client_id")
    if target != settings().post_logout_redirect_uri or (client_id and client_id != settings().oidc_client_id):
        return _error_page(page, "request", description="post_logout_redirect_uri is not registered")
    state = query.get("state")
    location = client_redirect(target, **({"state": state[:200]} if state else {}))
    return page.response("", status=303, headers={"Location": location, "Content-Type": "text/plain"})


def idp_page(fn):
    """page_view, plus: a missing, forged or expired interaction gets its own clear page."""

    @functools.wraps(fn)
    def wrapper(page, **kwargs):
        try:
            return fn(page, **kwargs)
        except InteractionInvalid as invalid:
            return _error_page(page, "expired" if invalid.expired else "invalid", clear_cookie=True)

    return page_view(bp)(wrapper)


def _cookie(page: Page, value: str, max_age: int) -> str:
    return cookie(COOKIE, value, f"{page.request.base_path}{MOUNT}", max_age=max_age)


def _error_page(page: Page, kind: str, *, description: str = "", clear_cookie: bool = False) -> Response:
    if clear_cookie:
        page.cookies.append(_cookie(page, "", 0))
    return page.render("devidp/error.html", status=400, kind=kind, description=description,
                       portal_url=settings().public_base_url, cancel_url=None)


def _screen(page: Page, interaction: Interaction, template: str, *, status: int = 200, **context) -> Response:
    """Render one of the provider's screens for ``interaction`` (sealed into the forms and the cookie)."""
    sealed = seal(interaction)
    page.cookies.append(_cookie(page, sealed, interaction.seconds_left()))
    return page.render(
        template,
        status=status,
        interaction=sealed,
        cancel_url=cancel_url(interaction),
        errors=context.pop("errors", {}),
        mount=MOUNT,
        test_persons=identities.PERSONS,
        katso_users=identities.KATSO_USERS,
        bank_code=identities.BANK_CODE,
        card_pin=identities.CARD_PIN,
        katso_password=identities.KATSO_PASSWORD,
        never_answering_phone=identities.NEVER_ANSWERING_PHONE,
        **context,
    )


def _from_form(page: Page) -> tuple[Interaction, dict[str, str]]:
    form = page.request.form()
    return unseal(form.get("interaction")), form


def _from_cookie(page: Page) -> Interaction:
    return unseal(page.request.cookies.get(COOKIE))


def _success(page: Page, interaction: Interaction) -> Response:
    return _screen(page, interaction, "devidp/success.html", continue_url=success_url(interaction))


def _start(page: Page, interaction: Interaction) -> Response:
    if interaction.code:
        return _success(page, interaction)
    if interaction.acr == "corporate":
        return _katso_screen(page, interaction)
    return _screen(page, interaction, "devidp/start.html")


def _personal_only(page: Page, interaction: Interaction) -> Response | None:
    """The screen a request for another kind of customer (or a finished one) belongs on, if any."""
    if interaction.code or interaction.acr != "personal":
        return _start(page, interaction)
    return None


def _complete(page: Page, interaction: Interaction, identification) -> Response:
    return _success(page, devidp.complete(interaction, identification))


def _in_language(page: Page, language: str) -> Page:
    """The same request answered in ``language`` (remembered with the portal's language cookie)."""
    request = dataclasses.replace(page.request, query={**page.request.query, "lang": language})
    return Page(request)


def _authorize(page: Page, params: dict[str, str]) -> Response:
    try:
        interaction = validate_authorization_request(params)
    except AuthorizeError as error:
        log.info("authorization request refused: %s (%s)", error.error, error.description)
        if not error.redirect:
            return _error_page(page, "request", description=error.description)
        return page.response("", status=303, headers={"Location": error.redirect_url(), "Content-Type": "text/plain"})
    language = ui_language(params)
    if language and "lang" not in page.request.query and language != page.language:
        page = _in_language(page, language)
    return _start(page, interaction)


@bp.route("/authorize", methods=["GET"])
@idp_page
def authorize(page):
    return _authorize(page, page.request.query)


@bp.route("/authorize", methods=["POST"], content_types=FORM)
@idp_page
def authorize_form(page):
    return _authorize(page, page.request.form())


@bp.route("/start", methods=["GET"])
@idp_page
def start_again(page):
    return _start(page, _from_cookie(page))


@bp.route("/start", methods=["POST"], content_types=FORM)
@idp_page
def start(page):
    interaction, _ = _from_form(page)
    return _start(page, interaction.with_mobile(None))


# Bank access codes ---------------------------------------------------------------------------


def _banks(page: Page, interaction: Interaction) -> Response:
    return _personal_only(page, interaction) or _screen(page, interaction, "devidp/banks.html",
                                                        banks=identities.BANKS)


@bp.route("/bank", methods=["GET"])
@idp_page
def banks_again(page):
    return _banks(page, _from_cookie(page))


@bp.route("/bank", methods=["POST"], content_types=FORM)
@idp_page
def banks(page):
    interaction, _ = _from_form(page)
    return _banks(page, interaction)


def _bank_or_404(bank_key: str) -> identities.Bank:
    found = identities.bank(bank_key)
    if found is None:
        raise NotFound(bank_key)
    return found


def _bank_screen(page, interaction, bank, tab, *, status=200, errors=None, user_id=""):
    return _personal_only(page, interaction) or _screen(
        page, interaction, "devidp/bank_codes.html", status=status, bank=bank,
        tab=tab if tab in TABS else TABS[0], tabs=TABS, errors=errors or {}, user_id=user_id,
    )


@bp.route("/bank/{bank_key}", methods=["GET"])
@idp_page
def bank_codes_again(page, bank_key):
    bank = _bank_or_404(bank_key)
    return _bank_screen(page, _from_cookie(page), bank, page.request.query.get("tab"))


@bp.route("/bank/{bank_key}", methods=["POST"], content_types=FORM)
@idp_page
def bank_codes(page, bank_key):
    bank = _bank_or_404(bank_key)
    interaction, form = _from_form(page)
    tab = form.get("tab")
    if form.get("action") != "ok" or interaction.acr != "personal" or interaction.code:
        return _bank_screen(page, interaction, bank, tab)
    user_id = form.get("user_id", "")
    try:
        identification = identities.identify_with_bank(bank.key, user_id, form.get("code", ""))
    except Invalid as invalid:
        return _bank_screen(page, interaction, bank, tab, status=400, errors=invalid.errors,
                            user_id=user_id.strip()[: identities.MAX_FIELD])
    return _complete(page, interaction, identification)


# Mobile certificate --------------------------------------------------------------------------


def _mobile(page, interaction, *, status=200, errors=None, phone="", anti_jam=""):
    other = _personal_only(page, interaction)
    if other:
        return other
    if interaction.mobile is not None:
        return _screen(page, interaction, "devidp/mobile_sent.html",
                       number_code=interaction.mobile.number_code,
                       timeout_seconds=settings().dev_idp_mobile_timeout_seconds)
    return _screen(page, interaction, "devidp/mobile.html", status=status, errors=errors or {},
                   phone=phone, anti_jam=anti_jam)


@bp.route("/mobile", methods=["GET"])
@idp_page
def mobile_again(page):
    return _mobile(page, _from_cookie(page))


@bp.route("/mobile", methods=["POST"], content_types=FORM)
@idp_page
def mobile_certificate(page):
    interaction, form = _from_form(page)
    action = form.get("action")
    if interaction.acr != "personal" or interaction.code:
        return _start(page, interaction)
    if action == "send":
        phone, anti_jam = form.get("phone", ""), form.get("anti_jam", "")
        try:
            interaction = mobile.send_request(interaction, phone, anti_jam)
        except Invalid as invalid:
            return _mobile(page, interaction.with_mobile(None), status=400, errors=invalid.errors,
                           phone=phone.strip()[: mobile.PHONE_MAX], anti_jam=anti_jam.strip()[: mobile.ANTI_JAM_MAX])
        return _mobile(page, interaction)
    if action == "confirm":
        try:
            identification = mobile.confirm(interaction)
        except mobile.MobileInterrupted:
            return _screen(page, interaction.with_mobile(None), "devidp/mobile_interrupted.html")
        return _complete(page, interaction, identification)
    # Arriving from the method choice, or "Try again": an empty form.
    return _mobile(page, interaction.with_mobile(None))


# Certificate card ----------------------------------------------------------------------------


def _card(page, interaction, *, status=200, errors=None, chosen=""):
    return _personal_only(page, interaction) or _screen(
        page, interaction, "devidp/card.html", status=status, errors=errors or {}, chosen=chosen,
        persons=identities.PERSONS,
    )


@bp.route("/card", methods=["GET"])
@idp_page
def card_again(page):
    return _card(page, _from_cookie(page))


@bp.route("/card", methods=["POST"], content_types=FORM)
@idp_page
def certificate_card(page):
    interaction, form = _from_form(page)
    if form.get("action") != "ok" or interaction.acr != "personal" or interaction.code:
        return _card(page, interaction)
    chosen = form.get("certificate", "")
    try:
        identification = identities.identify_with_card(chosen, form.get("pin", ""))
    except Invalid as invalid:
        return _card(page, interaction, status=400, errors=invalid.errors,
                     chosen=chosen if identities.person(chosen) else "")
    return _complete(page, interaction, identification)


# Katso ID (corporate customers) --------------------------------------------------------------


def _katso_companies() -> dict[str, list[dict]]:
    """Each Katso user's companies and roles in the e-Authorizations stand-in (for the test data):
    a Katso sign-in identifies the person; the portal then asks e-Authorizations for the companies."""
    from chalicelib.authorizations.standin import delegate_data

    return {user.username: delegate_data(user.national_id)["companies"] for user in identities.KATSO_USERS}


def _katso_screen(page, interaction, *, status=200, errors=None, username=""):
    return _screen(page, interaction, "devidp/katso.html", status=status, errors=errors or {}, username=username,
                   katso_companies=_katso_companies())


def _katso(page, interaction, *, status=200, errors=None, username=""):
    if interaction.code or interaction.acr != "corporate":
        return _start(page, interaction)
    return _katso_screen(page, interaction, status=status, errors=errors, username=username)


@bp.route("/katso", methods=["GET"])
@idp_page
def katso_again(page):
    return _katso(page, _from_cookie(page))


@bp.route("/katso", methods=["POST"], content_types=FORM)
@idp_page
def katso(page):
    interaction, form = _from_form(page)
    if form.get("action") != "ok" or interaction.acr != "corporate" or interaction.code:
        return _katso(page, interaction)
    username = form.get("username", "")
    try:
        identification = identities.identify_with_katso(username, form.get("password", ""))
    except Invalid as invalid:
        return _katso(page, interaction, status=400, errors=invalid.errors,
                      username=username.strip()[: identities.MAX_FIELD])
    return _complete(page, interaction, identification)
