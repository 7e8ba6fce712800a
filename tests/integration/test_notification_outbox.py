"""The development outbox (/dev/outbox): what moto "sent", in the local stage only."""
from __future__ import annotations

import socket
import uuid
from datetime import datetime

import pytest

from tests.integration.test_notifications import item, profile, travel_to


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_outbox_reads_moto_servers_state_over_http():
    """Against a real moto server, as `make run` has it: SES raw e-mails and SNS text messages."""
    import boto3
    from moto.server import ThreadedMotoServer

    from chalicelib.notifications.messages import Email
    from chalicelib.notifications.outbox import OutboxUnavailable, read_outbox
    from chalicelib.notifications.senders import mime_message

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        ses = boto3.client("ses", region_name="eu-north-1", endpoint_url=endpoint)
        sns = boto3.client("sns", region_name="eu-north-1", endpoint_url=endpoint)
        ses.verify_email_identity(EmailAddress="no-reply@asiointi.example.fi")
        to = f"{uuid.uuid4().hex[:8]}@example.fi"
        ses.send_raw_email(Source="no-reply@asiointi.example.fi", Destinations=[to], RawMessage={
            "Data": mime_message(to, Email("Nya händelser", "Helsingfors stad", "<p>Hej</p>", "Hej"), "sv")})
        sns.publish(PhoneNumber="+358401119999", Message=f"Helsingfors e-tjänster {to}")
        outbox = read_outbox(endpoint)
        [email] = [e for e in outbox.emails if to in e.to]
        assert email.subject == "Nya händelser" and email.html.strip() == "<p>Hej</p>" and email.language == "sv"
        assert any(t.phone == "+358401119999" and to in t.message for t in outbox.texts)
    finally:
        server.stop()
    with pytest.raises(OutboxUnavailable):
        read_outbox(endpoint)  # stopped: a clear error, not a crash
    with pytest.raises(OutboxUnavailable):
        read_outbox(None)


@pytest.fixture
def local_outbox_app(aws, clock, monkeypatch):
    """The outbox blueprint in an app of the local stage, reading the in-process moto's state (the
    same JSON moto server's /moto-api/data.json serves)."""
    import boto3
    from chalice import Chalice
    from chalice.test import Client
    from moto.moto_api._internal.responses import MotoAPIResponse

    from chalicelib.clients import client
    from chalicelib.config import settings
    from chalicelib.handlers import outbox
    from chalicelib.notifications import outbox as outbox_domain

    def in_process_state(endpoint, timeout=10.0):
        import json

        return json.loads(MotoAPIResponse().model_data(None, "", {})[2])

    client.cache_clear()
    boto3.client("ses", region_name="eu-north-1").verify_email_identity(EmailAddress=settings().notification_sender)
    monkeypatch.setattr(settings(), "stage", "local")
    monkeypatch.setattr(settings(), "aws_endpoint_url", "http://127.0.0.1:5055")
    monkeypatch.setattr(outbox_domain, "fetch_state", in_process_state)
    app = Chalice(app_name="outbox-test")
    outbox.register(app)
    with Client(app) as test_client:
        yield test_client.http
    client.cache_clear()


def test_the_outbox_page_shows_the_emails_and_texts_as_the_customer_sees_them(local_outbox_app, clock, monkeypatch):
    from chalicelib import folder
    from chalicelib.config import settings
    from chalicelib.notifications import run_sweep

    monkeypatch.setattr(settings(), "aws_endpoint_url", None)  # the sweep itself uses in-process moto
    from chalicelib.notifications.fanout import create_queues

    create_queues()  # as scripts/local_stack.py does
    travel_to(clock, datetime(2026, 6, 1, 9, 30))
    address = f"{uuid.uuid4().hex[:8]}@example.fi"
    customer = profile(methods=("email", "sms"), language="sv", email=address, phone="+358409876543")
    number = item(customer)
    folder.change_status(number, "received")
    travel_to(clock, datetime(2026, 6, 1, 10, 0))
    assert run_sweep().emails == 1
    monkeypatch.setattr(settings(), "aws_endpoint_url", "http://127.0.0.1:5055")

    page = local_outbox_app.get("/dev/outbox?lang=en")
    assert page.status_code == 200
    body = page.body.decode()
    assert "Development outbox" in body and address in body and "Nya händelser i din e-tjänstmapp" in body
    assert "+358409876543" in body and "Helsingfors e-tjänster: nytt i 1 ärende i din mapp." in body
    message_id = body.split('src="/dev/outbox/emails/')[1].split('"')[0]
    assert 'title="The e-mail as the customer sees it: Nya händelser i din e-tjänstmapp"' in body
    assert f"Hundanmälan ({number})" in body  # the plain-text version

    html = local_outbox_app.get(f"/dev/outbox/emails/{message_id}")
    assert html.status_code == 200 and f"Hundanmälan ({number})" in html.body.decode()
    assert html.headers["Content-Language"] == "sv" and "frame-ancestors 'self'" in html.headers["Content-Security-Policy"]
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN" and "script-src" not in html.headers["Content-Security-Policy"]
    assert local_outbox_app.get("/dev/outbox/emails/nonexistent").status_code == 404

    assert "Utvecklingsmiljöns utkorg" in local_outbox_app.get("/dev/outbox?lang=sv").body.decode()
    assert "Kehitysympäristön lähtevät viestit" in local_outbox_app.get("/dev/outbox?lang=fi").body.decode()


def test_the_outbox_says_so_when_the_local_stack_is_down(local_outbox_app, monkeypatch):
    from chalicelib.notifications import outbox as outbox_domain

    def down(endpoint, timeout=10.0):
        raise outbox_domain.OutboxUnavailable("URLError")

    monkeypatch.setattr(outbox_domain, "fetch_state", down)
    page = local_outbox_app.get("/dev/outbox?lang=en")
    assert page.status_code == 503 and "The local AWS stack did not answer" in page.body.decode()


def test_the_outbox_exists_only_in_the_local_stage(client):
    from chalice import Chalice

    from app import app
    from chalicelib.handlers import outbox

    assert not any(path.startswith("/dev/outbox") for path in app.routes)  # the test stage's app
    with pytest.raises(RuntimeError):
        outbox.register(Chalice(app_name="x"))
