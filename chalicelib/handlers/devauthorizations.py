"""The development stand-in for Suomi.fi e-Authorizations, mounted at /dev-authorizations in the local,
dev and test stages only (app.py; ``register`` refuses production). It answers the web API's calls in
the service's own vocabulary (chalicelib/authorizations/standin.py has the data and the checks)."""
from __future__ import annotations

import functools
import logging
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response

from chalicelib.config import settings
from chalicelib.web.responses import json_response, security_headers

bp = Blueprint(__name__)
MOUNT = "/dev-authorizations"
log = logging.getLogger("portal.dev_authorizations")


def register(app) -> None:
    config = settings()
    if config.stage == "prod" or not config.authorizations_standin_enabled:
        raise RuntimeError("the e-Authorizations stand-in must not run in this stage")
    app.register_blueprint(bp, url_prefix=MOUNT)


def _signed_path(path: str) -> str:
    query = bp.current_request.query_params or {}
    return path + (f"?{urlencode(dict(query))}" if query else "")


def _header(name: str) -> str | None:
    headers = {k.lower(): v for k, v in (bp.current_request.headers or {}).items()}
    return headers.get(name.lower())


def json_view(fn):
    @functools.wraps(fn)
    def wrapper(**kwargs):
        from chalicelib.authorizations.standin import StandInRefused

        try:
            return json_response(fn(**kwargs))
        except StandInRefused as refused:
            return json_response({"error": refused.error}, refused.status)
        except Exception:
            log.exception("unhandled error in the e-Authorizations stand-in")
            return json_response({"error": "server_error"}, 500)

    return wrapper


def _q(value: str) -> str:
    return quote(value, safe="")


@bp.route("/service/{mode}/user/register/{client_id}/{delegate}", methods=["GET"])
@json_view
def register_session(mode, client_id, delegate):
    from chalicelib.authorizations import standin

    path = _signed_path(f"/service/{_q(mode)}/user/register/{_q(client_id)}/{_q(delegate)}")
    return standin.register(mode, client_id, delegate, path, _header("X-AsiointivaltuudetAuthorization"))


@bp.route("/oauth/authorize", methods=["GET"])
def authorize():
    from chalicelib.authorizations.standin import StandInRefused, authorize as selection

    try:
        location = selection(dict(bp.current_request.query_params or {}))
    except StandInRefused as refused:
        return Response(body=refused.error, status_code=refused.status,
                        headers={"Content-Type": "text/plain; charset=utf-8", **security_headers()})
    return Response(body="", status_code=303, headers={"Location": location, **security_headers()})


@bp.route("/oauth/token", methods=["POST"], content_types=["application/x-www-form-urlencoded", "application/json",
                                                            "text/plain", "application/octet-stream"])
@json_view
def token():
    from chalicelib.authorizations import standin

    return standin.token(dict(bp.current_request.query_params or {}), _header("Authorization"))


@bp.route("/service/hpa/api/delegate/{session_id}", methods=["GET"])
@json_view
def delegate(session_id):
    from chalicelib.authorizations import standin

    path = _signed_path(f"/service/hpa/api/delegate/{_q(session_id)}")
    return standin.delegate(session_id, _header("Authorization"), path, _header("X-AsiointivaltuudetAuthorization"))


@bp.route("/service/hpa/api/authorization/{session_id}/{person_id}", methods=["GET"])
@json_view
def authorization(session_id, person_id):
    from chalicelib.authorizations import standin

    path = _signed_path(f"/service/hpa/api/authorization/{_q(session_id)}/{_q(person_id)}")
    return standin.authorization_of(session_id, person_id, _header("Authorization"), path,
                                    _header("X-AsiointivaltuudetAuthorization"))


@bp.route("/service/ypa/api/organizationRoles/{session_id}", methods=["GET"])
@json_view
def organization_roles(session_id):
    from chalicelib.authorizations import standin

    path = _signed_path(f"/service/ypa/api/organizationRoles/{_q(session_id)}")
    return standin.organization_roles(session_id, _header("Authorization"), path, _header("X-AsiointivaltuudetAuthorization"))
