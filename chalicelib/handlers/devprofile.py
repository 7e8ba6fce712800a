"""The stand-in Helsinki profile service's HTTP side: ``POST /dev-profile/graphql`` (never in prod).

GraphQL over HTTP as the real service answers it: a JSON body ``{"query": ...}``, the API token as
``Authorization: Bearer``, a JSON answer ``{"data": ..., "errors": [...]}``. An invalid token gets
401. The domain is chalicelib/devidp/profile_service.py; docs/identity-provider.md.
"""
from __future__ import annotations

import json
import logging

from chalice import Blueprint

from chalicelib.config import settings
from chalicelib.devidp import profile_service
from chalicelib.web.responses import json_response

bp = Blueprint(__name__)
MOUNT = "/dev-profile"
MAX_BODY = 16 * 1024
log = logging.getLogger("portal.devidp")


def register(app) -> None:
    """Mount the stand-in at /dev-profile; refuses in prod and wherever the settings disable it."""
    config = settings()
    if config.stage == "prod" or not config.dev_idp_enabled:
        raise RuntimeError("the profile service stand-in must not run in this stage")
    app.register_blueprint(bp, url_prefix=MOUNT)


def _answer(body: dict, status: int = 200):
    return json_response(body, status)


@bp.route("/graphql", methods=["POST"], content_types=["application/json"])
def graphql():
    request = bp.current_request
    try:
        raw = request.raw_body or b""
        payload = json.loads(raw) if len(raw) <= MAX_BODY else None
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return _answer({"errors": [{"message": "Must provide query string."}]}, 400)
    authorization = (request.headers or {}).get("authorization")
    claims = profile_service.token_claims(authorization)
    if authorization and claims is None:
        log.info("profile stand-in: invalid bearer token")
        return _answer({"errors": [{"message": "Authentication failed.",
                                    "extensions": {"code": "JWT_AUTHENTICATION_ERROR"}}]}, 401)
    return _answer(profile_service.execute(payload["query"], claims))
