"""The hourly notification sweep against moto: window, aggregation, languages, methods, exactly-once
under concurrency and failures, blocking and unblocking, and what a message may never contain."""
from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest

from chalicelib.clock import HELSINKI

IDENTITY_CODE = "210281-9988"
SECRET_ANSWER = "Salainen-vastaus-7731"


# ------------------------------------------------------------------------------------------------
# Helpers


def travel_to(clock, local: datetime) -> None:
    """Move the portal's clock to ``local`` (Helsinki wall time, or any aware datetime)."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=HELSINKI)
    from chalicelib import clock as portal_clock

    clock.advance(seconds=(local - portal_clock.utcnow()).total_seconds())


def profile(*, methods=("email",), language="fi", email="asiakas@example.fi", phone="+358401234567",
            profile_id: str | None = None) -> str:
    from chalicelib import clock
    from chalicelib.models.identity import ProfileModel

    now = clock.utcnow()
    profile_id = profile_id or uuid.uuid4().hex
    ProfileModel(profile_id=profile_id, kind="person", given_name="Portaalia Nordea", family_name="Testaaja",
                 personal_identity_code=IDENTITY_CODE, email=email,
                 phone=phone, notify_methods=list(methods), notify_language=language, consent_at=now,
                 created_at=now, updated_at=now).save()
    return profile_id


_numbers = iter(range(100000, 999999))


def item(owner: str, service_id: str = "dog-declaration") -> str:
    """A sent application in the owner's folder (answers that must never leave the portal)."""
    from chalicelib import clock
    from chalicelib.models.forms import SubmissionModel

    now = clock.utcnow()
    number = f"{next(_numbers):06d}"
    SubmissionModel(item_number=number, owner_id=owner, sender_id=owner, sent_by="Portaalia Nordea Testaaja",
                    service_id=service_id, division_id="urban-environment", status="sent", status_at=now,
                    answers={"dog_name": SECRET_ANSWER, "owner_id_code": IDENTITY_CODE}, language="fi",
                    created_at=now, updated_at=now, updated_sort=f"{now.isoformat()}#{number}").save()
    return number


def pending(profile_id: str):
    from chalicelib.models.identity import ProfileModel

    return ProfileModel.get(profile_id, consistent_read=True)


class Sent:
    """What moto's SES and SNS accepted, parsed back (e-mails: subject, plain text and HTML)."""

    def __init__(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        from chalicelib.notifications.outbox import _parse_raw

        ses = ses_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"]
        sns = sns_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"]
        self.emails = [_parse_raw(m.id, m.raw_data, m.destinations) for m in ses.sent_messages]
        self.texts = list(sns.sms_messages.values())  # (phone, message)

    def emails_to(self, address: str) -> list:
        return [e for e in self.emails if address in e.to]

    def texts_to(self, phone: str) -> list[str]:
        return [m for p, m in self.texts if p == phone]


@pytest.fixture
def sweep_env(aws, clock, monkeypatch):
    """moto with the SES sender identity verified and the notification queue and its dead-letter
    queue created (as scripts/local_stack.py does), fresh boto3 clients inside this mock, the quota
    lifted (a test sends dozens of messages; tests/unit tests the rate), and the clock at a winter
    Tuesday 9:30 in Helsinki."""
    import boto3

    from chalicelib.clients import client
    from chalicelib.config import settings
    from chalicelib.notifications import fanout

    client.cache_clear()
    monkeypatch.setattr(settings(), "notification_rate_per_second", 100_000.0)
    boto3.client("ses", region_name="eu-north-1").verify_email_identity(EmailAddress=settings().notification_sender)
    fanout.create_queues()
    travel_to(clock, datetime(2026, 1, 13, 9, 30))
    yield clock
    client.cache_clear()


def sweep(**kwargs):
    from chalicelib.notifications import run_sweep

    return run_sweep(**kwargs)


def next_hour(clock) -> None:
    """Travel to the next full hour (the next scheduled sweep)."""
    from chalicelib import clock as portal_clock

    now = portal_clock.utcnow()
    travel_to(clock, now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))


