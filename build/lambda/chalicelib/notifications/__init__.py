"""Notifications by e-mail and text message: pending markers and the hourly sweep (issue 6)."""
from __future__ import annotations


def mark_pending(profile_id: str, at) -> None:
    """Leave the profile a pending notification (kept at its first time until the sweep clears it)."""
    from chalicelib.models.identity import ProfileModel

    ProfileModel(profile_id).update(
        actions=[
            ProfileModel.notify_pending_since.set(ProfileModel.notify_pending_since | at),
            ProfileModel.notify_shard.set(profile_id[-1]),
        ],
        condition=ProfileModel.profile_id.exists(),
    )
