"""The identity that a provider's claims assert, read through the configured claim mapping.

The mapping (settings ``identity_*``; docs/identity.md "Claims") names the claims a provider uses
and tables for its method names and level-of-assurance values. Three presets:

- ``helsinki``: the City's Keycloak broker (and the bundled development provider): ``given_name``,
  ``family_name``, ``amr`` (a string such as ``suomi_fi`` or a list), ``loa`` (low, substantial,
  high); the personal identity code is not a claim but comes from the Helsinki profile service
  (``profile_service.verified_person``, with the access token), unless a claim is configured.
- ``suomifi-oidc``: the national e-identification's OpenID Connect interface: the attribute names
  of Suomi.fi (``urn:oid:1.2.246.21`` personal identity code, ``urn:oid:2.5.4.42`` given name,
  ``urn:oid:2.5.4.4`` surname) and the level of assurance in ``acr``.
- ``generic``: every claim name from the settings.

Every identification is a person's. Whether it is a corporate customer's is what the person chose
when signing in (``customer``): the organisation is then the one the person chooses among those that
Suomi.fi e-Authorizations says they may represent (docs/acting-on-behalf.md), never a claim of the
token. Everything is checked (python-stdnum for the identifiers) before anything trusts it.
Exceptions carry a ``reason``: a short code, safe to log.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import lru_cache

from chalicelib import validators
from chalicelib.config import settings

# The methods the portal knows (observability's SignIns dimension, the profile's last method).
# eid: the strong electronic identification of Suomi.fi when the provider does not say which tool.
METHODS = ("bank", "mobile", "card", "eid", "organisation")
LEVELS = ("low", "substantial", "high")
# What the Helsinki profile service releases the personal identity code at (open-city-profile's
# resolve_verified_personal_information).
PROFILE_RELEASE_LEVELS = ("substantial", "high")
MAX_TEXT = 200


class InvalidIdentity(ValueError):
    """The claims do not assert a usable identity (missing, malformed or inconsistent claims)."""

    reason = "invalid-identity"


class LevelTooLow(InvalidIdentity):
    """The identification's level of assurance is below the configured minimum."""

    reason = "loa-too-low"


class MappingMisconfigured(InvalidIdentity):
    """The claim mapping's settings are malformed (a table that is not JSON, an unknown method)."""

    reason = "configuration-error"


class ProfileMismatch(InvalidIdentity):
    """The profile service answered about another person than the one the provider identified."""

    reason = "profile-mismatch"


