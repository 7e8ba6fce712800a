"""Sending a form: validate every page again, take the next item number, and in one transaction
create the submission with its "Sent" event, mark the draft sent and count the item in its folder. Sending twice (a double
click, a retry) answers with the first item number and creates nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock, observability
from chalicelib.forms.answers import all_errors, clean_answers
from chalicelib.forms.schema import FormDefinition

ITEM_COUNTER = "item-number"
SENT_MARKER_LIFETIME = timedelta(days=1)


class FormIncomplete(Exception):
    def __init__(self, errors: dict[int, dict]):
        super().__init__(f"pages with errors: {sorted(errors)}")
        self.errors = errors


@dataclass(frozen=True)
class Sent:
    item_number: str
    health_care: bool


def next_item_number() -> str:
    """An atomic counter: unique under any concurrency (a failed send may leave a gap, never a repeat)."""
    from chalicelib.models.forms import CounterModel

    counter = CounterModel(ITEM_COUNTER)
    counter.update(actions=[CounterModel.value.add(1)])
    return f"{int(counter.value):06d}"


def acting_attributes(principal, actor_id: str | None, actor_hash: str | None) -> dict:
    """For whom and by whom (issue 17): nothing when the person acted for themselves (as before)."""
    if principal is None or (principal.is_self and principal.kind != "organisation"):
        return {}
    return {
        "principal_kind": principal.kind, "principal_relation": principal.relation, "principal_name": principal.name,
        "principal_identifier": principal.identifier, "principal_hash": principal.principal_hash,
        "actor_id": actor_id if not principal.is_self else None, "actor_hash": actor_hash,
    }


def send(form: FormDefinition, draft, *, sender_id: str, sent_by: str, language: str, principal=None,
         actor_id: str | None = None, actor_hash: str | None = None) -> Sent:
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.catalogue.search import folder_name_keys
    from chalicelib.catalogue.store import get_service
    from chalicelib.models.base import connection
    from chalicelib.models.forms import CounterModel, DraftModel, EventModel, SubmissionModel, folder_counter

    service = get_service(form.id)
    health_care = service.health_care
    if draft.sent_item_number:
        return Sent(draft.sent_item_number, health_care)
    errors = all_errors(form, draft.answers, draft.attachments)
    if errors:
        raise FormIncomplete(errors)
    answers = clean_answers(form, draft.answers, draft.attachments)
    item_number = next_item_number()
    now = clock.utcnow()
    stamp = now.isoformat()
    submission = SubmissionModel(
        item_number=item_number,
        owner_id=None if health_care else draft.owner_id,
        sender_id=sender_id,
        sent_by=sent_by,
        service_id=form.id,
        division_id=service.division,
        health_care=health_care,
        status="sent",
        status_at=now,
        answers=answers,
        attachments=list(draft.attachments),
        language=language,
        created_at=now,
        updated_at=now,
        updated_sort=f"{stamp}#{item_number}",
        **({} if health_care else folder_name_keys(form.id, item_number)),
        **{k: v for k, v in acting_attributes(principal, actor_id, actor_hash).items() if v is not None},
    )
    event = EventModel(item_number=item_number, event_sort=f"{stamp}#sent", kind="status", status="sent", created_at=now)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(submission, condition=SubmissionModel.item_number.does_not_exist())
            transaction.save(event)
            transaction.update(
                draft,
                actions=[
                    DraftModel.sent_item_number.set(item_number),
                    DraftModel.answers.set({}),
                    DraftModel.attachments.set([]),
                    DraftModel.expires_at.set(now + SENT_MARKER_LIFETIME),
                ],
                condition=DraftModel.draft_id.exists() & DraftModel.sent_item_number.does_not_exist(),
            )
            if not health_care:  # the folder's item count, for its page numbers (health care has no folder)
                transaction.update(folder_counter(draft.owner_id), actions=[CounterModel.value.add(1)])
    except TransactWriteError:
        # Another request sent this draft first: answer with its item number.
        draft.refresh(consistent_read=True)
        if draft.sent_item_number:
            return Sent(draft.sent_item_number, health_care)
        raise
    observability.count(observability.SUBMISSIONS_SENT)
    return Sent(item_number, health_care)
