"""Static assets with content-hashed names, cached for a year; and the site icon at /favicon.ico.

The security headers (nosniff among them) come from the middleware in app.py, as on every answer.
"""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.web.assets import hashed_name, read_asset

bp = Blueprint(__name__)


def _not_found() -> Response:
    return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})


def _asset(name: str, cache_control: str) -> Response:
    found = read_asset(name)
    if found is None:
        return _not_found()
    body, content_type = found
    return Response(
        body=body.decode("utf-8") if content_type.startswith(("text/", "image/svg")) else body,
        status_code=200,
        headers={"Content-Type": content_type, "Cache-Control": cache_control},
    )


@bp.route("/static/{name}", methods=["GET"])
def static_asset(name):
    return _asset(name, "public, max-age=31536000, immutable")


@bp.route("/favicon.ico", methods=["GET"])
def favicon():
    """The portal's mark (chalicelib/web/assets/favicon.svg), for browsers that ask for /favicon.ico
    before or without reading the page's <link rel="icon">. SVG, a text body: API Gateway needs no
    binary media type for it. Its URL never changes, so it is cached for a day, not for ever."""
    return _asset(hashed_name("favicon.svg"), "public, max-age=86400")
