"""Delivery feedback end to end through moto (issue 18): the sweep sends with the configuration set and
the profile's tag; an SES event is published to the feedback SNS topic, comes back through an SQS
subscription as the real SNS envelope, and reaches the ``delivery_feedback`` Lambda handler (Chalice's
test client) in Lambda's SNS event shape. Then the sweep, My profile and the front page."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.integration.test_notifications import Sent, item, next_hour, pending, profile, sweep, sweep_env  # noqa: F401

BOUNCE_PERMANENT = {"bounceType": "Permanent", "bounceSubType": "General"}
BOUNCE_TRANSIENT = {"bounceType": "Transient", "bounceSubType": "MailboxFull"}


class Feedback:
    """The feedback topic in moto, the e-mails the portal handed to SES (with the parameters it used),
    and the handler behind the topic."""

    def __init__(self):
        import boto3

        from chalicelib.clients import client
        from chalicelib.config import settings

        config = settings()
        self.sns = boto3.client("sns", region_name="eu-north-1")
        self.sqs = boto3.client("sqs", region_name="eu-north-1")
        self.topic_arn = self.sns.create_topic(Name=config.delivery_feedback_topic)["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="feedback-capture")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        self.sent: list[dict] = []  # SendRawEmail's parameters and SES's MessageId
        ses = client("ses")
        ses.meta.events.register("provide-client-params.ses.SendRawEmail", self._params)
        ses.meta.events.register("after-call.ses.SendRawEmail", self._answer)

    def _params(self, params, **_):
        self.sent.append({"params": dict(params)})

    def _answer(self, parsed, **_):
        self.sent[-1]["message_id"] = parsed.get("MessageId")

    def ses_event(self, kind: str, sent: dict, *, recipient: str | None = None, at="2026-01-13T10:31:02.669Z",
                  **details) -> dict:
        """The record SES's event destination publishes for ``sent`` (docs: "Examples of event data that
        Amazon SES publishes to Amazon SNS"): tags as SES returns them, one list per tag."""
        params = sent["params"]
        tags = {t["Name"]: [t["Value"]] for t in params.get("Tags", [])}
        if params.get("ConfigurationSetName"):
            tags["ses:configuration-set"] = [params["ConfigurationSetName"]]
        destination = list(params["Destinations"])
        address = recipient or destination[0]
        event = {"eventType": kind, "mail": {
            "timestamp": "2026-01-13T10:30:01.012Z", "source": params["Source"], "sendingAccountId": "123456789012",
            "messageId": sent["message_id"], "destination": destination, "headersTruncated": False, "tags": tags}}
        if kind == "Bounce":
            event["bounce"] = {**details, "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                                                                 "status": "5.1.1"}],
                               "timestamp": at, "feedbackId": f"fb-{sent['message_id']}"}
        elif kind == "Complaint":
            event["complaint"] = {"complainedRecipients": [{"emailAddress": address}], "timestamp": at,
                                  "feedbackId": f"fc-{sent['message_id']}", "complaintFeedbackType": "abuse"}
        elif kind == "Reject":
            event["reject"] = {"reason": "Bad content"}
        return event

    def publish(self, event: dict) -> dict:
        """Publish to the topic; returns Lambda's SNS event for the notification that SNS delivered."""
        self.sns.publish(TopicArn=self.topic_arn, Message=json.dumps(event))
        [message] = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)["Messages"]
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        envelope = json.loads(message["Body"])
        assert envelope["Type"] == "Notification" and envelope["TopicArn"] == self.topic_arn
        return {"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": f"{self.topic_arn}:0b6941c3-f04d-4d3e-a66d-b1df00e1e381",
            "Sns": {"Subject": None, "MessageAttributes": {}, **envelope}}]}

    @staticmethod
    def invoke(lambda_event: dict) -> str:
        from chalice.test import Client

        from app import app

        with Client(app) as test_client:
            answer = test_client.lambda_.invoke("delivery_feedback", lambda_event)
        return answer.payload["outcome"]

    def deliver(self, event: dict) -> str:
        return self.invoke(self.publish(event))


@pytest.fixture
def feedback(sweep_env):
    return Feedback()


