"""Server-side sessions and the short-lived sign-in transactions of the OpenID Connect flow.

Access patterns:
- every request with a session cookie: GetItem sessions[sha256(cookie)]; UpdateItem at most once a
  minute to slide the idle expiry; DeleteItem at sign-out; at expiry one UpdateItem makes the item
  a timed-out marker for an hour (the person's hash only), then DeleteItem.
- sign-in: PutItem login transaction keyed by sha256(state); the callback reads it and deletes it
  with a condition, so a replayed callback finds nothing.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.models.base import PortalModel, table_meta


class ByProfileIndex(GlobalSecondaryIndex):
    """A profile's sessions: only for ending them all when the profile is deleted."""

    class Meta:
        index_name = "by-profile"
        projection = KeysOnlyProjection()

    profile_id = UnicodeAttribute(hash_key=True)


class SessionModel(PortalModel):
    Meta = table_meta("sessions")

    session_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the 256-bit cookie value
    profile_id = UnicodeAttribute(null=True)  # None while the user registers
    # The identification's claims, kept only while registration is pending (then removed).
    pending_identity = JSONAttribute(null=True)
    acting_name = UnicodeAttribute()  # the signed-in person's name (for organisations: the acting person)
    method = UnicodeAttribute()  # bank | mobile | card | katso
    customer = UnicodeAttribute()  # personal | corporate
    # For whom a corporate customer acts, shown on every page: the organisation and its Business ID.
    organisation_name = UnicodeAttribute(null=True)
    business_id = UnicodeAttribute(null=True)
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    # Acting on behalf (issue 17, docs/acting-on-behalf.md); all absent on older sessions (= for oneself).
    actor_hash = UnicodeAttribute(null=True)  # keyed hash of the acting person's identifier (as identities)
    actor_profile_id = UnicodeAttribute(null=True)  # the acting person's own profile while profile_id is a principal's
    principal = JSONAttribute(null=True)  # authorizations.Principal as JSON; absent = the person themselves
    principal_choices = JSONAttribute(null=True)  # {"at": ISO, "choices": [Principal JSON, ...]} from the port
    authorization_flow = JSONAttribute(null=True)  # the e-Authorizations round trip under way: mode, its session id
    return_path = UnicodeAttribute(default="/")  # where registration continues to
    csrf_token = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    idle_expires_at = UTCDateTimeAttribute()
    absolute_expires_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    # Only on a timed-out marker (a session found expired, kept one hour for a resume stash):
    timed_out_at = UTCDateTimeAttribute(null=True)
    person_hash = UnicodeAttribute(null=True)  # sessions.person_hash(...) of the timed-out session
    by_profile = ByProfileIndex()


class LoginTransactionModel(PortalModel):
    Meta = table_meta("login-transactions")

    state_hash = UnicodeAttribute(hash_key=True)
    browser_hash = UnicodeAttribute()  # SHA-256 of the cookie that binds the flow to one browser
    nonce = UnicodeAttribute()
    code_verifier = UnicodeAttribute()
    return_path = UnicodeAttribute()
    customer = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class PostStashModel(PortalModel):
    """What a person posted when their session had just expired (form fields only, no files), kept
    an hour under a random cookie and bound to that person: only their own next sign-in puts it into
    their draft; anyone else's discards it."""

    Meta = table_meta("post-stashes")

    stash_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the cookie value
    person_hash = UnicodeAttribute()  # whose input this is (sessions.person_hash), never shown
    path = UnicodeAttribute()  # the page the fields were posted to
    fields = JSONAttribute()  # [[name, value], ...]
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
