"""The hourly sweep fanned out on SQS: a planner queues one message per shard, workers notify.

- ``plan`` (EventBridge, on the hour: ``app.notification_sweep``) decides the window (9-20 Helsinki
  time) and, when it is open, queues one message per shard ``0``-``f`` of the sparse
  ``pending-notifications`` index: two SendMessageBatch calls, no DynamoDB call.
- ``work`` (SQS, ``app.notification_worker``, one message an invocation) notifies the shard's pending
  customers exactly as sweep.py says (claim, build, send, finish). A shard too large for one run
  (``notification_budget_seconds``) continues itself: the worker queues a message carrying the
  index position where it stopped, and returns.
- ``drain`` is the local stand-in for Lambda's event source mapping: it receives the queue's messages
  from moto and hands each to the same ``work`` (``make sweep``; the tests). ``run_sweep`` = plan + drain.

Exactly once does not depend on the queue: SQS delivers at least once, and a message delivered twice,
two planners in one hour, or a shard's continuation overlapping the next hour's message make two
workers try the same profiles; the leases let exactly one of them notify each (sweep.py).

**The shared rate.** The quota (``notification_rate_per_second``: SES's maximum send rate, SNS's
SMS rate) is split evenly between the workers: each sends at most
``rate / notification_worker_concurrency`` a second (a token bucket per Lambda instance, kept across
its warm invocations, with a burst of one), and the queue's event source mapping (maximum
concurrency) and the worker's reserved concurrency allow at most ``notification_worker_concurrency``
workers at once. So the sum can never exceed the quota, and no send costs a DynamoDB call (a shared
counter per second would add at least one conditional write per message and a hot item).
docs/benchmarks.md has the measurements and docs/architecture.md the reasoning.

Messages carry no personal data: the shard, the times, and the index position (a profile id, a
random identifier, and a time).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.notifications.sweep import SHARDS, SweepReport, in_window, new_run, sweep_shard

log = logging.getLogger("portal.notifications")

MESSAGE_VERSION = 1
# A message that makes its worker fail this many times goes to the dead-letter queue (infra/ and
# create_queues use the same numbers).
MAX_RECEIVES = 3
# The worker's timeout (infra/portal_stack.py WORKER_TIMEOUT_SECONDS) plus a minute: a message is
# never handed to a second worker while the first may still be working on it.
VISIBILITY_TIMEOUT_SECONDS = 960
# What the dead-letter queue keeps (SQS's maximum): time to read and redrive (docs/operations.md).
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
_POSITION_KEYS = {"notify_shard", "notify_pending_since", "profile_id"}


@dataclass
class PlanReport:
    """What one planner run did (logged and returned by the scheduled function)."""

    at: str
    window_open: bool
    shards: int = 0  # messages queued

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ShardMessage:
    shard: str
    at: datetime  # the planner's hour: the window is decided by it
    planned: datetime  # when the planner ran (real time): how long the message has waited
    after: dict | None = None  # a continuation: the index position to go on from

    def encode(self) -> str:
        return json.dumps({"v": MESSAGE_VERSION, "shard": self.shard, "at": self.at.isoformat(),
                           "planned": self.planned.isoformat(), "after": self.after}, separators=(",", ":"))

    @classmethod
    def decode(cls, body: str) -> "ShardMessage":
        """The message, or ValueError (the worker fails, and after MAX_RECEIVES it is dead-lettered)."""
        try:
            data = json.loads(body)
            if data.get("v") != MESSAGE_VERSION or data.get("shard") not in tuple(SHARDS):
                raise ValueError
            at, planned = datetime.fromisoformat(data["at"]), datetime.fromisoformat(data["planned"])
            after = data.get("after")
            if at.tzinfo is None or planned.tzinfo is None:
                raise ValueError
            if after is not None and not (isinstance(after, dict) and set(after) == _POSITION_KEYS and all(
                    isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in after.values())
                    and after["notify_shard"]["S"] == data["shard"]):
                raise ValueError
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ValueError("not a notification shard message") from None
        return cls(shard=data["shard"], at=at, planned=planned, after=after)


# ------------------------------------------------------------------------------------------------
# The queue


def queue_url() -> str:
    """The notification queue's URL: from the settings on AWS (the CDK app sets it), else by its name."""
    config = settings()
    if config.notification_queue_url:
        return config.notification_queue_url
    from chalicelib.clients import client

    return client("sqs").get_queue_url(QueueName=config.notification_queue_name)["QueueUrl"]


def send_messages(messages: list[ShardMessage], url: str | None = None) -> None:
    """Queue the messages, ten a call (SendMessageBatch); a refused entry raises."""
    from chalicelib.clients import client

    sqs, url = client("sqs"), url or queue_url()
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": f"m{n}", "MessageBody": m.encode()} for n, m in enumerate(chunk)])
        if answer.get("Failed"):
            codes = sorted({f.get("Code", "?") for f in answer["Failed"]})
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} notification message(s): {', '.join(codes)}")