def notified(clock, customer: str) -> None:
    """A change in the customer's folder and the next hour's sweep."""
    from chalicelib import folder

    folder.change_status(item(customer), "received")
    next_hour(clock)
    sweep()


def state(profile_id: str) -> dict:
    return pending(profile_id).attribute_values


# ------------------------------------------------------------------------------------------------
# E-mail


def test_each_email_goes_with_the_configuration_set_and_a_keyed_profile_reference(sweep_env, feedback):
    from chalicelib.config import settings
    from chalicelib.notifications import feedback as module

    customer = profile(email="tagged@example.fi")
    notified(sweep_env, customer)
    [sent] = feedback.sent
    params = sent["params"]
    assert params["ConfigurationSetName"] == settings().notification_configuration_set
    [tag] = params["Tags"]
    assert tag["Name"] == "portal-profile" and module.profile_of(tag["Value"]) == customer
    assert "tagged" not in tag["Value"] and "@" not in tag["Value"]
    # The reference is keyed: another profile id with this MAC is no reference.
    assert module.profile_of("0" * 32 + "." + tag["Value"].rsplit(".", 1)[1]) is None


def test_a_permanent_bounce_stops_emails_and_the_same_notification_twice_changes_nothing_more(sweep_env, feedback):
    customer = profile(email="gone@example.fi", methods=("email", "sms"))
    notified(sweep_env, customer)
    [sent] = feedback.sent
    lambda_event = feedback.publish(feedback.ses_event("Bounce", sent, **BOUNCE_PERMANENT))
    assert feedback.invoke(lambda_event) == "blocked"
    after_first = state(customer)
    assert after_first["email_blocked_reason"] == "bounce"
    assert feedback.invoke(lambda_event) == "duplicate"  # SNS delivers at least once
    assert state(customer) == after_first
    # The sweep no longer e-mails the address; the text messages go on.
    texts_before = len(Sent().texts_to("+358401234567"))
    notified(sweep_env, customer)
    assert len(feedback.sent) == 1 and len(Sent().emails_to("gone@example.fi")) == 1
    assert len(Sent().texts_to("+358401234567")) == texts_before + 1
    assert pending(customer).notify_pending_since is None  # nothing left waiting for a blocked channel


def test_transient_bounces_block_only_when_repeated(sweep_env, feedback):
    from chalicelib.config import settings

    limit = settings().notification_soft_bounce_limit
    assert limit >= 2
    customer = profile(email="full@example.fi")
    for number in range(1, limit + 1):
        notified(sweep_env, customer)
        lambda_event = feedback.publish(feedback.ses_event("Bounce", feedback.sent[-1], at=f"2026-01-13T1{number}:31:00Z",
                                                           **BOUNCE_TRANSIENT))
        outcome = feedback.invoke(lambda_event)
        if number < limit:
            assert outcome == "counted"
            assert feedback.invoke(lambda_event) == "duplicate"  # the same notification again is not counted
            assert len(state(customer)["email_soft_bounces"]) == number
            assert state(customer).get("email_blocked_reason") is None
    assert outcome == "blocked"
    assert state(customer)["email_blocked_reason"] == "bounces"


def test_old_transient_bounces_do_not_count(sweep_env, feedback, monkeypatch):
    from chalicelib.config import settings

    monkeypatch.setattr(settings(), "notification_soft_bounce_limit", 2)
    customer = profile(email="sometimes@example.fi")
    notified(sweep_env, customer)
    assert feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], at="2025-11-01T10:00:00Z",
                                               **BOUNCE_TRANSIENT)) == "counted"
    notified(sweep_env, customer)
    assert feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], at="2026-01-13T10:31:00Z",
                                               **BOUNCE_TRANSIENT)) == "counted"
    assert state(customer).get("email_blocked_reason") is None
    assert len(state(customer)["email_soft_bounces"]) == 1  # the one from November is dropped


def test_a_complaint_stops_emails(sweep_env, feedback):
    customer = profile(email="spam@example.fi")
    notified(sweep_env, customer)
    assert feedback.deliver(feedback.ses_event("Complaint", feedback.sent[-1])) == "blocked"
    assert state(customer)["email_blocked_reason"] == "complaint"
    notified(sweep_env, customer)
    assert len(feedback.sent) == 1


