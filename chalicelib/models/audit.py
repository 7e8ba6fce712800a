"""The audit trail: who read or changed a customer's data, and every sign-in. Append-only: the
application only ever puts new entries (the deployment's IAM allows nothing else on this table).

Access patterns: My profile — Query subject=<profile id> newest first; ops' export for an item —
Query the sparse GSI by-item; the customer's data download — Query subject=<profile id>.
"""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortalModel, table_meta


class ByItemIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-item"
        projection = AllProjection()

    item_number = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)


class AuditModel(PortalModel):
    Meta = table_meta("audit")

    subject = UnicodeAttribute(hash_key=True)  # the profile whose data it is, or "unidentified"
    entry = UnicodeAttribute(range_key=True)  # "<at ISO>#<random>"
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()  # sign-in | sign-in-failed | read | list | status-change | message | …
    actor = UnicodeAttribute()  # customer | division | system
    division_id = UnicodeAttribute(null=True)
    key_id = UnicodeAttribute(null=True)  # the division API key's public id
    item_number = UnicodeAttribute(null=True)
    method = UnicodeAttribute(null=True)  # identification method
    detail = UnicodeAttribute(null=True)  # a short reason code; never personal data
    # Acting on behalf (issue 17): keyed hashes (HMAC with the identity pepper) of the principal's and
    # the acting person's identifiers; never the identifiers themselves.
    principal_hash = UnicodeAttribute(null=True)
    actor_hash = UnicodeAttribute(null=True)
    by_item = ByItemIndex()
