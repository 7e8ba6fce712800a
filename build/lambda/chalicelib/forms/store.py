"""Form definitions: every file validated once, on first use, against the schema and the catalogue."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from chalicelib.forms.schema import FormDefinition

DEFINITIONS_DIR = Path(__file__).with_name("definitions")


class FormDefinitionError(ValueError):
    pass


def load_definitions(directory: Path = DEFINITIONS_DIR) -> dict[str, FormDefinition]:
    from chalicelib.catalogue.store import catalogue

    services = catalogue()
    forms: dict[str, FormDefinition] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            form = FormDefinition.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise FormDefinitionError(f"{path.name}: {exc}") from exc
        if form.id != path.stem:
            raise FormDefinitionError(f"{path.name}: id {form.id!r} does not match the file name")
        service = services.get(form.id)
        if service is None:
            raise FormDefinitionError(f"{path.name}: no e-service {form.id!r} in the catalogue")
        if service.external_url:
            raise FormDefinitionError(f"{path.name}: {form.id} is served outside the portal")
        forms[form.id] = form
    return forms


@lru_cache(maxsize=1)
def definitions() -> dict[str, FormDefinition]:
    return load_definitions()


def form_for(service_id: str) -> FormDefinition | None:
    return definitions().get(service_id)
