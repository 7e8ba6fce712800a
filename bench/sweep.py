"""The notification sweep: DynamoDB items read per sweep (they must follow the number of *pending*
customers, not the number of profiles) and notifications a second, parallel against sequential.

    PYTHONPATH=. .venv/bin/python bench/sweep.py

Against moto in process (mock_aws), profiles written with batch_write. Items read are counted with a
botocore event hook (``after-call.dynamodb``) on every client the models use: a Query counts the
items it returned (with no filter dropping any, what DynamoDB reads), a GetItem its item. SES and
SNS are replaced by a fake sender that waits a fixed 20 ms per message, standing in for their
latency. moto runs in this process, CPU-bound under the GIL, which caps the parallel gain here.
"""
from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.conftest  # noqa: E402,F401  (sets the test stage's environment first)
from chalicelib.config import Settings  # noqa: E402

SEND_LATENCY = 0.020  # seconds per message: the fake sender's stand-in for SES/SNS
# The threads of one sweep in production: the setting's default, which no stage overrides.
WORKERS = Settings.model_fields["notification_workers"].default
THROUGHPUT_PROFILES = 400  # all pending: the parallel / sequential comparison
LIMITED, LIMIT = 60, 10.0  # a run under the rate limit: 60 notifications at 10 a second (burst 10)


class FakeSender:
    """Accepts every message after a fixed delay (no AWS call)."""

    def __init__(self):
        self.sent = 0

    def send_email(self, to, email, language):
        time.sleep(SEND_LATENCY)
        self.sent += 1

    def send_sms(self, phone, text):
        time.sleep(SEND_LATENCY)
        self.sent += 1


class ItemsRead:
    """Items DynamoDB reads, per operation, from the responses (botocore ``after-call`` hook)."""

    def __init__(self):
        self.items = Counter()
        self.calls = Counter()

    def __call__(self, http_response=None, parsed=None, model=None, **_):
        name = model.name if model is not None else "?"
        parsed = parsed or {}
        self.calls[name] += 1
        if name in ("Query", "Scan"):
            # The items returned. No filter drops any here (nothing is blocked), so that is also what
            # DynamoDB reads; moto's ScannedCount is not reliable while other threads write the table.
            self.items[name] += len(parsed.get("Items", []))
        elif name == "GetItem":
            self.items[name] += int("Item" in parsed)
        elif name == "BatchGetItem":
            self.items[name] += sum(len(v) for v in parsed.get("Responses", {}).values())

    @property
    def total(self) -> int:
        return sum(self.items.values())


def _clients():
    from tests.dynamo_calls import _clients as model_clients

    return list(model_clients())


def write_profiles(total: int, pending: int, *, first_item: int = 1) -> list[str]:
    """``total`` profiles, the first ``pending`` of them with one unseen status change each."""
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.models.identity import ProfileModel

    now = datetime.now(timezone.utc)
    changed = now - timedelta(hours=1)
    ids = [uuid.uuid4().hex for _ in range(total)]
    with ProfileModel.batch_write() as batch:
        for n, profile_id in enumerate(ids):
            profile = ProfileModel(
                profile_id=profile_id, kind="person", given_name="Testi", family_name="Asiakas",
                personal_identity_code="210281-9988", email=f"p{n}@example.fi", notify_methods=["email"],
                notify_language=("fi", "sv", "en")[n % 3], consent_at=now, created_at=now, updated_at=now)
            if n < pending:
                profile.notify_shard = profile_id[-1]
                profile.notify_pending_since = changed
                profile.notify_latest_at = changed
                profile.notify_changes = 1
            batch.save(profile)
    with SubmissionModel.batch_write() as batch:
        for n, profile_id in enumerate(ids[:pending]):
            number = f"{first_item + n:06d}"
            batch.save(_received(number, profile_id, "dog-declaration", "urban-environment", changed))
    return ids


def _received(number: str, profile_id: str, service_id: str, division_id: str, changed: datetime):
    """A submission in the customer's folder that the City marked "received" at ``changed``."""
    from chalicelib.models.forms import SubmissionModel

    return SubmissionModel(
        item_number=number, owner_id=profile_id, sender_id=profile_id, sent_by="Testi Asiakas",
        service_id=service_id, division_id=division_id, status="received", status_at=changed,
        answers={}, language="fi", created_at=changed, updated_at=changed,
        updated_sort=f"{changed.isoformat()}#{number}", unseen_since=changed, city_changed_at=changed)


