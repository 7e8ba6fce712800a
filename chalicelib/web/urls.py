"""The one helper that builds every link and asset path.

API Gateway serves the app under a stage prefix ("/api/...") that ``chalice local`` and a custom
domain do not add; every URL the portal writes goes through ``url()`` so that links work in both.
"""
from __future__ import annotations

from urllib.parse import urlencode


def url(base_path: str, path: str, **params: object) -> str:
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"portal paths start with a single slash: {path!r}")
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    separator = "&" if "?" in path else "?"  # a return path may carry its own query
    return f"{base_path}{path}" + (f"{separator}{query}" if query else "")


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
