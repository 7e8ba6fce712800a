"""Searching the catalogue: a search word and topic / target-group / resident-group filters.

Matching ignores case and accents ("paivakoti" finds "Päiväkoti", "Ålands" finds "alands"), every
word of the query must appear in the name or one of the descriptions, and results come in the
alphabetical order of the chosen language (Finnish and Swedish letters sorted as those languages do).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.catalogue.schema import RESIDENT_GROUPS, TARGET_GROUPS, TOPICS, EService
from chalicelib.catalogue.store import catalogue

MAX_QUERY_LENGTH = 100
MAX_WORDS = 10


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a text: "Hämeentie ÅBO" -> "hameentie abo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_query(raw: str | None) -> str:
    """What the search box may contain: printable text, whitespace folded, at most 100 characters."""
    if not raw:
        return ""
    # Invisible format characters (zero-width spaces, direction marks) vanish; other controls separate words.
    visible = "".join(ch for ch in raw[: MAX_QUERY_LENGTH * 10] if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    printable = "".join(ch if ch.isprintable() else " " for ch in visible)
    return " ".join(printable.split())[:MAX_QUERY_LENGTH].strip()


# Finnish and Swedish sort å, ä, ö after z; other accented letters sort with their base letter.
_ALPHABET_TAIL = {"fi": "åäö", "sv": "åäö", "en": ""}


def sort_key(text: str, language: str) -> tuple:
    tail = _ALPHABET_TAIL.get(language, "")
    key = []
    for ch in text.casefold():
        if ch in tail:
            key.append((1, tail.index(ch)))
        else:
            base = fold(ch) or ch
            key.append((0, ord(base[0])) if base else (0, 0))
    return tuple(key)


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    topic: str | None = None
    group: str | None = None
    resident: str | None = None

    @classmethod
    def parse(cls, params: dict[str, str] | None) -> "SearchFilters":
        """Read the search form's parameters; unknown filter values mean "show all"."""
        params = params or {}
        topic = params.get("topic")
        group = params.get("group")
        resident = params.get("resident")
        return cls(
            query=clean_query(params.get("q")),
            topic=topic if topic in TOPICS else None,
            group=group if group in TARGET_GROUPS else None,
            resident=resident if resident in RESIDENT_GROUPS else None,
        )

    @property
    def active(self) -> bool:
        return bool(self.query or self.topic or self.group or self.resident)


@lru_cache(maxsize=3)
def _haystacks(language: str) -> dict[str, str]:
    return {
        service.id: fold(
            " ".join(
                (
                    service.name.get(language),
                    service.short_description.get(language),
                    service.description.get(language),
                )
            )
        )
        for service in catalogue().values()
    }


def alphabetical(services, language: str) -> list[EService]:
    return sorted(services, key=lambda s: sort_key(s.name.get(language), language))


def search(filters: SearchFilters, language: str) -> list[EService]:
    words = fold(filters.query).split()[:MAX_WORDS]
    haystacks = _haystacks(language)
    found = [
        service
        for service in catalogue().values()
        if (filters.topic is None or service.topic == filters.topic)
        and (filters.group is None or filters.group in service.target_groups)
        and (filters.resident is None or filters.resident in service.resident_groups)
        and all(word in haystacks[service.id] for word in words)
    ]
    return alphabetical(found, language)


def popular(language: str) -> list[EService]:
    return alphabetical((s for s in catalogue().values() if s.popular), language)


def health_care(language: str) -> list[EService]:
    return alphabetical((s for s in catalogue().values() if s.health_care), language)
