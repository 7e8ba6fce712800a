"""Form definitions: every file valid, linked to its e-service, complete in three languages."""
from __future__ import annotations

import json

import pytest

from chalicelib.forms.schema import FormDefinition
from chalicelib.forms.store import DEFINITIONS_DIR, FormDefinitionError, definitions, load_definitions

REQUIRED_FORMS = {"dog-declaration", "arts-and-culture-grants", "copies-of-certificates", "referee-fee",
                  "daycare-application"}


def test_every_definition_is_valid_and_belongs_to_an_eservice():
    from chalicelib.catalogue.store import catalogue

    forms = definitions()
    assert REQUIRED_FORMS <= set(forms)
    for form in forms.values():
        assert form.id in catalogue() and not catalogue()[form.id].external_url


def test_there_is_a_health_care_form_whose_service_is_not_saved_in_the_folder():
    from chalicelib.catalogue.store import catalogue

    health = [f for f in definitions() if catalogue()[f].health_care]
    assert health and not any(catalogue()[f].saved_in_folder for f in health)


def test_the_dog_declaration_follows_the_help_guide():
    form = definitions()["dog-declaration"]
    assert [p.title.en for p in form.pages] == [
        "Owner information", "Dog information", "Change information", "Additional information and tracking data"]
    owner = form.pages[0].fields
    assert [f.name for f in owner][:3] == ["last_name", "first_name", "personal_identity_code"]
    assert all(f.readonly for f in owner[:3]) and form.autosave


def test_every_field_type_is_used_somewhere():
    from typing import get_args

    from chalicelib.forms.schema import FieldType

    used = {f.type for form in definitions().values() for f in form.fields()}
    assert used == set(get_args(FieldType))


def _dog():
    return json.loads((DEFINITIONS_DIR / "dog-declaration.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["pages"][0]["fields"].append(dict(d["pages"][0]["fields"][0])),  # a name twice
        lambda d: d["pages"][1]["fields"][2]["options"].pop(),  # a choice of one option
        lambda d: d["pages"][2]["fields"][1]["condition"].update(field="nope"),
        lambda d: d["pages"][2]["fields"][1]["condition"].update(values=["not-an-option"]),
        lambda d: d["pages"][0]["fields"][0]["label"].pop("sv"),
        lambda d: d["pages"][0]["fields"][0].update(type="password"),
        lambda d: d["pages"][3]["fields"][2].update(minimum=20),  # minimum above maximum
        lambda d: d["pages"][1]["fields"][3].update(max_length=10),  # a date with a length
        lambda d: d.update(id="Dog Declaration"),
        lambda d: d["pages"][0]["fields"][0].update(max_files=2),  # files in a text field
        lambda d: d["pages"][3]["fields"][1].update(max_files=11),  # more than a draft may hold
    ],
)
def test_invalid_definitions_are_refused(tmp_path, mutate):
    data = _dog()
    mutate(data)
    (tmp_path / "dog-declaration.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FormDefinitionError):
        load_definitions(tmp_path)


def test_a_form_without_an_eservice_is_refused(tmp_path):
    data = _dog() | {"id": "no-such-service"}
    (tmp_path / "no-such-service.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="no e-service"):
        load_definitions(tmp_path)


def test_file_fields_say_how_many_files_they_take():
    """One unless the definition says more (issue 15): an expert's statements may be several."""
    limits = {(form.id, f.name): f.file_limit for form in definitions().values() for f in form.fields() if f.type == "attachment"}
    assert limits[("daycare-application", "statement")] == 3
    assert limits[("dog-declaration", "vaccination_certificate")] == 1
    assert set(limits.values()) <= set(range(1, 11))
