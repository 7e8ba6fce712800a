"""The notification sweep's work on one customer: claim, build, send, finish, exactly once.

The hourly planner (EventBridge, ``fanout.plan``) queues one SQS message per shard ``0``-``f`` of the
sparse ``pending-notifications`` index; a worker (``fanout.work``, a Chalice ``on_sqs_message``
handler) takes one message and calls ``sweep_shard``: a page of the shard at a time (one Query each,
oldest first: the reads follow the number of pending customers, never the number of profiles), each
profile in one of the worker's threads:

1. **Claim** the profile: a conditional UpdateItem sets ``notify_lease_id`` (this run) and
   ``notify_lease_until`` if the profile is still pending, not blocked, and no unexpired lease is
   on it. Of two sweeps running at once exactly one gets each profile; the other skips it. The
   update returns the profile as it is now (the index may lag), and that copy is what is used.
   A page is first claimed at once (``claim_page``): the same conditional update for each of its
   profiles in one TransactWriteItems (per 100), all leased or none, then one strongly consistent
   BatchGetItem reads them as they are under the lease (2 calls a page instead of one a profile).
   If the transaction is cancelled (a profile leased elsewhere, no longer pending, blocked, or a
   write racing it), nothing was leased and each profile is claimed on its own as above.
2. If the newest change is younger than ``notification_settle_seconds``, release and leave it to the
   next hour (the folder's index is eventually consistent: it must show everything the marker
   stands for).
3. **Build** what is new since ``last_notified_at`` (one Query of ``owner-updated``, projected
   fields only; see digest.py) and **send** it on each chosen channel (the worker's token bucket
   limits its sends a second: fanout.py says how the quota is shared between workers). A channel
   that already delivered further (``notified_<channel>_at``, after an earlier partial failure)
   gets only what is newer than that.
4. **Finish** with one conditional UpdateItem, always conditional on still holding the lease:
   - everything sent: ``last_notified_at`` := the newest change included, failures reset, the
     per-channel marks removed; the marker (``notify_pending_since``, ``notify_shard``, ...) is
     removed too, but only if ``notify_pending_since`` and ``notify_changes`` are still what the
     claim read. If something arrived meanwhile that condition fails and a second update does
     the same without removing the marker: the new change goes out next hour.
   - a channel failed: the channels that succeeded get ``notified_<channel>_at``; the failed one
     is retried next hour with everything it missed (and nothing is sent twice on the other);
     ``notify_failures`` + 1, and at ``notification_max_failures`` the profile gets
     ``notify_blocked_reason`` ("sms: InvalidParameter") and is skipped until the customer edits
     the contact details (``profiles.update_contact`` resets both). The count is conditional on
     the contact details being the ones the claim read.

Exactly once: a notification is sent only under a lease, and what it contains is decided by the
watermarks written by the same conditional update that releases the lease. So two planners in one
hour, a message delivered twice, or two workers on one shard send nothing twice: the second claim
fails. Only a worker that dies between the provider accepting a message and the finishing write can
duplicate (after the lease expires, the message's redelivery or the next hour's sweep sends it
again: a customer may get a message twice, never miss one); the lease outlives the worker Lambda's
timeout so that a slow worker never has its profile taken over.
"""
from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.notifications import digest, feedback

log = logging.getLogger("portal.notifications")

SHARDS = "0123456789abcdef"
CHANNELS = ("email", "sms")
FIRST_HOUR, LAST_HOUR = 9, 20  # Helsinki time, inclusive: "on the hour between 9 AM and 8 PM"


def in_window(at: datetime) -> bool:
    """Is ``at`` (any time zone) within the sending hours in Helsinki?"""
    return FIRST_HOUR <= at.astimezone(clock.HELSINKI).hour <= LAST_HOUR


@dataclass
class SweepReport:
    """What one run did, in counts only (it is logged: no personal data)."""

    at: str
    window_open: bool
    pending: int = 0  # index entries seen (not blocked)
    notified: int = 0  # customers who got at least one message
    emails: int = 0
    texts: int = 0
    nothing_new: int = 0  # marker cleared, nothing to tell (everything was notified already, or is gone)
    kept_pending: int = 0  # something arrived during the sweep: it goes out next hour
    failed_sends: int = 0
    blocked: int = 0  # blocked by this run
    deferred: int = 0  # too fresh: next hour
    claimed_elsewhere: int = 0  # another sweep has it, or it is no longer pending
    errors: int = 0  # unexpected errors (logged by type); the profile stays pending
    shards: int = 0  # queue messages worked (a shard, or a continuation of one)
    continued: int = 0  # of them, runs that stopped at their budget and queued the rest of their shard
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def add(self, other: "SweepReport") -> None:
        """Add another run's counts to these (the time is the longest of the two)."""
        for name, value in asdict(other).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "seconds":
                setattr(self, name, getattr(self, name) + value)
        self.seconds = max(self.seconds, other.seconds)


