"""The one helper that builds every link and asset path.

API Gateway serves the app under a stage prefix ("/api/...") that ``chalice local`` and a custom
domain do not add; every URL the portal writes goes through ``url()`` so that links work in both.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

# What a path (and a query string carried in it, e.g. a return path) may keep as it is: RFC 3986's
# unreserved and reserved characters, and "%" so that what is already encoded stays so.
_KEEP = "/?#[]@!$&'()*+,;=:%-._~"


def url(base_path: str, path: str, **params: object) -> str:
    """``base_path + path`` and ``params`` as a query, always plain ASCII: anything else in ``path``
    (a return path such as "/äiti" or "/。evil.example") is percent-encoded as UTF-8, so that a
    ``Location`` header or a link never carries raw non-ASCII bytes."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"portal paths start with a single slash: {path!r}")
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    separator = "&" if "?" in path else "?"  # a return path may carry its own query
    return quote(f"{base_path}{path}", safe=_KEEP) + (f"{separator}{query}" if query else "")


def safe_return_path(value: str | None, default: str = "/") -> str:
    """A same-site relative path to come back to; anything else (absolute URLs, //host, \\) is refused."""
    value = (value or "").strip()
    if (
        not value.startswith("/")
        or value.startswith("//")
        or value.startswith("/\\")
        or "\\" in value
        or len(value) > 500
        or any(not ch.isprintable() or ch.isspace() for ch in value)
    ):
        return default
    return value
