"""Serving a form page or saving one costs at most two DynamoDB round trips besides the session read."""
from __future__ import annotations

import pytest

from tests.dynamo_calls import count_dynamodb_calls
from tests.fake_idp import sign_in
from tests.integration.test_forms import DOG, OWNER, Filler


@pytest.fixture
def warm(client, idp):
    filler = Filler(client, sign_in(client, idp))
    filler.get("/")  # caches warm: announcements, catalogue, form definitions, templates
    return filler


def session_excluded(calls):
    return calls.excluding("-sessions")


def test_serving_and_saving_pages_cost_at_most_two_round_trips(warm):
    with count_dynamodb_calls() as new_form:
        warm.start()
    with count_dynamodb_calls() as first_save:
        warm.page(1, OWNER)
    with count_dynamodb_calls() as serve:
        warm.get(f"/drafts/{warm.draft_id}/pages/2")
    with count_dynamodb_calls() as save:
        warm.page(2, DOG)
    for counted in (new_form, first_save, serve, save):
        assert len(session_excluded(counted)) <= 2, counted.summary()
    assert [op for op, _ in session_excluded(save)] == ["GetItem", "PutItem"]
