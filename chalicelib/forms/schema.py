"""The shape of a form definition (``chalicelib/forms/definitions/<service id>.json``).

A form belongs to the e-service with the same id. Pages are filled in one at a time; a summary
page follows the last one. Every text a person reads exists in Finnish, Swedish and English.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.catalogue.schema import Localized, Slug

FieldType = Literal[
    "text", "textarea", "email", "phone", "personal_identity_code", "business_id", "postal_code",
    "date", "number", "choice", "multichoice", "checkbox", "attachment",
]
Prefill = Literal[
    "given_name", "family_name", "full_name", "personal_identity_code", "email", "phone",
    "organisation_name", "business_id",
    # Acting on behalf (issue 17): the guardian or contact is the acting person; the child is the
    # principal when the person acts for a child in their custody (typed by hand otherwise).
    "guardian_given_name", "guardian_family_name", "guardian_personal_identity_code",
    "child_given_name", "child_family_name", "child_personal_identity_code",
]
# Prefills that come from the identification: shown read-only, never taken from the form.
IDENTITY_PREFILLS = {"given_name", "family_name", "full_name", "personal_identity_code", "organisation_name", "business_id",
                     "guardian_given_name", "guardian_family_name", "guardian_personal_identity_code"}
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 4000, "email": 254, "phone": 30}


class _Strict(BaseModel):
    # defer_build: validators are built on first use, not when the app is imported (cold start).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Option(_Strict):
    value: Slug
    label: Localized


class Condition(_Strict):
    """Show the field only when another field's answer is one of ``values``."""

    field: FieldName
    values: list[str] = Field(min_length=1)


class FormField(_Strict):
    name: FieldName
    type: FieldType
    label: Localized
    help: Localized | None = None
    required: bool = False
    max_length: int | None = Field(default=None, ge=1, le=10000)
    minimum: float | None = None
    maximum: float | None = None
    options: list[Option] = Field(default_factory=list)
    condition: Condition | None = None
    prefill: Prefill | None = None
    # A file field: how many files it takes (one unless it says more); a draft has at most
    # attachments.MAX_FILES in all.
    max_files: int | None = Field(default=None, ge=1, le=10)

    @property
    def file_limit(self) -> int:
        return self.max_files or 1

    @property
    def readonly(self) -> bool:
        return self.prefill in IDENTITY_PREFILLS

    @property
    def limit(self) -> int | None:
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)

    @model_validator(mode="after")
    def _consistent(self) -> "FormField":
        if self.type in ("choice", "multichoice"):
            if len(self.options) < 2:
                raise ValueError(f"{self.name}: a choice needs at least two options")
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError(f"{self.name}: option values repeat")
        elif self.options:
            raise ValueError(f"{self.name}: only choices have options")
        if (self.minimum is not None or self.maximum is not None) and self.type != "number":
            raise ValueError(f"{self.name}: only numbers have bounds")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"{self.name}: minimum is above maximum")
        if self.max_length and self.type not in ("text", "textarea", "email", "phone"):
            raise ValueError(f"{self.name}: only text fields have a maximum length")
        if self.max_files is not None and self.type != "attachment":
            raise ValueError(f"{self.name}: only file fields take files")
        return self


class FormPage(_Strict):
    id: Slug
    title: Localized
    intro: Localized | None = None
    fields: list[FormField] = Field(min_length=1)


class FormDefinition(_Strict):
    schema_version: Literal[1]
    id: Slug  # the e-service's id
    title: Localized
    intro: Localized
    pages: list[FormPage] = Field(min_length=1, max_length=10)
    # Saved as a draft every five minutes while open (with JavaScript).
    autosave: bool = False
    # The Send button is shown only when every required field on every page is valid.
    send_only_when_valid: bool = False

    @model_validator(mode="after")
    def _names(self) -> "FormDefinition":
        fields = [f for page in self.pages for f in page.fields]
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError("field names repeat")
        page_ids = [p.id for p in self.pages]
        if len(set(page_ids)) != len(page_ids):
            raise ValueError("page ids repeat")
        by_name = {f.name: f for f in fields}
        for f in fields:
            if f.condition:
                target = by_name.get(f.condition.field)
                if target is None or target is f:
                    raise ValueError(f"{f.name}: condition names an unknown field")
                allowed = {o.value for o in target.options} | ({"yes"} if target.type == "checkbox" else set())
                if not set(f.condition.values) <= allowed:
                    raise ValueError(f"{f.name}: condition values are not answers of {target.name}")
        return self

    def fields(self):
        return [f for page in self.pages for f in page.fields]
