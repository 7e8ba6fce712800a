"""Notifications by e-mail and text message: pending markers and the hourly sweep (issue 6).

- ``mark_pending`` (added by chalicelib/folder to the transaction that records a status or a message
  from the City) leaves the owner's profile a marker in the sparse ``pending-notifications`` index.
- The hourly sweep notifies every pending customer once, between 9:00 and 20:59 Helsinki time: a
  planner (EventBridge, on the hour) queues one SQS message per shard of the index, and workers
  (SQS) notify each shard's customers: see ``fanout.py``, ``sweep.py`` and docs/architecture.md.
  ``run_sweep`` plans and drains the queue in this process (``make sweep`` locally; the tests).
"""
from __future__ import annotations


def mark_pending(transaction, profile_id: str, at) -> None:
    """Add to ``transaction`` (a PynamoDB TransactWrite: the one recording the change) a pending
    notification on the profile for the change made at ``at``.

    ``notify_pending_since`` keeps the first change until a sweep clears it (the index's sort key);
    ``notify_latest_at`` is the newest; ``notify_changes`` counts them (ADD), so that a sweep clears
    the marker only if nothing arrived after it read the profile. The transaction writes the change
    and its marker together or neither (a transaction is not retried with the same event: its
    event's condition would refuse it).
    """
    from chalicelib.models.identity import ProfileModel

    transaction.update(
        ProfileModel(profile_id),
        actions=[
            ProfileModel.notify_pending_since.set(ProfileModel.notify_pending_since | at),
            ProfileModel.notify_shard.set(profile_id[-1]),
            ProfileModel.notify_latest_at.set(at),
            ProfileModel.notify_changes.add(1),
        ],
        condition=ProfileModel.profile_id.exists(),
    )


def run_sweep(**kwargs):
    """Plan and drain the notification queue in this process (see chalicelib/notifications/fanout.py)."""
    from chalicelib.notifications.fanout import run_sweep as run

    return run(**kwargs)
