"""The City's divisions that process applications, and which e-services each one handles."""
from __future__ import annotations

from functools import lru_cache

# id -> the division's English name as the catalogue writes it (the catalogue has all three languages).
DIVISIONS = {
    "urban-environment": "Urban Environment Division",
    "social-health": "Social Services, Health Care and Rescue Services Division",
    "culture-leisure": "Culture and Leisure Division",
    "education": "Education Division",
    "city-executive-office": "City Executive Office",
}


@lru_cache(maxsize=1)
def _by_name() -> dict[str, str]:
    return {name: division_id for division_id, name in DIVISIONS.items()}


def division_of(service) -> str:
    """The id of the division responsible for an e-service (KeyError for an unknown division)."""
    return _by_name()[service.division.en]


def name_of(division_id: str, language: str) -> str:
    from chalicelib.catalogue.store import catalogue

    for service in catalogue().values():
        if division_of(service) == division_id:
            return service.division.get(language)
    return DIVISIONS[division_id]
