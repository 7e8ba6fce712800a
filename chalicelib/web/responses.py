"""The one builder of Set-Cookie values and the one builder of JSON answers.

Every cookie the portal sets is ``SameSite=Lax``, ``Secure`` outside the local stage and, unless it
is a preference a script may read, ``HttpOnly``; ``max_age`` None makes a session cookie (gone when
the browser closes) and 0 deletes it. Every JSON answer is ``no-store`` unless the caller says
otherwise; a problem+json answer (RFC 9457) is a JSON answer with that content type.
"""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.config import settings


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
                    headers={"Content-Type": content_type, "Cache-Control": "no-store", **(headers or {})})
