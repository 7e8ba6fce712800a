"""The one builder of Set-Cookie values and the one builder of JSON answers.

Every cookie the portal sets is ``SameSite=Lax``, ``Secure`` outside the local stage and, unless it
is a preference a script may read, ``HttpOnly``; ``max_age`` None makes a session cookie (gone when
the browser closes) and 0 deletes it. Every JSON answer is ``no-store`` unless the caller says
otherwise; a problem+json answer (RFC 9457) is a JSON answer with that content type. Every answer
carries SECURITY_HEADERS (the middleware ``add_security_headers`` adds them to whatever a route returns).
"""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.config import settings

# Sent with every answer: pages, JSON and problem+json, static files, redirects (security_headers()).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers() -> dict[str, str]:
    """SECURITY_HEADERS, and HSTS wherever cookies are Secure (every stage served over HTTPS)."""
    headers = dict(SECURITY_HEADERS)
    if settings().secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def add_security_headers(event, get_response):
    """HTTP middleware (app.py): every answer of every route carries the security headers; a
    handler's own value of one of them (none sets one today) is kept."""
    response = get_response(event)
    for name, value in security_headers().items():
        if not any(existing.lower() == name.lower() for existing in response.headers):
            response.headers[name] = value
    return response


def cookie(name: str, value: str, path: str, *, max_age: int | None = None, http_only: bool = True) -> str:
    """A Set-Cookie value: ``name=value; Path=…; Max-Age=…; HttpOnly; SameSite=Lax; Secure``."""
    parts = [f"{name}={value}", f"Path={path or '/'}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    parts.append("SameSite=Lax")
    if settings().secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie(name: str, path: str) -> str:
    """The Set-Cookie value that deletes cookie ``name`` set on ``path``."""
    return cookie(name, "", path, max_age=0)


def json_response(body, status: int = 200, *, content_type: str = "application/json", headers: dict | None = None,
                  pretty: bool = False) -> Response:
    """``body`` as JSON (dates and other values as their ``str``). ``pretty``: indented, non-ASCII
    kept as it is (for people who download their data). ``headers`` add to or replace the defaults."""
    text = json.dumps(body, default=str, indent=2 if pretty else None, ensure_ascii=not pretty)
    return Response(body=text, status_code=status,
                    headers={"Content-Type": content_type, "Cache-Control": "no-store", **security_headers(),
                             **(headers or {})})
