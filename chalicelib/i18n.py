"""Languages and translations (message catalogues in chalicelib/translations).

Babel extracts and compiles the catalogues at build time (`make translations`); at run time the
standard library's gettext reads the compiled .mo files, so the Lambda package needs no Babel and
its 30 MB of locale data. Message ids are the English texts. ``N_`` marks a text for extraction where it is defined (for
example a validation message in the domain) and the web layer translates it when it is shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import gettext

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
TRANSLATIONS_DIR = Path(__file__).with_name("translations")


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet."""
    return message


@dataclass(frozen=True)
class Message:
    """A text for people, not yet translated: a message id (the English text, marked with ``N_``)
    and the values of its ``%(name)s`` placeholders. The one type of every error message; pages
    translate it with the ``message`` macro (templates/macros.html), code with ``translate``."""

    msgid: str
    params: dict = field(default_factory=dict)

    def translate(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.msgid) % self.params

    def __str__(self) -> str:
        """The English text (for machines and logs: the division API's problem details)."""
        return self.msgid % self.params


def normalize_language(value: str | None) -> str | None:
    value = (value or "").strip().lower()[:5]
    return value if value in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()  # the message ids are English
    try:
        return gettext.translation("messages", localedir=str(TRANSLATIONS_DIR), languages=[language])
    except FileNotFoundError as exc:
        raise RuntimeError(f"compiled translations for {language!r} are missing: run `make translations`") from exc
