"""Server-side sessions: a random 256-bit cookie value whose SHA-256 is the key of a DynamoDB item.

Idle timeout two hours, sliding; absolute limit twelve hours (both in settings). The id is new at
every sign-in. A CSRF token lives in the session and must come with every state-changing request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.authorizations.principal import Principal
from chalicelib.config import settings
from chalicelib.identity.claims import Identity

COOKIE = "sid"
MAX_COOKIE_LENGTH = 100
TOUCH_INTERVAL = timedelta(seconds=60)
TIMED_OUT_KEPT = timedelta(hours=1)  # how long a timed-out session still names its person


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def person_hash(customer: str, profile_id: str, actor_hash: str) -> str:
    """Who is acting, as a keyed hash: their own profile (a corporate customer's: the organisation's)
    and, because an organisation's people share its profile, the acting person (``actor_hash``, the
    keyed hash of their code). The same whoever they act for."""
    subject = f"{customer}\n{profile_id}\n{actor_hash}"
    return hmac.new(settings().identity_pepper.encode(), subject.encode(), hashlib.sha256).hexdigest()


@dataclass
class Session:
    record: object  # SessionModel

    @property
    def profile_id(self) -> str | None:
        return self.record.profile_id

    @property
    def registered(self) -> bool:
        return self.record.profile_id is not None

    @property
    def person_hash(self) -> str | None:
        """Who is acting (see ``person_hash``), whoever they act for; None while registering."""
        if self.record.profile_id is None:
            return None
        return person_hash(self.record.customer, self.actor_profile_id, self.record.actor_hash or self.record.acting_name)

    @property
    def pending_identity(self) -> Identity | None:
        data = self.record.pending_identity
        return Identity.from_json(data) if data else None

    @property
    def identification(self) -> Identity | None:
        """A corporate customer's own identification (the person, no organisation): whom the
        company choice is for, also when changing company later."""
        data = self.record.identification
        return Identity.from_json(data) if data else None

    @property
    def choosing_organisation(self) -> bool:
        """A corporate customer identified, the organisation not chosen yet (docs/acting-on-behalf.md)."""
        pending = self.pending_identity
        return pending is not None and not pending.organisation_chosen

    @property
    def acting_name(self) -> str:
        return self.record.acting_name

    @property
    def customer(self) -> str:
        return self.record.customer

    @property
    def principal(self) -> Principal:
        """For whom the person acts (docs/acting-on-behalf.md): the chosen principal (a corporate
        customer's organisation), else themselves."""
        if self.record.principal:
            return Principal.from_json(self.record.principal)
        return Principal("person", "self", self.record.acting_name, self.record.actor_hash)

    @property
    def acting_for(self) -> Principal | None:
        """The principal when it is not the person themselves (a child, another person, an
        organisation, a corporate customer's too): shown in the header, on the front page,
        in the folder and on every form. None when the person acts for themselves."""
        principal = self.principal
        return None if principal.is_self else principal

    @property
    def actor_profile_id(self) -> str | None:
        """The acting person's own profile (their own folder), whoever they act for."""
        return self.record.actor_profile_id or self.record.profile_id

    @property
    def actor_hash(self) -> str | None:
        """Who acts, as a keyed hash of their identifier (None on sessions from before issue 17)."""
        return self.record.actor_hash

    @property
    def principal_choices(self) -> list[Principal] | None:
        """Whom the person may act for, as the authorisation service said at this sign-in; None
        until it has been asked."""
        data = self.record.principal_choices
        if not data:
            return None
        return [Principal.from_json(c) for c in data.get("choices", [])]

    @property
    def return_path(self) -> str:
        return self.record.return_path

    @property
    def csrf_token(self) -> str:
        return self.record.csrf_token

    @property
    def idle_expires_at(self) -> datetime:
        return self.record.idle_expires_at

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(0, int((self.idle_expires_at - (now or clock.utcnow())).total_seconds()))

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token).encode(), self.csrf_token.encode())


