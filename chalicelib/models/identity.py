"""Who is who: identities (keyed hashes of identifiers) point at profiles; profiles hold contact data.

Access patterns (see docs/data-model.md):
- sign-in finds the profile: GetItem identities[identity_hash]
- every signed-in page: GetItem profiles[profile_id]
- registration: one transaction puts both, each ``attribute_not_exists``
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class IdentityModel(Model):
    Meta = table_meta("identities")

    # HMAC-SHA256 of "person:<personal identity code>" or "organisation:<Business ID>" with a secret pepper.
    identity_hash = UnicodeAttribute(hash_key=True)
    profile_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # person | organisation
    created_at = UTCDateTimeAttribute()


class ProfileModel(Model):
    Meta = table_meta("profiles")

    profile_id = UnicodeAttribute(hash_key=True)  # uuid4 hex; also the id of the profile's folder
    kind = UnicodeAttribute()  # person | organisation
    # From the identification; never edited in the portal.
    given_name = UnicodeAttribute(null=True)
    family_name = UnicodeAttribute(null=True)
    personal_identity_code = UnicodeAttribute(null=True)
    organisation_name = UnicodeAttribute(null=True)
    business_id = UnicodeAttribute(null=True)
    # Given at registration, edited in My profile.
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)  # E.164, +358...
    notify_methods = ListAttribute(of=UnicodeAttribute, default=list)  # "email", "sms"
    notify_language = UnicodeAttribute(default="fi")
    consent_at = UTCDateTimeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    last_login_at = UTCDateTimeAttribute(null=True)
    previous_login_at = UTCDateTimeAttribute(null=True)
    last_login_method = UnicodeAttribute(null=True)
