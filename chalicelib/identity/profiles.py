"""Customer profiles: registration on the first sign-in, My profile, and recording sign-ins.

A person's profile is their personal e-services folder; an organisation's profile is the folder
that everyone signing in for that organisation shares. Names and identifiers come from the
identification and are never edited here.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from chalicelib import clock, validators
from chalicelib.errors import Invalid, NotFound
from chalicelib.i18n import LANGUAGES, N_
from chalicelib.identity.claims import Identity

METHODS = ("email", "sms")


@dataclass
class ContactForm:
    """What the person typed in registration or My profile, kept as typed for showing again."""

    email: str = ""
    phone: str = ""
    methods: tuple[str, ...] = ()
    language: str = ""
    consent: bool = False

    @classmethod
    def from_fields(cls, fields: dict[str, str], methods: list[str]) -> "ContactForm":
        return cls(
            email=(fields.get("email") or "")[:1000],
            phone=(fields.get("phone") or "")[:100],
            methods=tuple(m for m in methods if m in METHODS),
            language=fields.get("language") or "",
            consent=fields.get("consent") == "yes",
        )


@dataclass(frozen=True)
class Contact:
    email: str | None
    phone: str | None  # E.164
    methods: tuple[str, ...]
    language: str


def validate_contact(form: ContactForm, *, registration: bool) -> Contact:
    errors: dict[str, str] = {}
    if registration and not form.consent:
        errors["consent"] = N_("Accept that a profile is created and your data is saved, or cancel the registration.")
    email = validators.email(form.email) if form.email.strip() else None
    if form.email.strip() and email is None:
        errors["email"] = N_("Give an e-mail address in the form name@example.fi.")
    phone = None
    if form.phone.strip():
        phone = validators.finnish_mobile(form.phone)
        if phone is None:
            errors["phone"] = N_("Give a Finnish mobile phone number in the international format, for example +358 40 123 4567.")
    if not form.email.strip() and not form.phone.strip():
        errors["email"] = N_("Both the e-mail address and the mobile phone number are empty: fill in at least one of them.")
    if "email" in form.methods and not form.email.strip():
        errors.setdefault("methods", N_("Notifications by e-mail need an e-mail address."))
    if "sms" in form.methods and not form.phone.strip():
        errors.setdefault("methods", N_("Notifications by text message need a mobile phone number."))
    if not form.methods:
        errors.setdefault("methods", N_("Choose how you want to be notified."))
    if form.language not in LANGUAGES:
        errors["language"] = N_("Choose the language of the notifications.")
    if errors:
        raise Invalid(errors)
    return Contact(email, phone, form.methods, form.language)


def register(identity: Identity, form: ContactForm) -> str:
    """Create the profile (and so the folder) for this identity; returns its id.

    Identity and profile are written in one transaction. If the identity was registered meanwhile
    (a second tab, a colleague of the same organisation), that profile is returned and nothing new
    is written: registering is idempotent.
    """
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.base import connection
    from chalicelib.models.identity import IdentityModel, ProfileModel

    contact = validate_contact(form, registration=True)
    existing = find_profile_id(identity)
    if existing:
        _adopt(existing, identity, contact)
        return existing
    now = clock.utcnow()
    profile_id = uuid.uuid4().hex
    profile = ProfileModel(
        profile_id=profile_id,
        kind=identity.kind,
        given_name=identity.given_name if identity.kind == "person" else None,
        family_name=identity.family_name if identity.kind == "person" else None,
        personal_identity_code=identity.personal_identity_code if identity.kind == "person" else None,
        organisation_name=identity.organisation_name,
        business_id=identity.business_id,
        email=contact.email,
        phone=contact.phone,
        notify_methods=list(contact.methods),
        notify_language=contact.language,
        consent_at=now,
        created_at=now,
        updated_at=now,
        last_login_at=now,
        last_login_method=identity.method,
    )
    link = IdentityModel(identity_hash=identity.identity_hash, profile_id=profile_id, kind=identity.kind, created_at=now)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(link, condition=IdentityModel.identity_hash.does_not_exist())
            transaction.save(profile, condition=ProfileModel.profile_id.does_not_exist())
    except TransactWriteError:
        existing = find_profile_id(identity)
        if existing:
            return existing
        raise
    return profile_id


def awaits_its_person(profile_id: str) -> bool:
    """A person's folder that someone acting for them created (``created_for``): the person's own
    first sign-in registers into it, with their own consent and contact details (docs/acting-on-behalf.md)."""
    profile = get_profile(profile_id)
    return profile.kind == "person" and profile.created_for is not None


def _adopt(profile_id: str, identity: Identity, contact: Contact) -> None:
    """The person registers into the folder created for them: their consent, contact details and
    names replace the acting person's. Conditional on ``created_for``: only the first registration
    adopts (a second tab changes nothing), and an organisation's shared profile is never taken over."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.identity import ProfileModel

    if identity.kind != "person":
        return
    now = clock.utcnow()
    try:
        ProfileModel(profile_id=profile_id).update(actions=[
            ProfileModel.given_name.set(identity.given_name), ProfileModel.family_name.set(identity.family_name),
            ProfileModel.email.set(contact.email) if contact.email else ProfileModel.email.remove(),
            ProfileModel.phone.set(contact.phone) if contact.phone else ProfileModel.phone.remove(),
            ProfileModel.notify_methods.set(list(contact.methods)), ProfileModel.notify_language.set(contact.language),
            ProfileModel.consent_at.set(now), ProfileModel.updated_at.set(now),
            ProfileModel.last_login_at.set(now), ProfileModel.last_login_method.set(identity.method),
            ProfileModel.created_for.remove(),
        ], condition=ProfileModel.created_for.exists() & (ProfileModel.kind == "person"))
    except UpdateError:
        pass  # adopted already (another tab), or not a folder awaiting its person


