"""Delivery feedback: SES bounce, complaint and reject events arrive on the SNS topic of the SES
configuration set (infra/portal_stack.py); chalicelib/notifications/feedback.py records them on the
profile. Thin: the topic's name comes from the settings when app.py loads."""
from __future__ import annotations

import logging

from chalice import Blueprint

from chalicelib.config import settings

bp = Blueprint(__name__)
log = logging.getLogger("portal.notifications.feedback")


@bp.on_sns_message(topic=settings().delivery_feedback_topic, name="delivery_feedback")
def delivery_feedback(event):
    """One SNS notification (Lambda gets one record per invocation); its outcome is logged as a word."""
    from chalicelib.notifications.feedback import handle_notification

    outcome = handle_notification(event.message)
    log.info("delivery feedback: %s", outcome)
    return {"outcome": outcome}
