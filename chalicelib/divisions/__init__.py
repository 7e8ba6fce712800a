"""The division API's side of the portal: what a City division does with the submissions of its
e-services (chalicelib/divisions/submissions.py), its keys and its idempotent POSTs.

Which divisions exist, their names and the division of each e-service are catalogue data
(chalicelib/catalogue/divisions.json and each e-service's ``division``), checked when it loads.
"""
from __future__ import annotations


def division_ids() -> tuple[str, ...]:
    from chalicelib.catalogue.store import divisions

    return tuple(divisions())


def name_of(division_id: str, language: str) -> str:
    from chalicelib.catalogue.store import division_name

    return division_name(division_id, language)