def test_a_reject_is_about_the_message_and_blocks_nothing(sweep_env, feedback):
    customer = profile(email="fine@example.fi")
    notified(sweep_env, customer)
    before = state(customer)
    assert feedback.deliver(feedback.ses_event("Reject", feedback.sent[-1])) == "rejected"
    assert state(customer) == before


def test_a_bounce_of_an_address_edited_since_blocks_nothing(sweep_env, feedback):
    from chalicelib.identity import profiles

    customer = profile(email="old@example.fi")
    notified(sweep_env, customer)
    profiles.update_contact(customer, profiles.ContactForm(email="new@example.fi", methods=("email",), language="fi"))
    assert feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], **BOUNCE_PERMANENT)) == "not-current"
    assert state(customer).get("email_blocked_reason") is None


def test_an_event_without_the_portals_reference_blocks_nothing(sweep_env, feedback):
    customer = profile(email="someone@example.fi")
    notified(sweep_env, customer)
    event = feedback.ses_event("Bounce", feedback.sent[-1], **BOUNCE_PERMANENT)
    event["mail"]["tags"]["portal-profile"] = [f"{customer}.{'0' * 32}"]  # not the portal's MAC
    assert feedback.deliver(event) == "unknown-profile"
    del event["mail"]["tags"]["portal-profile"]
    assert feedback.deliver(event) == "unknown-profile"
    assert state(customer).get("email_blocked_reason") is None


@pytest.mark.parametrize("message", ["not json", "[]", json.dumps({"eventType": "Delivery", "mail": {}}),
                                     json.dumps({"eventType": "Open"})])
def test_anything_else_on_the_topic_is_ignored(aws, message):
    from chalicelib.notifications.feedback import handle_notification

    assert handle_notification(message) == "ignored"


def test_my_data_includes_the_delivery_feedback(sweep_env, feedback):
    from chalicelib.privacy.mydata import collect

    customer = profile(email="mine@example.fi")
    notified(sweep_env, customer)
    feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], **BOUNCE_TRANSIENT))
    data = collect(customer)["profile"]
    assert len(data["email_soft_bounces"]) == 1 and "email_blocked_reason" not in data
    feedback.deliver(feedback.ses_event("Complaint", feedback.sent[-1]))
    data = collect(customer)["profile"]
    assert data["email_blocked_reason"] == "complaint" and data["email_blocked_at"].startswith("2026-01-13T10:31:02")


def test_editing_the_address_clears_the_block_and_emails_start_again(sweep_env, feedback):
    from chalicelib.identity import profiles

    customer = profile(email="bounced@example.fi")
    notified(sweep_env, customer)
    feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], **BOUNCE_PERMANENT))
    assert state(customer)["email_blocked_reason"] == "bounce"
    profiles.update_contact(customer, profiles.ContactForm(email="fixed@example.fi", methods=("email",), language="fi"))
    after = state(customer)
    assert after.get("email_blocked_reason") is None and after.get("email_blocked_at") is None
    notified(sweep_env, customer)
    assert len(Sent().emails_to("fixed@example.fi")) == 1


def test_nothing_in_the_feedback_logs_names_the_address(sweep_env, feedback, caplog):
    customer = profile(email="private.person@example.fi")
    notified(sweep_env, customer)
    caplog.set_level("DEBUG", logger="portal")
    feedback.deliver(feedback.ses_event("Bounce", feedback.sent[-1], **BOUNCE_TRANSIENT))
    feedback.deliver(feedback.ses_event("Complaint", feedback.sent[-1]))
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("portal", "city-eservices"))]
    assert any("delivery feedback: blocked" in line for line in ours)
    assert not [line for line in ours if "private.person" in line or customer in line]


# ------------------------------------------------------------------------------------------------
# Text messages

OPTED_OUT = "+358401234599"  # moto's SNS: a number ending in 99 has opted out


