"""Rendering pages: the context every page shares, and the page as a Chalice response (the templates' one
Jinja2 environment is chalicelib/templating.py, shared with the e-mails)."""
from __future__ import annotations

from urllib.parse import urlencode

from chalice import Response

from chalicelib.config import settings
from chalicelib.i18n import LANGUAGE_NAMES, LANGUAGES, translations
from chalicelib.templating import format_date, format_datetime, render
from chalicelib.web.assets import hashed_name
from chalicelib.web.preferences import TEXT_SIZES, read_preferences
from chalicelib.web.request import WebRequest
from chalicelib.web.responses import clear_cookie, security_headers
from chalicelib.web.urls import url

# Query parameters that announce what the previous request did; the page itself works without them.
ONE_TIME_NOTICES = ("saved", "done", "removed", "notice")


class Page:
    """What a handler knows about the page it is answering: request, language and helpers."""

    def __init__(self, request: WebRequest):
        self.request = request
        self.prefs = read_preferences(request)
        self.language = self.prefs.language
        self._translations = translations(self.language)
        self.cookies: list[str] = list(self.prefs.set_cookies)
        self.notice: str | None = None  # e.g. "timeout": why the visitor was signed out
        self._session_loaded = False
        self._session = None
        self._timed_out_person: str | None = None
        self._timed_out_folder: str | None = None

    @property
    def session(self):
        """The visitor's session, read once per request (None when signed out or expired)."""
        if not self._session_loaded:
            from chalicelib import sessions

            self._session_loaded = True
            token = self.request.cookies.get(sessions.COOKIE)
            if token:
                loaded = sessions.load_session(token)
                self._session = loaded.session
                if loaded.session is None:
                    self.cookies.append(clear_cookie(sessions.COOKIE, self.request.base_path))
                    if loaded.expired:
                        self.notice = "timeout"
                        self._timed_out_person = loaded.timed_out_person
                        self._timed_out_folder = loaded.timed_out_folder
        return self._session

    @property
    def timed_out_person(self) -> str | None:
        """Whose session the cookie named, when it has just timed out (a keyed hash, never shown)."""
        return self._timed_out_person if self.session is None else None

    @property
    def timed_out_folder(self) -> str | None:
        """The folder (profile id) that timed-out session was acting in."""
        return self._timed_out_folder if self.session is None else None

    @property
    def signed_in(self) -> bool:
        return self.session is not None and self.session.registered

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def url(self, path: str, **params: object) -> str:
        return url(self.request.base_path, path, **params)

    def asset(self, logical_name: str) -> str:
        return self.url(f"/static/{hashed_name(logical_name)}")

    def self_url(self, **changes: object) -> str:
        """The current page with some query parameters changed (for language and text-size links).
        One-time notices ("Your changes were saved", "Registration complete" …) are left out: they
        said what had just happened, and switching the language or text size is not that again."""
        params = {k: v for k, v in self.request.query.items() if k not in ("lang", "text") + ONE_TIME_NOTICES}
        params.update({k: v for k, v in changes.items() if v is not None})
        query = urlencode(params)
        return f"{self.request.base_path}{self.request.path}" + (f"?{query}" if query else "")

    format_datetime = staticmethod(format_datetime)
    format_date = staticmethod(format_date)

    def context(self) -> dict:
        from chalicelib.announcements import active_announcements
        from chalicelib.feedback import new_token

        return {
            "page": self,
            "lang": self.language,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "text_size": self.prefs.text_size,
            "text_sizes": TEXT_SIZES,
            "url": self.url,
            "asset": self.asset,
            "current_path": self.request.path,
            "announcements": active_announcements(),
            "feedback_token": new_token(),
            "feedback_form": None,
            "feedback_errors": {},
            "privacy_notice_url": settings().privacy_notice_url,
            "session": self.session,
            "signed_in": self.signed_in,
            "csrf_token": self.session.csrf_token if self.session else "",
            "session_warning_seconds": settings().session_warning_seconds,
            "notice": self.notice or self.request.query.get("notice"),
        }

    def render(self, template: str, *, status: int = 200, headers: dict | None = None, **context) -> Response:
        values = self.context()
        values.update(context)
        return self.response(render(template, self._translations, values), status=status, headers=headers)

    def response(self, body: str, *, status: int = 200, headers: dict | None = None) -> Response:
        all_headers: dict = {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Language": self.language,
            **security_headers(),
        }
        if self.cookies:
            all_headers["Set-Cookie"] = list(self.cookies)
        all_headers.update(headers or {})
        return Response(body=body, status_code=status, headers=all_headers)

    def redirect(self, path: str, **params: object) -> Response:
        return self.response("", status=303, headers={"Location": self.url(path, **params), "Content-Type": "text/plain"})