def _keyed(subject: str) -> str:
    return hmac.new(settings().identity_pepper.encode(), subject.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    customer: str  # personal | corporate
    method: str  # one of METHODS
    given_name: str
    family_name: str
    personal_identity_code: str | None = None
    business_id: str | None = None
    organisation_name: str | None = None
    roles: tuple[str, ...] = field(default_factory=tuple)
    loa: str | None = None  # low | substantial | high; None when the provider does not say

    @property
    def kind(self) -> str:
        return "person" if self.customer == "personal" else "organisation"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def identity_hash(self) -> str:
        """A keyed hash of the identifier (the person's, or the chosen organisation's for a corporate
        customer): the profile's lookup key, never the identifier itself."""
        if self.kind == "organisation":
            if not self.business_id:
                raise ValueError("a corporate customer's organisation is not chosen yet")
            return _keyed(f"organisation:{self.business_id}")
        return self.actor_hash

    @property
    def actor_hash(self) -> str:
        """A keyed hash of the identified person's code: who acts, whoever they act for."""
        return _keyed(f"person:{self.personal_identity_code}")

    @property
    def organisation_chosen(self) -> bool:
        return self.kind == "person" or bool(self.business_id)

    def for_organisation(self, business_id: str, name: str, roles: tuple[str, ...]) -> "Identity":
        """The corporate customer's identity once the organisation is chosen (from e-Authorizations)."""
        return replace(self, business_id=business_id, organisation_name=name, roles=tuple(roles))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Identity":
        return cls(**{**data, "roles": tuple(data.get("roles") or ())})


@dataclass(frozen=True)
class Mapping:
    """Claim names ("" = not released by the provider) and the two value tables."""

    preset: str
    personal_identity_code: str  # "" = from the profile service (helsinki) / not available
    given_name: str
    family_name: str
    method: str  # "" = the provider does not say: every sign-in is default_method
    loa: str  # "" = the provider does not say: the minimum cannot be checked
    methods: dict[str, str]
    loa_values: dict[str, str]
    default_method: str = "eid"

    @property
    def code_from_profile_service(self) -> bool:
        return self.preset == "helsinki" and not self.personal_identity_code


_LOA_IDENTITY = {"low": "low", "substantial": "substantial", "high": "high"}

PRESETS: dict[str, Mapping] = {
    # The City's Keycloak broker (helsinki-tunnistus): amr names the upstream identification
    # (suomi_fi, heltunnistussuomifi: Suomi.fi e-Identification, which does not tell the tool);
    # "katso" is the development provider's organisation identification (docs/identity.md).
    "helsinki": Mapping(
        preset="helsinki", personal_identity_code="", given_name="given_name", family_name="family_name",
        method="amr", loa="loa",
        methods={"suomi_fi": "eid", "heltunnistussuomifi": "eid", "katso": "organisation"},
        loa_values=dict(_LOA_IDENTITY),
    ),
    # Suomi.fi e-Identification's OpenID Connect interface: the service's attribute names, the
    # level of assurance as acr (Traficom's FTN levels and the eIDAS ones). It identifies persons.
    "suomifi-oidc": Mapping(
        preset="suomifi-oidc", personal_identity_code="urn:oid:1.2.246.21", given_name="urn:oid:2.5.4.42",
        family_name="urn:oid:2.5.4.4", method="", loa="acr", methods={},
        loa_values={
            "http://ftn.ficora.fi/2017/loa2": "substantial",
            "http://ftn.ficora.fi/2017/loa3": "high",
            "http://eidas.europa.eu/LoA/low": "low",
            "http://eidas.europa.eu/LoA/substantial": "substantial",
            "http://eidas.europa.eu/LoA/high": "high",
        },
    ),
    # Any provider: these defaults are the portal's earlier private vocabulary; override each name.
    "generic": Mapping(
        preset="generic", personal_identity_code="national_id", given_name="given_name",
        family_name="family_name", method="amr", loa="loa",
        methods={"bank": "bank", "mobile": "mobile", "card": "card", "eid": "eid", "katso": "organisation",
                 "organisation": "organisation"},
        loa_values=dict(_LOA_IDENTITY),
    ),
}

_NAMES = ("personal_identity_code", "given_name", "family_name", "method", "loa")


def _table(raw: str, allowed: tuple[str, ...], setting: str) -> dict[str, str] | None:
    if not raw.strip():
        return None
    try:
        table = json.loads(raw)
    except ValueError:
        raise ValueError(f"{setting} is not JSON") from None
    if not isinstance(table, dict) or not all(isinstance(k, str) and v in allowed for k, v in table.items()):
        raise ValueError(f"{setting} maps names to one of {', '.join(allowed)}")
    return table


def mapping(config=None) -> Mapping:
    """The configured mapping: the preset, with every setting that is not None in its place."""
    config = config or settings()
    return _mapping(config.identity_preset, tuple(getattr(config, f"identity_claim_{n}") for n in _NAMES),
                    config.identity_methods, config.identity_loa_values)


@lru_cache(maxsize=8)
def _mapping(preset: str, names: tuple, methods: str, loa_values: str) -> Mapping:
    base = PRESETS[preset]
    values = {n: (v.strip() if v is not None else getattr(base, n)) for n, v in zip(_NAMES, names)}
    return Mapping(
        preset=preset, **values,
        methods=_table(methods, METHODS, "PORTAL_IDENTITY_METHODS") or dict(base.methods),
        loa_values=_table(loa_values, LEVELS, "PORTAL_IDENTITY_LOA_VALUES") or dict(base.loa_values),
        default_method=base.default_method,
    )


def claims_needed() -> frozenset[str]:
    """The claims no sign-in works without under the configured mapping (the relying party asks the
    userinfo endpoint when the ID token lacks any)."""
    config = mapping()
    names = (config.given_name, config.family_name, config.method, config.loa, config.personal_identity_code)
    return frozenset(n for n in names if n)


def _text(claims: dict, name: str, required: bool = True) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidIdentity(f"claim {name} is missing or malformed")
    return value.strip()


def _level(config: Mapping, claims: dict) -> str | None:
    if not config.loa:
        return None
    raw = claims.get(config.loa)
    if raw is None:
        raise LevelTooLow(f"claim {config.loa} (level of assurance) is missing")
    if not isinstance(raw, str) or len(raw) > MAX_TEXT:
        raise InvalidIdentity(f"claim {config.loa} is malformed")
    level = config.loa_values.get(raw)
    if level is None:
        raise LevelTooLow(f"claim {config.loa} names no known level of assurance")
    return level


def _method(config: Mapping, claims: dict) -> str:
    """The portal's method for the provider's method claim: a string, or a list (the first known)."""
    if not config.method:
        return config.default_method
    raw = claims.get(config.method)
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and len(n) <= MAX_TEXT for n in names):
        raise InvalidIdentity(f"claim {config.method} is missing or malformed")
    for name in names:
        if name in config.methods:
            return config.methods[name]
    raise InvalidIdentity(f"claim {config.method} names no method of the method table")