# ------------------------------------------------------------------------------------------------
# The window: decided in Helsinki time, in winter (UTC+2) and summer (UTC+3), DST days included

@pytest.mark.parametrize("local, utc_offset, sends", [
    (datetime(2026, 1, 13, 8, 59), 2, False),
    (datetime(2026, 1, 13, 9, 0), 2, True),
    (datetime(2026, 1, 13, 20, 0), 2, True),
    (datetime(2026, 1, 13, 21, 0), 2, False),
    (datetime(2026, 7, 14, 8, 59), 3, False),
    (datetime(2026, 7, 14, 9, 0), 3, True),
    (datetime(2026, 7, 14, 20, 0), 3, True),
    (datetime(2026, 7, 14, 21, 0), 3, False),
    # Spring forward (29.3.2026 03:00 -> 04:00) and fall back (25.10.2026 04:00 -> 03:00).
    (datetime(2026, 3, 29, 8, 59), 3, False),
    (datetime(2026, 3, 29, 9, 0), 3, True),
    (datetime(2026, 3, 29, 20, 0), 3, True),
    (datetime(2026, 3, 29, 21, 0), 3, False),
    (datetime(2026, 10, 25, 8, 59), 2, False),
    (datetime(2026, 10, 25, 9, 0), 2, True),
    (datetime(2026, 10, 25, 20, 0), 2, True),
    (datetime(2026, 10, 25, 21, 0), 2, False),
])
def test_the_window_is_9_to_20_helsinki_time(sweep_env, local, utc_offset, sends):
    customer = profile()
    number = item(customer)
    travel_to(sweep_env, local - timedelta(minutes=30))
    from chalicelib import folder

    folder.change_status(number, "received")
    travel_to(sweep_env, local)
    from chalicelib import clock

    assert clock.utcnow().astimezone(HELSINKI).utcoffset() == timedelta(hours=utc_offset)
    report = sweep()
    assert report.window_open is sends
    assert len(Sent().emails) == (1 if sends else 0)
    assert (pending(customer).notify_pending_since is None) is sends  # outside: waits for 9:00


# ------------------------------------------------------------------------------------------------
# Aggregation, content, languages and methods


def test_several_items_and_events_make_one_notification_listing_each(sweep_env):
    from chalicelib import folder

    customer = profile(language="en", email="many@example.fi")
    dog, referee, grants, untouched = item(customer), item(customer, "referee-fee"), item(customer, "arts-and-culture-grants"), item(customer)
    sweep_env.advance(minutes=5)
    folder.change_status(dog, "received")
    folder.official_message(referee, text="Please send the receipt.", author_name="Kulttuuri", reply_allowed=True)
    folder.change_status(grants, "processing")
    sweep_env.advance(minutes=1)
    folder.change_status(grants, "decided")
    next_hour(sweep_env)
    report = sweep()
    assert (report.notified, report.emails, report.texts) == (1, 1, 0)
    [email] = Sent().emails_to("many@example.fi")
    assert email.subject == "New events in your e-services folder"
    assert f"Dog declaration ({dog})" in email.text and "New status: Received" in email.text
    assert f"Referee fee – applying online ({referee})" in email.text and "New message" in email.text
    assert f"Culture: arts and culture grants ({grants})" in email.text and "New status: Decided" in email.text
    assert untouched not in email.text
    assert "http://localhost:8000/folder" in email.text and 'href="http://localhost:8000/folder"' in email.html
    assert f"Dog declaration ({dog})" in email.html and 'lang="en"' in email.html
    assert email.text.count("New status") == 2  # one line per item, "processing" superseded by "decided"
    # The marker is gone and the watermark is the newest change included; a second run sends nothing.
    after = pending(customer)
    assert after.notify_pending_since is None and after.notify_shard is None and after.last_notified_at is not None
    next_hour(sweep_env)
    assert sweep().pending == 0 and len(Sent().emails) == 1


