"""Health-care consent: the electronic agreement a health-care e-service asks before its form.

The agreement's text and version are catalogue data (``EService.agreement``). A person accepts it
once per e-service; the acceptance is kept per acting person (``sessions.person_hash``: a keyed
hash, no personal data in the key) with the time and the version. An acceptance counts only for the
version in the catalogue now: a new version asks again. Withdrawing it (My profile) stops new forms
of that service until the person accepts again; what they typed in a draft is kept.

Reads and writes (docs/data-model.md "agreements"): a GetItem per check, a PutItem per acceptance,
a conditional UpdateItem per withdrawal, a Query for My profile's list and one for My data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import clock
from chalicelib.errors import NotFound

NONE, ACCEPTED, OUTDATED, WITHDRAWN = "none", "accepted", "outdated", "withdrawn"


@dataclass(frozen=True)
class Acceptance:
    service_id: str
    version: int
    current_version: int | None  # the catalogue's version now (None: the service no longer asks)
    language: str
    accepted_at: datetime
    withdrawn_at: datetime | None

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return WITHDRAWN
        if self.current_version is not None and self.version < self.current_version:
            return OUTDATED
        return ACCEPTED


@dataclass(frozen=True)
class Acceptor:
    """Who accepts: the acting person, whoever they act for (a guardian acting for a child accepts
    for themselves; the notice of consent, chalicelib/consent/notice.py, is what the child's side needs)."""

    key: str  # sessions.person_hash of the person's own profile: the agreements table's hash key
    profile_id: str  # the person's own profile (My data, deleting the profile, the audit trail)


def acceptor(session) -> Acceptor:
    """The session's acting person as an agreement's acceptor. Their own profile, not the principal's
    folder: acting for a child changes ``session.profile_id`` but not who the person is."""
    from chalicelib.sessions import person_hash

    own = session.actor_profile_id
    return Acceptor(key=person_hash(session.customer, own, session.actor_hash or session.acting_name), profile_id=own)


def _acceptance(item) -> Acceptance:
    from chalicelib.catalogue.store import get_service

    service = get_service(item.service_id)
    current = service.agreement.version if service and service.agreement else None
    return Acceptance(service_id=item.service_id, version=int(item.version), current_version=current,
                      language=item.language, accepted_at=item.accepted_at, withdrawn_at=item.withdrawn_at)


def _get(person_hash: str, service_id: str):
    from chalicelib.models.agreement import AgreementModel

    try:
        return AgreementModel.get(person_hash, service_id, consistent_read=True)
    except AgreementModel.DoesNotExist:
        return None


def state(person_hash: str, service) -> str:
    """Where the person stands with the service's agreement: none, accepted, outdated or withdrawn."""
    item = _get(person_hash, service.id)
    return _acceptance(item).state if item is not None else NONE


def in_force(person_hash: str | None, service) -> bool:
    """May the person fill in and send the service's form? Always, when the service asks no agreement."""
    if service.agreement is None:
        return True
    return person_hash is not None and state(person_hash, service) == ACCEPTED


def acceptance(person_hash: str, service_id: str) -> Acceptance | None:
    item = _get(person_hash, service_id)
    return _acceptance(item) if item is not None else None


def accept(person_hash: str, profile_id: str, service, language: str) -> Acceptance:
    """Store the acceptance of the agreement's current version (one PutItem: a retry writes the same)."""
    from chalicelib.models.agreement import AgreementModel

    if service.agreement is None:
        raise NotFound(service.id)
    item = AgreementModel(person_hash=person_hash, service_id=service.id, profile_id=profile_id,
                          version=service.agreement.version, language=language, accepted_at=clock.utcnow())
    item.save()
    return _acceptance(item)


def withdraw(person_hash: str, service_id: str) -> bool:
    """Withdraw the person's acceptance; True if it was in force until now, False if already withdrawn
    (a retried post). NotFound when this person has never accepted it (another person's acceptance
    is never reached: the key is the acting person's own hash)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.agreement import AgreementModel

    item = _get(person_hash, service_id)
    if item is None:
        raise NotFound("agreement")
    try:
        item.update(actions=[AgreementModel.withdrawn_at.set(clock.utcnow())],
                    condition=AgreementModel.person_hash.exists() & AgreementModel.withdrawn_at.does_not_exist())
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        return False
    return True


def accepted_by(person_hash: str) -> list[Acceptance]:
    """My profile's list: the agreements this person has accepted and not withdrawn."""
    from chalicelib.models.agreement import AgreementModel

    found = [_acceptance(item) for item in AgreementModel.query(person_hash)]
    return [a for a in found if a.withdrawn_at is None]


def of_profile(profile_id: str) -> list[Acceptance]:
    """Every acceptance made in the profile (withdrawn ones too): My data."""
    from chalicelib.models.agreement import AgreementModel

    return [_acceptance(item) for item in AgreementModel.by_profile.query(profile_id)]


def delete_of_profile(profile_id: str) -> int:
    """Deleting a profile removes its acceptances; returns how many."""
    from chalicelib.models.agreement import AgreementModel

    removed = 0
    for item in AgreementModel.by_profile.query(profile_id):
        AgreementModel(item.person_hash, item.service_id).delete()
        removed += 1
    return removed
