"""Time: stored in UTC, shown and decided in Europe/Helsinki. Tests travel in time by patching ``utcnow``."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def helsinki_now() -> datetime:
    return utcnow().astimezone(HELSINKI)


def helsinki_today() -> date:
    return helsinki_now().date()
