"""The test identities of the development identity provider: people, their banks, phones and cards,
and the Katso IDs of people who act for organisations. All of it is made up.

A Katso ID is the guide's label for the organisation method, but with Suomi.fi e-Authorizations the
identification is personal: a Katso user is a person with a personal identity code, signs in with
the same ``sub`` as the same human's bank, mobile or card sign-in, and the ID token says nothing
about organisations. Which companies the person may represent, and in which roles, is the
e-Authorizations stand-in's data (``chalicelib/authorizations/dev_principals.json``, keyed by the
personal identity code), which the portal asks after the sign-in.

Personal identity codes use the individual numbers 900–999, the range that the Digital and Population
Data Services Agency reserves for temporary and test codes, so that no test code can ever be a real
person's. They are valid codes for python-stdnum with ``allow_temporary=True``
(``stdnum.fi.hetu.is_valid(code, allow_temporary=True)``), which is how a relying party must check
them.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from chalicelib.config import settings
from chalicelib.errors import Invalid
from chalicelib.i18n import N_

# The code for every test person in every bank, on every tab (code app, code card, code calculator).
BANK_CODE = "1234"
# PIN 1 of every test person's certificate card.
CARD_PIN = "1234"
# The fixed password of every Katso test user.
KATSO_PASSWORD = "katso1234"
# A Finnish mobile number with a mobile certificate that never answers (the request times out).
NEVER_ANSWERING_PHONE = "+358401230000"

MAX_FIELD = 100


@dataclass(frozen=True)
class Person:
    key: str  # an opaque handle used in forms (never the personal identity code)
    given_name: str
    family_name: str
    national_id: str
    bank_user_id: str
    phone: str  # E.164
    description: str  # what the test person is for (shown on the provider's screens, in English)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class KatsoUser:
    """A Katso ID: a person (names, personal identity code) with a username and a password. No
    organisation: the companies come from the e-Authorizations stand-in."""

    username: str
    given_name: str
    family_name: str
    national_id: str
    same_person_as: str | None = None  # the key of the personal test identity of the same human

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def key(self) -> str:
        """The opaque handle of the person (the profile stand-in's ``id``): the personal test
        identity's key when the same human has one, else the username."""
        return self.same_person_as or self.username


@dataclass(frozen=True)
class Bank:
    key: str
    name: str


@dataclass(frozen=True)
class Identification:
    """A successful identification: what the ID token will assert. ``subject_key`` is what the
    opaque ``sub`` is derived from; it never leaves the provider."""

    method: str  # bank | mobile | card | katso: the screen used
    acr: str  # personal | corporate: what the authorization request asked for
    subject_key: str
    claims: dict

    @property
    def sub(self) -> str:
        return subject(self.subject_key)

    @property
    def amr(self) -> str:
        """The broker's vocabulary: Suomi.fi e-Identification does not tell the tool, so bank, mobile
        and card all say ``suomi_fi``; ``katso`` is the guide's organisation identification."""
        return "katso" if self.method == "katso" else "suomi_fi"

    @property
    def loa(self) -> str:
        return LOA


# Every test identification is strong (Suomi.fi's tools; Katso with its one-time code).
LOA = "substantial"


PERSONS: tuple[Person, ...] = (
    Person(
        key="nordea-testaaja",
        given_name="Portaalia Nordea",
        family_name="Testaaja",
        national_id="210281-9988",
        bank_user_id="123456",
        phone="+358401230001",
        description="Finnish-speaking adult; also the Katso user testiyritys-paakayttaja",
    ),
    Person(
        key="asa-testare",
        given_name="Åsa Kristina",
        family_name="Söderström-Testare",
        national_id="150376-904V",
        bank_user_id="234567",
        phone="+358401230002",
        description="Swedish-speaking adult",
    ),
    Person(
        key="matti-perhe",
        given_name="Matti Olavi",
        family_name="Perhe-Testaaja",
        national_id="080885-912Y",
        bank_user_id="345678",
        phone="+358401230003",
        description="Parent of a minor (child Aino Perhe-Testaaja, 120317A9207)",
    ),
)

# Each Katso user is a person; the companies they may represent (Testiyritys Oy, Esimerkki Ky,
# Esimerkkiyhdistys ry) and their roles are in chalicelib/authorizations/dev_principals.json.
KATSO_USERS: tuple[KatsoUser, ...] = (
    KatsoUser("testiyritys-paakayttaja", "Portaalia Nordea", "Testaaja", "210281-9988",
              same_person_as="nordea-testaaja"),
    KatsoUser("testiyritys-kayttaja", "Kaisa Kollega", "Testaaja", "140592-926N"),
    KatsoUser("esimerkkiyhdistys-paakayttaja", "Erkki Esimerkki", "Yhdistyksinen", "030768-9315"),
)

BANKS: tuple[Bank, ...] = (
    Bank("nordea", "Nordea"),
    Bank("op", "OP"),
    Bank("danske-bank", "Danske Bank"),
    Bank("handelsbanken", "Handelsbanken"),
    Bank("aktia", "Aktia"),
    Bank("pop-pankki", "POP Pankki"),
    Bank("s-pankki", "S-Pankki"),
    Bank("saastopankki", "Säästöpankki"),
    Bank("oma-saastopankki", "Oma Säästöpankki"),
    Bank("alandsbanken", "Ålandsbanken"),
)


def bank(key: str) -> Bank | None:
    return next((b for b in BANKS if b.key == key), None)


def person(key: str) -> Person | None:
    return next((p for p in PERSONS if p.key == key), None)


def person_by_phone(phone_e164: str) -> Person | None:
    return next((p for p in PERSONS if p.phone == phone_e164), None)


def subject(subject_key: str) -> str:
    """The stable, opaque ``sub``: a keyed hash, never the identifier itself."""
    digest = hmac.new(settings().identity_pepper.encode(), f"dev-idp/sub/{subject_key}".encode(), hashlib.sha256)
    return digest.hexdigest()


def person_by_subject(sub: str) -> Person | KatsoUser | None:
    """The test person whose personal ``sub`` this is (the profile service's lookup): a personal
    test identity, or a Katso user who has none (a Katso user's ``sub`` is their personal one)."""
    people: tuple[Person | KatsoUser, ...] = PERSONS + tuple(u for u in KATSO_USERS if u.same_person_as is None)
    return next((p for p in people if hmac.compare_digest(subject(f"person:{p.national_id}"), sub)), None)


def personal_identification(found: Person, method: str) -> Identification:
    return Identification(
        method=method,
        acr="personal",
        # One person, one sub, whichever of bank, mobile or card they use.
        subject_key=f"person:{found.national_id}",
        # No personal identity code: as at the City's broker, it is read from the profile service
        # (the stand-in, chalicelib/devidp/profile_service.py) with a token for profile-api.
        claims={
            "given_name": found.given_name,
            "family_name": found.family_name,
            "name": found.name,
        },
    )


def katso_identification(user: KatsoUser) -> Identification:
    return Identification(
        method="katso",
        acr="corporate",
        # With e-Authorizations the identification is personal: the person's sub, the same as the
        # same human's bank, mobile or card sign-in. No organisation claims: the portal asks the
        # e-Authorizations port which companies the person may represent. No personal identity code
        # either: as for the personal methods, it is read from the profile service.
        subject_key=f"person:{user.national_id}",
        claims={
            "given_name": user.given_name,
            "family_name": user.family_name,
            "name": user.name,
        },
    )


def _clean(value: str | None) -> str:
    return (value or "").strip()[:MAX_FIELD]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def identify_with_bank(bank_key: str, user_id: str, code: str) -> Identification:
    """Check the access codes given on a bank's page. Raises Invalid with messages at the fields."""
    user_id, code = _clean(user_id), _clean(code)
    errors = {}
    if not user_id:
        errors["user_id"] = N_("Enter your user ID.")
    if not code:
        errors["code"] = N_("Enter the code.")
    if errors:
        raise Invalid(errors)
    found = next((p for p in PERSONS if p.bank_user_id == user_id.replace(" ", "")), None)
    if bank(bank_key) is None or found is None or not _same(code, BANK_CODE):
        raise Invalid({
            "user_id": N_("Check your user ID."),
            "code": N_("The user ID or the code is wrong. Check them and try again."),
        })
    return personal_identification(found, "bank")


def identify_with_card(person_key: str, pin: str) -> Identification:
    """The card reader programme: the chosen certificate and PIN 1."""
    pin = _clean(pin)
    errors = {}
    found = person(_clean(person_key))
    if found is None:
        errors["certificate"] = N_("Choose the certificate with your name on it.")
    if not pin:
        errors["pin"] = N_("Enter PIN 1.")
    elif found is not None and not _same(pin, CARD_PIN):
        errors["pin"] = N_("PIN 1 is wrong. Check it and try again.")
    if errors:
        raise Invalid(errors)
    return personal_identification(found, "card")


def identify_with_katso(username: str, password: str) -> Identification:
    username, password = _clean(username), (password or "")[:MAX_FIELD]
    errors = {}
    if not username:
        errors["username"] = N_("Enter your username.")
    if not password:
        errors["password"] = N_("Enter your fixed password.")
    if errors:
        raise Invalid(errors)
    user = next((u for u in KATSO_USERS if u.username == username.casefold()), None)
    if user is None or not _same(password, KATSO_PASSWORD):
        raise Invalid({
            "username": N_("Check your username."),
            "password": N_("The username or the password is wrong. Check them and try again."),
        })
    return katso_identification(user)