def test_the_next_notification_lists_only_what_is_new_since_the_last(sweep_env):
    from chalicelib import folder

    customer = profile(email="again@example.fi")
    first, second = item(customer), item(customer)
    folder.change_status(first, "received")
    next_hour(sweep_env)
    sweep()
    sweep_env.advance(minutes=20)
    folder.change_status(second, "processing")
    next_hour(sweep_env)
    sweep()
    one, two = Sent().emails_to("again@example.fi")
    assert first in one.text and second not in one.text
    assert second in two.text and first not in two.text


@pytest.mark.parametrize("language, subject, status, service", [
    ("fi", "Uusia tapahtumia asiointikansiossasi", "Uusi tila: Vastaanotettu", "Koirailmoitus"),
    ("sv", "Nya händelser i din e-tjänstmapp", "Ny status: Mottagen", "Hundanmälan"),
    ("en", "New events in your e-services folder", "New status: Received", "Dog declaration"),
])
def test_the_notification_is_in_the_customers_language(sweep_env, language, subject, status, service):
    from chalicelib import folder

    customer = profile(language=language, methods=("email", "sms"), email=f"{language}@example.fi",
                       phone="+358401110000")
    number = item(customer)
    folder.change_status(number, "received")
    next_hour(sweep_env)
    sweep()
    sent = Sent()
    [email] = sent.emails_to(f"{language}@example.fi")
    assert email.subject == subject and email.language == language
    assert f"{service} ({number})" in email.text and status in email.text and f'lang="{language}"' in email.html
    [text] = sent.texts_to("+358401110000")
    assert "http://localhost:8000/folder" in text and len(text) <= 160
    assert {"fi": "asiointi", "sv": "e-tjänster", "en": "e-services"}[language] in text


@pytest.mark.parametrize("methods", [("email",), ("sms",), ("email", "sms")])
def test_each_chosen_method_gets_one_message(sweep_env, methods):
    from chalicelib import folder

    customer = profile(methods=methods, email="methods@example.fi", phone="+358405550000")
    folder.change_status(item(customer), "received")
    folder.change_status(item(customer), "decided")
    next_hour(sweep_env)
    report = sweep()
    sent = Sent()
    assert len(sent.emails_to("methods@example.fi")) == (1 if "email" in methods else 0)
    assert len(sent.texts_to("+358405550000")) == (1 if "sms" in methods else 0)
    assert (report.emails, report.texts) == (int("email" in methods), int("sms" in methods))
    if "sms" in methods:
        assert " 2 " in sent.texts_to("+358405550000")[0]  # "...: 2 uutta tapahtumaa ..."


def test_no_identity_code_name_or_answers_in_any_message(sweep_env):
    from chalicelib import folder

    customers = [profile(methods=("email", "sms"), email=f"p{n}@example.fi", phone=f"+35840700000{n}", language=lang)
                 for n, lang in enumerate(("fi", "sv", "en"))]
    for customer in customers:
        number = item(customer)
        folder.official_message(number, text=f"Viesti, jossa {SECRET_ANSWER}", author_name="Virkailija Virtanen",
                                reply_allowed=True)
    next_hour(sweep_env)
    sweep()
    sent = Sent()
    bodies = [e.subject + e.text + (e.html or "") for e in sent.emails] + [m for _, m in sent.texts]
    assert len(bodies) == 6
    for body in bodies:
        for secret in (IDENTITY_CODE, SECRET_ANSWER, "Portaalia", "Testaaja", "Virtanen", "Viesti, jossa"):
            assert secret not in body


