"""The sweep fanned out on SQS (moto): the planner and the workers under concurrency and failures,
with every notification delivered exactly once (as tests/integration/test_notifications.py asserts
for a whole sweep): two planners in one hour, a message delivered twice, a worker killed after
sending and before finishing, a shard continued in several runs, a poison message dead-lettered."""
from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.integration.test_notifications import (  # noqa: F401  (sweep_env is a fixture)
    SlowRecordingSender,
    Sent,
    item,
    next_hour,
    pending,
    profile,
    queued_bodies,
    sweep_env,
    travel_to,
)


def in_shard(shard: str, n: int, **kwargs) -> list[str]:
    """``n`` customers with a change each, all in one shard of the pending index, oldest first."""
    from chalicelib import folder

    customers = []
    for number in range(n):
        customer = profile(profile_id=uuid.uuid4().hex[:-1] + shard, email=f"{shard}{number}@example.fi",
                           phone=f"+35840{ord(shard):03d}{number:04d}", **kwargs)
        folder.change_status(item(customer), "received")
        customers.append(customer)
    return customers


def plan():
    from chalicelib.notifications import fanout

    return fanout.plan()


def work(body, sender=None):
    from chalicelib.notifications import fanout

    return fanout.work(body, sender=sender)


def drain(sender=None, **kwargs):
    from chalicelib.notifications import fanout

    return fanout.drain(sender=sender, **kwargs)


def clean(customers) -> bool:
    """Nothing pending, no lease, no failure left on any of them."""
    return all(pending(c).notify_pending_since is None and pending(c).notify_lease_id is None
               and pending(c).notify_failures == 0 for c in customers)


# ------------------------------------------------------------------------------------------------
# The planner


def test_the_planner_queues_one_message_per_shard_inside_the_window_only(sweep_env):
    travel_to(sweep_env, datetime(2026, 1, 13, 8, 0))
    assert plan().shards == 0 and queued_bodies() == []
    travel_to(sweep_env, datetime(2026, 1, 13, 9, 0))
    report = plan()
    bodies = [json.loads(b) for b in queued_bodies()]
    assert report.window_open and report.shards == 16
    assert sorted(b["shard"] for b in bodies) == list("0123456789abcdef")
    assert all(b["after"] is None and b["at"].startswith("2026-01-13T07:00") for b in bodies)


