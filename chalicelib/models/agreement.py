"""Acceptances of the health-care e-services' electronic agreements (chalicelib/consent).

Access patterns (docs/data-model.md "agreements"):
- the form's start and every page post: GetItem agreements[(person_hash, service_id)]
- My profile's list of accepted agreements: Query agreements[person_hash]
- My data and deleting a profile: Query the GSI by-profile[profile_id]
- accepting: PutItem (the same item again: idempotent); withdrawing: a conditional UpdateItem
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import PortalModel, table_meta


class ByProfileIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-profile"
        projection = AllProjection()

    profile_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute(range_key=True)


class AgreementModel(PortalModel):
    Meta = table_meta("agreements")

    # The acting person as a keyed hash (chalicelib.sessions.person_hash): no personal data in the key.
    person_hash = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute(range_key=True)  # the catalogue's e-service id
    profile_id = UnicodeAttribute()  # the profile (uuid) the person acted in: My data, deleting a profile
    version = NumberAttribute()  # the agreement's version accepted (catalogue data)
    language = UnicodeAttribute()  # the language the text was shown in when accepted
    accepted_at = UTCDateTimeAttribute()
    withdrawn_at = UTCDateTimeAttribute(null=True)  # set by Withdraw; a new acceptance removes it
    by_profile = ByProfileIndex()
