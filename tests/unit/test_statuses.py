"""The one vocabulary of statuses: what the folder shows, what the API accepts and documents, and
what the sweep names all come from chalicelib/statuses.py."""
from __future__ import annotations

from chalicelib import statuses


def test_every_status_has_a_label_and_its_transitions():
    assert set(statuses.LABELS) == set(statuses.TRANSITIONS) == set(statuses.ALL)
    assert all(targets <= set(statuses.ALL) for targets in statuses.TRANSITIONS.values())


def test_nothing_moves_back_to_sent_and_the_final_statuses_move_nowhere():
    assert statuses.SENT not in statuses.SETTABLE
    assert statuses.FINAL == {statuses.DECIDED, statuses.CANCELLED}
    assert not any(statuses.can_move(final, s) for final in statuses.FINAL for s in statuses.ALL)
    assert statuses.can_move(statuses.PROCESSING, statuses.INFO_REQUESTED)
    assert not statuses.can_move(statuses.RECEIVED, statuses.RECEIVED)
    assert not statuses.can_move("complemented", statuses.DECIDED)


def test_the_api_schemas_and_document_use_the_same_vocabulary():
    from typing import get_args

    from chalicelib.divisions import openapi, schemas

    assert get_args(schemas.Status) == statuses.ALL
    assert get_args(schemas.NewStatus) == statuses.SETTABLE
    document = openapi.document()
    change = document["components"]["schemas"]["StatusChange"]["properties"]["status"]
    assert change["enum"] == list(statuses.SETTABLE)
    assert change["description"] == statuses.describe_transitions()
    assert "processing → info-requested, decided, cancelled" in change["description"]
    listing = [p for p in document["paths"]["/api/v1/submissions"]["get"]["parameters"] if p["name"] == "status"]
    assert listing[0]["schema"]["enum"] == list(statuses.ALL)


def test_every_label_is_translated():
    from chalicelib.i18n import translations

    for language in ("fi", "sv"):
        gettext = translations(language).gettext
        assert all(gettext(label) != label for label in statuses.LABELS.values()), language