@pytest.mark.race
def test_two_planners_in_one_hour_and_two_workers_draining_notify_each_customer_once(sweep_env):
    customers = [c for shard in "05af" for c in in_shard(shard, 6, methods=("email", "sms"))]
    next_hour(sweep_env)
    sender = SlowRecordingSender(delay=0.002)
    start = threading.Barrier(2)
    reports = []

    def planner_then_worker():
        start.wait()
        plan()
        reports.append(drain(sender))

    threads = [threading.Thread(target=planner_then_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every shard queued twice and worked at least once a message: SQS delivers at least once, and
    # moto's in-process queue, received from two threads, now and then hands one message to both
    # (about 1 run in 30). The customers below are notified exactly once all the same.
    assert sum(r.shards for r in reports) >= 32
    assert Counter(to for to, _ in sender.emails) == {f"{s}{n}@example.fi": 1 for s in "05af" for n in range(6)}
    assert len(sender.texts) == 24 and len({phone for phone, _ in sender.texts}) == 24
    assert sum(r.notified for r in reports) == 24 and sum(r.errors for r in reports) == 0
    assert clean(customers) and queued_bodies() == []


# ------------------------------------------------------------------------------------------------
# Delivered twice


def test_a_message_delivered_twice_notifies_once(sweep_env):
    customers = in_shard("3", 4)
    next_hour(sweep_env)
    plan()
    [body] = [b for b in queued_bodies() if json.loads(b)["shard"] == "3"]
    sender = SlowRecordingSender(delay=0)
    first, second = work(body, sender), work(body, sender)  # SQS delivers at least once
    assert (first.notified, second.notified) == (4, 0)
    assert second.pending == 0  # the markers are gone: the second finds nothing
    assert Counter(to for to, _ in sender.emails) == {f"3{n}@example.fi": 1 for n in range(4)}
    assert clean(customers)


@pytest.mark.race
def test_a_message_delivered_twice_at_the_same_time_notifies_once(sweep_env):
    customers = in_shard("7", 12, methods=("email", "sms"))
    next_hour(sweep_env)
    plan()
    [body] = [b for b in queued_bodies() if json.loads(b)["shard"] == "7"]
    sender = SlowRecordingSender(delay=0.002)
    start = threading.Barrier(2)
    reports = []

    def worker():
        start.wait()
        reports.append(work(body, sender))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(to for to, _ in sender.emails) == {f"7{n}@example.fi": 1 for n in range(12)}
    assert Counter(phone for phone, _ in sender.texts) == Counter({p: 1 for p, _ in sender.texts})
    assert len(sender.texts) == 12
    assert sum(r.notified for r in reports) == 12
    assert sum(r.claimed_elsewhere for r in reports) == sum(r.pending for r in reports) - 12
    assert clean(customers)


# ------------------------------------------------------------------------------------------------
# A page claimed at once (sweep.claim_page)


def _shard_body(shard: str) -> str:
    [body] = [b for b in queued_bodies() if json.loads(b)["shard"] == shard]
    return body


def test_a_page_is_claimed_in_transactions_and_read_in_one_batch_each_customer_once(sweep_env, monkeypatch):
    from chalicelib.notifications import sweep
    from tests.dynamo_calls import count_dynamodb_calls

    monkeypatch.setattr(sweep, "TRANSACTION_ITEMS", 3)  # DynamoDB's 100, made small: a page of 7 is 3 transactions
    customers = in_shard("9", 7)
    next_hour(sweep_env)
    plan()
    sender = SlowRecordingSender(delay=0)
    with count_dynamodb_calls() as calls:
        report = work(_shard_body("9"), sender)
    operations = Counter(operation for operation, _ in calls.calls)
    assert operations["TransactWriteItems"] == 3 and operations["BatchGetItem"] == 3
    assert operations["UpdateItem"] == 7  # the finishing writes only: no profile was claimed on its own
    assert report.notified == 7 and report.claimed_elsewhere == 0
    assert Counter(to for to, _ in sender.emails) == {f"9{n}@example.fi": 1 for n in range(7)}
    assert clean(customers)


def test_a_page_with_a_profile_leased_elsewhere_is_claimed_one_by_one_and_skips_only_that_one(sweep_env):
    from chalicelib import clock
    from chalicelib.models.identity import ProfileModel

    customers = in_shard("4", 5)
    next_hour(sweep_env)
    held = customers[2]  # another worker holds it (a continuation overlapping the next hour's message)
    ProfileModel(held).update(actions=[ProfileModel.notify_lease_id.set("another-run"),
                                       ProfileModel.notify_lease_until.set(clock.utcnow() + timedelta(minutes=15))])
    plan()
    sender = SlowRecordingSender(delay=0)
    report = work(_shard_body("4"), sender)
    assert report.notified == 4 and report.claimed_elsewhere == 1  # the transaction cancelled, nothing lost
    assert Counter(to for to, _ in sender.emails) == {f"4{n}@example.fi": 1 for n in range(5) if n != 2}
    assert pending(held).notify_pending_since is not None and pending(held).notify_lease_id == "another-run"
    next_hour(sweep_env)  # the other worker died: its lease has expired by the next sweep
    plan()
    report = drain(sender)
    assert report.notified == 1
    assert Counter(to for to, _ in sender.emails) == {f"4{n}@example.fi": 1 for n in range(5)}
    assert clean(customers)


# ------------------------------------------------------------------------------------------------
# A worker killed after sending, before finishing


class Killed(BaseException):
    """Lambda stopping the worker (a timeout, the instance gone): nothing of ours catches it."""


class KilledAfterSending(SlowRecordingSender):
    """The provider accepts the message to ``victim``, then the worker is gone: nothing after that
    is sent (a killed process sends nothing more)."""

    def __init__(self, victim: str):
        super().__init__(delay=0)
        self.victim, self.dead = victim, False

    def send_email(self, to, email, language):
        if self.dead:
            raise Killed
        super().send_email(to, email, language)  # the provider has accepted it ...
        if to == self.victim:
            self.dead = True
            raise Killed  # ... and the worker dies before its finishing write


def test_a_worker_killed_after_sending_loses_nothing_and_its_redelivery_sends_nothing_twice(sweep_env, monkeypatch):
    from chalicelib.config import settings

    monkeypatch.setattr(settings(), "notification_workers", 1)  # one thread: the order is the index's
    customers = in_shard("c", 4)
    next_hour(sweep_env)
    plan()
    [body] = [b for b in queued_bodies(delete=False) if json.loads(b)["shard"] == "c"]
    victim = pending(customers[1]).email
    killer = KilledAfterSending(victim)
    with pytest.raises(Killed):
        work(body, killer)
    assert [to for to, _ in killer.emails] == ["c0@example.fi", victim]
    assert pending(customers[0]).notify_pending_since is None  # finished before the kill
    assert pending(customers[1]).notify_lease_id is not None  # sent, never finished: the lease stays
    # c2 and c3: claimed by the dying worker (leased), or not reached before the kill (untouched).
    leased = [c for c in customers[2:] if pending(c).notify_lease_id is not None]
    assert all(pending(c).notify_pending_since is not None for c in customers[1:])

    # The message was not deleted: SQS delivers it again (to another worker); while the leases hold,
    # the redelivery sends nothing to a leased customer (and loses nothing: the markers stay).
    redelivered = SlowRecordingSender(delay=0)
    report = drain(redelivered, visibility_timeout=0)
    assert report.shards == 16 and report.claimed_elsewhere == 1 + len(leased) and report.errors == 0
    assert sorted(to for to, _ in redelivered.emails) == sorted(
        pending(c).email for c in customers[2:] if c not in leased)
    assert queued_bodies() == []
    assert all(pending(c).notify_pending_since is not None for c in [customers[1], *leased])

    sweep_env.advance(seconds=settings().notification_lease_seconds)
    next_hour(sweep_env)
    plan()
    after_lease = SlowRecordingSender(delay=0)
    assert drain(after_lease).notified == 1 + len(leased)
    assert sorted(to for to, _ in after_lease.emails) == sorted(pending(c).email for c in [customers[1], *leased])
    assert clean(customers)
    everything = Counter(to for to, _ in killer.emails + redelivered.emails + after_lease.emails)
    assert everything == {"c0@example.fi": 1, victim: 2, "c2@example.fi": 1, "c3@example.fi": 1}
    next_hour(sweep_env)
    plan()
    assert drain(after_lease).pending == 0 and len(after_lease.emails) == 1 + len(leased)


# ------------------------------------------------------------------------------------------------
# A shard too large for one run continues itself


def test_a_shard_too_large_for_one_run_continues_from_its_position(sweep_env, monkeypatch):
    from chalicelib import folder
    from chalicelib.config import settings
    from chalicelib.models.identity import ProfileModel

    monkeypatch.setattr(settings(), "notification_page_size", 2)
    monkeypatch.setattr(settings(), "notification_budget_seconds", 0)  # one page a run
    customers = in_shard("e", 5)
    # A blocked profile in between: the index filter leaves it out, the position still moves past it.
    blocked = in_shard("e", 1)[0]
    ProfileModel(blocked).update(actions=[ProfileModel.notify_blocked_reason.set("email: MessageRejected")])
    deferred = in_shard("e", 1)[0]
    next_hour(sweep_env)
    folder.change_status(item(deferred), "processing")  # seconds old at the sweep: it waits for next hour
    plan()
    [body] = [b for b in queued_bodies() if json.loads(b)["shard"] == "e"]
    sender = SlowRecordingSender(delay=0)
    first = work(body, sender)
    assert (first.notified, first.continued) == (2, 1)
    [continuation] = queued_bodies(delete=False)
    message = json.loads(continuation)
    assert message["shard"] == "e" and message["after"]["profile_id"]["S"] == customers[1]
    assert set(message["after"]) == {"notify_shard", "notify_pending_since", "profile_id"}
    assert "@" not in continuation and "+358" not in continuation  # no personal data in a message

    rest = drain(sender)
    # Two more runs: c2 and c3, then c4 and the deferred one (a page is page_size customers that the
    # filter lets through: the blocked one is read past).
    assert rest.shards == 2 and rest.continued == 1 and rest.notified == 3 and rest.deferred == 1
    assert Counter(to for to, _ in sender.emails) == {f"e{n}@example.fi": 1 for n in range(5)}
    assert clean(customers) and pending(deferred).notify_pending_since is not None
    assert pending(blocked).notify_pending_since is not None and queued_bodies() == []


def test_a_message_that_waited_past_the_window_sends_nothing(sweep_env):
    customers = in_shard("1", 2)
    travel_to(sweep_env, datetime(2026, 1, 13, 20, 0))
    plan()
    travel_to(sweep_env, datetime(2026, 1, 13, 21, 5))  # the queue was long: it is 21:05 now
    sender = SlowRecordingSender(delay=0)
    report = drain(sender)
    assert report.shards == 16 and report.notified == 0 and sender.emails == []
    assert all(pending(c).notify_pending_since is not None for c in customers)  # they wait for 9:00
    travel_to(sweep_env, datetime(2026, 1, 14, 9, 0))
    plan()
    assert drain(sender).notified == 2


# ------------------------------------------------------------------------------------------------
# Failures of the worker itself


def test_a_message_that_keeps_failing_goes_to_the_dead_letter_queue(sweep_env):
    from chalicelib.clients import client
    from chalicelib.config import settings
    from chalicelib.notifications import fanout

    sqs = client("sqs")
    sqs.send_message(QueueUrl=fanout.queue_url(), MessageBody='{"v": 1, "shard": "z"}')
    report = drain(visibility_timeout=0)  # each failure visible again at once, as after the timeout
    assert report.errors == fanout.MAX_RECEIVES
    dead_url = sqs.get_queue_url(QueueName=f"{settings().notification_queue_name}-dead")["QueueUrl"]
    [dead] = sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10)["Messages"]
    assert dead["Body"] == '{"v": 1, "shard": "z"}' and queued_bodies() == []


@pytest.mark.parametrize("body", [
    "not json", '{"v": 2, "shard": "a"}', '{"v": 1, "shard": "a", "at": "2026-01-13T10:00", "planned": "x"}',
    '{"v": 1, "shard": "a", "at": "2026-01-13T10:00+02:00", "planned": "2026-01-13T10:00+02:00", '
    '"after": {"notify_shard": {"S": "b"}, "notify_pending_since": {"S": "x"}, "profile_id": {"S": "y"}}}',
])
def test_a_message_that_is_not_ours_is_refused(body):
    from chalicelib.notifications.fanout import ShardMessage

    with pytest.raises(ValueError):
        ShardMessage.decode(body)


def test_a_failing_shard_read_fails_the_message_and_keeps_every_marker(sweep_env, monkeypatch):
    from chalicelib.notifications import sweep

    customers = in_shard("9", 2)
    next_hour(sweep_env)
    plan()

    def unavailable(*args, **kwargs):
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(sweep, "pending_page", unavailable)
    failed = drain(visibility_timeout=0)
    assert failed.errors == 16 * 3 and failed.notified == 0  # every message, each up to the dead-letter queue
    assert all(pending(c).notify_pending_since is not None for c in customers)
