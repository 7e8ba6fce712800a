"""Acting on behalf of someone else (issue 17): whom a signed-in person may act for, and the rights.

- ``principal.py``: the principal model (a leaf; what sessions, forms and the folder use).
- ``port.py``: the authorisation port, the Suomi.fi e-Authorizations web API adapter (HPA for
  persons, YPA for companies; request signing with the ``X-AsiointivaltuudetAuthorization`` checksum).
- ``standin.py``: the development stand-in that answers in the web API's vocabulary from
  ``dev_principals.json`` (local, dev and test stages only).
- ``folders.py``: the principal's folder (a profile found or created by the principal's keyed hash).

docs/acting-on-behalf.md describes the model, the port and its settings.
"""
from chalicelib.authorizations.principal import (
    ADULT_AGE, CONSENT_AGE, Principal, identifier_hash, is_child_in_custody, may_act_in,
)

__all__ = ["ADULT_AGE", "CONSENT_AGE", "Principal", "identifier_hash", "is_child_in_custody", "may_act_in"]