@dataclass
class _Outcome:
    status: str  # sent | nothing-new | failed | deferred | claimed-elsewhere | error
    emails: int = 0
    texts: int = 0
    failed_sends: int = 0
    blocked: bool = False
    kept_pending: bool = False


@dataclass
class _Run:
    run_id: str  # the lease holder: one worker invocation
    sender: object
    bucket: object
    config: object


def new_run(*, sender=None, bucket=None) -> _Run:
    """One worker invocation's lease holder. ``sender``: anything with ``send_email`` and ``send_sms``
    (senders.py; default SES and SNS); ``bucket``: the rate limit its sends share (``acquire()``)."""
    if sender is None:
        from chalicelib.notifications.senders import AwsSender

        sender = AwsSender()  # clients made here, in this thread
    return _Run(run_id=uuid.uuid4().hex, sender=sender, bucket=bucket, config=settings())


def sweep_shard(shard: str, run: _Run, report: SweepReport, *, after: dict | None = None,
                deadline: float | None = None) -> dict | None:
    """Notify the pending customers of one shard of the sparse index, oldest first, a page
    (``notification_page_size``, one Query) at a time, in parallel threads. ``after``: the position
    where an earlier run stopped (the index's LastEvaluatedKey). Stops taking new pages at
    ``deadline`` (``time.monotonic()``; at least one page is always done) and returns the position to
    continue from, or None when the shard is done. The counts go to ``report``."""
    config = run.config
    position = after
    with ThreadPoolExecutor(max_workers=max(1, config.notification_workers), thread_name_prefix="sweep") as pool:
        while True:
            profile_ids, position = pending_page(shard, position, config.notification_page_size)
            report.pending += len(profile_ids)
            claimed = claim_page(profile_ids, run)
            for outcome in pool.map(lambda profile_id: _notify_one(profile_id, run, claimed.get(profile_id)),
                                    profile_ids):
                _count(report, outcome)
            if position is None:
                return None
            if deadline is not None and time.monotonic() >= deadline:
                return position


def pending_page(shard: str, after: dict | None, size: int) -> tuple[list[str], dict | None]:
    """Up to ``size`` pending, unblocked profiles of one shard after ``after``, oldest first (one Query
    of the sparse index: the reads follow the number of pending customers, never the number of
    profiles), and the position after the last of them (None: the shard has no more)."""
    from chalicelib.models.identity import ProfileModel

    rows = ProfileModel.pending_notifications.query(
        shard, filter_condition=ProfileModel.notify_blocked_reason.does_not_exist(),
        limit=size, page_size=size, last_evaluated_key=after)
    profile_ids = [row.profile_id for row in rows]
    return profile_ids, rows.last_evaluated_key


def _count(report: SweepReport, outcome: _Outcome) -> None:
    report.emails += outcome.emails
    report.texts += outcome.texts
    report.failed_sends += outcome.failed_sends
    report.blocked += int(outcome.blocked)
    report.kept_pending += int(outcome.kept_pending)
    if outcome.emails or outcome.texts:
        report.notified += 1
    if outcome.status == "nothing-new":
        report.nothing_new += 1
    elif outcome.status == "deferred":
        report.deferred += 1
    elif outcome.status == "claimed-elsewhere":
        report.claimed_elsewhere += 1
    elif outcome.status == "error":
        report.errors += 1


# ------------------------------------------------------------------------------------------------
# One profile


def _notify_one(profile_id: str, run: _Run, profile=None) -> _Outcome:
    """One customer: ``profile`` when the page's claim already leased and read it, else claimed here."""
    try:
        if profile is None:
            profile = _claim(profile_id, run)
    except Exception as exc:  # noqa: BLE001 - one profile must not stop the sweep
        log.error("notification sweep: claiming a profile failed (%s); it stays pending", type(exc).__name__)
        return _Outcome("error")
    if profile is None:
        return _Outcome("claimed-elsewhere")
    try:
        return _notify_claimed(profile, run)
    except Exception as exc:  # noqa: BLE001
        # The type only: an error's text may quote an address or a number.
        log.error("notification sweep: %s while notifying a profile; it stays pending", type(exc).__name__)
        _release(profile, run)
        return _Outcome("error")


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


# DynamoDB's limits: TransactWriteItems takes at most 100 actions, BatchGetItem at most 100 keys.
TRANSACTION_ITEMS = 100


def _lease_actions(run: _Run, now: datetime):
    from chalicelib.models.identity import ProfileModel

    return [ProfileModel.notify_lease_id.set(run.run_id),
            ProfileModel.notify_lease_until.set(now + timedelta(seconds=run.config.notification_lease_seconds))]


