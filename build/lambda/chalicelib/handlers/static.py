"""Static assets with content-hashed names, cached for a year."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.web.assets import read_asset

bp = Blueprint(__name__)


@bp.route("/static/{name}", methods=["GET"])
def static_asset(name):
    found = read_asset(name)
    if found is None:
        return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
    body, content_type = found
    return Response(
        body=body.decode("utf-8") if content_type.startswith(("text/", "image/svg")) else body,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
