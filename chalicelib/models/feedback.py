"""Feedback sent from the form in every page's footer.

Access patterns: put one (conditional on the form's one-time id, so a double submit stores one);
read by id in tests and by ops. Nothing on a request path lists feedback.
"""
from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import PortalModel, table_meta


class FeedbackModel(PortalModel):
    Meta = table_meta("feedback")

    # The one-time id of the form that was filled in (uuid4 hex): a retried POST writes nothing new.
    feedback_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute()
    language = UnicodeAttribute()
    # The portal path the feedback was sent from (a path only; never a query string).
    page = UnicodeAttribute()
    message = UnicodeAttribute()
    # Optional, for a reply; personal data, so it is never logged and expires with the item.
    email = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
