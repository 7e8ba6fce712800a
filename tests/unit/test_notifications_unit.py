"""The sweep's pure parts: the Helsinki window over DST, the token bucket, what counts as new, and
the e-mail's MIME shape."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.clock import HELSINKI
from chalicelib.notifications import digest
from chalicelib.notifications.ratelimit import TokenBucket
from chalicelib.notifications.sweep import in_window


def helsinki(*args) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


@pytest.mark.parametrize("day", [date(2026, 1, 13), date(2026, 3, 29), date(2026, 7, 14), date(2026, 10, 25)])
def test_the_hourly_utc_schedule_sends_exactly_at_9_to_20_every_day(day):
    """EventBridge runs on every UTC hour; on the DST days too, exactly the local hours 9..20 send."""
    start = helsinki(day.year, day.month, day.day).astimezone(timezone.utc)
    runs = [start + timedelta(hours=n) for n in range(26)]
    sending = [r.astimezone(HELSINKI) for r in runs if in_window(r) and r.astimezone(HELSINKI).date() == day]
    assert [r.hour for r in sending] == list(range(9, 21))
    assert all(r.minute == 0 for r in sending)


@pytest.mark.parametrize("local, expected", [
    (helsinki(2026, 1, 13, 8, 59), False), (helsinki(2026, 1, 13, 9, 0), True),
    (helsinki(2026, 1, 13, 20, 0), True), (helsinki(2026, 1, 13, 20, 59), True), (helsinki(2026, 1, 13, 21, 0), False),
    (helsinki(2026, 7, 14, 8, 59), False), (helsinki(2026, 7, 14, 9, 0), True),
    (helsinki(2026, 7, 14, 20, 0), True), (helsinki(2026, 7, 14, 21, 0), False),
])
def test_the_window_in_winter_and_summer(local, expected):
    assert in_window(local) is expected
    assert in_window(local.astimezone(timezone.utc)) is expected  # the same instant in UTC


def test_in_utc_the_window_moves_with_daylight_saving():
    assert in_window(datetime(2026, 1, 13, 7, 0, tzinfo=timezone.utc))  # 9:00 EET
    assert not in_window(datetime(2026, 1, 13, 6, 0, tzinfo=timezone.utc))
    assert in_window(datetime(2026, 7, 14, 6, 0, tzinfo=timezone.utc))  # 9:00 EEST
    assert not in_window(datetime(2026, 7, 14, 18, 0, tzinfo=timezone.utc))  # 21:00 EEST
    assert in_window(datetime(2026, 1, 13, 18, 0, tzinfo=timezone.utc))  # 20:00 EET


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_the_token_bucket_allows_a_burst_then_the_rate():
    time = FakeTime()
    bucket = TokenBucket(5, clock=time.clock, sleep=time.sleep)
    for _ in range(5):
        bucket.acquire()
    assert time.now == 0.0  # the burst
    for _ in range(10):
        bucket.acquire()
    assert time.now == pytest.approx(2.0)  # then five a second


@pytest.mark.race
def test_the_token_bucket_is_shared_by_threads():
    import threading
    import time

    bucket = TokenBucket(200, burst=1)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(25)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= 99 / 200 * 0.9


@pytest.mark.parametrize("quota, concurrency", [(14, 2), (50, 4), (200, 16)])
def test_the_workers_shares_of_the_quota_never_add_up_to_more_than_the_quota(quota, concurrency):
    """Each worker (a Lambda instance, its own clock) sends as fast as its bucket lets it for 30 s;
    in any second all of them together send at most the quota, plus one burst message each."""
    from chalicelib.config import Settings
    from chalicelib.notifications import fanout

    config = Settings(notification_rate_per_second=quota, notification_worker_concurrency=concurrency)
    assert config.notification_worker_rate == pytest.approx(quota / concurrency)
    shared = fanout.worker_bucket(config.notification_worker_rate)
    assert shared.rate == config.notification_worker_rate and shared.capacity == 1
    assert fanout.worker_bucket(config.notification_worker_rate) is shared  # one per Lambda instance
    sends = []
    for _ in range(concurrency):
        time = FakeTime()
        bucket = TokenBucket(config.notification_worker_rate, burst=1, clock=time.clock, sleep=time.sleep)
        while time.now < 30:
            bucket.acquire()
            sends.append(time.now)
    sends.sort()
    busiest = max(sum(1 for s in sends if start <= s < start + 1) for start in sends)
    assert quota <= busiest <= quota + concurrency
    assert len([s for s in sends if s < 30]) == pytest.approx(30 * quota, abs=concurrency)


def test_worker_concurrency_is_at_least_two_as_lambda_requires():
    from pydantic import ValidationError

    from chalicelib.config import Settings

    with pytest.raises(ValidationError):
        Settings(notification_worker_concurrency=1)
    with pytest.raises(ValidationError):
        Settings(notification_rate_per_second=0)
    assert Settings(table_prefix="eservices-prod-").notification_queue_name == "eservices-prod-notifications"


def row(item, *, updated, status="sent", status_at=None, message_at=None):
    return digest.Row(item, "dog-declaration", status, status_at or updated, updated, message_at)


def test_what_is_new_and_of_which_kind():
    t0 = datetime(2026, 1, 13, 8, 0, tzinfo=timezone.utc)
    old = t0 - timedelta(days=1)
    rows = [
        row("000001", updated=t0 + timedelta(minutes=1), status="received"),
        row("000002", updated=t0 + timedelta(minutes=2), status="sent", status_at=old, message_at=t0 + timedelta(minutes=2)),
        # a message, then a status in the same hour: both are told
        row("000003", updated=t0 + timedelta(minutes=3), status="decided", message_at=t0 + timedelta(minutes=1)),
        # a status now, the message notified before: only the status
        row("000004", updated=t0 + timedelta(minutes=4), status="received", message_at=old),
        row("000005", updated=t0, status="received"),  # already notified
    ]
    lines = digest.changes(rows, t0)
    assert [c.item_number for c in lines] == ["000004", "000003", "000002", "000001"]  # newest first
    kinds = {c.item_number: c.kinds for c in lines}
    assert kinds == {"000001": ("status",), "000002": ("message",), "000003": ("status", "message"),
                     "000004": ("status",)}


def test_the_sort_bound_excludes_a_change_at_exactly_the_watermark():
    at = datetime(2026, 1, 13, 8, 0, 0, 123456, tzinfo=timezone.utc)
    bound = digest.sort_bound(at)
    assert f"{at.isoformat()}#000001" < bound
    assert f"{(at + timedelta(microseconds=1)).isoformat()}#000001" > bound
    whole = datetime(2026, 1, 13, 8, 0, 0, tzinfo=timezone.utc)  # isoformat without microseconds
    assert f"{whole.isoformat()}#999999" < digest.sort_bound(whole) < f"{(whole + timedelta(microseconds=1)).isoformat()}#000001"


def test_the_email_is_multipart_alternative_and_7_bit_safe():
    from email import message_from_bytes
    from email.policy import default

    from chalicelib.notifications.messages import Email
    from chalicelib.notifications.senders import mime_message

    raw = mime_message("asiakas@example.fi", Email("Uusia tapahtumia", "Helsingin kaupungin asiointipalvelut",
                                                   "<p>Hyvää päivää</p>", "Hyvää päivää"), "fi")
    assert raw.isascii()
    parsed = message_from_bytes(raw, policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Content-Language"] == "fi" and parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Subject"] == "Uusia tapahtumia" and "Helsingin kaupungin" in str(parsed["From"])
    assert parsed.get_body(("plain",)).get_content().strip() == "Hyvää päivää"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hyvää päivää</p>"


def test_only_the_error_code_of_a_failure_is_kept():
    from botocore.exceptions import ClientError, EndpointConnectionError

    from chalicelib.notifications.senders import SendFailed, error_code

    failure = ClientError({"Error": {"Code": "InvalidParameter", "Message": "Invalid phone number +358401234567"}}, "Publish")
    assert error_code(failure) == "InvalidParameter"
    assert error_code(EndpointConnectionError(endpoint_url="https://sns")) == "EndpointConnectionError"
    assert error_code(SendFailed("Throttling")) == "Throttling"


def test_the_outbox_parses_what_moto_shows():
    from chalicelib.notifications.messages import Email
    from chalicelib.notifications.outbox import parse_state
    from chalicelib.notifications.senders import mime_message

    first = mime_message("a@example.fi", Email("Eka", "Helsinki", "<p>1</p>", "1"), "fi").decode()
    second = mime_message("b@example.fi", Email("Toka", "Helsinki", "<p>2</p>", "2"), "sv").decode()
    state = {
        "ses": {"RawMessage": [{"id": "m1", "raw_data": first, "destinations": ["a@example.fi"]},
                               {"id": "m2", "raw_data": second, "destinations": ["b@example.fi"]}]},
        "sns": {"SMS": [{"message_id": "s1", "phone_number": "+358401", "message": "eka"},
                        {"message_id": "s2", "phone_number": "+358402", "message": "toka"}]},
    }
    outbox = parse_state(state)
    assert [e.subject for e in outbox.emails] == ["Toka", "Eka"]  # newest first
    assert outbox.email("0-m1").html.strip() == "<p>1</p>" and outbox.email("1-m2").language == "sv"
    assert [t.message for t in outbox.texts] == ["toka", "eka"]
