"""Drafts, submissions, their events, and the item-number counter.

Access patterns (docs/data-model.md):
- a form page: GetItem drafts[(owner_id, draft_id)]; saving it: PutItem of the same item
- drafts in the folder: Query drafts[owner_id]
- sending: UpdateItem counters ADD (the item number), then one transaction that puts the
  submission and its "Sent" event and turns the draft into a short-lived "sent" marker
- the folder's list: Query the sparse GSI owner-updated (only what the list shows is projected),
  ten at a time from an opaque cursor; alphabetically: the sparse GSI owner-name-<language>;
  how many: GetItem counters["folder-items#<owner_id>"] (ADDed in the transaction that adds an item)
- an item: GetItem submissions[item_number] + Query events[item_number]
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.models.base import PortalModel, table_meta


class AttachmentRef(MapAttribute):
    attachment_id = UnicodeAttribute()
    field = UnicodeAttribute()  # the form field, or "complement" / "message" later
    name = UnicodeAttribute()  # sanitised original name, shown to the customer
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    s3_key = UnicodeAttribute()  # attachments/<uuid4>: unguessable, no personal data


class DraftModel(PortalModel):
    Meta = table_meta("drafts")

    owner_id = UnicodeAttribute(hash_key=True)  # the folder's owner (person or organisation profile)
    draft_id = UnicodeAttribute(range_key=True)  # uuid4 hex, chosen when the form is first shown
    service_id = UnicodeAttribute()
    answers = JSONAttribute(default=dict)  # field name -> what the person typed (str or list of str)
    attachments = ListAttribute(of=AttachmentRef, default=list)
    page_reached = NumberAttribute(default=1)
    created_by = UnicodeAttribute()  # the acting person's name, for an organisation's shared folder
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()  # 90 days after the last update (configurable); also filtered on read
    # Once sent, the draft stays for a day as a marker: a second Send answers with the same item number.
    sent_item_number = UnicodeAttribute(null=True)


class OwnerUpdatedIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-updated"
        projection = IncludeProjection(["service_id", "status", "status_at", "unseen_since", "created_at",
                                        "city_changed_at", "message_at"])

    owner_id = UnicodeAttribute(hash_key=True)
    updated_sort = UnicodeAttribute(range_key=True)


LIST_FIELDS = ["service_id", "status", "status_at", "unseen_since", "updated_sort"]


class OwnerNameFiIndex(GlobalSecondaryIndex):
    """The folder in the alphabetical order of the e-services' Finnish names (sparse: folder items only)."""

    class Meta:
        index_name = "owner-name-fi"
        projection = IncludeProjection(LIST_FIELDS)

    owner_id = UnicodeAttribute(hash_key=True)
    name_sort_fi = UnicodeAttribute(range_key=True)


class OwnerNameSvIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-name-sv"
        projection = IncludeProjection(LIST_FIELDS)

    owner_id = UnicodeAttribute(hash_key=True)
    name_sort_sv = UnicodeAttribute(range_key=True)


class OwnerNameEnIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-name-en"
        projection = IncludeProjection(LIST_FIELDS)

    owner_id = UnicodeAttribute(hash_key=True)
    name_sort_en = UnicodeAttribute(range_key=True)


class DivisionUpdatedIndex(GlobalSecondaryIndex):
    """Everything a division handles (health care included), newest change last: the division API's list."""

    class Meta:
        index_name = "division-updated"
        projection = IncludeProjection(["service_id", "status", "status_at", "health_care", "created_at", "owner_id",
                                        "sender_id"])

    division_id = UnicodeAttribute(hash_key=True)
    updated_sort = UnicodeAttribute(range_key=True)


class BySenderIndex(GlobalSecondaryIndex):
    """Every submission a profile sent (health care included): the customer's own data download and
    detaching submissions when a profile is deleted."""

    class Meta:
        index_name = "by-sender"
        projection = KeysOnlyProjection()

    sender_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class ByActorIndex(GlobalSecondaryIndex):
    """Sparse (issue 17): only submissions that a person sent for someone else carry ``actor_id``:
    "what I did for others" in the acting person's own My data."""

    class Meta:
        index_name = "by-actor"
        projection = KeysOnlyProjection()

    actor_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class RetentionIndex(GlobalSecondaryIndex):
    """Sparse: only decided or cancelled submissions carry ``retain_until``; the daily retention job
    queries what has expired instead of scanning."""

    class Meta:
        index_name = "retention"
        projection = KeysOnlyProjection()

    retain_shard = UnicodeAttribute(hash_key=True)
    retain_until = UTCDateTimeAttribute(range_key=True)


