"""Status changes are compare-and-set, and a change from the City is written in one transaction with
the customer's pending notification: raced with threads and with a change slipped in between the
read and the write."""
from __future__ import annotations

import threading

import pytest

from tests.fake_idp import sign_in
from tests.integration.test_api import assert_problem, call
from tests.integration.test_folder import send_dog_declaration
from tests.integration.test_forms import Filler


@pytest.fixture
def number(client, idp):
    return send_dog_declaration(Filler(client, sign_in(client, idp)))


def _stored(number):
    from chalicelib.models.forms import EventModel, SubmissionModel

    return SubmissionModel.get(number, consistent_read=True), list(EventModel.query(number, consistent_read=True))


def _profile():
    from chalicelib.models.identity import ProfileModel

    (profile,) = list(ProfileModel.scan())  # scan-ok: test inspection
    return profile


def _history_is_valid(events) -> bool:
    from chalicelib import statuses

    chain = [e.status for e in events if e.kind == "status"]
    return chain[0] == statuses.SENT and all(statuses.can_move(a, b) for a, b in zip(chain, chain[1:]))


def _in_lockstep(monkeypatch, parties: int):
    """Every status change waits after its read until all ``parties`` have read: the race at its worst."""
    from chalicelib import folder

    barrier = threading.Barrier(parties, timeout=30)
    original = folder._add_event

    def add_event(*args, **kwargs):
        if kwargs.get("status"):
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(folder, "_add_event", add_event)


@pytest.mark.race
def test_of_two_racing_changes_from_one_status_one_wins_and_the_other_is_a_conflict(number, monkeypatch):
    from chalicelib import folder
    from chalicelib.errors import Conflict

    folder.change_status(number, "processing")
    _in_lockstep(monkeypatch, 2)
    won, lost = [], []

    def change(status):
        try:
            folder.change_status(number, status)
            won.append(status)
        except Conflict:
            lost.append(status)

    threads = [threading.Thread(target=change, args=(s,)) for s in ("decided", "info-requested")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 1, (won, lost)
    item, events = _stored(number)
    assert item.status == won[0]
    assert [e.status for e in events if e.kind == "status"] == ["sent", "processing", won[0]]
    assert _history_is_valid(events)


@pytest.mark.race
def test_many_racing_changes_leave_a_valid_history(number, monkeypatch):
    from chalicelib import folder
    from chalicelib.errors import Conflict

    _in_lockstep(monkeypatch, 6)
    won = []

    def change(status):
        try:
            folder.change_status(number, status)
            won.append(status)
        except Conflict:
            pass

    threads = [threading.Thread(target=change, args=(s,))
               for s in ("received", "processing", "info-requested", "decided", "cancelled", "received")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item, events = _stored(number)
    assert len(won) == 1 and item.status == won[0]
    assert _history_is_valid(events)
    assert int(_profile().notify_changes) == 1  # one change, one notification


def test_a_change_that_lost_the_race_is_a_409_problem_in_the_api(client, number, monkeypatch):
    from chalicelib import folder
    from chalicelib.divisions.keys import create_key

    key = create_key("urban-environment")
    original = folder._add_event
    slipped = []

    def add_event(item, event, **kwargs):
        if kwargs.get("status") and not slipped:
            slipped.append(True)
            folder.change_status(item.item_number, "cancelled")  # another change lands between read and write
        return original(item, event, **kwargs)

    monkeypatch.setattr(folder, "_add_event", add_event)
    result = call(client, "POST", f"/submissions/{number}/status", key, {"status": "decided"})
    assert_problem(result, 409)
    assert "meanwhile" in result[2]["detail"]
    item, events = _stored(number)
    assert item.status == "cancelled" and [e.status for e in events if e.kind == "status"] == ["sent", "cancelled"]


def test_a_change_and_its_pending_notification_are_one_transaction(number):
    from chalicelib import folder
    from tests.dynamo_calls import count_dynamodb_calls

    with count_dynamodb_calls() as calls:
        folder.change_status(number, "received")
        folder.official_message(number, text="Lähetä kuitti.", author_name="Virkailija", reply_allowed=True)
    writes = [c for c in calls.calls if c[0] in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")]
    assert writes == [("TransactWriteItems", "(transaction)")] * 2
    assert int(_profile().notify_changes) == 2


def test_a_crash_before_the_notification_is_written_records_nothing(number, monkeypatch):
    from chalicelib import folder, notifications

    before = _stored(number)

    def crash(*_args, **_kwargs):
        raise RuntimeError("the Lambda ran out of time here")

    monkeypatch.setattr(notifications, "mark_pending", crash)
    for change in (lambda: folder.change_status(number, "received"),
                   lambda: folder.official_message(number, text="Hei", author_name="Virkailija", reply_allowed=True)):
        with pytest.raises(RuntimeError):
            change()
    item, events = _stored(number)
    assert (item.status, item.unseen_since, len(events)) == (before[0].status, None, len(before[1]))
    assert _profile().notify_pending_since is None


@pytest.mark.race
def test_concurrent_messages_each_leave_a_notification(number):
    from chalicelib import folder

    threads = [threading.Thread(target=folder.official_message, args=(number,),
                                kwargs={"text": f"Viesti {n}", "author_name": "Virkailija", "reply_allowed": False})
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, events = _stored(number)
    assert len([e for e in events if e.kind == "message"]) == 8
    assert int(_profile().notify_changes) == 8
