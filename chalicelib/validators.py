"""Checks of personal and official identifiers that forms and profiles share.

Each returns the normalised value, or None when the input is not valid. Well-kept libraries do
the real work: python-stdnum (personal identity codes, Business IDs), phonenumbers, email-validator.
"""
from __future__ import annotations

import re
from datetime import date

from chalicelib.config import settings

# The libraries are imported where they are used: they cost a tenth of a second at a cold start, and
# most requests (every page that shows no form) never validate anything.

EMAIL_MAX = 254


def email(raw: str) -> str | None:
    raw = raw.strip()
    if not raw or len(raw) > EMAIL_MAX:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def finnish_mobile(raw: str) -> str | None:
    """A phone number in the international +358 form, as E.164 (+358401234567)."""
    compact = "".join(raw.split()).replace("-", "")
    if not compact.startswith("+358") or len(compact) > 20:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "FI":
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def personal_identity_code(raw: str) -> str | None:
    from stdnum.fi import hetu

    try:
        return hetu.validate(raw.strip(), allow_temporary=settings().accept_test_identity_codes)
    except ValueError:
        return None


def business_id(raw: str) -> str | None:
    from stdnum.fi import ytunnus

    try:
        return ytunnus.format(ytunnus.validate(raw.strip()))
    except ValueError:
        return None


_POSTAL = re.compile(r"^\d{5}$")


def postal_code(raw: str) -> str | None:
    raw = raw.strip()
    return raw if _POSTAL.match(raw) else None


_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def calendar_date(raw: str) -> date | None:
    """A date as a date input sends it (2026-12-24) or as people write it in Finland (24.12.2026)."""
    raw = raw.strip()
    try:
        found = _FINNISH_DATE.match(raw)
        if found:
            day, month, year = (int(x) for x in found.groups())
            return date(year, month, day)
        if re.match(r"^\d{4}-\d{2}-\d{2}$", raw):
            return date.fromisoformat(raw)
    except ValueError:
        return None
    return None