def create_queues() -> str:
    """The queue and its dead-letter queue as the CDK app makes them, for the local stack (moto) and
    the tests; idempotent. Returns the queue's URL."""
    from chalicelib.clients import client

    sqs, name = client("sqs"), settings().notification_queue_name
    dead_url = sqs.create_queue(QueueName=f"{name}-dead", Attributes={
        "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS)})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
    })["QueueUrl"]


# ------------------------------------------------------------------------------------------------
# Planner and worker


def plan(*, at: datetime | None = None) -> PlanReport:
    """The hourly planner: inside the window, one message per shard. ``at`` decides the window
    (default: now; ``make sweep AT=`` sets it); the messages' wait is measured on the real clock."""
    at = at or clock.utcnow()
    report = PlanReport(at=at.astimezone(clock.HELSINKI).isoformat(timespec="minutes"), window_open=in_window(at))
    if not report.window_open:
        log.info("notification planner at %s (Helsinki): outside 9-20, nothing queued", report.at)
        return report
    planned = clock.utcnow()
    send_messages([ShardMessage(shard=shard, at=at, planned=planned) for shard in SHARDS])
    report.shards = len(SHARDS)
    log.info("notification planner: %s", report.as_dict())
    return report


@lru_cache(maxsize=4)
def worker_bucket(rate: float):
    """This Lambda instance's share of the quota, kept across its warm invocations (and shared by a
    local drain's runs), bursts of one: all workers together never exceed the quota in any second
    by more than one message each."""
    from chalicelib.notifications.ratelimit import TokenBucket

    return TokenBucket(rate, burst=1)


def work(body: str, *, sender=None) -> SweepReport:
    """One queue message: notify the shard's pending customers (from the message's position), and
    queue the rest of the shard if the budget runs out first. Raises if the message is not one of
    ours or the shard cannot be read (the message is retried, then dead-lettered)."""
    started = time.monotonic()
    message = ShardMessage.decode(body)
    config = settings()
    waited = max(clock.utcnow() - message.planned, timedelta(0))
    # The window is decided by the planner's hour, moved on by the time the message has waited: a
    # message still queued at 21:00 sends nothing (the shard waits for 9:00, its markers kept).
    report = SweepReport(at=message.at.astimezone(clock.HELSINKI).isoformat(timespec="minutes"),
                         window_open=in_window(message.at + waited), shards=1)
    if not report.window_open:
        log.info("notification worker: shard %s waited until the window closed; it waits for 9:00", message.shard)
        return report
    run = new_run(sender=sender, bucket=worker_bucket(config.notification_worker_rate))
    position = sweep_shard(message.shard, run, report, after=message.after,
                           deadline=started + config.notification_budget_seconds)
    if position is not None:
        send_messages([ShardMessage(shard=message.shard, at=message.at, planned=message.planned, after=position)])
        report.continued = 1
    report.seconds = round(time.monotonic() - started, 3)
    log.info("notification worker, shard %s: %s", message.shard, report.as_dict())
    return report


def work_records(records, *, sender=None) -> SweepReport:
    """Lambda's SQS event (batch size 1: one record): each record's body to ``work``."""
    total = None
    for record in records:
        report = work(record.body, sender=sender)
        if total is None:
            total = report
        else:
            total.add(report)
    return total or SweepReport(at="", window_open=False)


# ------------------------------------------------------------------------------------------------
# Local: the event source mapping's part


def drain(*, sender=None, visibility_timeout: int | None = None) -> SweepReport:
    """Receive the queue's messages until it is empty and hand each to ``work``, deleting it when the
    work succeeded (as Lambda's event source mapping does). A message whose work raised stays in the
    queue (visible again after its visibility timeout; after MAX_RECEIVES receives SQS moves it to
    the dead-letter queue) and counts as an error."""
    from chalicelib.clients import client

    sqs, url = client("sqs"), queue_url()
    total = SweepReport(at="", window_open=False)
    receive = {"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}
    if visibility_timeout is not None:
        receive["VisibilityTimeout"] = visibility_timeout
    while True:
        messages = sqs.receive_message(**receive).get("Messages", [])
        if not messages:
            return total
        for message in messages:
            try:
                report = work(message["Body"], sender=sender)
            except Exception as exc:  # noqa: BLE001 - the queue retries it, as on AWS
                log.error("notification worker failed (%s); the message stays in the queue", type(exc).__name__)
                total.errors += 1
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            total.add(report)
            total.window_open = total.window_open or report.window_open
            total.at = total.at or report.at


def run_sweep(*, at: datetime | None = None, sender=None) -> SweepReport:
    """Plan and drain the queue in this process: ``make sweep`` and the tests."""
    planned = plan(at=at)
    report = SweepReport(at=planned.at, window_open=planned.window_open)
    started = time.monotonic()
    drained = drain(sender=sender)
    report.add(drained)
    report.seconds = round(time.monotonic() - started, 3)
    return report
