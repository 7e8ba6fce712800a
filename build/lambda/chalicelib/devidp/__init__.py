"""The bundled development identity provider: a small, standards-conforming OpenID Connect provider
(authorization code flow, PKCE S256 required, RS256 ID tokens) with made-up test identities.

It exists only in the local, dev and test stages (``settings().dev_idp_enabled``); the web layer
mounts it at /dev-idp and refuses to in prod. See docs/identity-provider.md.

- identities.py   the test people, banks, cards, phones and Katso IDs; checking what people type
- authorize.py    the authorization request's rules; redirects back to the client
- interaction.py  the sealed, expiring state carried through the screens (no server state)
- mobile.py       the simulated mobile certificate request and its time limit
- tokens.py       codes (stored hashed, single use), the token endpoint, ID tokens, discovery
- keys.py         the signing key and the interaction secret, generated once and stored

No Chalice here: the handlers in chalicelib/handlers/devidp.py parse HTTP and call these.
"""
from __future__ import annotations


def complete(interaction, identification):
    """Issue the authorization code for a successful identification; the returned interaction carries it."""
    from chalicelib.devidp.tokens import issue_code

    return interaction.completed(issue_code(interaction, identification))
