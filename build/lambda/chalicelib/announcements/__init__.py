"""Service notifications: the banner shown on every page while an announcement is in force."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date

from chalicelib.clock import helsinki_today
from chalicelib.config import settings


@dataclass(frozen=True)
class Announcement:
    announcement_id: str
    level: str
    title: dict[str, str]
    body: dict[str, str]
    starts_on: date
    ends_on: date

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title["fi"]

    def body_in(self, language: str) -> str:
        return self.body.get(language) or self.body["fi"]


def _query_active(today: date) -> list[Announcement]:
    from chalicelib.models.announcement import PORTAL_SCOPE, AnnouncementModel

    iso = today.isoformat()
    rows = AnnouncementModel.query(
        PORTAL_SCOPE,
        AnnouncementModel.ends_sort >= iso,
        filter_condition=AnnouncementModel.starts_on <= iso,
    )
    return [
        Announcement(
            announcement_id=row.announcement_id,
            level=row.level,
            title=row.title.as_dict(),
            body=row.body.as_dict(),
            starts_on=date.fromisoformat(row.starts_on),
            ends_on=date.fromisoformat(row.ends_on),
        )
        for row in rows
    ]


class _Cache:
    """Active announcements per Helsinki date, kept for a short while in one Lambda instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[date, float, list[Announcement]] | None = None

    def get(self, today: date) -> list[Announcement]:
        ttl = settings().announcement_cache_seconds
        with self._lock:
            if self._value and self._value[0] == today and time.monotonic() - self._value[1] < ttl:
                return self._value[2]
        value = _query_active(today)
        with self._lock:
            self._value = (today, time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._value = None


_cache = _Cache()


def active_announcements(today: date | None = None) -> list[Announcement]:
    return _cache.get(today or helsinki_today())


def clear_cache() -> None:
    _cache.clear()


def publish_announcement(
    *, starts_on: date, ends_on: date, title: dict[str, str], body: dict[str, str], level: str = "info",
    announcement_id: str | None = None,
) -> str:
    """Store an announcement (ops and seeding use this). Re-publishing the same id overwrites it."""
    from chalicelib.models.announcement import AnnouncementModel, LocalizedText

    if ends_on < starts_on:
        raise ValueError("an announcement cannot end before it starts")
    if level not in ("info", "alert"):
        raise ValueError("level is info or alert")
    announcement_id = announcement_id or uuid.uuid4().hex
    AnnouncementModel(
        ends_sort=f"{ends_on.isoformat()}#{announcement_id}",
        announcement_id=announcement_id,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        level=level,
        title=LocalizedText(**title),
        body=LocalizedText(**body),
    ).save()
    clear_cache()
    return announcement_id
