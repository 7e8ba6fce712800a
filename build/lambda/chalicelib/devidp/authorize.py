"""The authorization endpoint's rules (RFC 6749 4.1, RFC 7636, OpenID Connect Core 3.1.2).

A request with an unknown client or a redirect URI other than the registered one is answered with
an error page and never redirected (an open redirector otherwise). Every other problem goes back
to the registered redirect URI as ``?error=...&state=...``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from chalicelib.config import settings
from chalicelib.devidp.interaction import Interaction, new_interaction
from chalicelib.i18n import LANGUAGES

ACR_VALUES = ("personal", "corporate")
# RFC 6749 Appendix A: state is VSCHAR; the nonce is an opaque string. Both kept to a sane length.
_VSCHARS = re.compile(r"^[\x20-\x7e]{1,512}$")
# RFC 7636 4.2: S256 gives 43 characters of base64url; the unreserved set, 43-128, is what is allowed.
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass
class AuthorizeError(Exception):
    error: str
    description: str
    redirect: bool  # False: show an error page; True: send the error to the client
    redirect_uri: str = ""
    state: str | None = None

    def redirect_url(self) -> str:
        return client_redirect(self.redirect_uri, error=self.error, error_description=self.description,
                               state=self.state)


def client_redirect(redirect_uri: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def cancel_url(interaction: Interaction) -> str:
    return client_redirect(interaction.redirect_uri, error="access_denied", state=interaction.state)


def success_url(interaction: Interaction) -> str:
    if not interaction.code:
        raise ValueError("the interaction has no code yet")
    return client_redirect(interaction.redirect_uri, code=interaction.code, state=interaction.state)


def ui_language(params: dict[str, str]) -> str | None:
    """The first of ``ui_locales`` (space-separated BCP 47 tags) that the screens speak."""
    for tag in (params.get("ui_locales") or "").split()[:10]:
        language = tag.split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return None


def validate_authorization_request(params: dict[str, str]) -> Interaction:
    """The interaction for a valid request; AuthorizeError otherwise."""
    config = settings()
    client_id = params.get("client_id") or ""
    redirect_uri = params.get("redirect_uri") or ""
    if client_id != config.oidc_client_id:
        raise AuthorizeError("invalid_client", "unknown client_id", redirect=False)
    if redirect_uri != config.redirect_uri:
        raise AuthorizeError("invalid_request", "redirect_uri is not the one registered for this client",
                             redirect=False)

    state = params.get("state")
    state = state if state and _VSCHARS.match(state) else None

    def fail(error: str, description: str):
        return AuthorizeError(error, description, redirect=True, redirect_uri=redirect_uri, state=state)

    if params.get("request"):
        raise fail("request_not_supported", "request objects are not supported")
    if params.get("request_uri"):
        raise fail("request_uri_not_supported", "request_uri is not supported")
    response_type = params.get("response_type")
    if not response_type:
        raise fail("invalid_request", "response_type is required")
    if response_type != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if "openid" not in (params.get("scope") or "").split():
        raise fail("invalid_scope", "scope must contain openid")
    if state is None:
        raise fail("invalid_request", "state is required (1-512 printable ASCII characters)")
    nonce = params.get("nonce") or ""
    if not _VSCHARS.match(nonce):
        raise fail("invalid_request", "nonce is required (1-512 printable ASCII characters)")
    challenge = params.get("code_challenge") or ""
    if not challenge:
        raise fail("invalid_request", "code_challenge is required (PKCE)")
    if params.get("code_challenge_method") != "S256":
        raise fail("invalid_request", "code_challenge_method must be S256")
    if not _CHALLENGE.match(challenge):
        raise fail("invalid_request", "code_challenge is malformed")
    response_mode = params.get("response_mode")
    if response_mode not in (None, "", "query"):
        raise fail("invalid_request", "only response_mode=query is supported")
    if params.get("prompt") and "none" in params["prompt"].split():
        raise fail("login_required", "identification always needs the person")

    requested = (params.get("acr_values") or "").split()
    acr = next((value for value in requested if value in ACR_VALUES), "personal")
    return new_interaction(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        acr=acr,
    )
