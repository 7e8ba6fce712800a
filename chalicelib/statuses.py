"""The processing statuses of a submission: the one vocabulary the folder, the division API's schemas
and OpenAPI document, and the notification sweep share.

A leaf: it imports nothing of ours but the ``N_`` marker, so every layer may import it. A status's
name is its id in storage and in the API; its label is shown to people in their language (the
message ids are translated in chalicelib/translations).
"""
from __future__ import annotations

from chalicelib.i18n import N_

SENT = "sent"
RECEIVED = "received"
PROCESSING = "processing"
INFO_REQUESTED = "info-requested"
DECIDED = "decided"
CANCELLED = "cancelled"

# Every status, in the order an application usually moves through them, with its label.
LABELS: dict[str, str] = {
    SENT: N_("Sent"),
    RECEIVED: N_("Received"),
    PROCESSING: N_("Processing"),
    INFO_REQUESTED: N_("Additional information requested"),
    DECIDED: N_("Decided"),
    CANCELLED: N_("Cancelled"),
}
ALL: tuple[str, ...] = tuple(LABELS)

# Where a division may move a submission from each status. Sending sets "sent"; nothing moves back
# to it. Decided and cancelled are final (and start the retention period: chalicelib/privacy).
TRANSITIONS: dict[str, frozenset[str]] = {
    SENT: frozenset({RECEIVED, PROCESSING, INFO_REQUESTED, DECIDED, CANCELLED}),
    RECEIVED: frozenset({PROCESSING, INFO_REQUESTED, DECIDED, CANCELLED}),
    PROCESSING: frozenset({INFO_REQUESTED, DECIDED, CANCELLED}),
    INFO_REQUESTED: frozenset({PROCESSING, DECIDED, CANCELLED}),
    DECIDED: frozenset(),
    CANCELLED: frozenset(),
}
# The statuses a division may set (every status some other status moves to).
SETTABLE: tuple[str, ...] = tuple(s for s in ALL if any(s in targets for targets in TRANSITIONS.values()))
FINAL: frozenset[str] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def describe_transitions() -> str:
    """The transitions in words, for the API's documentation (generated, so it cannot drift)."""
    parts = [f"{current} → {', '.join(s for s in ALL if s in targets)}"
             for current, targets in TRANSITIONS.items() if targets]
    return "Allowed transitions: " + "; ".join(parts) + f"; {' and '.join(sorted(FINAL))} are final."