def remark_pending(ids: list[str]) -> None:
    """Make the same customers pending again, with one new change each (for the next timed sweep)."""
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.models.identity import ProfileModel

    changed = datetime.now(timezone.utc) - timedelta(minutes=30)
    with SubmissionModel.batch_write() as batch:
        for n, profile_id in enumerate(ids):
            number = f"{900000 + n:06d}"
            batch.save(_received(number, profile_id, "referee-fee", "culture-and-leisure", changed))
    for profile_id in ids:
        ProfileModel(profile_id).update(actions=[
            ProfileModel.notify_shard.set(profile_id[-1]), ProfileModel.notify_pending_since.set(changed),
            ProfileModel.notify_latest_at.set(changed), ProfileModel.notify_changes.set(1)])


def timed_sweep(workers: int, rate: float = 1_000_000.0):
    from chalicelib.clock import HELSINKI
    from chalicelib.config import settings
    from chalicelib.notifications import run_sweep

    config = settings()
    config.notification_workers = workers
    config.notification_rate_per_second = rate
    sender = FakeSender()
    counter = ItemsRead()
    clients = _clients()
    for client in clients:
        client.meta.events.register("after-call.dynamodb", counter)
    try:
        at = datetime.now(HELSINKI).replace(hour=10, minute=0)  # inside the window whatever the real hour
        started = time.perf_counter()
        report = run_sweep(at=at, sender=sender)
        seconds = time.perf_counter() - started
    finally:
        for client in clients:
            client.meta.events.unregister("after-call.dynamodb", counter)
    return report, counter, seconds


def scenario(total: int, pending: int, *, compare: bool):
    from moto import mock_aws

    from chalicelib.models import create_tables
    from chalicelib.models.base import connection

    connection.cache_clear()
    with mock_aws():
        create_tables()
        started = time.perf_counter()
        ids = write_profiles(total, pending)
        written = time.perf_counter() - started
        result = {"total": total, "pending": pending, "write_seconds": written}
        if not compare:
            result["parallel"] = timed_sweep(WORKERS)
            return result
        result["sequential"] = timed_sweep(1)
        remark_pending(ids[:pending])
        result["parallel"] = timed_sweep(WORKERS)
        remark_pending(ids[:LIMITED])
        result["limited"] = timed_sweep(WORKERS, rate=LIMIT)
        return result


def main() -> int:
    import logging

    logging.getLogger("portal").setLevel(logging.WARNING)
    print(f"Notification sweep against moto in process. SES/SNS are a fake sender that takes {SEND_LATENCY * 1000:.0f} ms "
          f"a message (a stand-in for their latency); {WORKERS} threads; rate limit lifted unless stated.")
    big = scenario(20_000, 1_000, compare=False)
    small = scenario(2_000, 1_000, compare=False)

    print(f"\n{'profiles':>9} {'pending':>8} {'notified':>9} {'items read':>11} {'per pending':>12}  calls")
    for run in (big, small):
        report, counter, _ = run["parallel"]
        calls = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
        print(f"{run['total']:>9} {run['pending']:>8} {report.notified:>9} {counter.total:>11} "
              f"{counter.total / run['pending']:>12.2f}  {calls}")
    ratio = big["parallel"][1].total / small["parallel"][1].total
    print(f"items read with 20,000 profiles / with 2,000 profiles (1,000 pending in both): {ratio:.2f} "
          f"(1.00 = follows the pending count; 10.00 would follow the number of profiles)")
    assert all(op != "Scan" for run in (big, small) for op in run["parallel"][1].calls), "the sweep scanned"

    timing = scenario(THROUGHPUT_PROFILES, THROUGHPUT_PROFILES, compare=True)
    par_report, _, par_seconds = timing["parallel"]
    seq_report, _, seq_seconds = timing["sequential"]
    lim_report, _, lim_seconds = timing["limited"]
    par_rate = par_report.notified / par_seconds
    seq_rate = seq_report.notified / seq_seconds
    print(f"\n{THROUGHPUT_PROFILES} pending customers, one e-mail each:")
    print(f"{'sweep':34} {'notified':>9} {'seconds':>8} {'notifications/s':>16}")
    print(f"{'sequential (1 thread)':34} {seq_report.notified:>9} {seq_seconds:>8.2f} {seq_rate:>16.1f}")
    print(f"{f'parallel ({WORKERS} threads)':34} {par_report.notified:>9} {par_seconds:>8.2f} {par_rate:>16.1f}")
    print(f"parallel / sequential: {par_rate / seq_rate:.1f}x")
    print(f"{f'parallel, rate limit {LIMIT:.0f}/s':34} {lim_report.notified:>9} {lim_seconds:>8.2f} "
          f"{lim_report.notified / lim_seconds:>16.1f}   (the bucket allows {LIMIT:.0f} at once, then {LIMIT:.0f} a "
          f"second: at least {(LIMITED - LIMIT) / LIMIT:.1f} s)")
    print("(moto answers in this process, CPU-bound under the GIL, so its share of each notification does not "
          "run in parallel here; DynamoDB calls are network waits like the sends)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
