"""Logs and metrics (chalicelib/observability.py): one JSON line per record with a correlation id, EMF
metrics for the main events, no line written twice, and no personal data in any line while the main
flows run: sign-in, registration, a form sent, a division's status change, a refused sign-in and an
unexpected error."""
from __future__ import annotations

import json
import logging
import re

import pytest

from tests.fake_idp import NORDEA_TESTAAJA, sign_in
from tests.integration.test_forms import Filler

CONTACT = {"email": "testaaja@example.fi", "phone": "+358 40 123 0001", "methods": ["email", "sms"]}
# Everything personal that the flows below type or receive from the identity provider.
PERSONAL = (
    "210281-9988", "210281-998", "Portaalia", "Testaaja", "testaaja@example.fi", "+358401230001",
    "40 123 0001", "0401230001", "omistaja@example.fi", "Testikatu", "Musti", "Sekarotuinen",
    "Otimme hakemuksen",
)


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _emf(lines: list[dict]) -> dict[tuple, float]:
    found: dict[tuple, float] = {}
    for line in lines:
        if "_aws" not in line:
            continue
        for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            dimensions = tuple(sorted((k, line[k]) for k in line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]))
            value = line[metric["Name"]]
            value = sum(value) if isinstance(value, list) else value
            found[(metric["Name"], dimensions)] = found.get((metric["Name"], dimensions), 0) + value
    return found


@pytest.fixture
def verbose_portal_logs():
    """Our loggers at DEBUG for the test (INFO on AWS): nothing personal at any level."""
    from chalicelib import observability

    observability.logger()
    loggers = [logging.getLogger(name) for name in observability.LOGGER_NAMES]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield
    for lg, level in zip(loggers, levels):
        lg.setLevel(level)


def test_no_personal_data_reaches_a_log_line(client, idp, capsys, caplog, monkeypatch, verbose_portal_logs):
    caplog.set_level(logging.INFO)  # everything else at the level Lambda would see (and more)
    from chalicelib import observability
    from chalicelib.divisions.keys import create_key

    # A refused sign-in: the identity provider sends a personal identity code that is not valid.
    provider_claims = {**NORDEA_TESTAAJA, "national_id": "210281-998X"}
    with pytest.raises(AssertionError):
        sign_in(client, idp, provider_claims)
    # Sign-in and registration with e-mail and phone, a form filled in and sent.
    sid = sign_in(client, idp, contact=CONTACT)
    filler = Filler(client, sid)
    filler.fill_dog_declaration()
    sent = filler.send()
    assert sent.status_code == 200
    item = re.search(r"item number (\d{6})", sent.body.decode()).group(1)
    # The division takes it into processing with a note to the customer.
    key = create_key("urban-environment")
    changed = client.post(f"/api/v1/submissions/{item}/status", body=json.dumps({"status": "received",
                          "note": "Otimme hakemuksen käsittelyyn, Portaalia Nordea Testaaja."}),
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert changed.status_code == 200, changed.body
    # An unexpected error whose message quotes personal data.
    from chalicelib.catalogue import search

    def broken(*args, **kwargs):
        raise ValueError("could not handle 210281-9988 testaaja@example.fi Portaalia Testaaja")

    monkeypatch.setattr(search, "popular", broken)
    assert client.get("/", headers={"Cookie": f"sid={sid}"}).status_code == 500

    captured = capsys.readouterr()
    # Our loggers' lines are in stderr. Other libraries' records go to the root logger, where the Lambda
    # runtime's handler would print message and traceback. (pytest also attaches its capture to our
    # loggers and formats their exceptions its own way: those are not lines that reach a log.)
    others = [logging.Formatter().format(r) for r in caplog.records if not r.name.startswith(observability.LOGGER_NAMES)]
    everything = "\n".join([captured.out, captured.err, *others])
    for value in PERSONAL:
        assert value.lower() not in everything.lower(), value
    # ... and the capture is not empty: access lines, the error with its frames, the metrics.
    lines = _lines(captured.err)
    requests = [line for line in lines if line.get("message") == "request"]
    assert len(requests) >= 12 and all(line["correlation_id"] and line["route"].startswith("/") for line in requests)
    errors = [line for line in lines if line.get("exception_name") == "ValueError"]
    assert errors and "Traceback" in errors[0]["exception"] and "builtins.ValueError" in errors[0]["exception"]
    assert any(line.get("message", "").startswith("sign-in refused: invalid-identity") for line in lines)
    assert any(line.get("message") == "sign-in refused: invalid-identity" for line in lines)  # the reason line
    metrics = _emf(lines)
    stage = (("service", "city-eservices"), ("stage", "test"))
    assert metrics[("SignIns", tuple(sorted(stage + (("method", "bank"),))))] >= 1
    assert metrics[("SubmissionsSent", stage)] == 1
    assert metrics[("StatusUpdates", stage)] == 1


def test_every_line_is_written_once(client, capfd, caplog):
    from chalicelib import observability

    observability.logger()
    caplog.set_level(logging.DEBUG)
    assert client.get("/instructions").status_code == 200
    logging.getLogger("city-eservices").error("from Chalice's own logger")
    logging.getLogger("portal.test").warning("from ours")
    out, err = capfd.readouterr()
    both = out + err
    assert both.count("from Chalice's own logger") == 1 and both.count("from ours") == 1
    assert len([line for line in _lines(err) if line.get("route") == "/instructions"]) == 1
    # Nothing propagates to the root logger (on Lambda, the runtime's handler would print it again).
    assert all(logging.getLogger(name).propagate is False for name in observability.LOGGER_NAMES)
    assert not out.strip(), "stdout is left to the ops commands"


def test_a_scheduled_run_has_its_own_correlation_id_and_reports_metrics(aws, capsys):
    from datetime import datetime, timezone

    from chalice.test import Client

    from app import app
    from chalicelib.clients import client
    from chalicelib.notifications.fanout import ShardMessage, create_queues

    client.cache_clear()
    create_queues()
    # A worker's queue message, planned now for 10:00 Helsinki time (inside the window whatever the hour).
    body = ShardMessage(shard="a", at=datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc),
                        planned=datetime.now(timezone.utc)).encode()
    with Client(app) as test_client:
        event = test_client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                     detail={}, resources=[])
        answer = test_client.lambda_.invoke("notification_sweep", event)
        message = test_client.events.generate_sqs_event(message_bodies=[body], queue_name="notifications")
        worked = test_client.lambda_.invoke("notification_worker", message)
    client.cache_clear()
    assert isinstance(answer.payload, dict) and worked.payload["shards"] == 1
    lines = _lines(capsys.readouterr().err)
    planner, worker = [line for line in lines if line.get("message") == "scheduled run"]
    assert planner["correlation_id"] == event["id"] and planner["function"] == "notification_sweep"
    assert worker["correlation_id"] == message["Records"][0]["messageId"]
    metrics = _emf(lines)
    stage = (("service", "city-eservices"), ("stage", "test"))
    assert ("NotificationsSent", tuple(sorted(stage + (("channel", "email"),)))) in metrics
    assert ("NotificationsFailed", stage) in metrics