def _check_minimum(level: str | None, customer: str) -> None:
    if level is None:
        return
    config = settings()
    minimum = config.identity_min_loa_personal if customer == "personal" else config.identity_min_loa_organisation
    if LEVELS.index(level) < LEVELS.index(minimum):
        raise LevelTooLow(f"level of assurance {level} is below the minimum {minimum} for {customer} customers")


def identity_from_claims(claims: dict, *, customer: str = "personal", access_token: str | None = None) -> Identity:
    """The person the claims assert under the configured mapping, signing in as ``customer``
    (personal | corporate: what the person chose; a corporate customer's organisation is chosen
    after this, from e-Authorizations). ``access_token`` (from the code exchange) is what the
    helsinki preset exchanges for a profile-service token. Raises InvalidIdentity (LevelTooLow,
    ProfileMismatch) or profile_service.ProfileServiceUnavailable."""
    if customer not in ("personal", "corporate"):
        raise ValueError("customer is personal or corporate")
    if not isinstance(claims, dict):
        raise InvalidIdentity("the claims are not an object")
    try:
        config = mapping()
    except ValueError as malformed:  # a setting, not the person: refused with a log line, never a 500
        raise MappingMisconfigured(str(malformed)) from None
    level = _level(config, claims)
    _check_minimum(level, customer)  # first: a weak sign-in gets the level's page whatever its method
    method = _method(config, claims)
    if method == "organisation" and customer != "corporate":
        raise InvalidIdentity("an organisation identification for a personal customer's sign-in")
    given, family = _text(claims, config.given_name), _text(claims, config.family_name)
    if config.code_from_profile_service:
        code = _code_from_profile_service(level, given, family, access_token)
    elif config.personal_identity_code:
        code = validators.personal_identity_code(_text(claims, config.personal_identity_code))
        if code is None:
            raise InvalidIdentity(f"claim {config.personal_identity_code} is not a valid personal identity code")
    else:
        raise InvalidIdentity("no source of the personal identity code is configured")
    return Identity(customer, method, given, family, personal_identity_code=code, loa=level)


def _code_from_profile_service(level: str | None, given: str, family: str, access_token: str | None) -> str:
    from chalicelib.identity import profile_service

    if level not in PROFILE_RELEASE_LEVELS:
        raise LevelTooLow("the profile service releases the personal identity code only at substantial or high")
    if not access_token:
        raise InvalidIdentity("no access token to exchange for the profile service")
    try:
        person = profile_service.verified_person(access_token)
    except profile_service.NotReleased as refused:
        raise LevelTooLow(str(refused)) from None
    if person is None:
        raise InvalidIdentity("the profile service has no verified personal information for this person")
    if not person.same_person(given, family):
        raise ProfileMismatch("the profile service answered about another person")
    code = validators.personal_identity_code(person.national_identification_number)
    if code is None:
        raise InvalidIdentity("the profile service's personal identity code is not valid")
    return code


_CENTURIES = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
               "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def birth_date(personal_identity_code: str) -> date:
    """The date of birth that a (validated) personal identity code carries: DDMMYY and a century sign."""
    from stdnum.fi import hetu

    code = hetu.validate(personal_identity_code, allow_temporary=True)
    return date(_CENTURIES[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))