def test_an_opted_out_number_stops_text_messages_and_emails_go_on(sweep_env, feedback):
    customer = profile(email="both@example.fi", phone=OPTED_OUT, methods=("email", "sms"))
    notified(sweep_env, customer)
    assert Sent().texts_to(OPTED_OUT) == [] and len(Sent().emails_to("both@example.fi")) == 1
    after = state(customer)
    assert after["sms_blocked_reason"] == "opted-out" and after.get("email_blocked_reason") is None
    # Next hour: the SMS channel is skipped (not retried, not counted as a failure), e-mail goes on.
    next_hour(sweep_env)
    sweep()
    assert pending(customer).notify_pending_since is None
    notified(sweep_env, customer)
    assert Sent().texts_to(OPTED_OUT) == [] and len(Sent().emails_to("both@example.fi")) == 2
    assert pending(customer).notify_failures == 0


def test_a_number_sns_refuses_as_invalid_stops_text_messages_at_once(sweep_env):
    from chalicelib.models.identity import ProfileModel

    customer = profile(email="also@example.fi", methods=("email", "sms"))
    ProfileModel(customer).update(actions=[ProfileModel.phone.set("+358-40-12")])  # moto: not E.164
    notified(sweep_env, customer)
    after = state(customer)
    assert after["sms_blocked_reason"] == "failed" and len(Sent().emails_to("also@example.fi")) == 1


def test_an_invalid_parameter_that_is_not_the_number_blocks_nothing(sweep_env):
    from botocore.exceptions import ClientError

    from chalicelib.notifications import feedback as module

    customer = profile(phone="+358401234567", methods=("sms",))
    sender_id = ClientError({"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter: SenderID"}}, "Publish")
    assert module.failed_send(pending(customer), "sms", sender_id) is False
    throttled = ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
    assert module.failed_send(pending(customer), "sms", throttled) is False
    assert state(customer).get("sms_blocked_reason") is None
    number = ClientError({"Error": {"Code": "InvalidParameter",
                                    "Message": "Invalid parameter: PhoneNumber Reason: not valid to publish to"}}, "Publish")
    assert module.failed_send(pending(customer), "sms", number) is True
    assert state(customer)["sms_blocked_reason"] == "failed"


def test_the_opt_out_block_is_recorded_once(sweep_env):
    from chalicelib.notifications import feedback as module

    customer = profile(phone=OPTED_OUT, methods=("sms",))
    assert module.block_sms(customer, "opted-out", phone=OPTED_OUT) is True
    first = state(customer)
    assert module.block_sms(customer, "opted-out", phone=OPTED_OUT) is False
    assert state(customer) == first
    assert module.block_sms(customer, "opted-out", phone="+358401111111") is False  # not its number


# ------------------------------------------------------------------------------------------------
# On the page


