"""Service notifications ("announcements") shown as a banner while they are in force.

Access pattern: one Query per cache period: ``scope = "portal" AND ends_sort >= today`` filtered
by ``starts_on <= today``. ``ends_sort`` is ``<ends_on ISO date>#<id>`` so that ended
announcements are skipped by the key condition and ties stay unique.
"""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute

from chalicelib.models.base import PortalModel, table_meta

PORTAL_SCOPE = "portal"


class LocalizedText(MapAttribute):
    fi = UnicodeAttribute()
    sv = UnicodeAttribute()
    en = UnicodeAttribute()


class AnnouncementModel(PortalModel):
    Meta = table_meta("announcements")

    scope = UnicodeAttribute(hash_key=True, default=PORTAL_SCOPE)
    ends_sort = UnicodeAttribute(range_key=True)
    announcement_id = UnicodeAttribute()
    starts_on = UnicodeAttribute()  # ISO date, Europe/Helsinki, inclusive
    ends_on = UnicodeAttribute()  # ISO date, Europe/Helsinki, inclusive
    level = UnicodeAttribute(default="info")  # info | alert
    title = LocalizedText()
    body = LocalizedText()
