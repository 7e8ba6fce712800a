"""Mobile certificate (mobiilivarmenne), simulated: the request "sent" to the phone lives in the
sealed interaction (phone, anti-jam code, number code, time sent); pressing "I accepted the request
on my phone" stands for pressing OK and typing the PIN on the phone.

The request is interrupted when the person confirms after ``dev_idp_mobile_timeout_seconds`` or used
the number that never answers (identities.NEVER_ANSWERING_PHONE).
"""
from __future__ import annotations

import secrets

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.devidp.identities import NEVER_ANSWERING_PHONE, Identification, person_by_phone, personal_identification
from chalicelib.devidp.interaction import Interaction, MobileRequest
from chalicelib.errors import Invalid
from chalicelib.i18n import N_

ANTI_JAM_MAX = 20
PHONE_MAX = 30


class MobileInterrupted(Exception):
    """The phone did not answer in time (the screens say so and offer to start again)."""


def normalize_phone(value: str | None) -> str:
    """A Finnish mobile number, typed as +358401234567, 040 123 4567 or 0401234567, in E.164."""
    import phonenumbers

    value = (value or "").strip()
    if not value:
        raise Invalid({"phone": N_("Enter your phone number.")})
    try:
        if len(value) > PHONE_MAX:
            raise phonenumbers.NumberParseException(phonenumbers.NumberParseException.TOO_LONG, "too long")
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "FI"
        or phonenumbers.number_type(number)
        not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise Invalid({"phone": N_("Enter a Finnish mobile phone number, for example +358401234567 or 0401234567.")})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def send_request(interaction: Interaction, phone: str | None, anti_jam: str | None) -> Interaction:
    """Validate the form and "send" the request; the returned interaction carries it."""
    errors = {}
    try:
        e164 = normalize_phone(phone)
    except Invalid as invalid:
        errors.update(invalid.errors)
        e164 = None
    anti_jam = (anti_jam or "").strip()
    if len(anti_jam) > ANTI_JAM_MAX or not anti_jam.isprintable():
        errors["anti_jam"] = N_("The anti-jam code can be at most 20 characters long.")
    if e164 and e164 != NEVER_ANSWERING_PHONE and person_by_phone(e164) is None:
        errors["phone"] = N_("This phone number has no mobile certificate in the test service. Use the phone number of a test person.")
    if errors:
        raise Invalid(errors)
    return interaction.with_mobile(
        MobileRequest(
            phone=e164,
            anti_jam=anti_jam,
            number_code=f"{secrets.randbelow(10000):04d}",
            sent_at=clock.utcnow().timestamp(),
        )
    )


def confirm(interaction: Interaction) -> Identification:
    """The person says they accepted the request on the phone: identified, or MobileInterrupted."""
    request = interaction.mobile
    if request is None:
        raise MobileInterrupted("no request was sent")
    waited = clock.utcnow().timestamp() - request.sent_at
    found = person_by_phone(request.phone)
    if request.phone == NEVER_ANSWERING_PHONE or found is None or waited > settings().dev_idp_mobile_timeout_seconds:
        raise MobileInterrupted("the phone did not answer in time")
    return personal_identification(found, "mobile")
