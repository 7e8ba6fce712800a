"""The principal's folder: the profile its keyed hash finds in the identities table, created the first
time someone acts for a principal who has none.

A child's folder is the child's own profile (separate from the guardian's); a person who authorised
someone has their own folder, which both see; a company's folder is the organisation profile that
everyone who may act for it shares (the same one a corporate sign-in reaches). A profile created
this way carries ``created_for`` (custody | authorisation | representation) and the acting person's
contact details, so the City's notifications about it reach the person who acts; the principal's own
first sign-in finds it (docs/acting-on-behalf.md).
"""
from __future__ import annotations

import uuid

from chalicelib import clock
from chalicelib.authorizations.principal import Principal


def _names(principal: Principal) -> tuple[str | None, str | None]:
    if principal.kind == "organisation":
        return None, None
    given, _, family = principal.name.rpartition(" ")
    return (given or principal.name), (family if given else "")


def folder_for(principal: Principal, actor_profile) -> str:
    """The profile id of the principal's folder (found, or created with one transaction that a
    parallel first use cannot duplicate)."""
    from pynamodb.exceptions import DoesNotExist, TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.base import connection
    from chalicelib.models.identity import IdentityModel, ProfileModel

    if principal.is_self:
        return actor_profile.profile_id
    if not principal.principal_hash or not principal.identifier:
        raise ValueError("a principal without an identifier has no folder")
    try:
        return IdentityModel.get(principal.principal_hash).profile_id
    except DoesNotExist:
        pass
    kind = "organisation" if principal.kind == "organisation" else "person"
    given, family = _names(principal)
    now = clock.utcnow()
    profile_id = uuid.uuid4().hex
    profile = ProfileModel(
        profile_id=profile_id, kind=kind, given_name=given, family_name=family,
        personal_identity_code=principal.identifier if kind == "person" else None,
        organisation_name=principal.name if kind == "organisation" else None,
        business_id=principal.identifier if kind == "organisation" else None,
        email=actor_profile.email, phone=actor_profile.phone, notify_methods=list(actor_profile.notify_methods or []),
        notify_language=actor_profile.notify_language or "fi",
        consent_at=now, created_at=now, updated_at=now, created_for=principal.relation,
    )
    link = IdentityModel(identity_hash=principal.principal_hash, profile_id=profile_id, kind=kind, created_at=now)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(link, condition=IdentityModel.identity_hash.does_not_exist())
            transaction.save(profile, condition=ProfileModel.profile_id.does_not_exist())
    except TransactWriteError:
        return IdentityModel.get(principal.principal_hash, consistent_read=True).profile_id
    return profile_id
