"""The local stage's outbox: the e-mails and text messages that the local AWS stack (moto) accepted.

Nothing is sent anywhere locally: moto keeps every SES message and SNS text message in memory and
shows its state at ``GET <AWS_ENDPOINT_URL>/moto-api/data.json`` (moto 5: ``ses.RawMessage`` with
``raw_data``, ``ses.Message`` for SendEmail, ``sns.SMS`` with ``phone_number`` and ``message``).
This module reads that and parses the e-mails back into subject, plain text and HTML. Used only by
the development outbox page (/dev/outbox), which exists only in the local stage.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


class OutboxUnavailable(Exception):
    """The local AWS stack did not answer (is `make run` running?)."""


@dataclass(frozen=True)
class CapturedEmail:
    message_id: str
    to: tuple[str, ...]
    sender: str
    subject: str
    sent_at: datetime | None
    language: str
    text: str
    html: str | None


@dataclass(frozen=True)
class CapturedText:
    message_id: str
    phone: str
    message: str


@dataclass(frozen=True)
class Outbox:
    emails: list[CapturedEmail]  # newest first
    texts: list[CapturedText]  # newest first

    def email(self, message_id: str) -> CapturedEmail | None:
        return next((e for e in self.emails if e.message_id == message_id), None)


def fetch_state(endpoint: str, timeout: float = 10.0) -> dict:
    """moto's whole state as JSON (its dashboard's data)."""
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=timeout) as answer:  # noqa: S310 (local only)
            return json.loads(answer.read().decode("utf-8"))
    except (URLError, OSError, ValueError) as exc:
        raise OutboxUnavailable(type(exc).__name__) from None


def _parse_raw(message_id: str, raw: str, destinations) -> CapturedEmail:
    from email import message_from_string
    from email.policy import default
    from email.utils import parsedate_to_datetime

    parsed = message_from_string(raw, policy=default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    try:
        sent_at = parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    # moto adds the To header's addresses to the explicit destinations: each address once, in order.
    to = tuple(dict.fromkeys(list(destinations or ()) + [a.addr_spec for a in (parsed["To"].addresses if parsed["To"] else ())]))
    return CapturedEmail(
        message_id=message_id, to=to, sender=str(parsed["From"] or ""), subject=str(parsed["Subject"] or ""),
        sent_at=sent_at, language=str(parsed["Content-Language"] or ""),
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else None,
    )


def parse_state(state: dict) -> Outbox:
    """moto lists messages in the order they were sent (and only ever appends): newest first is
    that order reversed. moto's message ids can repeat after a reset of its random seed, so each
    e-mail's id here is its position in moto's list plus moto's id."""
    ses = state.get("ses", {})
    emails = [_parse_raw(f"{n}-{m['id']}", m.get("raw_data", ""), m.get("destinations"))
              for n, m in enumerate(ses.get("RawMessage", []))]
    for n, m in enumerate(ses.get("Message", [])):  # SendEmail (the portal uses SendRawEmail)
        destinations = m.get("destinations") or {}
        to = tuple(a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, []))
        emails.append(CapturedEmail(f"s{n}-{m['id']}", to, m.get("source", ""), m.get("subject", ""), None, "",
                                    m.get("body", ""), None))
    texts = [CapturedText(m["message_id"], m["phone_number"], m["message"]) for m in state.get("sns", {}).get("SMS", [])]
    return Outbox(emails=list(reversed(emails)), texts=list(reversed(texts)))


def read_outbox(endpoint: str | None) -> Outbox:
    if not endpoint:
        raise OutboxUnavailable("no AWS_ENDPOINT_URL: the outbox exists only with the local AWS stack")
    return parse_state(fetch_state(endpoint))
