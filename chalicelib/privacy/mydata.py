"""A customer's own data: everything the portal holds about a profile, and deleting the profile."""
from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import Forbidden

DELETED = "deleted-profile"


def _profile_dict(profile) -> dict:
    fields = ("kind", "given_name", "family_name", "personal_identity_code", "organisation_name", "business_id", "email",
              "phone", "notify_methods", "notify_language", "consent_at", "created_at", "updated_at", "last_login_at",
              "previous_login_at", "last_login_method", "last_notified_at",
              # delivery feedback (issue 18): a channel that stopped, and why
              "email_blocked_reason", "email_blocked_at", "sms_blocked_reason", "sms_blocked_at")
    data = {f: getattr(profile, f) for f in fields}
    data["email_soft_bounces"] = sorted(profile.email_soft_bounces or ())
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items() if v not in (None, [], "")}


def _sent(profile_id: str) -> list:
    from chalicelib.models.forms import SubmissionModel

    numbers = [k.item_number for k in SubmissionModel.by_sender.query(profile_id)]
    return list(SubmissionModel.batch_get(numbers)) if numbers else []


def _service_name(service, service_id: str) -> str:
    return service.name.en if service else service_id


def done_for_others(actor_profile_id: str | None) -> list[dict]:
    """What the person sent for others (children, persons who authorised them, organisations): the
    sparse by-actor index of their own profile (issue 17)."""
    from chalicelib.catalogue.store import get_service
    from chalicelib.models.forms import SubmissionModel

    if not actor_profile_id:
        return []
    numbers = [k.item_number for k in SubmissionModel.by_actor.query(actor_profile_id, scan_index_forward=False, limit=500)]
    items = sorted(SubmissionModel.batch_get(numbers), key=lambda i: i.item_number) if numbers else []
    return [{
        "item_number": item.item_number,
        "e_service": (service.name.en if (service := get_service(item.service_id)) else item.service_id),
        "sent_at": item.created_at.isoformat(),
        "for": item.principal_name,
        "for_kind": item.principal_kind,
        "relation": item.principal_relation,
    } for item in items]


def collect(profile_id: str, actor_profile_id: str | None = None) -> dict:
    """The machine-readable copy of "Download my data" (the folder's profile; with what the acting
    person did for others)."""
    from chalicelib import consent
    from chalicelib.catalogue.store import get_service
    from chalicelib.forms.drafts import list_drafts
    from chalicelib.identity.profiles import get_profile
    from chalicelib.models.forms import EventModel
    from chalicelib.privacy import audit

    profile = get_profile(profile_id)
    submissions = []
    for item in sorted(_sent(profile_id), key=lambda i: i.item_number):
        service = get_service(item.service_id)
        events = list(EventModel.query(item.item_number))
        submissions.append({
            "item_number": item.item_number,
            "e_service": service.name.en if service else item.service_id,
            "status": item.status,
            "sent_at": item.created_at.isoformat(),
            "sent_by": item.sent_by,
            "answers": item.answers,
            "attachments": [a.name for a in item.attachments] + [a.name for e in events for a in (e.attachments or [])],
            "events": [{k: v for k, v in {
                "at": e.created_at.isoformat(), "kind": e.kind, "status": e.status, "author": e.author, "text": e.text,
                "thread_id": e.thread_id} .items() if v is not None} for e in events],
        })
    return {
        "generated_at": clock.utcnow().isoformat(),
        "profile": _profile_dict(profile),
        "submissions": submissions,
        "drafts": [{"e_service": d.service_id, "updated_at": d.updated_at.isoformat(), "answers": d.answers,
                    "attachments": [a.name for a in d.attachments]} for d in list_drafts(profile_id)],
        "done_for_others": done_for_others(actor_profile_id or profile_id),
        # The health-care e-services' electronic agreements the person accepted, in their own profile
        # (also while acting for someone else; withdrawn ones too).
        "agreements": [{k: v for k, v in {
            "e_service": _service_name(get_service(a.service_id), a.service_id),
            "version": a.version, "language": a.language, "accepted_at": a.accepted_at.isoformat(),
            "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None}.items() if v is not None}
            for a in consent.of_profile(actor_profile_id or profile_id)],
        "audit": [{k: v for k, v in {
            "at": a.at.isoformat(), "action": a.action, "actor": a.actor, "division": a.division_id,
            "item_number": a.item_number, "method": a.method, "detail": a.detail}.items() if v is not None}
            for a in audit.for_profile(profile_id, limit=1000)],
    }


def can_delete(profile, roles: list[str]) -> bool:
    """A person deletes their own profile; an organisation's only someone whose roles in it (from
    Suomi.fi e-Authorizations) include the right to sign for it (setting authorizations_company_delete_roles)."""
    from chalicelib.config import settings

    return profile.kind == "person" or bool(set(settings().company_delete_roles) & set(roles))


def delete_profile(profile_id: str, roles: list[str]) -> int:
    """Remove the profile, its identity link, drafts (with files), sessions and pending notifications.
    Submissions the divisions must keep are kept, detached from the profile. Returns how many were kept."""
    from pynamodb.transactions import TransactWrite

    from chalicelib import consent
    from chalicelib.forms.attachments import delete as delete_files
    from chalicelib.identity.claims import Identity
    from chalicelib.identity.profiles import get_profile
    from chalicelib.models.base import connection
    from chalicelib.models.forms import CounterModel, DraftModel, SubmissionModel, folder_counter
    from chalicelib.models.identity import IdentityModel
    from chalicelib.models.session import SessionModel
    from chalicelib.privacy import audit

    profile = get_profile(profile_id)
    if not can_delete(profile, roles):
        raise Forbidden("only someone who may sign for the organisation may delete its profile")
    kept = 0
    for item in _sent(profile_id):
        actions = [SubmissionModel.sender_id.set(DELETED)]
        if item.owner_id:
            # Out of the folder and out of its count together; the condition makes a retry count once.
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(item, actions=actions + [SubmissionModel.owner_id.remove()],
                                   condition=SubmissionModel.owner_id == item.owner_id)
                transaction.update(folder_counter(item.owner_id), actions=[CounterModel.value.add(-1)])
        else:
            item.update(actions=actions)
        kept += 1
    consent.delete_of_profile(profile_id)
    for draft in DraftModel.query(profile_id):
        delete_files([a.s3_key for a in draft.attachments])
        draft.delete()
    identity = Identity(customer="personal" if profile.kind == "person" else "corporate", method="bank",
                        given_name="", family_name="", personal_identity_code=profile.personal_identity_code,
                        business_id=profile.business_id)
    IdentityModel(identity.identity_hash).delete()
    for key in SessionModel.by_profile.query(profile_id):
        SessionModel(key.session_hash).delete()
    profile.delete()
    audit.record(profile_id, "profile-deleted", "customer", detail=f"kept {kept} submissions")
    return kept