def test_a_failing_scheduled_run_is_logged_and_counted(capsys, monkeypatch):
    from chalice.app import CloudWatchEvent

    from chalicelib import observability

    monkeypatch.setenv("_HANDLER", "app.notification_sweep")
    event = CloudWatchEvent({"version": "0", "id": "event-1", "detail-type": "Scheduled Event", "source": "aws.events",
                             "account": "1", "time": "2026-12-02T10:00:00Z", "region": "eu-north-1",
                             "resources": [], "detail": {}}, None)

    def fails(_event):
        raise RuntimeError("profile 210281-9988 could not be notified")

    with pytest.raises(RuntimeError):
        observability.middleware(event, fails)
    err = capsys.readouterr().err
    assert "210281-9988" not in err
    lines = _lines(err)
    (failed,) = [line for line in lines if line.get("message") == "invocation failed"]
    assert failed["correlation_id"] == "event-1" and failed["exception_name"] == "RuntimeError"
    stage = (("service", "city-eservices"), ("stage", "test"))
    assert _emf(lines)[("ScheduledRunFailures", tuple(sorted(stage + (("function", "notification_sweep"),))))] == 1


@pytest.mark.parametrize("text, masked", [
    ("code 210281-9988 and 150376-904V", "code [personal identity code] and [personal identity code]"),
    ("mail testaaja@example.fi", "mail [e-mail]"),
    ("phone +358 40 123 0001 or 040 123 0001", "phone [phone] or [phone]"),
    ("item 046283 at 2026-12-02T10:00:00+00:00, 12 ms", "item 046283 at 2026-12-02T10:00:00+00:00, 12 ms"),
])
def test_shapes_of_personal_data_are_masked(text, masked):
    from chalicelib.observability import mask

    assert mask(text) == masked