def test_a_change_is_notified_even_if_the_customer_opened_it_but_their_own_reply_is_not(sweep_env):
    """The guide: a notification whenever something changes in one's e-services. Opening the item in
    the portal removes the "New" label, not the notification; the customer's own reply is no news."""
    from chalicelib import folder

    customer = profile(email="seen@example.fi")
    number = item(customer)
    folder.change_status(number, "received")
    thread = folder.official_message(number, text="Lisätietoja tarvitaan", author_name="Virkailija", reply_allowed=True)
    folder.view_item(customer, number)  # opened in the portal before the sweep
    folder.reply(customer, number, thread, text="Tässä lisätiedot", uploads=[], author_name="Testaaja")
    next_hour(sweep_env)
    report = sweep()
    assert report.notified == 1 and len(Sent().emails) == 1
    assert pending(customer).notify_pending_since is None
    email = Sent().emails[0]
    assert number in email.text and "Vastaanotettu" in email.text and "Uusi viesti" in email.text

    folder.reply(customer, number, thread, text="Vielä yksi liite", uploads=[], author_name="Testaaja")
    next_hour(sweep_env)
    assert sweep().pending == 0 and len(Sent().emails) == 1  # the customer's own reply: nothing to tell


def test_health_care_items_never_reach_a_notification(sweep_env):
    """They have no owner_id, so neither the folder index nor a pending marker ever sees them."""
    from chalicelib import folder
    from chalicelib.models.forms import SubmissionModel

    customer = profile(email="health@example.fi")
    number = item(customer, "dental-care")
    record = SubmissionModel.get(number)
    record.update(actions=[SubmissionModel.owner_id.remove(), SubmissionModel.health_care.set(True)])
    folder.change_status(number, "received")
    next_hour(sweep_env)
    assert sweep().pending == 0 and Sent().emails == []


# ------------------------------------------------------------------------------------------------
# Exactly once


def test_a_change_during_the_sweep_stays_pending_for_the_next_hour(sweep_env):
    from chalicelib import folder
    from chalicelib.notifications.senders import AwsSender

    customer = profile(email="during@example.fi")
    first, second = item(customer), item(customer)
    folder.change_status(first, "received")
    next_hour(sweep_env)

    class ChangeWhileSending(AwsSender):
        def send_email(self, to, email, language):
            super().send_email(to, email, language)
            folder.change_status(second, "processing")  # arrives while the sweep is working

    report = sweep(sender=ChangeWhileSending())
    assert report.kept_pending == 1
    state = pending(customer)
    assert state.notify_pending_since is not None and state.notify_shard == customer[-1]
    assert state.last_notified_at is not None and state.notify_lease_id is None
    [one] = Sent().emails_to("during@example.fi")
    assert first in one.text and second not in one.text
    next_hour(sweep_env)
    sweep()
    one, two = Sent().emails_to("during@example.fi")
    assert second in two.text and first not in two.text
    assert pending(customer).notify_pending_since is None


def test_a_change_younger_than_the_settle_time_waits_for_the_next_hour(sweep_env):
    from chalicelib import folder

    customer = profile(email="fresh@example.fi")
    travel_to(sweep_env, datetime(2026, 1, 13, 10, 59, 55))
    folder.change_status(item(customer), "received")
    travel_to(sweep_env, datetime(2026, 1, 13, 11, 0))
    assert sweep().deferred == 1 and Sent().emails == []
    assert pending(customer).notify_lease_id is None  # released
    travel_to(sweep_env, datetime(2026, 1, 13, 12, 0))
    assert sweep().emails == 1


class SlowRecordingSender:
    """Stands in for SES/SNS: a little latency, and a record of every message handed over."""

    def __init__(self, delay=0.01):
        self.delay = delay
        self.lock = threading.Lock()
        self.emails: list[tuple[str, str]] = []
        self.texts: list[tuple[str, str]] = []

    def send_email(self, to, email, language):
        threading.Event().wait(self.delay)
        with self.lock:
            self.emails.append((to, email.text))

    def send_sms(self, phone, text):
        threading.Event().wait(self.delay)
        with self.lock:
            self.texts.append((phone, text))


