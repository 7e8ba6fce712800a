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


NAME_KEY_MAX = 120  # characters of a name that take part in the order (a DynamoDB key is at most 1 kB)


def sort_string(text: str, language: str) -> str:
    """``sort_key`` as a string whose code-point (UTF-8 byte) order is the tuple's order, so that a
    DynamoDB sort key orders names alphabetically in ``language``: a letter becomes the character of
    its base letter moved up past the control characters, a Finnish/Swedish tail letter (å ä ö) a
    character above every other letter. Surrogates are skipped (they cannot be stored)."""
    chars = []
    for group, code in sort_key(text[:NAME_KEY_MAX], language):
        if group:
            chars.append(chr(0x10FF00 + code))
        else:
            code += 0x20
            chars.append(chr(min(code + 0x800, 0x10FEFF) if code >= 0xD800 else code))
    return "".join(chars)


def folder_name_keys(service_id: str, item_number: str) -> dict[str, str]:
    """The folder's alphabetical sort keys of an item, one per language (``name_sort_fi`` …):
    the e-service's name in that language as a sort string, then the item number (ties in number order)."""
    from chalicelib.i18n import LANGUAGES

    service = catalogue().get(service_id)
    return {f"name_sort_{language}": f"{sort_string(service.name.get(language) if service else service_id, language)}"
                                     f"\x1f{item_number}"
            for language in LANGUAGES}


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