def _claimable(now: datetime):
    """The claim's condition: still pending, not blocked, no unexpired lease on it."""
    from chalicelib.models.identity import ProfileModel

    return (ProfileModel.notify_pending_since.exists()
            & ProfileModel.notify_blocked_reason.does_not_exist()
            & (ProfileModel.notify_lease_until.does_not_exist() | (ProfileModel.notify_lease_until < now)))


def claim_page(profile_ids: list[str], run: _Run) -> dict:
    """Claim a page's profiles together: per 100, one TransactWriteItems of the same conditional
    lease ``_claim`` writes (all of them or none), then one strongly consistent BatchGetItem to read
    them as they are under the lease. Returns {profile id: profile} for what was claimed here. A
    transaction that is cancelled (another worker holds one of the profiles, one is no longer
    pending or is blocked, a write raced it) leases nothing, and its profiles are claimed one by one
    (``_claim``) by ``_notify_one``, exactly as without this: the conditions decide, not the page."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.models.base import connection
    from chalicelib.models.identity import ProfileModel

    claimed: dict = {}
    if len(profile_ids) < 2:
        return claimed  # one profile: one UpdateItem (``_claim``) is cheaper than a transaction and a read
    for start in range(0, len(profile_ids), TRANSACTION_ITEMS):
        chunk = profile_ids[start:start + TRANSACTION_ITEMS]
        now = clock.utcnow()
        try:
            # The token makes a retried call (an answer lost on the way) succeed instead of finding
            # its own leases and cancelling: the profiles would then wait for the leases to expire.
            with TransactWrite(connection=connection(), client_request_token=uuid.uuid4().hex) as transaction:
                for profile_id in chunk:
                    transaction.update(ProfileModel(profile_id), actions=_lease_actions(run, now),
                                       condition=_claimable(now))
        except Exception as exc:  # noqa: BLE001 - cancelled or failed: nothing was leased; one by one
            reasons = {getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or []) if r}
            log.info("notification sweep: a page's claim was cancelled (%s); claiming its profiles one by one",
                     ", ".join(sorted(str(r) for r in reasons if r)) or type(exc).__name__)
            continue
        try:
            found = {p.profile_id: p for p in ProfileModel.batch_get(chunk, consistent_read=True)}
        except Exception as exc:  # noqa: BLE001 - the leases are ours: give them back for the next run
            log.error("notification sweep: reading a claimed page failed (%s); its leases are released",
                      type(exc).__name__)
            for profile_id in chunk:
                _release(ProfileModel(profile_id), run)
            continue
        claimed.update(found)  # a profile deleted meanwhile is not found: _claim finds it gone
    return claimed


def _claim(profile_id: str, run: _Run):
    """The conditional lease; returns the profile as it is now, or None if another sweep has it
    (or it is no longer pending, or blocked)."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.identity import ProfileModel

    now = clock.utcnow()
    profile = ProfileModel(profile_id)
    try:
        profile.update(actions=_lease_actions(run, now), condition=_claimable(now))
    except UpdateError as exc:
        if _conditional_failed(exc):
            return None
        raise
    return profile


def _holding(run: _Run):
    from chalicelib.models.identity import ProfileModel

    return ProfileModel.notify_lease_id == run.run_id


def _release_actions():
    from chalicelib.models.identity import ProfileModel

    return [ProfileModel.notify_lease_id.remove(), ProfileModel.notify_lease_until.remove()]


def _release(profile, run: _Run) -> None:
    """Give the profile back untouched (best effort: an unreleased lease simply expires)."""
    from pynamodb.exceptions import UpdateError

    try:
        profile.update(actions=_release_actions(), condition=_holding(run))
    except UpdateError:
        pass
    except Exception as exc:  # noqa: BLE001
        log.warning("notification sweep: releasing a lease failed (%s); it expires", type(exc).__name__)


def _acquire(run: _Run) -> None:
    if run.bucket is not None:
        run.bucket.acquire()


def _mark_attribute(channel: str):
    from chalicelib.models.identity import ProfileModel

    return {"email": ProfileModel.notified_email_at, "sms": ProfileModel.notified_sms_at}[channel]