def find_profile_id(identity: Identity) -> str | None:
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.identity import IdentityModel

    try:
        return IdentityModel.get(identity.identity_hash).profile_id
    except DoesNotExist:
        return None


def get_profile(profile_id: str):
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.identity import ProfileModel

    try:
        return ProfileModel.get(profile_id)
    except DoesNotExist:
        raise NotFound("profile") from None


@dataclass(frozen=True)
class DeliveryStatus:
    """Channels that stopped because messages could not be delivered (notifications/feedback.py)."""

    email_reason: str | None  # bounce | bounces | complaint
    sms_reason: str | None  # opted-out | failed
    email: str | None
    phone: str | None

    @property
    def any(self) -> bool:
        return bool(self.email_reason or self.sms_reason)


def delivery_status(profile) -> DeliveryStatus:
    return DeliveryStatus(profile.email_blocked_reason, profile.sms_blocked_reason, profile.email, profile.phone)


def read_delivery_status(profile_id: str) -> DeliveryStatus | None:
    """For the signed-in front page: one GetItem of the few attributes it shows (None: no profile)."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.identity import ProfileModel

    try:
        profile = ProfileModel.get(profile_id, attributes_to_get=[
            "profile_id", "email", "phone", "email_blocked_reason", "sms_blocked_reason"])
    except DoesNotExist:
        return None
    return delivery_status(profile)


def record_sign_in(profile_id: str, method: str) -> None:
    from chalicelib.models.identity import ProfileModel

    profile = get_profile(profile_id)
    profile.update(
        actions=[
            ProfileModel.previous_login_at.set(profile.last_login_at) if profile.last_login_at else ProfileModel.previous_login_at.remove(),
            ProfileModel.last_login_at.set(clock.utcnow()),
            ProfileModel.last_login_method.set(method),
        ]
    )


def update_contact(profile_id: str, form: ContactForm) -> None:
    """My profile's Save: contact details and notification choices only; names never change.

    Saving also lifts a notification block (after repeated failed sends) and resets the failure
    count: the next hourly sweep tries again with the details as they are now, and whatever was
    waiting (the pending marker stays) goes out then. It clears the delivery feedback too (a bounce,
    a complaint or an opted-out number, chalicelib/notifications/feedback.py): the customer has seen
    the notice and checked the details, and the next message is tried again.
    """
    from chalicelib.models.identity import ProfileModel

    contact = validate_contact(form, registration=False)
    profile = get_profile(profile_id)
    profile.update(
        actions=[
            ProfileModel.email.set(contact.email) if contact.email else ProfileModel.email.remove(),
            ProfileModel.phone.set(contact.phone) if contact.phone else ProfileModel.phone.remove(),
            ProfileModel.notify_methods.set(list(contact.methods)),
            ProfileModel.notify_language.set(contact.language),
            ProfileModel.updated_at.set(clock.utcnow()),
            ProfileModel.notify_failures.set(0),
            ProfileModel.notify_blocked_reason.remove(),
            ProfileModel.email_blocked_reason.remove(),
            ProfileModel.email_blocked_at.remove(),
            ProfileModel.email_soft_bounces.remove(),
            ProfileModel.sms_blocked_reason.remove(),
            ProfileModel.sms_blocked_at.remove(),
        ]
    )
