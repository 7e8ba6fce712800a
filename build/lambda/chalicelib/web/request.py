"""A small, framework-free view of one HTTP request, built from Chalice's request.

Handlers hand it to the rendering code, so templates and helpers never touch Chalice objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

MAX_FORM_FIELDS = 200
MAX_COOKIE_HEADER = 8192


MAX_MULTIPART_BYTES = 9 * 1024 * 1024  # API Gateway accepts 10 MB; a few 2 MB files and the answers fit
MAX_MULTIPART_PARTS = 60


class BadRequest(ValueError):
    """The request itself is malformed (not the user's answers): an unreadable body, too many fields."""


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    content: bytes


def parse_multipart(body: bytes, content_type: str) -> tuple[list[tuple[str, str]], list[UploadedFile]]:
    """A multipart/form-data body (parsed by the `multipart` library) as text fields and files."""
    import io

    import multipart

    _, options = multipart.parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary or len(body) > MAX_MULTIPART_BYTES:
        raise BadRequest("multipart body without boundary or too large")
    fields: list[tuple[str, str]] = []
    files: list[UploadedFile] = []
    try:
        parser = multipart.MultipartParser(
            io.BytesIO(body), boundary, content_length=len(body), part_limit=MAX_MULTIPART_PARTS,
            memory_limit=MAX_MULTIPART_BYTES, disk_limit=0, spool_limit=MAX_MULTIPART_BYTES,
        )
        for part in parser:
            if part.filename is not None:
                files.append(UploadedFile(part.name, part.filename, part.raw))
            else:
                fields.append((part.name, part.raw.decode("utf-8", errors="replace")))
            part.close()
    except multipart.MultipartError as exc:
        raise BadRequest(f"malformed multipart body: {exc.__class__.__name__}") from exc
    return fields, files


def parse_cookies(header: str | None) -> dict[str, str]:
    """Tolerant cookie parsing: a malformed pair is skipped instead of spoiling the others."""
    cookies: dict[str, str] = {}
    for part in (header or "")[:MAX_COOKIE_HEADER].split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


def parse_urlencoded(body: bytes | None) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body as (name, value) pairs. Invalid UTF-8 is replaced."""
    if not body:
        return []
    try:
        return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise BadRequest("too many form fields") from exc


def parse_form(body: bytes | None) -> dict[str, str]:
    """{name: last value} of an urlencoded body."""
    return dict(parse_urlencoded(body))


@dataclass
class WebRequest:
    method: str
    path: str  # the path as the visitor asked for it, without any stage prefix
    base_path: str  # the stage prefix API Gateway adds ("" under chalice local or a custom domain)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    _pairs: list[tuple[str, str]] | None = field(default=None, repr=False)
    _files: list[UploadedFile] = field(default_factory=list, repr=False)

    def _parse(self) -> list[tuple[str, str]]:
        if self._pairs is None:
            content_type = self.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                self._pairs, self._files = parse_multipart(self.raw_body or b"", content_type)
            else:
                self._pairs = parse_urlencoded(self.raw_body)
        return self._pairs

    def pairs(self) -> list[tuple[str, str]]:
        """Every posted text field as (name, value), in order."""
        return list(self._parse())

    def form(self) -> dict[str, str]:
        """The posted fields, {name: last value} (urlencoded or multipart)."""
        return dict(self._parse())

    def form_list(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes)."""
        return [value for key, value in self._parse() if key == name]

    def files(self) -> list[UploadedFile]:
        self._parse()
        return list(self._files)

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
