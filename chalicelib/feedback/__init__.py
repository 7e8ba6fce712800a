"""Feedback from the form in every page's footer: validated, stored once per filled-in form."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from chalicelib import clock, validators
from chalicelib.errors import Invalid
from chalicelib.i18n import N_

MESSAGE_MAX = 2000
RETENTION = timedelta(days=2 * 365)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class FeedbackForm(BaseModel):
    """What the visitor typed, exactly as typed, so that a failed attempt can show it again."""

    model_config = ConfigDict(defer_build=True)

    message: str = ""
    email: str = ""
    page: str = "/"  # a same-site path, checked by the web layer
    token: str = ""


def new_token() -> str:
    """The one-time id put in each rendered feedback form."""
    return uuid.uuid4().hex


def validate(form: FeedbackForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    message = form.message.strip()
    if not message:
        errors["message"] = N_("Write your feedback.")
    elif len(message) > MESSAGE_MAX:
        errors["message"] = N_("Feedback can be at most 2000 characters long.")
    if form.email.strip() and validators.email(form.email) is None:
        errors["email"] = N_("Give an e-mail address in the form name@example.fi.")
    if not _TOKEN.match(form.token):
        errors["token"] = N_("The form has expired. Send your feedback again.")
    return errors


def send_feedback(form: FeedbackForm, language: str) -> str:
    """Validate and store the feedback; sending the same form twice stores it once. Returns its id."""
    from pynamodb.exceptions import PutError

    from chalicelib.models.feedback import FeedbackModel

    errors = validate(form)
    if errors:
        raise Invalid(errors)
    now = clock.utcnow()
    item = FeedbackModel(
        feedback_id=form.token,
        created_at=now,
        language=language,
        page=form.page,
        message=form.message.strip(),
        email=form.email.strip() or None,
        expires_at=now + RETENTION,
    )
    try:
        item.save(condition=FeedbackModel.feedback_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        # Already stored by the first attempt of this very form: the retry changes nothing.
    return form.token
