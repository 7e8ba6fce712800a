"""A small, framework-free view of one HTTP request, built from Chalice's request.

Handlers hand it to the rendering code, so templates and helpers never touch Chalice objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

MAX_FORM_FIELDS = 200
MAX_COOKIE_HEADER = 8192


class BadRequest(ValueError):
    """The request itself is malformed (not the user's answers): an unreadable body, too many fields."""


def parse_cookies(header: str | None) -> dict[str, str]:
    """Tolerant cookie parsing: a malformed pair is skipped instead of spoiling the others."""
    cookies: dict[str, str] = {}
    for part in (header or "")[:MAX_COOKIE_HEADER].split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


def parse_form(body: bytes | None) -> dict[str, str]:
    """An application/x-www-form-urlencoded body as {name: last value}. Invalid UTF-8 is replaced."""
    if not body:
        return {}
    try:
        pairs = parse_qs(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError as exc:
        raise BadRequest("too many form fields") from exc
    return {name: values[-1] for name, values in pairs.items()}


@dataclass
class WebRequest:
    method: str
    path: str  # the path as the visitor asked for it, without any stage prefix
    base_path: str  # the stage prefix API Gateway adds ("" under chalice local or a custom domain)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    _form: dict[str, str] | None = field(default=None, repr=False)

    def form(self) -> dict[str, str]:
        if self._form is None:
            self._form = parse_form(self.raw_body)
        return self._form

    def form_list(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes)."""
        if not self.raw_body:
            return []
        return parse_qs(self.raw_body.decode("utf-8", errors="replace"), max_num_fields=MAX_FORM_FIELDS).get(name, [])

    @property
    def full_path(self) -> str:
        """Path and query, for coming back after signing in."""
        from urllib.parse import urlencode

        return self.path + (f"?{urlencode(self.query)}" if self.query else "")

    @classmethod
    def from_chalice(cls, request) -> "WebRequest":
        event = request.to_original_event()
        context = request.context or {}
        context_path = context.get("path") or "/"
        # API Gateway: event["path"] is "/e-services", requestContext.path is "/api/e-services".
        event_path = event.get("path") or context_path
        base_path = ""
        if context_path != event_path and context_path.endswith(event_path):
            base_path = context_path[: len(context_path) - len(event_path)].rstrip("/")
        query = {}
        for name, value in (request.query_params or {}).items():
            query[name] = value
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        return cls(
            method=request.method,
            path=event_path,
            base_path=base_path,
            query=query,
            headers=headers,
            cookies=parse_cookies(headers.get("cookie")),
            raw_body=request.raw_body if request.method in ("POST", "PUT", "PATCH") else None,
        )
