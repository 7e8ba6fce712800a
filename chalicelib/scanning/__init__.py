"""Malware scanning of attachments: the scan state of every stored file.

The truth is the object tag that GuardDuty Malware Protection for S3 writes on each new object in the
attachments bucket, ``GuardDutyMalwareScanStatus``: ``NO_THREATS_FOUND``, ``THREATS_FOUND``,
``UNSUPPORTED``, ``ACCESS_DENIED`` or ``FAILED``. GuardDuty also publishes the result to EventBridge
("GuardDuty Malware Protection Object Scan Result"); the app's ``malware_scan_result`` handler
records it here (``record_event``). Reading the tag is the fallback: when a file has no recorded
result yet, ``states`` (the item page, the division API) and the scheduled check (``watch``) read
its tag and record what they find. A file with neither is ``PENDING`` ("being scanned").

Only ``NO_THREATS_FOUND`` is ever handed out (``deliverable``). A file with a threat is deleted
``threat_retention_days`` after the finding (``remove_expired_threats``, the daily job). A file with
no result ``scan_overdue_minutes`` after its upload is overdue: the scheduled check counts it into
the ``MalwareScansOverdue`` metric, which raises an alarm (infra/portal_stack.py).

Locally GuardDuty does not exist: ``scripts/malware_scanner.py`` stands in for it with the same
contract (the tag and the same event to the same handler); it knows only the EICAR test file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib import clock, observability
from chalicelib.config import settings

log = logging.getLogger("portal.scanning")

TAG = "GuardDutyMalwareScanStatus"
EVENT_SOURCE = "aws.guardduty"
EVENT_DETAIL_TYPE = "GuardDuty Malware Protection Object Scan Result"
PENDING = "PENDING"
NO_THREATS_FOUND = "NO_THREATS_FOUND"
THREATS_FOUND = "THREATS_FOUND"
RESULTS = (NO_THREATS_FOUND, THREATS_FOUND, "UNSUPPORTED", "ACCESS_DENIED", "FAILED")
STATES = (PENDING, *RESULTS)
KEY_PREFIX = "attachments/"
MAX_KEY = 64
PENDING_SHARD = "pending"
THREAT_SHARD = "threat"


def deliverable(state: str) -> bool:
    """May a division download the file? Only when GuardDuty found no threat in it."""
    return state == NO_THREATS_FOUND


def _valid_key(key) -> bool:
    return isinstance(key, str) and key.startswith(KEY_PREFIX) and len(key) <= MAX_KEY


def expect(object_key: str) -> None:
    """A file was just stored: it is being scanned. Never overwrites a result that came first."""
    from pynamodb.exceptions import PutError

    from chalicelib.models.scans import ScanModel

    now = clock.utcnow()
    try:
        ScanModel(object_key, status=PENDING, uploaded_at=now, watch_shard=PENDING_SHARD, watch_at=now).save(
            condition=ScanModel.object_key.does_not_exist())
    except PutError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def record(object_key: str, status: str, *, source: str, threat: str | None = None,
           uploaded_at: datetime | None = None) -> bool:
    """Record a scan result (idempotent: the same result twice writes the same). False if refused."""
    from chalicelib.models.scans import ScanModel

    if status not in RESULTS or not _valid_key(object_key):
        return False
    now = clock.utcnow()
    item = ScanModel(object_key, status=status, uploaded_at=uploaded_at, scanned_at=now, source=source,
                     threat=(threat or None) if status == THREATS_FOUND else None)
    if status == THREATS_FOUND:
        item.watch_shard, item.watch_at = THREAT_SHARD, now
        observability.count(observability.MALWARE_THREATS_FOUND)
        log.warning("malware scan: a threat was found in a stored file", extra={"object_key": object_key})
    elif status != NO_THREATS_FOUND:
        observability.count(observability.MALWARE_SCAN_PROBLEMS)
        log.warning("malware scan: the file could not be scanned", extra={"object_key": object_key, "scan": status})
    item.save()
    return True


def record_event(event: dict) -> str | None:
    """GuardDuty's "Object Scan Result" event (the EventBridge event as a dict) for this stage's
    bucket: record it; returns the status recorded, or None for an event that is not one of ours."""
    if not isinstance(event, dict) or event.get("source") != EVENT_SOURCE or event.get("detail-type") != EVENT_DETAIL_TYPE:
        return None
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    s3 = detail.get("s3ObjectDetails") or {}
    result = detail.get("scanResultDetails") or {}
    if not isinstance(s3, dict) or not isinstance(result, dict) or s3.get("bucketName") != settings().attachments_bucket:
        log.info("malware scan: an event of another bucket or of another shape was ignored")
        return None
    key, status = s3.get("objectKey"), result.get("scanResultStatus")
    threats = result.get("threats") or []
    threat = threats[0].get("name") if isinstance(threats, list) and threats and isinstance(threats[0], dict) else None
    if not _valid_key(key) or status not in RESULTS:
        log.info("malware scan: an event without a known key or status was ignored")
        return None
    previous = _get(key)
    record(key, status, source="event", threat=str(threat)[:200] if threat else None,
           uploaded_at=previous.uploaded_at if previous else None)
    return status


def _get(object_key: str):
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.scans import ScanModel

    try:
        return ScanModel.get(object_key)
    except DoesNotExist:
        return None


def read_tag(object_key: str) -> str | None:
    """The GuardDutyMalwareScanStatus tag of the object, or None (not scanned yet, or no such object)."""
    from botocore.exceptions import ClientError

    from chalicelib.clients import client

    try:
        tags = client("s3").get_object_tagging(Bucket=settings().attachments_bucket, Key=object_key)["TagSet"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchVersion"):
            return None
        raise
    value = next((t["Value"] for t in tags if t.get("Key") == TAG), None)
    return value if value in RESULTS else None


def _from_tag(object_key: str, uploaded_at: datetime | None) -> str:
    """The fallback: the tag, recorded when it is there; PENDING when it is not."""
    status = read_tag(object_key)
    if status is None:
        return PENDING
    record(object_key, status, source="tag", uploaded_at=uploaded_at)
    return status


def states(object_keys: list[str]) -> dict[str, str]:
    """The scan state of each file: the recorded result, else the object's tag, else PENDING.
    One BatchGetItem; one tag read per file still without a recorded result."""
    from chalicelib.models.scans import ScanModel

    keys = list(dict.fromkeys(k for k in object_keys if _valid_key(k)))
    found = {item.object_key: item for item in ScanModel.batch_get(keys)} if keys else {}
    out: dict[str, str] = {}
    for key in keys:
        item = found.get(key)
        if item is not None and item.status in RESULTS:
            out[key] = item.status
        else:
            out[key] = _from_tag(key, item.uploaded_at if item else None)
    return out


def forget(object_keys: list[str]) -> None:
    """The files were deleted: their scan records go too."""
    from chalicelib.models.scans import ScanModel

    keys = [k for k in object_keys if _valid_key(k)]
    if keys:
        with ScanModel.batch_write() as batch:
            for key in dict.fromkeys(keys):
                batch.delete(ScanModel(key))


@dataclass
class WatchReport:
    overdue_scans: int = 0  # still without a result after scan_overdue_minutes (the alarm's metric)
    results_from_tags: int = 0  # results found by the fallback (their events did not arrive)

    def as_dict(self) -> dict:
        return {"overdue_scans": self.overdue_scans, "results_from_tags": self.results_from_tags}


def watch(now: datetime | None = None) -> WatchReport:
    """The scheduled check: every file still pending after ``scan_overdue_minutes`` gets its tag
    read (the fallback for a lost event); those still without one are counted as overdue."""
    from chalicelib.models.scans import ScanModel

    now = now or clock.utcnow()
    limit = now - timedelta(minutes=settings().scan_overdue_minutes)
    report = WatchReport()
    for row in ScanModel.watch.query(PENDING_SHARD, ScanModel.watch_at <= limit):
        if _from_tag(row.object_key, row.watch_at) == PENDING:
            report.overdue_scans += 1
        else:
            report.results_from_tags += 1
    if report.overdue_scans:
        log.warning("malware scan: files without a scan result", extra={"overdue": report.overdue_scans})
    return report


def _delete_every_version(s3, object_key: str) -> None:
    """The file and its earlier versions (the bucket is versioned): nothing of it stays recoverable."""
    bucket = settings().attachments_bucket
    listed = s3.list_object_versions(Bucket=bucket, Prefix=object_key)
    versions = [v for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []) if v["Key"] == object_key]
    for version in versions:
        s3.delete_object(Bucket=bucket, Key=object_key, VersionId=version["VersionId"])
    if not versions:
        s3.delete_object(Bucket=bucket, Key=object_key)


def remove_expired_threats(now: datetime | None = None) -> int:
    """Delete every file with a threat whose retention period has ended; its record stays (without
    the watch) so that the item page and the API keep saying it was refused. Returns how many."""
    from chalicelib.clients import client
    from chalicelib.models.scans import ScanModel

    now = now or clock.utcnow()
    limit = now - timedelta(days=settings().threat_retention_days)
    removed = 0
    for row in ScanModel.watch.query(THREAT_SHARD, ScanModel.watch_at <= limit):
        _delete_every_version(client("s3"), row.object_key)
        ScanModel(row.object_key).update(
            actions=[ScanModel.watch_shard.remove(), ScanModel.watch_at.remove(), ScanModel.deleted_at.set(now)],
            condition=ScanModel.status == THREATS_FOUND)
        removed += 1
    log.info("malware scan: removed %d files with a threat", removed)
    return removed