class SubmissionModel(PortalModel):
    Meta = table_meta("submissions")

    item_number = UnicodeAttribute(hash_key=True)  # "046283": zero-padded, sequential
    # The folder it belongs to; absent for health care submissions, which never enter a folder
    # (the sparse index then leaves them out).
    owner_id = UnicodeAttribute(null=True)
    sender_id = UnicodeAttribute()  # the profile that sent it (for health care: the only link)
    sent_by = UnicodeAttribute()  # the acting person's name
    # For whom it was sent and who acted (issue 17; absent on older items and when a person acted for
    # themselves): the principal's kind (person | child | organisation), relation (custody |
    # authorisation | representation), name and identifier (personal identity code or Business ID:
    # attributes only, never keys), its keyed hash; the acting person's own profile (the sparse
    # by-actor index) and the keyed hash of their identifier.
    principal_kind = UnicodeAttribute(null=True)
    principal_relation = UnicodeAttribute(null=True)
    principal_name = UnicodeAttribute(null=True)
    principal_identifier = UnicodeAttribute(null=True)
    principal_hash = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)
    actor_hash = UnicodeAttribute(null=True)
    service_id = UnicodeAttribute()
    division_id = UnicodeAttribute()  # the division that processes it (from the catalogue)
    health_care = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    status_at = UTCDateTimeAttribute()
    answers = JSONAttribute()  # validated, normalised answers of the visible fields
    attachments = ListAttribute(of=AttachmentRef, default=list)
    language = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    updated_sort = UnicodeAttribute()  # "<updated_at ISO>#<item_number>"
    unseen_since = UTCDateTimeAttribute(null=True)  # the oldest thing the customer has not opened yet
    seen_at = UTCDateTimeAttribute(null=True)
    # For notifications: the City's latest change (a status or a message) and its latest message.
    # The customer's own complements and replies move ``updated_sort`` but neither of these.
    city_changed_at = UTCDateTimeAttribute(null=True)
    message_at = UTCDateTimeAttribute(null=True)
    # Set when the matter is decided or cancelled: removed by the daily retention job after this.
    retain_shard = UnicodeAttribute(null=True)
    retain_until = UTCDateTimeAttribute(null=True)
    # The folder's alphabetical order in each language: "<the e-service's name as a sort string>\x1f<item>"
    # (chalicelib/catalogue/search.py sort_string), written with a folder item only (health care has none).
    name_sort_fi = UnicodeAttribute(null=True)
    name_sort_sv = UnicodeAttribute(null=True)
    name_sort_en = UnicodeAttribute(null=True)
    owner_updated = OwnerUpdatedIndex()
    owner_name_fi = OwnerNameFiIndex()
    owner_name_sv = OwnerNameSvIndex()
    owner_name_en = OwnerNameEnIndex()
    division_updated = DivisionUpdatedIndex()
    by_sender = BySenderIndex()
    by_actor = ByActorIndex()
    retention = RetentionIndex()


class EventModel(PortalModel):
    """The item's timeline: status changes, messages (in threads) and complements."""

    Meta = table_meta("events")

    item_number = UnicodeAttribute(hash_key=True)
    event_sort = UnicodeAttribute(range_key=True)  # "<created_at ISO>#<event_id>"
    kind = UnicodeAttribute()  # status | message | complement
    status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    author = UnicodeAttribute(null=True)  # customer | official
    author_name = UnicodeAttribute(null=True)  # the acting person, or the division's name
    text = UnicodeAttribute(null=True)  # a message, a complement, or a status note for the customer
    thread_id = UnicodeAttribute(null=True)
    # On an official's message: may the customer answer in this thread (from now on)?
    reply_allowed = BooleanAttribute(null=True)
    attachments = ListAttribute(of=AttachmentRef, default=list)


class CounterModel(PortalModel):
    Meta = table_meta("counters")

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


def folder_counter(owner_id: str) -> CounterModel:
    """How many items the folder of ``owner_id`` (an opaque profile id) holds: ADD 1 in the transaction
    that puts a folder item, ADD -1 in the one that takes it out of the folder (privacy, retention)."""
    return CounterModel(f"folder-items#{owner_id}")