def _notify_claimed(profile, run: _Run) -> _Outcome:
    from chalicelib.notifications.messages import compose_email, compose_sms

    now = clock.utcnow()
    latest = profile.notify_latest_at or profile.notify_pending_since
    if latest > now - timedelta(seconds=run.config.notification_settle_seconds):
        _release(profile, run)
        return _Outcome("deferred")

    since = profile.last_notified_at or digest.first_change_bound(profile.notify_pending_since)
    rows = digest.rows_since(profile.profile_id, since)
    language = profile.notify_language or "fi"
    methods = feedback.deliverable(profile, [m for m in CHANNELS if m in (profile.notify_methods or ())])
    feedback.sending_for(profile.profile_id)  # the e-mails' tag, for bounces and complaints (feedback.py)
    delivered: dict[str, datetime] = {}  # channel -> newest change it carried in this run
    failed: dict[str, str] = {}  # channel -> error code
    outcome = _Outcome("sent")
    for channel in methods:
        mark = getattr(profile, _mark_attribute(channel).attr_name)
        channel_since = max(since, mark) if mark else since
        lines = digest.changes(rows, channel_since)
        if not lines:
            continue
        destination = profile.email if channel == "email" else profile.phone
        if not destination:
            failed[channel] = "no-address" if channel == "email" else "no-phone-number"
            continue
        try:
            if channel == "email":
                message = compose_email(lines, language)
                _acquire(run)
                run.sender.send_email(destination, message, language)
                outcome.emails += 1
            else:
                text = compose_sms(lines, language)
                _acquire(run)
                run.sender.send_sms(destination, text)
                outcome.texts += 1
        except Exception as exc:  # noqa: BLE001 - any failure to hand over counts as a failed send
            from chalicelib.notifications.senders import error_code

            failed[channel] = error_code(exc)
            feedback.failed_send(profile, channel, exc)  # an opted-out or invalid number: SMS stops now
            continue
        delivered[channel] = max(line.updated_at for line in lines)

    if failed:
        outcome.status = "failed"
        outcome.failed_sends = len(failed)
        outcome.blocked = _finish_failed(profile, run, delivered, failed)
        return outcome
    newest = max((r.updated_at for r in rows), default=None)
    outcome.kept_pending = not _finish_sent(profile, run, newest)
    if not delivered:
        outcome.status = "nothing-new"
    return outcome


def _finish_sent(profile, run: _Run, newest: datetime | None) -> bool:
    """Everything went out: move the watermark; remove the marker if nothing new arrived meanwhile.
    Returns whether the marker was removed."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.identity import ProfileModel

    actions = [ProfileModel.notify_failures.set(0), ProfileModel.notified_email_at.remove(),
               ProfileModel.notified_sms_at.remove()] + _release_actions()
    if newest is not None and (profile.last_notified_at is None or newest > profile.last_notified_at):
        actions.append(ProfileModel.last_notified_at.set(newest))
    unchanged = (ProfileModel.notify_changes == profile.notify_changes if profile.notify_changes is not None
                 else ProfileModel.notify_changes.does_not_exist())
    try:
        profile.update(
            actions=actions + [ProfileModel.notify_pending_since.remove(), ProfileModel.notify_shard.remove(),
                               ProfileModel.notify_latest_at.remove(), ProfileModel.notify_changes.remove()],
            condition=_holding(run) & (ProfileModel.notify_pending_since == profile.notify_pending_since) & unchanged,
        )
        return True
    except UpdateError as exc:
        if not _conditional_failed(exc):
            raise
    try:  # something arrived during the sweep (or the lease was lost): keep the marker
        profile.update(actions=actions, condition=_holding(run))
    except UpdateError as exc:
        if not _conditional_failed(exc):
            raise
        log.warning("notification sweep: a lease expired before its sweep finished; raise notification_lease_seconds")
    return False


def _finish_failed(profile, run: _Run, delivered: dict, failed: dict) -> bool:
    """Something failed: keep the marker, remember the channels that delivered, count the failure.
    Returns whether the profile is now blocked."""
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.identity import ProfileModel

    marks = [_mark_attribute(channel).set(at) for channel, at in delivered.items()]
    failures = int(profile.notify_failures or 0) + 1
    blocked = failures >= run.config.notification_max_failures
    counted = [ProfileModel.notify_failures.set(failures)]
    if blocked:
        counted.append(ProfileModel.notify_blocked_reason.set(
            "; ".join(f"{channel}: {code}" for channel, code in sorted(failed.items()))[:200]))
    try:
        # Counted only against the contact details the claim read: an edit meanwhile starts afresh.
        profile.update(actions=marks + counted + _release_actions(),
                       condition=_holding(run) & (ProfileModel.updated_at == profile.updated_at))
        if blocked:
            log.warning("notification sweep: a profile was blocked after %d failed sweeps (%s)", failures,
                        profile.notify_blocked_reason)
        return blocked
    except UpdateError as exc:
        if not _conditional_failed(exc):
            raise
    try:
        profile.update(actions=marks + _release_actions(), condition=_holding(run))
    except UpdateError as exc:
        if not _conditional_failed(exc):
            raise
        log.warning("notification sweep: a lease expired before its sweep finished; raise notification_lease_seconds")
    return False
