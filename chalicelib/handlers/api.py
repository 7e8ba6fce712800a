"""The division API, /api/v1: JSON over HTTPS with a division key; every error is problem+json.

Domain modules are imported inside the views: every cold start imports this module (docs/benchmarks.md).
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime

from chalice import Blueprint, Response
from pydantic import ValidationError

from chalicelib.errors import Conflict, Invalid, NotFound, TooLarge, UnsupportedType
from chalicelib.web.responses import json_response

bp = Blueprint(__name__)
log = logging.getLogger("portal.api")
MAX_BODY = 8 * 1024 * 1024
MAX_JSON_DEPTH = 8  # the bodies' own depth is 3 (a message's attachments); docs/api.md
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
          500: "Internal Server Error"}
JSON = ["application/json"]


class _UnsupportedMedia(Exception):
    """The body is not application/json."""


def problem(status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return json_response(body, status, content_type="application/problem+json", headers=headers)


def ok(status: int, body: dict) -> Response:
    return json_response(body, status)


def _errors(exc: ValidationError) -> list[dict]:
    return [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)]


def api_view(fn):
    """Authenticate the division, run the handler, turn domain errors into problem+json; Idempotency-Key on POST."""

    @functools.wraps(fn)
    def wrapper(**kwargs):
        from chalicelib.divisions import idempotency
        from chalicelib.divisions.keys import authenticate

        request = bp.current_request
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        authorization = headers.get("authorization", "")
        caller = authenticate(authorization[7:] if authorization[:7].lower() == "bearer " else headers.get("x-api-key"))
        if caller is None:
            return problem(401, "A valid division key is required: Authorization: Bearer <key>.",
                           headers={"WWW-Authenticate": 'Bearer realm="division-api"'})
        key = headers.get("idempotency-key") if request.method == "POST" else None
        body = request.raw_body or b""
        try:
            if request.method == "POST" and len(body) > MAX_BODY:
                return problem(413, "The body is larger than 8 MB.")
            if key is not None:
                replay = idempotency.begin(caller.division_id, key, request.method, request.context.get("path", ""), body)
                if replay is not None:
                    return ok(replay.status_code, replay.body)
            try:
                status, answer = fn(caller, request, **kwargs)
            except Exception:
                if key is not None:
                    idempotency.abandon(caller.division_id, key)
                raise
            if key is not None:
                idempotency.finish(caller.division_id, key, status, answer)
            return ok(status, answer)
        except _UnsupportedMedia:
            return problem(415, "Send the body as application/json.")
        except idempotency.IdempotencyConflict as conflict:
            return problem(409, conflict.detail)
        except NotFound:
            return problem(404, "No such submission (or thread) for this division.")
        except Conflict as conflict:
            return problem(409, str(conflict))
        except TooLarge as too_large:
            if "body" in too_large.errors:
                return problem(413, "The body is larger than 8 MB.")
            return problem(413, "A file is larger than 2 MB.", [{"field": k, "message": str(v)} for k, v in too_large.errors.items()])
        except UnsupportedType as unsupported:
            return problem(415, "A file is not of an allowed type (PDF, JPEG, PNG, DOCX).",
                           [{"field": k, "message": str(v)} for k, v in unsupported.errors.items()])
        except Invalid as invalid:
            return problem(400, "The request is not valid.", [{"field": k, "message": str(v)} for k, v in invalid.errors.items()])
        except ValidationError as exc:
            return problem(422, "The body does not match the schema.", _errors(exc))
        except Exception:
            log.exception("unhandled error in the division API on %s %s", request.method, request.path)
            return problem(500, "The request could not be handled. Nothing was changed; retry later.")

    return wrapper


def _json_body(request, model):
    """The body as ``model``: size (MAX_BODY) and depth (MAX_JSON_DEPTH) are checked before parsing;
    anything the parser refuses is a 400 (invalid UTF-8 or JSON, too deep), never a 500."""
    from chalicelib.bounded_json import JsonRefused, loads

    content_type = (request.headers or {}).get("content-type", "")
    if not content_type.split(";")[0].strip().lower() == "application/json":
        raise _UnsupportedMedia()
    try:
        data = loads(request.raw_body or b"", max_bytes=MAX_BODY, max_depth=MAX_JSON_DEPTH)
    except JsonRefused as refused:
        if refused.too_large:
            raise TooLarge({"body": refused.reason}) from None
        raise Invalid({"body": refused.reason}) from None
    return model.model_validate(data)


def _query(request) -> dict[str, str]:
    return dict(request.query_params or {})


def _item(item_number: str) -> str:
    if not item_number.isdigit() or not 6 <= len(item_number) <= 12:
        raise NotFound("submission")
    return item_number


def _list_args(query: dict[str, str]) -> dict:
    from chalicelib import statuses

    unknown = set(query) - {"service", "status", "updated_since", "cursor", "limit"}
    if unknown:
        raise Invalid({name: "unknown query parameter" for name in sorted(unknown)})
    args: dict = {"service": query.get("service") or None, "cursor": query.get("cursor") or None}
    status = query.get("status")
    if status is not None and status not in statuses.ALL:
        raise Invalid({"status": f"one of {', '.join(statuses.ALL)}"})
    args["status"] = status or None
    if "updated_since" in query:
        try:
            since = datetime.fromisoformat(query["updated_since"].replace("Z", "+00:00"))
        except ValueError:
            raise Invalid({"updated_since": "an ISO 8601 date and time, e.g. 2026-12-01T08:00:00Z"}) from None
        if since.tzinfo is None:
            raise Invalid({"updated_since": "give the time zone, e.g. 2026-12-01T08:00:00Z"})
        args["updated_since"] = since
    if "limit" in query:
        if not query["limit"].isdigit() or not 1 <= int(query["limit"]) <= 100:
            raise Invalid({"limit": "a whole number from 1 to 100"})
        args["limit"] = int(query["limit"])
    if "service" in query and not 1 <= len(query["service"]) <= 80:
        raise Invalid({"service": "1 to 80 characters"})
    if "cursor" in query and not query["cursor"]:
        raise Invalid({"cursor": "the cursor is not one this API gave"})
    if args["cursor"] and len(args["cursor"]) > 2000:
        raise Invalid({"cursor": "the cursor is not one this API gave"})
    return args


@bp.route("/submissions", methods=["GET"])
@api_view
def list_submissions(caller, request):
    from chalicelib.divisions import submissions

    return 200, submissions.list_submissions(caller, **_list_args(_query(request))).model_dump(mode="json")


@bp.route("/health-care-inbox", methods=["GET"])
@api_view
def health_care_inbox(caller, request):
    from chalicelib.divisions import submissions

    query = _query(request)
    if "service" in query:
        raise Invalid({"service": "unknown query parameter"})
    return 200, submissions.list_submissions(caller, health_care_only=True, **_list_args(query)).model_dump(mode="json")


@bp.route("/submissions/{item_number}", methods=["GET"])
@api_view
def get_submission(caller, request, item_number):
    from chalicelib.divisions import submissions

    return 200, submissions.get_submission(caller, _item(item_number)).model_dump(mode="json")


@bp.route("/submissions/{item_number}/status", methods=["POST"], content_types=JSON + ["*/*"])
@api_view
def change_status(caller, request, item_number):
    from chalicelib.divisions import submissions
    from chalicelib.divisions.schemas import StatusChange

    change = _json_body(request, StatusChange)
    return 200, submissions.change_status(caller, _item(item_number), change).model_dump(mode="json")


@bp.route("/submissions/{item_number}/messages", methods=["POST"], content_types=JSON + ["*/*"])
@api_view
def post_message(caller, request, item_number):
    from chalicelib.divisions import submissions
    from chalicelib.divisions.schemas import MessageIn

    message = _json_body(request, MessageIn)
    return 201, submissions.post_message(caller, _item(item_number), message).model_dump(mode="json")


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    from chalicelib.divisions.openapi import document

    return json_response(document(), headers={"Cache-Control": "public, max-age=300"})


@bp.route("/docs", methods=["GET"])
def api_docs():
    """The OpenAPI document as a page people can read (no JavaScript needed)."""
    from chalicelib.divisions.openapi import document
    from chalicelib.web.render import Page
    from chalicelib.web.request import WebRequest

    page = Page(WebRequest.from_chalice(bp.current_request))
    return page.render("api/docs.html", doc=document())
