"""Delivery feedback (issue 18): a channel that cannot be delivered to stops, and the customer is told.

E-mail. Every e-mail is sent with the SES configuration set (``notification_configuration_set``)
whose event destination publishes Bounce, Complaint and Reject events to the SNS topic
``delivery_feedback_topic``; the Lambda handler ``delivery_feedback`` (chalicelib/handlers/delivery.py)
gets each SNS notification and calls ``handle_notification``. Each e-mail carries the SES message tag
``portal-profile`` = ``<profile id>.<keyed hash>`` (``reference``): the profile id (a random id, the
profiles table's key, nothing about the person) and an HMAC of it with the identity pepper, so the
handler finds the profile with one GetItem (no Scan, no address in any key) and an event that does not
carry a reference the portal made changes nothing. SES returns the tags in the event's ``mail.tags``.

- Bounce, ``bounceType`` Permanent, or Complaint: ``email_blocked_reason`` := "bounce" / "complaint".
- Bounce, Transient or Undetermined (mailbox full, message too large, ...): counted per sent e-mail
  in ``email_soft_bounces``; at ``notification_soft_bounce_limit`` bounces within
  ``notification_soft_bounce_days`` the channel is blocked ("bounces").
- Reject (SES found a virus in the message): a fault of the message, not of the address: logged
  (counts only) and nothing is blocked.

Only if the address that bounced is still the profile's address (compared in memory and as the
update's condition, never logged or stored): an address edited after the send is not blocked by the
old one's bounce. Idempotent: the block is conditional on no block yet and takes the event's own time;
a transient bounce is added to a set keyed by the event's time and SES message id, so the same SNS
notification delivered twice changes nothing more.

Text messages. The sender asks SNS whether the number has opted out (``CheckIfPhoneNumberIsOptedOut``)
before each text message; an opted-out number, or a number SNS refuses as invalid
(``failed_send``), blocks the SMS channel at once (``sms_blocked_reason`` "opted-out" /
"failed"): ``failed_send`` is the sweep's hook.

The sweep skips a blocked channel (``deliverable``); My profile and the signed-in front page say
that messages could not be delivered; saving My profile clears the blocks
(chalicelib/identity/profiles.py ``update_contact``). Nothing here logs an address or a number.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone

log = logging.getLogger("portal.notifications.feedback")

TAG = "portal-profile"
# Failures that say the number itself will never take a text message: the SMS channel stops at once.
# "OptedOut" is the sender's own code (the opt-out check before Publish). SNS answers InvalidParameter
# for many things (a wrong sender ID too): only when its message names the phone number (read in
# memory, never logged) is it the number's fault; blocking every customer's text messages for the
# portal's own mistake would be worse. Other failures block after notification_max_failures sweeps.
INVALID_NUMBER_CODES = frozenset({"InvalidParameter", "InvalidParameterValue"})
EMAIL_REASONS = ("bounce", "bounces", "complaint")
SMS_REASONS = ("opted-out", "failed")

_sending_for: ContextVar[str | None] = ContextVar("portal_sending_for", default=None)


# ------------------------------------------------------------------------------------------------
# Sending: the reference on each e-mail, and which channels may be used


def _mac(profile_id: str) -> str:
    from chalicelib.config import settings

    key = settings().identity_pepper.encode("utf-8")
    return hmac.new(key, f"delivery-feedback:{profile_id}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def reference(profile_id: str) -> str:
    """The ``portal-profile`` tag of an e-mail to this profile (SES allows [A-Za-z0-9_.-], ≤ 256)."""
    return f"{profile_id}.{_mac(profile_id)}"


def profile_of(tag: str | None) -> str | None:
    """The profile id in a reference the portal made, else None."""
    if not tag or "." not in tag:
        return None
    profile_id, mac = tag.rsplit(".", 1)
    return profile_id if profile_id and hmac.compare_digest(mac, _mac(profile_id)) else None


def sending_for(profile_id: str | None) -> None:
    """The sweep names the profile whose messages this thread sends next (AwsSender tags them)."""
    _sending_for.set(profile_id)


def current_reference() -> str | None:
    profile_id = _sending_for.get()
    return reference(profile_id) if profile_id else None


def deliverable(profile, methods) -> list[str]:
    """The chosen channels less the blocked ones: the sweep sends only on these."""
    blocked = {"email": profile.email_blocked_reason, "sms": profile.sms_blocked_reason}
    return [m for m in methods if not blocked.get(m)]


def failed_send(profile, channel: str, exc: BaseException) -> bool:
    """The sweep's hook after a send failed with ``exc``: an opted-out number, or a number SNS calls
    invalid, blocks the SMS channel now. Returns whether it blocked. Never raises."""
    if channel != "sms":
        return False
    code = _code(exc)
    if code == "OptedOut":
        reason = "opted-out"
    elif code in INVALID_NUMBER_CODES and _about_the_number(exc):
        reason = "failed"
    else:
        return False
    try:
        return block_sms(profile.profile_id, reason, phone=profile.phone)
    except Exception as failure:  # noqa: BLE001 - the sweep's own failure handling goes on
        log.warning("delivery feedback: recording a failed text message failed (%s)", type(failure).__name__)
        return False


def _code(exc: BaseException) -> str:
    """senders.SendFailed's code, or the AWS error code (senders.py imports this module, not back)."""
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    return str(error.get("Code") or type(exc).__name__)


def _about_the_number(exc: BaseException) -> bool:
    """Does SNS's error message name the phone number parameter ("Invalid parameter: PhoneNumber
    Reason: ...")? Only the parameter's name is looked for; the message is never kept."""
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    return "phonenumber" in str(error.get("Message", "")).replace(" ", "").lower()


