"""Server-side sessions and the short-lived sign-in transactions of the OpenID Connect flow.

Access patterns:
- every request with a session cookie: GetItem sessions[sha256(cookie)]; UpdateItem at most once a
  minute to slide the idle expiry; DeleteItem at sign-out; at expiry one UpdateItem makes the item
  a timed-out marker for an hour (the person's hash only), then DeleteItem.
- sign-in: PutItem login transaction keyed by sha256(state); the callback claims it with a
  conditional UpdateItem (only one callback completes it) and records the outcome on it for five
  minutes, so the same callback arriving again in the same browser lands where the first went.
- back-channel logout: Query by-provider-session (the provider's ``sid``, keyed hash) or
  by-provider-subject (its ``sub``, keyed hash), then DeleteItem each session found. No Scan.
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


class ByProviderSessionIndex(GlobalSecondaryIndex):
    """The portal sessions of one provider session (back-channel logout with ``sid``)."""

    class Meta:
        index_name = "by-provider-session"
        projection = KeysOnlyProjection()

    provider_session = UnicodeAttribute(hash_key=True)


class ByProviderSubjectIndex(GlobalSecondaryIndex):
    """The portal sessions of one provider subject (back-channel logout with ``sub`` only)."""

    class Meta:
        index_name = "by-provider-subject"
        projection = KeysOnlyProjection()

    provider_subject = UnicodeAttribute(hash_key=True)


class SessionModel(PortalModel):
    Meta = table_meta("sessions")

    session_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the 256-bit cookie value
    profile_id = UnicodeAttribute(null=True)  # None while the user registers
    # The identification's claims, kept only while registration is pending (then removed).
    pending_identity = JSONAttribute(null=True)
    # A corporate customer's own identification (the person), kept to change company from the top bar
    identification = JSONAttribute(null=True)
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
    # RP-initiated logout's id_token_hint: the ID token as the provider signed it, server-side only
    # (never in a cookie); removed on a timed-out marker.
    id_token = UnicodeAttribute(null=True)
    # Keyed hashes (identity pepper) of the provider's issuer + sid and issuer + sub: back-channel logout.
    provider_session = UnicodeAttribute(null=True)
    provider_subject = UnicodeAttribute(null=True)
    by_profile = ByProfileIndex()
    by_provider_session = ByProviderSessionIndex()
    by_provider_subject = ByProviderSubjectIndex()


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
    # Set by the one callback that completes the flow (a conditional update: a double submit waits).
    claimed_at = UTCDateTimeAttribute(null=True)
    # After success, for the same callback arriving again in the same browser: where the first went,
    # the session's hash, and its cookie value sealed with the browser binding (which only the browser has).
    completed_at = UTCDateTimeAttribute(null=True)
    destination = UnicodeAttribute(null=True)
    session_hash = UnicodeAttribute(null=True)
    sealed_session = UnicodeAttribute(null=True)


class PostStashModel(PortalModel):
    """What a person posted when their session had just expired (form fields only, no files), kept
    an hour under a random cookie and bound to that person: only their own next sign-in puts it into
    their draft; anyone else's discards it."""

    Meta = table_meta("post-stashes")

    stash_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the cookie value
    person_hash = UnicodeAttribute()  # whose input this is (sessions.person_hash), never shown
    folder = UnicodeAttribute(null=True)  # the profile id of the folder the form was in (whom they acted for)
    path = UnicodeAttribute()  # the page the fields were posted to
    fields = JSONAttribute()  # [[name, value], ...]
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