@pytest.mark.race
def test_two_sweeps_at_the_same_time_send_every_notification_exactly_once(sweep_env):
    from chalicelib import folder

    customers = [profile(methods=("email", "sms"), email=f"c{n}@example.fi", phone=f"+3584090{n:05d}")
                 for n in range(40)]
    for customer in customers:
        folder.change_status(item(customer), "received")
    next_hour(sweep_env)
    sender = SlowRecordingSender()
    start = threading.Barrier(2)
    reports = []

    def run():
        start.wait()
        reports.append(sweep(sender=sender))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(to for to, _ in sender.emails) == {f"c{n}@example.fi": 1 for n in range(40)}
    assert Counter(phone for phone, _ in sender.texts) == {f"+3584090{n:05d}": 1 for n in range(40)}
    assert sum(r.notified for r in reports) == 40
    assert sum(r.claimed_elsewhere for r in reports) == sum(r.pending for r in reports) - 40
    assert all(pending(c).notify_pending_since is None and pending(c).notify_lease_id is None for c in customers)


class Flaky:
    """Wraps a boto3 client: a deterministic share of the sends fail (per recipient and attempt)."""

    def __init__(self, real, operation: str, share: float, always_fail: set[str] = frozenset()):
        self._real, self._operation, self._share, self._always = real, operation, share, always_fail
        self.attempts: Counter = Counter()
        self._lock = threading.Lock()

    def __getattr__(self, name):
        attribute = getattr(self._real, name)
        if name != self._operation:
            return attribute

        def call(**kwargs):
            from botocore.exceptions import ClientError

            recipient = kwargs.get("PhoneNumber") or kwargs.get("Destinations", ["?"])[0]
            with self._lock:
                self.attempts[recipient] += 1
                attempt = self.attempts[recipient]
            if recipient in self._always or random.Random(f"{recipient}:{attempt}").random() < self._share:
                raise ClientError({"Error": {"Code": "Throttling", "Message": f"rate exceeded for {recipient}"}},
                                  self._operation)
            return attribute(**kwargs)

        return call


@pytest.fixture
def flaky_clients(sweep_env, monkeypatch):
    from chalicelib import clients

    real = clients.client
    wrapped = {}

    def client(service):
        if service not in wrapped:
            operation = {"ses": "send_raw_email", "sns": "publish"}.get(service)
            wrapped[service] = Flaky(real(service), operation, wrapped_share.get(service, 0.0),
                                     always.get(service, set())) if operation else real(service)
        return wrapped[service]

    wrapped_share: dict[str, float] = {}
    always: dict[str, set] = {}
    monkeypatch.setattr(clients, "client", client)
    return wrapped_share, always, wrapped


def test_failed_sends_are_retried_until_each_notification_is_delivered_exactly_once(sweep_env, flaky_clients, monkeypatch):
    from chalicelib import folder
    from chalicelib.config import settings

    share, _, wrapped = flaky_clients
    share.update(ses=0.35, sns=0.35)
    monkeypatch.setattr(settings(), "notification_max_failures", 1000)
    customers = {n: profile(methods=("email", "sms") if n % 3 == 0 else (("email",) if n % 3 == 1 else ("sms",)),
                            email=f"f{n}@example.fi", phone=f"+3584091{n:05d}") for n in range(30)}
    items = {n: item(c) for n, c in customers.items()}
    for n, number in items.items():
        folder.change_status(number, "received")
    for _ in range(25):
        next_hour(sweep_env)
        if sweep().pending == 0:
            break
    else:
        pytest.fail("still pending after 25 sweeps")
    sent = Sent()
    assert sum(wrapped["ses"].attempts.values()) > len(sent.emails)  # failures did happen
    assert sum(wrapped["sns"].attempts.values()) > len(sent.texts)
    for n, number in items.items():
        methods = ("email", "sms") if n % 3 == 0 else (("email",) if n % 3 == 1 else ("sms",))
        emails = sent.emails_to(f"f{n}@example.fi")
        texts = sent.texts_to(f"+3584091{n:05d}")
        assert len(emails) == (1 if "email" in methods else 0), n
        assert len(texts) == (1 if "sms" in methods else 0), n
        if emails:
            assert emails[0].text.count(number) == 1
        state = pending(customers[n])
        assert state.notify_failures == 0 and state.notified_email_at is None and state.notified_sms_at is None


