"""The catalogue's data files: every one valid, complete in three languages, and covering the City."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from chalicelib.catalogue.schema import RESIDENT_GROUPS, TARGET_GROUPS, TOPICS, EService
from chalicelib.catalogue.store import DATA_DIR, CatalogueError, catalogue, load_catalogue

# Services the forms and the help guide refer to by id.
REQUIRED_IDS = {
    "adult-education-enrolment",
    "business-premises-wholesale-market",
    "dog-declaration",
    "arts-and-culture-grants",
    "copies-of-certificates",
    "referee-fee",
    "daycare-application",
    "social-assistance",
    "resident-parking-permit",
    "health-care-appointment",
    "dental-care",
}


def test_every_data_file_is_a_valid_eservice_named_after_its_id():
    files = sorted(DATA_DIR.glob("*.json"))
    assert files
    for path in files:
        service = EService.model_validate(json.loads(path.read_text(encoding="utf-8")))
        assert service.id == path.stem


def test_the_catalogue_has_at_least_25_real_services_including_those_the_guide_names():
    services = catalogue()
    assert len(services) >= 25
    assert REQUIRED_IDS <= set(services)


def test_every_topic_target_group_and_resident_group_has_services():
    services = list(catalogue().values())
    topics = Counter(s.topic for s in services)
    groups = Counter(g for s in services for g in s.target_groups)
    residents = Counter(r for s in services for r in s.resident_groups)
    assert all(topics[t] >= 3 for t in TOPICS), topics
    assert all(groups[g] >= 3 for g in TARGET_GROUPS), groups
    assert all(residents[r] >= 2 for r in RESIDENT_GROUPS), residents


def test_names_are_unique_in_each_language():
    for language in ("fi", "sv", "en"):
        names = [s.name.get(language).casefold() for s in catalogue().values()]
        assert len(names) == len(set(names)), language


def test_health_care_services_are_never_saved_in_the_folder():
    health = [s for s in catalogue().values() if s.health_care]
    assert health
    assert not any(s.saved_in_folder for s in health)


def _write(tmp_path, name, data):
    (tmp_path / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def _valid_entry():
    return json.loads((DATA_DIR / "dog-declaration.json").read_text(encoding="utf-8"))


def test_loading_refuses_a_file_with_a_missing_translation(tmp_path):
    entry = _valid_entry()
    del entry["name"]["sv"]
    _write(tmp_path, entry["id"], entry)
    with pytest.raises(CatalogueError, match="dog-declaration.json"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        {"topic": "sports"},
        {"target_groups": []},
        {"target_groups": ["personal", "personal"]},
        {"unknown_field": 1},
        {"schema_version": 2},
        {"health_care": True, "saved_in_folder": True},
        {"alternatives": [{"kind": "telephone", "label": {"fi": "a", "sv": "b", "en": "c"}}]},
        {"id": "Dog Declaration"},
        {"feedback_url": "http://www.hel.fi/palaute"},
        {"feedback_url": "https:///no-host"},
        {"feedback_url": "https://www.hel.fi/a b"},
        {"feedback_url": "javascript:alert(1)"},
        {"external_url": "www.hel.fi"},
    ],
)
def test_loading_refuses_invalid_entries(tmp_path, change):
    entry = _valid_entry() | change
    _write(tmp_path, "dog-declaration", entry)
    with pytest.raises(CatalogueError):
        load_catalogue(tmp_path)


def test_loading_refuses_a_file_whose_name_differs_from_its_id(tmp_path):
    _write(tmp_path, "other-name", _valid_entry())
    with pytest.raises(CatalogueError, match="does not match"):
        load_catalogue(tmp_path)


def test_loading_refuses_malformed_json(tmp_path):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="broken.json"):
        load_catalogue(tmp_path)


def test_every_eservice_resolves_to_a_division_named_in_three_languages():
    from chalicelib.catalogue.store import division_name, divisions

    known = divisions()
    assert {s.division for s in catalogue().values()} == set(known)  # every division handles something
    for service in catalogue().values():
        assert all(division_name(service.division, language) for language in ("fi", "sv", "en"))


def test_loading_refuses_an_eservice_of_an_unknown_division(tmp_path):
    _write(tmp_path, "dog-declaration", _valid_entry() | {"division": "urban-enviroment"})
    with pytest.raises(CatalogueError, match="unknown division 'urban-enviroment'"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize("divisions", [{"urban-environment": {"fi": "A", "sv": "B"}},
                                       {"urban-environment": {"fi": "A", "sv": "B", "en": " "}}, "[not json"])
def test_loading_refuses_a_division_without_three_names(tmp_path, divisions):
    path = tmp_path / "divisions.json"
    path.write_text(divisions if isinstance(divisions, str) else json.dumps(divisions), encoding="utf-8")
    with pytest.raises(CatalogueError, match="divisions.json"):
        load_catalogue(divisions_file=path)


def _with_agreement(**changes):
    entry = json.loads((DATA_DIR / "dental-care.json").read_text(encoding="utf-8"))
    entry["agreement"] = {**entry["agreement"], **changes}
    return entry


def test_every_health_care_form_of_the_portal_asks_for_an_agreement_in_three_languages():
    from chalicelib.forms.store import definitions

    services = catalogue()
    with_forms = [services[form_id] for form_id in definitions() if services[form_id].health_care]
    assert with_forms  # dental care at least
    for service in with_forms:
        assert service.agreement is not None and service.agreement.version >= 1, service.id
        for language in ("fi", "sv", "en"):
            assert len(service.agreement.text.get(language).split("\n\n")) >= 2
    assert not any(s.agreement for s in services.values() if not s.health_care)


@pytest.mark.parametrize(
    "entry",
    [
        _with_agreement(version=0),
        _with_agreement(version="1"),
        _with_agreement(text={"fi": "Sama teksti", "sv": "Sama teksti", "en": "Sama teksti"}),
        _with_agreement(text={"fi": "Eka kappale.\n\n \n\nToinen.", "sv": "Första.", "en": "First."}),
        _with_agreement(title={"fi": "Sopimus", "sv": "Avtal"}),
        _with_agreement(extra="x"),
        _valid_entry() | {"agreement": _with_agreement()["agreement"]},  # not a health care service
        _with_agreement() | {"external_url": "https://www.hel.fi/ajanvaraus"},
    ],
    ids=["version-0", "version-text", "untranslated", "empty-paragraph", "title-missing-en", "unknown-field",
         "not-health-care", "outside-the-portal"],
)
def test_loading_refuses_an_invalid_agreement(tmp_path, entry):
    _write(tmp_path, entry["id"], entry)
    with pytest.raises(CatalogueError, match=f"{entry['id']}.json"):
        load_catalogue(tmp_path)


def test_loading_accepts_a_health_care_service_without_an_agreement(tmp_path):
    entry = _with_agreement()
    del entry["agreement"]
    _write(tmp_path, entry["id"], entry)
    assert load_catalogue(tmp_path)["dental-care"].agreement is None
