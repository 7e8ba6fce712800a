"""Division API credentials and idempotency records.

Access patterns: every API call GetItem division-keys[key_id] (then compares the secret's hash);
every POST with an Idempotency-Key: conditional PutItem of the record, UpdateItem with the answer.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.models.base import PortalModel, table_meta


class DivisionKeyModel(PortalModel):
    Meta = table_meta("division-keys")

    key_id = UnicodeAttribute(hash_key=True)  # the public half of the key ("dk" + 16 hex)
    secret_hash = UnicodeAttribute()  # SHA-256 of the secret half; the secret itself is never stored
    division_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)


class IdempotencyModel(PortalModel):
    Meta = table_meta("idempotency")

    record_id = UnicodeAttribute(hash_key=True)  # "<division id>#<SHA-256 of the Idempotency-Key>"
    request_hash = UnicodeAttribute()  # SHA-256 of method, path and body
    state = UnicodeAttribute()  # in-progress | done
    status_code = NumberAttribute(null=True)
    body = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()  # 24 hours