def test_when_one_of_two_channels_fails_only_that_one_is_retried(sweep_env, flaky_clients):
    from chalicelib import folder

    _, always, wrapped = flaky_clients
    always["sns"] = {"+358409990000"}
    customer = profile(methods=("email", "sms"), email="both@example.fi", phone="+358409990000")
    first = item(customer)
    folder.change_status(first, "received")
    next_hour(sweep_env)
    report = sweep()
    assert (report.emails, report.texts, report.failed_sends) == (1, 0, 1)
    state = pending(customer)
    assert state.notify_pending_since is not None and state.notify_failures == 1 and state.notified_email_at is not None
    always["sns"].clear()
    second = item(customer)
    sweep_env.advance(minutes=10)
    folder.change_status(second, "received")
    next_hour(sweep_env)
    sweep()
    sent = Sent()
    one, two = sent.emails_to("both@example.fi")
    assert first in one.text and second not in one.text
    assert second in two.text and first not in two.text  # the e-mail channel never repeats
    [text] = sent.texts_to("+358409990000")  # the text message catches up with both
    assert "2" in text
    assert pending(customer).notify_pending_since is None


def test_after_n_failed_sweeps_the_profile_is_blocked_until_the_contact_is_edited(sweep_env, flaky_clients):
    from chalicelib import folder
    from chalicelib.identity import profiles

    _, always, wrapped = flaky_clients
    always["sns"] = {"+358401230000"}
    customer = profile(methods=("sms",), phone="+358401230000", email=None)
    folder.change_status(item(customer), "received")
    for attempt in range(1, 6):
        next_hour(sweep_env)
        report = sweep()
        assert report.failed_sends == 1
    assert report.blocked == 1
    state = pending(customer)
    assert state.notify_blocked_reason == "sms: Throttling" and state.notify_failures == 5
    assert "+358" not in state.notify_blocked_reason
    next_hour(sweep_env)
    assert sweep().pending == 0  # skipped: the sparse index still has it, the filter leaves it out
    assert wrapped["sns"].attempts["+358401230000"] == 5

    always["sns"].clear()
    profiles.update_contact(customer, profiles.ContactForm(phone="+358 40 123 0000", methods=("sms",), language="fi"))
    state = pending(customer)
    assert state.notify_blocked_reason is None and state.notify_failures == 0
    next_hour(sweep_env)
    assert sweep().texts == 1
    assert len(Sent().texts_to("+358401230000")) == 1
    assert pending(customer).notify_pending_since is None


def test_the_sweep_reads_the_sparse_index_per_shard_and_never_scans(sweep_env):
    from chalicelib import folder
    from tests.dynamo_calls import count_dynamodb_calls

    customers = [profile(email=f"s{n}@example.fi") for n in range(5)]
    for n in range(20):
        profile(email=f"idle{n}@example.fi")  # nothing pending: never read
    for customer in customers:
        folder.change_status(item(customer), "received")
    next_hour(sweep_env)
    # A shard's page of two or more is claimed in one transaction and read in one batch
    # (sweep.claim_page); a customer alone in a shard is claimed with one UpdateItem.
    per_shard = Counter(pending(customer).notify_shard for customer in customers)
    shared = sum(1 for n in per_shard.values() if n > 1)
    with count_dynamodb_calls() as calls:
        sweep()
    operations = Counter(op for op, _ in calls.calls)
    assert "Scan" not in operations
    assert operations["Query"] == 16 + 5  # every shard once, one owner-updated Query per customer
    assert operations["UpdateItem"] == 5 + sum(1 for n in per_shard.values() if n == 1)  # finish each; lone claims
    assert operations["TransactWriteItems"] == shared and operations["BatchGetItem"] == shared


