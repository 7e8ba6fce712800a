"""The visitor's language and text size: from ``?lang=`` / ``?text=`` (remembered in a cookie) or the cookie."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import settings
from chalicelib.i18n import normalize_language
from chalicelib.web.request import WebRequest
from chalicelib.web.responses import cookie

TEXT_SIZES = ("m", "l", "xl")
LANG_COOKIE = "lang"
TEXT_COOKIE = "textsize"
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Preferences:
    language: str
    text_size: str
    set_cookies: tuple[str, ...]  # Set-Cookie values for choices made in this request


def _cookie(name: str, value: str, base_path: str) -> str:
    return cookie(name, value, base_path, max_age=ONE_YEAR, http_only=False)


def read_preferences(request: WebRequest) -> Preferences:
    cookies: list[str] = []
    language = normalize_language(request.query.get("lang"))
    if language:
        cookies.append(_cookie(LANG_COOKIE, language, request.base_path))
    else:
        language = normalize_language(request.cookies.get(LANG_COOKIE)) or settings().default_language
    text_size = request.query.get("text")
    if text_size in TEXT_SIZES:
        cookies.append(_cookie(TEXT_COOKIE, text_size, request.base_path))
    else:
        text_size = request.cookies.get(TEXT_COOKIE)
        text_size = text_size if text_size in TEXT_SIZES else "m"
    return Preferences(language=language, text_size=text_size, set_cookies=tuple(cookies))