def provider_hash(kind: str, value: str) -> str:
    """A keyed hash of the provider's ``sid`` or ``sub`` (with its issuer): the back-channel logout's lookup."""
    subject = f"{settings().oidc_issuer}\n{kind}\n{value}"
    return hmac.new(settings().identity_pepper.encode(), subject.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ProviderSession:
    """What signing out at the provider needs: the ID token (id_token_hint), its ``sid`` and ``sub``."""

    id_token: str | None = None
    sid: str | None = None
    sub: str | None = None


def create_session(identity: Identity, profile_id: str | None, return_path: str = "/",
                   provider: ProviderSession | None = None) -> tuple[str, Session]:
    """A new session for the identified person (a new id: never reuse one from before the sign-in);
    a corporate customer's organisation is added by ``represent``. Returns the cookie value."""
    from chalicelib.models.session import SessionModel

    provider = provider or ProviderSession()
    config = settings()
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.utcnow()
    absolute = now + timedelta(seconds=config.session_absolute_seconds)
    record = SessionModel(
        session_hash=_hash(token),
        profile_id=profile_id,
        pending_identity=None if profile_id else identity.to_json(),
        acting_name=identity.full_name,
        method=identity.method,
        customer=identity.customer,
        actor_hash=identity.actor_hash,
        identification=identity.to_json() if identity.customer == "corporate" else None,
        return_path=return_path,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        idle_expires_at=min(absolute, now + timedelta(seconds=config.session_idle_seconds)),
        absolute_expires_at=absolute,
        expires_at=absolute,
        id_token=provider.id_token,
        provider_session=provider_hash("sid", provider.sid) if provider.sid else None,
        provider_subject=provider_hash("sub", provider.sub) if provider.sub else None,
    )
    record.save(condition=SessionModel.session_hash.does_not_exist())
    return token, Session(record)


@dataclass(frozen=True)
class Loaded:
    session: Session | None
    expired: bool = False  # there was a session, and it timed out
    timed_out_person: str | None = None  # whose it was (person_hash), within an hour of the timeout
    timed_out_folder: str | None = None  # the folder (profile id) it was acting in


def load_session(token: str | None, touch: bool = True) -> Loaded:
    """The session behind a cookie value, its idle expiry slid forward (unless ``touch`` is False);
    expired ones are removed."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.session import SessionModel

    if not token or len(token) > MAX_COOKIE_LENGTH:
        return Loaded(None)
    try:
        record = SessionModel.get(_hash(token))
    except DoesNotExist:
        return Loaded(None)
    now = clock.utcnow()
    if record.timed_out_at is not None:
        if now - record.timed_out_at >= TIMED_OUT_KEPT:
            record.delete()
            return Loaded(None)
        return Loaded(None, expired=True, timed_out_person=record.person_hash, timed_out_folder=record.profile_id)
    if now >= record.idle_expires_at or now >= record.absolute_expires_at:
        return Loaded(None, expired=True, timed_out_person=_mark_timed_out(record, now), timed_out_folder=record.profile_id)
    session = Session(record)
    if touch and now - record.last_seen_at >= TOUCH_INTERVAL:
        extend(session, now)
    return Loaded(session)


def _mark_timed_out(record, now: datetime) -> str | None:
    """An expired session: deleted, or (registered) kept an hour as a marker that names only its
    person, for the form that session.js posts at the timeout (docs/data-model.md). Returns the person."""
    from chalicelib.models.session import SessionModel

    person = Session(record).person_hash
    if person is None:
        record.delete()
        return None
    record.update(actions=[
        SessionModel.timed_out_at.set(now),
        SessionModel.person_hash.set(person),
        SessionModel.csrf_token.set(secrets.token_urlsafe(32)),
        SessionModel.pending_identity.remove(),
        SessionModel.identification.remove(),
        SessionModel.id_token.remove(),
        SessionModel.provider_session.remove(),
        SessionModel.provider_subject.remove(),
        SessionModel.organisation_name.remove(),
        SessionModel.business_id.remove(),
        SessionModel.principal.remove(),
        SessionModel.principal_choices.remove(),
        SessionModel.authorization_flow.remove(),
        SessionModel.roles.set([]),
        SessionModel.expires_at.set(now + TIMED_OUT_KEPT),
    ])
    return person


def extend(session: Session, now: datetime | None = None) -> datetime:
    """Slide the idle expiry (never past the absolute limit); returns the new expiry."""
    from chalicelib.models.session import SessionModel

    now = now or clock.utcnow()
    record = session.record
    idle = min(record.absolute_expires_at, now + timedelta(seconds=settings().session_idle_seconds))
    record.update(actions=[SessionModel.last_seen_at.set(now), SessionModel.idle_expires_at.set(idle)])
    return idle


def complete_registration(session: Session, profile_id: str) -> None:
    from chalicelib.models.session import SessionModel

    session.record.update(actions=[SessionModel.profile_id.set(profile_id), SessionModel.pending_identity.remove()])


def represent(session: Session, identity: Identity, principal: Principal, profile_id: str | None,
              return_path: str) -> None:
    """A corporate customer chose the organisation ``principal`` (``identity`` is theirs for it): from
    now on the session is the organisation's, registered when it has a profile (``profile_id``), and
    goes on to ``return_path`` (after the registration, when there is none)."""
    from chalicelib.models.session import SessionModel

    actions = [SessionModel.organisation_name.set(identity.organisation_name),
               SessionModel.business_id.set(identity.business_id), SessionModel.roles.set(list(identity.roles)),
               SessionModel.principal.set(principal.to_json()), SessionModel.return_path.set(return_path)]
    if profile_id:
        actions += [SessionModel.profile_id.set(profile_id), SessionModel.pending_identity.remove()]
    else:  # its registration next (also when changing from a company that has a profile)
        actions += [SessionModel.profile_id.remove(), SessionModel.pending_identity.set(identity.to_json())]
    session.record.update(actions=actions)


def act_for(session: Session, principal: Principal, folder_profile_id: str) -> None:
    """From now on the person acts for ``principal``, whose folder is ``folder_profile_id`` (their
    own profile when the principal is themselves). The acting person's own profile is kept."""
    from chalicelib.models.session import SessionModel

    record = session.record
    own = record.actor_profile_id or record.profile_id
    actions = [SessionModel.profile_id.set(folder_profile_id), SessionModel.actor_profile_id.set(own)]
    if principal.is_self:
        actions.append(SessionModel.principal.remove())
    else:
        actions.append(SessionModel.principal.set(principal.to_json()))
    record.update(actions=actions)


def remember_choices(session: Session, choices: list[Principal] | None) -> None:
    """What the authorisation service listed (None: forget it, so the next choice page asks again)."""
    from chalicelib.models.session import SessionModel

    if choices is None:
        session.record.update(actions=[SessionModel.principal_choices.remove()])
        return
    data = {"at": clock.utcnow().isoformat(), "choices": [c.to_json() for c in choices]}
    session.record.update(actions=[SessionModel.principal_choices.set(data)])


def set_authorization_flow(session: Session, flow: dict | None) -> None:
    """The e-Authorizations round trip under way (mode, the service's session id), or None when done."""
    from chalicelib.models.session import SessionModel

    action = SessionModel.authorization_flow.set(flow) if flow else SessionModel.authorization_flow.remove()
    session.record.update(actions=[action])


def destroy(session: Session) -> None:
    session.record.delete()


def end_provider_sessions(*, sid: str | None, sub: str | None) -> int:
    """Back-channel logout: delete the sessions of a provider session (``sid``) or, without one, of
    its subject (``sub``). Queries a keys-only index, never a Scan. Returns how many ended."""
    from chalicelib.models.session import SessionModel

    if sid:
        found = SessionModel.by_provider_session.query(provider_hash("sid", sid))
    elif sub:
        found = SessionModel.by_provider_subject.query(provider_hash("sub", sub))
    else:
        return 0
    ended = 0
    for item in found:
        SessionModel(session_hash=item.session_hash).delete()
        ended += 1
    return ended


def hash_of(token: str) -> str:
    return _hash(token)


def forget(token: str | None) -> None:
    """Delete whatever a cookie value still names (a session or a timed-out marker): sign-out."""
    from chalicelib.models.session import SessionModel

    if token and len(token) <= MAX_COOKIE_LENGTH:
        SessionModel(session_hash=_hash(token)).delete()