def queued_bodies(*, delete: bool = True) -> list[str]:
    """Every message in the notification queue: received and deleted, or (``delete=False``) only
    looked at: visible again at once, as if their worker had died."""
    from chalicelib.clients import client
    from chalicelib.notifications.fanout import queue_url

    sqs, url, bodies, receipts = client("sqs"), queue_url(), [], []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            receipts.append(message["ReceiptHandle"])
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    if not delete:
        for receipt in receipts:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return bodies


def test_the_scheduled_planner_queues_the_shards_and_the_sqs_worker_notifies(sweep_env):
    from chalice.test import Client

    from app import app
    from chalicelib import folder

    customer = profile(email="scheduled@example.fi")
    folder.change_status(item(customer), "received")
    next_hour(sweep_env)
    with Client(app) as client:
        answer = client.lambda_.invoke("notification_sweep", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
        assert answer.payload == {"at": "2026-01-13T10:00+02:00", "window_open": True, "shards": 16}
        bodies = queued_bodies()
        assert sorted(json.loads(b)["shard"] for b in bodies) == list("0123456789abcdef")
        assert Sent().emails == []  # the planner only queues
        reports = [client.lambda_.invoke("notification_worker", client.events.generate_sqs_event(
            message_bodies=[body], queue_name="eservices-test-notifications")).payload for body in bodies]
    assert sum(r["emails"] for r in reports) == 1 and sum(r["pending"] for r in reports) == 1
    assert len(Sent().emails_to("scheduled@example.fi")) == 1
    expression = next(e for e in app.event_sources if e.name == "notification_sweep").schedule_expression
    assert expression.to_string() == "cron(0 * * * ? *)"
    worker = next(e for e in app.event_sources if e.name == "notification_worker")
    assert worker.batch_size == 1 and worker.maximum_concurrency == 4 and worker.queue == "eservices-test-notifications"


def test_no_scan_anywhere_in_chalicelib():
    """Like the before-stop hook: no `.scan(` in chalicelib except a line an engineer marked
    "scan-ok" with a reason (an ops command over a tiny table); none at all in the notifications."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "chalicelib"
    lines = [(p, line) for p in root.rglob("*.py") for line in p.read_text(encoding="utf-8").splitlines()
             if re.search(r"\.scan\(", line)]
    assert [str(p) for p, line in lines if "scan-ok" not in line] == []
    assert [str(p) for p, _ in lines if "notifications" in p.parts] == []


def test_my_profile_tells_a_blocked_customer_and_saving_it_unblocks(client, idp):
    from chalicelib.models.identity import ProfileModel
    from tests.fake_idp import NORDEA_TESTAAJA, sign_in
    from tests.integration.test_registration_and_profile import get, post

    sid = sign_in(client, idp, NORDEA_TESTAAJA)
    [profile_id] = [p.profile_id for p in ProfileModel.scan()]  # scan-ok: test inspection
    ProfileModel(profile_id).update(actions=[ProfileModel.notify_blocked_reason.set("email: MessageRejected"),
                                             ProfileModel.notify_failures.set(5)])
    page = get(client, "/profile", sid).body.decode()
    assert "Notifications could not be delivered" in page and "MessageRejected" not in page
    answer = post(client, "/profile/edit", sid, {"email": "uusi@example.fi", "phone": "", "methods": ["email"],
                                                "language": "fi"})
    assert answer.status_code == 303
    state = pending(profile_id)
    assert state.notify_blocked_reason is None and state.notify_failures == 0
    assert "Notifications could not be delivered" not in get(client, "/profile", sid).body.decode()
