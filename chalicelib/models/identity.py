"""Who is who: identities (keyed hashes of identifiers) point at profiles; profiles hold contact data.

Access patterns (see docs/data-model.md):
- sign-in finds the profile: GetItem identities[identity_hash]
- every signed-in page: GetItem profiles[profile_id]
- registration: one transaction puts both, each ``attribute_not_exists``
"""
from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from chalicelib.models.base import PortalModel, table_meta


class IdentityModel(PortalModel):
    Meta = table_meta("identities")

    # HMAC-SHA256 of "person:<personal identity code>" or "organisation:<Business ID>" with a secret pepper.
    identity_hash = UnicodeAttribute(hash_key=True)
    profile_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # person | organisation
    created_at = UTCDateTimeAttribute()


class PendingNotificationsIndex(GlobalSecondaryIndex):
    """Sparse: only profiles with something unsent carry ``notify_shard``; the sweep's reads follow
    the number of pending customers, never the number of profiles. Sixteen shards (the last hex digit
    of the profile id) spread the partition."""

    class Meta:
        index_name = "pending-notifications"
        projection = IncludeProjection(["email", "phone", "notify_methods", "notify_language", "last_notified_at",
                                        "notify_failures", "notify_blocked_reason"])

    notify_shard = UnicodeAttribute(hash_key=True)
    notify_pending_since = UTCDateTimeAttribute(range_key=True)


class ProfileModel(PortalModel):
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
    # Set on a folder created when someone first acted for this principal (issue 17): custody |
    # authorisation | representation. Absent on profiles their own sign-in registered.
    created_for = UnicodeAttribute(null=True)
    # Notifications (chalicelib/notifications; docs/data-model.md "profiles").
    # The pending marker: set by the first change from the City since the last notification, removed
    # by the sweep that notified it (only if nothing new arrived meanwhile).
    notify_shard = UnicodeAttribute(null=True)  # last hex digit of profile_id: the sparse index's hash key
    notify_pending_since = UTCDateTimeAttribute(null=True)  # the first change waiting
    notify_latest_at = UTCDateTimeAttribute(null=True)  # the newest change waiting
    notify_changes = NumberAttribute(null=True)  # ADD 1 per change: the sweep clears the marker only if unchanged
    # Every chosen channel has delivered the changes up to here ("what is new" = later changes).
    last_notified_at = UTCDateTimeAttribute(null=True)
    # A channel that delivered further than last_notified_at while the other one failed (retried alone).
    notified_email_at = UTCDateTimeAttribute(null=True)
    notified_sms_at = UTCDateTimeAttribute(null=True)
    notify_failures = NumberAttribute(default=0)  # consecutive sweeps with a failed send
    notify_blocked_reason = UnicodeAttribute(null=True)  # "<channel>: <error code>"; cleared by a contact edit
    # Delivery feedback (chalicelib/notifications/feedback.py): a channel that cannot be delivered to.
    # "bounce" | "bounces" (repeated transient) | "complaint" (e-mail); "opted-out" | "failed" (SMS).
    # The sweep skips a blocked channel; saving My profile clears both.
    email_blocked_reason = UnicodeAttribute(null=True)
    email_blocked_at = UTCDateTimeAttribute(null=True)  # the SES event's time (the same on a redelivery)
    # Transient bounces counted per sent e-mail ("<event time> <SES message id>"), never an address.
    email_soft_bounces = UnicodeSetAttribute(null=True)
    sms_blocked_reason = UnicodeAttribute(null=True)
    sms_blocked_at = UTCDateTimeAttribute(null=True)
    # The sweep's claim: one sweep at a time works on a profile (conditional write, expires).
    notify_lease_id = UnicodeAttribute(null=True)
    notify_lease_until = UTCDateTimeAttribute(null=True)
    pending_notifications = PendingNotificationsIndex()
