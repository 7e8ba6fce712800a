"""Delivery: e-mail through SES, text messages through SNS. A sender raises on failure; the sweep
records only the error's code (an AWS error message may quote the address or the number)."""
from __future__ import annotations

from typing import Protocol

from chalicelib.notifications.messages import Email


class SendFailed(Exception):
    """A message was not accepted for delivery. ``code`` is safe to log and store (no personal data)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Sender(Protocol):
    def send_email(self, to: str, email: Email, language: str) -> None: ...

    def send_sms(self, phone: str, text: str) -> None: ...


def error_code(exc: BaseException) -> str:
    """What is safe to keep of a failure: the AWS error code or the exception's class, never its text."""
    if isinstance(exc, SendFailed):
        return exc.code[:60]
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)[:60]
    return type(exc).__name__


def mime_message(to: str, email: Email, language: str) -> bytes:
    """multipart/alternative (plain text first, then HTML), quoted-printable: 7-bit safe for SES."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from chalicelib import clock
    from chalicelib.config import settings

    sender = settings().notification_sender
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = Address(display_name=email.sender_name, addr_spec=sender)
    message["To"] = to
    message["Date"] = format_datetime(clock.utcnow().replace(microsecond=0), usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text, cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = language  # after the parts: set_content clears Content-* headers
    return message.as_bytes()


class AwsSender:
    """SES SendRawEmail and SNS Publish to a phone number. Create it in the thread that starts the
    sweep: the boto3 clients are made there (making clients is not thread-safe; using them is)."""

    def __init__(self):
        from chalicelib.clients import client

        self._ses = client("ses")
        self._sns = client("sns")

    def send_email(self, to: str, email: Email, language: str) -> None:
        from chalicelib.config import settings

        from chalicelib.notifications import feedback

        config = settings()
        extra = {}
        if config.notification_configuration_set:
            # Bounces, complaints and rejects come back through the set's SNS topic (feedback.py),
            # carrying the tag that names the profile (its id and a keyed hash: no address).
            extra["ConfigurationSetName"] = config.notification_configuration_set
            tag = feedback.current_reference()
            if tag:
                extra["Tags"] = [{"Name": feedback.TAG, "Value": tag}]
        self._ses.send_raw_email(Source=config.notification_sender, Destinations=[to],
                                 RawMessage={"Data": mime_message(to, email, language)}, **extra)

    def send_sms(self, phone: str, text: str) -> None:
        from chalicelib.config import settings

        # A number that answered STOP is on SNS's opt-out list: SNS would drop the message silently.
        # SendFailed("OptedOut") makes the sweep block the SMS channel (feedback.failed_send).
        if self._sns.check_if_phone_number_is_opted_out(phoneNumber=phone).get("isOptedOut"):
            raise SendFailed("OptedOut")

        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        sender_id = settings().notification_sms_sender_id
        if sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        self._sns.publish(PhoneNumber=phone, Message=text, MessageAttributes=attributes)
