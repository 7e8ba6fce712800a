"""The bundled development identity provider's items (local, dev and test stages only; never in prod).

One table, items told apart by ``pk``:
- ``signing-key``: the provider's RSA key (PEM) and its ``kid``; created once with a conditional put,
  so that parallel Lambda instances converge on one key. No expiry.
- ``interaction-key``: the secret that seals the "interaction" carried through the screens. No expiry.
- ``code#<sha256 of the authorization code>``: what the token endpoint needs to answer for one
  code (claims, nonce, client, redirect URI, PKCE challenge); the code itself is never stored.
  Expires after 60 s and is consumed with a conditional delete (single use).

Access patterns: GetItem by ``pk``; PutItem with ``attribute_not_exists(pk)``; DeleteItem with
``attribute_exists(pk)``. No Scan, no Query.
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import PortalModel, table_meta


class DevIdpModel(PortalModel):
    Meta = table_meta("dev-idp")

    pk = UnicodeAttribute(hash_key=True)
    payload = JSONAttribute(null=True)
    expires_at = TTLAttribute(null=True)