def block_sms(profile_id: str, reason: str, *, phone: str | None, at: datetime | None = None) -> bool:
    """Block the SMS channel if the profile's number is still ``phone`` and nothing blocked it yet."""
    from pynamodb.exceptions import UpdateError

    from chalicelib import clock
    from chalicelib.models.identity import ProfileModel

    if not phone:
        return False
    try:
        ProfileModel(profile_id).update(
            actions=[ProfileModel.sms_blocked_reason.set(reason), ProfileModel.sms_blocked_at.set(at or clock.utcnow())],
            condition=(ProfileModel.phone == phone) & ProfileModel.sms_blocked_reason.does_not_exist(),
        )
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    log.info("delivery feedback: text messages to a profile blocked (%s)", reason)
    return True


# ------------------------------------------------------------------------------------------------
# SES events from the SNS topic


def _time(value: str | None) -> datetime:
    from chalicelib import clock

    if not value:
        return clock.utcnow()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return clock.utcnow()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def handle_notification(message: str) -> str:
    """One SNS notification's Message (an SES event record, JSON). Returns what it did, a word
    safe to log: blocked | counted | duplicate | not-current | rejected | ignored | unknown-profile."""
    try:
        event = json.loads(message)
    except (TypeError, ValueError):
        return "ignored"
    if not isinstance(event, dict):
        return "ignored"
    kind = event.get("eventType") or event.get("notificationType")
    mail = event.get("mail") or {}
    if kind == "Reject":
        # SES refused the message itself (a virus): nothing is wrong with the customer's address.
        log.warning("delivery feedback: SES rejected a notification e-mail (%s)",
                    str((event.get("reject") or {}).get("reason", ""))[:60])
        return "rejected"
    if kind not in ("Bounce", "Complaint"):
        return "ignored"
    tags = mail.get("tags") or {}
    profile_id = profile_of(next(iter(tags.get(TAG) or []), None))
    if profile_id is None:
        return "unknown-profile"
    if kind == "Complaint":
        recipients = [r.get("emailAddress") for r in (event.get("complaint") or {}).get("complainedRecipients") or []]
        at = _time((event.get("complaint") or {}).get("timestamp") or mail.get("timestamp"))
        return _block_email(profile_id, "complaint", recipients or mail.get("destination") or [], at)
    bounce = event.get("bounce") or {}
    recipients = [r.get("emailAddress") for r in bounce.get("bouncedRecipients") or []]
    recipients = recipients or mail.get("destination") or []
    at = _time(bounce.get("timestamp") or mail.get("timestamp"))
    if bounce.get("bounceType") == "Permanent":
        return _block_email(profile_id, "bounce", recipients, at)
    return _count_soft_bounce(profile_id, recipients, at, str(mail.get("messageId") or bounce.get("feedbackId") or ""))


def _address(value) -> str:
    """An address as SES reports it ("Name <a@b>" is possible in headers): the bare, lower-case form."""
    from email.utils import parseaddr

    return parseaddr(str(value or ""))[1].strip().lower()


def _current(profile_id: str, recipients):
    """The profile if one of ``recipients`` is still its e-mail address, else None."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.models.identity import ProfileModel

    try:
        profile = ProfileModel.get(profile_id, consistent_read=True)
    except DoesNotExist:
        return None
    if not profile.email or _address(profile.email) not in {_address(r) for r in recipients}:
        return None
    return profile


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _block_email(profile_id: str, reason: str, recipients, at: datetime) -> str:
    from pynamodb.exceptions import UpdateError

    from chalicelib.models.identity import ProfileModel

    profile = _current(profile_id, recipients)
    if profile is None:
        return "not-current"
    if profile.email_blocked_reason:
        return "duplicate"
    try:
        profile.update(
            actions=[ProfileModel.email_blocked_reason.set(reason), ProfileModel.email_blocked_at.set(at),
                     ProfileModel.email_soft_bounces.remove()],
            condition=(ProfileModel.email == profile.email) & ProfileModel.email_blocked_reason.does_not_exist(),
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            return "duplicate"  # blocked meanwhile, or the address was edited: nothing more to do
        raise
    log.info("delivery feedback: e-mails to a profile blocked (%s)", reason)
    return "blocked"


def _count_soft_bounce(profile_id: str, recipients, at: datetime, message_id: str) -> str:
    from pynamodb.exceptions import UpdateError

    from chalicelib.config import settings
    from chalicelib.models.identity import ProfileModel

    config = settings()
    profile = _current(profile_id, recipients)
    if profile is None:
        return "not-current"
    if profile.email_blocked_reason:
        return "duplicate"
    entry = f"{at.astimezone(timezone.utc).isoformat(timespec='seconds')} {message_id[:200]}"
    horizon = at - timedelta(days=config.notification_soft_bounce_days)
    stale = {e for e in (profile.email_soft_bounces or set()) if e != entry and _time(e.split(" ", 1)[0]) < horizon}
    actions = [ProfileModel.email_soft_bounces.add({entry})]
    try:
        profile.update(
            actions=actions,
            condition=(ProfileModel.email == profile.email) & ~ProfileModel.email_soft_bounces.contains(entry)
            & ProfileModel.email_blocked_reason.does_not_exist(),
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            return "duplicate"
        raise
    if stale:  # older than the window: they no longer count (best effort, a set DELETE is idempotent)
        profile.update(actions=[ProfileModel.email_soft_bounces.delete(stale)])
    recent = {e for e in (profile.email_soft_bounces or set()) if _time(e.split(" ", 1)[0]) >= horizon}
    if len(recent) >= config.notification_soft_bounce_limit:
        return _block_email(profile_id, "bounces", recipients, at)
    return "counted"
