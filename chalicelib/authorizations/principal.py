"""For whom a signed-in person acts: the principal.

A principal is the person themselves, a child in their custody (from the population register, through
Suomi.fi e-Authorizations), another person who has authorised them, or an organisation that has
authorised them (docs/acting-on-behalf.md). The folder is the principal's: its profile id is the
session's ``profile_id`` while the person acts for it; the acting person's own profile is kept beside it.

The interface other capabilities use (a leaf: no DynamoDB, no HTTP):
- ``Principal``: ``kind`` (person | child | organisation), ``relation`` (self | custody | authorisation
  | representation), ``name`` (to show), ``principal_hash`` (a keyed hash of its identifier: the same
  HMAC the identities table is keyed by, never the identifier itself), ``identifier`` (the personal
  identity code or Business ID, kept only in the server-side session for prefill), ``roles``;
- ``Session.principal`` and ``Session.acting_for`` (chalicelib/sessions);
- ``is_child_in_custody(principal)``: a guardian acting for their child under 18.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from datetime import date

from chalicelib import clock
from chalicelib.config import settings

KINDS = ("person", "child", "organisation")
RELATIONS = ("self", "custody", "authorisation", "representation")
ADULT_AGE = 18
CONSENT_AGE = 15  # a child of 15-17 may act for themselves in some services (health care, for one)


def identifier_hash(kind: str, identifier: str) -> str:
    """The keyed hash of a personal identity code or Business ID: the identities table's key, so that
    a principal's folder is the same profile its own sign-in finds (chalicelib/identity/claims.py)."""
    subject = f"organisation:{identifier}" if kind == "organisation" else f"person:{identifier}"
    return hmac.new(settings().identity_pepper.encode(), subject.encode(), hashlib.sha256).hexdigest()


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class Principal:
    kind: str  # person | child | organisation
    relation: str  # self | custody | authorisation | representation
    name: str  # the name to show: "Testiyritys Oy", "Tiina Testaaja"
    principal_hash: str | None  # keyed hash of the identifier (None only on sessions from before issue 17)
    identifier: str | None = None  # personal identity code or Business ID: session attribute only, never a key
    roles: tuple[str, ...] = field(default_factory=tuple)  # organisation roles (e-Authorizations' role codes)
    birth_date: str | None = None  # a child's, ISO; the age bands follow from it
    language: str | None = None  # fi | sv | en when the register gives it (a child's notice of consent)
    allowed: bool = True  # False: listed, but the person has no role that lets them act for it here

    @property
    def is_self(self) -> bool:
        return self.relation == "self"

    @property
    def born(self) -> date | None:
        return date.fromisoformat(self.birth_date) if self.birth_date else None

    @property
    def ref(self) -> str:
        """What the choice page posts: a short, opaque form of the keyed hash."""
        return (self.principal_hash or "self")[:24] if not self.is_self else "self"

    def age(self, today: date | None = None) -> int | None:
        if not self.birth_date:
            return None
        return _age(date.fromisoformat(self.birth_date), today or clock.helsinki_today())

    def age_band(self, today: date | None = None) -> str | None:
        """"under-15" or "15-17" for a child, else None."""
        age = self.age(today)
        if self.kind != "child" or age is None:
            return None
        return "under-15" if age < CONSENT_AGE else "15-17"

    def to_json(self) -> dict:
        return {**asdict(self), "roles": list(self.roles)}

    @classmethod
    def from_json(cls, data: dict) -> "Principal":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "roles": tuple(known.get("roles") or ())})


def is_child_in_custody(principal: Principal | None, today: date | None = None) -> bool:
    """The person acts for a child in their custody, and the child is still under 18 (custody ends then)."""
    if principal is None or principal.kind != "child" or principal.relation != "custody":
        return False
    age = principal.age(today)
    return age is not None and age < ADULT_AGE


def may_act_in(principal: Principal | None, *, health_care: bool, today: date | None = None) -> bool:
    """Whether the person may use an e-service for this principal. A guardian acts for a child under 15
    everywhere, and for a child of 15-17 except in health care, where a minor of 15 or more decides
    on their own care and uses the service themselves (docs/acting-on-behalf.md)."""
    if principal is None or principal.kind != "child":
        return True
    if not is_child_in_custody(principal, today):
        return False
    return not (health_care and principal.age_band(today) == "15-17")
