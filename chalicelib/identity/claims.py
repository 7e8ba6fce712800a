"""The identity that an ID token asserts, checked with python-stdnum before anything trusts it.

Claims contract (docs/identity-provider.md): ``amr`` ["bank"|"mobile"|"card"|"katso"], ``acr``
("personal"|"corporate"), ``given_name``, ``family_name``; personal customers ``national_id`` (the
Finnish personal identity code); corporate customers ``business_id``, ``organisation_name`` and
``organisation_roles`` (["main_user"] or ["user"]).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from datetime import date

from chalicelib import validators
from chalicelib.config import settings

METHODS = ("bank", "mobile", "card", "katso")


class InvalidIdentity(ValueError):
    """The ID token is genuine but does not assert a usable identity (missing or malformed claims)."""


@dataclass(frozen=True)
class Identity:
    customer: str  # personal | corporate
    method: str
    given_name: str
    family_name: str
    personal_identity_code: str | None = None
    business_id: str | None = None
    organisation_name: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        return "person" if self.customer == "personal" else "organisation"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def identity_hash(self) -> str:
        """A keyed hash of the identifier: the profile's lookup key, never the identifier itself."""
        subject = f"person:{self.personal_identity_code}" if self.kind == "person" else f"organisation:{self.business_id}"
        return hmac.new(settings().identity_pepper.encode(), subject.encode(), hashlib.sha256).hexdigest()

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Identity":
        return cls(**{**data, "roles": tuple(data.get("roles") or ())})


def _text(claims: dict, name: str, required: bool = True) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidIdentity(f"claim {name} is missing or malformed")
    return value.strip()


def claims_needed() -> frozenset[str]:
    """The claim names the mapping reads: the sign-in asks userinfo for those the ID token lacks."""
    return frozenset({"amr", "acr", "given_name", "family_name", "national_id", "business_id",
                      "organisation_name", "organisation_roles"})


def identity_from_claims(claims: dict, *, access_token: str | None = None) -> Identity:
    amr = claims.get("amr")
    method = amr[0] if isinstance(amr, list) and amr and amr[0] in METHODS else None
    if method is None:
        raise InvalidIdentity("claim amr names no known identification method")
    customer = claims.get("acr")
    if customer not in ("personal", "corporate") or (customer == "corporate") != (method == "katso"):
        raise InvalidIdentity("claim acr does not match the identification method")
    given, family = _text(claims, "given_name"), _text(claims, "family_name")
    if customer == "personal":
        code = validators.personal_identity_code(_text(claims, "national_id"))
        if code is None:
            raise InvalidIdentity("claim national_id is not a valid personal identity code")
        return Identity(customer, method, given, family, personal_identity_code=code)
    business_id = validators.business_id(_text(claims, "business_id"))
    if business_id is None:
        raise InvalidIdentity("claim business_id is not a valid Business ID")
    roles = claims.get("organisation_roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidIdentity("claim organisation_roles is malformed")
    return Identity(
        customer, method, given, family,
        business_id=business_id,
        organisation_name=_text(claims, "organisation_name"),
        roles=tuple(roles),
    )


_CENTURIES = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
               "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def birth_date(personal_identity_code: str) -> date:
    """The date of birth that a (validated) personal identity code carries: DDMMYY and a century sign."""
    from stdnum.fi import hetu

    code = hetu.validate(personal_identity_code, allow_temporary=True)
    return date(_CENTURIES[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))
