"""Malware scan results of the attachments bucket's objects (chalicelib/scanning).

One item per stored file, keyed by its S3 key (``attachments/<uuid4>``: no personal data). The
upload writes ``PENDING``; GuardDuty's result (its EventBridge event, or the object's tag read as the
fallback) replaces it. Access patterns (docs/data-model.md):
- upload: conditional PutItem (only where no result is recorded yet)
- a result: PutItem (idempotent: the same event twice writes the same item)
- the item page and the division API: BatchGetItem of an item's files (at most a few dozen)
- the scheduled check: Query the sparse ``watch`` index, shard ``pending``, older than the overdue time;
  the daily job: the same index, shard ``threat``, older than the retention period
"""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.models.base import PortalModel, table_meta


class WatchIndex(GlobalSecondaryIndex):
    """Sparse: only files waiting for a result (``pending``) and files with a threat that are not yet
    deleted (``threat``) carry ``watch_shard``; the scheduled check and the daily job query it."""

    class Meta:
        index_name = "watch"
        projection = KeysOnlyProjection()

    watch_shard = UnicodeAttribute(hash_key=True)  # pending | threat
    watch_at = UTCDateTimeAttribute(range_key=True)  # uploaded (pending) or found (threat)


class ScanModel(PortalModel):
    Meta = table_meta("scans")

    object_key = UnicodeAttribute(hash_key=True)  # attachments/<uuid4>
    # PENDING, or GuardDuty's GuardDutyMalwareScanStatus: NO_THREATS_FOUND | THREATS_FOUND |
    # UNSUPPORTED | ACCESS_DENIED | FAILED
    status = UnicodeAttribute()
    uploaded_at = UTCDateTimeAttribute(null=True)
    scanned_at = UTCDateTimeAttribute(null=True)
    source = UnicodeAttribute(null=True)  # event | tag: how the result reached the portal
    threat = UnicodeAttribute(null=True)  # the threat's name GuardDuty reported (e.g. "EICAR-Test-File")
    deleted_at = UTCDateTimeAttribute(null=True)  # a file with a threat, deleted after the retention period
    watch_shard = UnicodeAttribute(null=True)
    watch_at = UTCDateTimeAttribute(null=True)
    watch = WatchIndex()