NOTICES = {
    "en": ("Messages to your e-mail address could not be delivered", "came back undelivered",
           "Text messages to your mobile phone number could not be delivered", "refused text messages"),
    "fi": ("Sähköpostiosoitteeseesi lähetettyjä viestejä ei voitu toimittaa", "palautuivat perille menemättä",
           "Matkapuhelinnumeroosi lähetettyjä tekstiviestejä ei voitu toimittaa", "kieltäytynyt"),
    "sv": ("Meddelanden till din e-postadress kunde inte levereras", "kom tillbaka olevererade",
           "Sms till ditt mobilnummer kunde inte levereras", "tackat nej"),
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_my_profile_and_the_front_page_tell_the_customer_and_saving_clears_it(client, idp, lang):
    from chalicelib.models.identity import ProfileModel
    from tests.fake_idp import NORDEA_TESTAAJA, sign_in
    from tests.integration.test_registration_and_profile import get, post

    email_title, email_body, sms_title, sms_body = NOTICES[lang]
    sid = sign_in(client, idp, NORDEA_TESTAAJA)
    [profile_id] = [p.profile_id for p in ProfileModel.scan()]  # scan-ok: test inspection
    for path in ("/profile", "/"):
        page = get(client, path, sid, lang).body.decode()
        assert email_title not in page and sms_title not in page
    ProfileModel(profile_id).update(actions=[
        ProfileModel.email.set("tester@example.fi"), ProfileModel.phone.set("+358401234599"),
        ProfileModel.email_blocked_reason.set("bounce"), ProfileModel.email_blocked_at.set(datetime(2026, 1, 13)),
        ProfileModel.sms_blocked_reason.set("opted-out")])
    for path in ("/profile", "/"):
        page = get(client, path, sid, lang).body.decode()
        assert email_title in page and email_body in page and "tester@example.fi" in page, path
        assert sms_title in page and sms_body in page, path
    assert 'href="/profile/edit' in get(client, "/", sid, lang).body.decode()
    answer = post(client, "/profile/edit", sid, {"email": "tester@example.fi", "phone": "+358401234567",
                                                "methods": ["email", "sms"], "language": lang}, lang)
    assert answer.status_code == 303
    state_after = ProfileModel.get(profile_id, consistent_read=True)
    assert state_after.email_blocked_reason is None and state_after.sms_blocked_reason is None
    for path in ("/profile", "/"):
        page = get(client, path, sid, lang).body.decode()
        assert email_title not in page and sms_title not in page


def test_a_complaint_and_a_failed_number_have_their_own_words(client, idp):
    from chalicelib.models.identity import ProfileModel
    from tests.fake_idp import NORDEA_TESTAAJA, sign_in
    from tests.integration.test_registration_and_profile import get

    sid = sign_in(client, idp, NORDEA_TESTAAJA)
    [profile_id] = [p.profile_id for p in ProfileModel.scan()]  # scan-ok: test inspection
    ProfileModel(profile_id).update(actions=[
        ProfileModel.email.set("tester@example.fi"), ProfileModel.phone.set("+358401234567"),
        ProfileModel.email_blocked_reason.set("complaint"), ProfileModel.sms_blocked_reason.set("failed")])
    page = get(client, "/profile", sid).body.decode()
    assert "was reported as spam" in page and "could not be delivered, so the e-services" in page


# ------------------------------------------------------------------------------------------------
# The digest says what the customer will see: it counts items with something new, in both messages

COUNTED = {
    "en": ("Helsinki e-services: something new in {n} {item} in your folder.",
           "There is something new in {n} {item} in your e-services folder:", ("item", "items")),
    "fi": ("Helsingin asiointi: asiointikansiossasi on uutta {n} {item}.",
           "Asiointikansiossasi on uutta {n} {item}:", ("asiassa", "asiassa")),
    "sv": ("Helsingfors e-tjänster: nytt i {n} {item} i din mapp.",
           "Det finns något nytt i {n} {item} i din e-tjänstmapp:", ("ärende", "ärenden")),
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_three_changes_to_one_item_are_one_item_in_the_text_message_and_the_email(sweep_env, lang):
    from chalicelib import folder

    sms_words, email_words, (one, many) = COUNTED[lang]
    phone = "+358401234567"
    customer = profile(language=lang, email=f"count-{lang}@example.fi", phone=phone, methods=("email", "sms"))
    first = item(customer)
    sweep_env.advance(minutes=5)
    folder.change_status(first, "received")
    folder.official_message(first, text="Liite puuttuu.", author_name="Käsittelijä", reply_allowed=True)
    sweep_env.advance(minutes=1)
    folder.change_status(first, "processing")
    next_hour(sweep_env)
    sweep()
    [text] = Sent().texts_to(phone)
    assert text.startswith(sms_words.format(n=1, item=one) + " ")
    [email] = Sent().emails_to(f"count-{lang}@example.fi")
    assert email_words.format(n=1, item=one) in email.text and email_words.format(n=1, item=one) in email.html
    # Two items next time: the count follows the items, the same number in both.
    second, third = item(customer), item(customer)
    sweep_env.advance(minutes=5)
    folder.change_status(second, "received")
    folder.change_status(third, "received")
    folder.change_status(third, "processing")
    next_hour(sweep_env)
    sweep()
    text = Sent().texts_to(phone)[-1]
    assert text.startswith(sms_words.format(n=2, item=many) + " ")
    email = Sent().emails_to(f"count-{lang}@example.fi")[-1]
    assert email_words.format(n=2, item=many) in email.text
    assert email.text.count(f"({second})") == 1 and email.text.count(f"({third})") == 1
