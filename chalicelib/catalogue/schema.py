"""The shape of one catalogue entry (an e-service) as stored in ``chalicelib/catalogue/data/*.json``.

Every file holds one e-service. ``schema_version`` lets a later change of shape migrate old files
knowingly instead of silently. The loader and a test validate every file against these models.
"""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

SCHEMA_VERSION = 1

Language = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Language, ...] = ("fi", "sv", "en")

# The six topics of the City's service listing.
Topic = Literal[
    "social-health",
    "culture-leisure",
    "transport-maps",
    "city-administration",
    "housing-environment",
    "daycare-education",
]
TOPICS: tuple[Topic, ...] = (
    "social-health",
    "culture-leisure",
    "transport-maps",
    "city-administration",
    "housing-environment",
    "daycare-education",
)
TargetGroup = Literal["personal", "associations", "enterprises"]
TARGET_GROUPS: tuple[TargetGroup, ...] = ("personal", "associations", "enterprises")
ResidentGroup = Literal["children-families", "youth", "elderly", "disabled", "immigrants"]
RESIDENT_GROUPS: tuple[ResidentGroup, ...] = ("children-families", "youth", "elderly", "disabled", "immigrants")
AlternativeKind = Literal["pdf-form", "word-form", "telephone", "visit", "post", "web"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def _https_address(value: str) -> str:
    """An absolute https:// address with a host and no spaces. (pydantic's HttpUrl would do, but
    importing pydantic.networks costs every cold start some 30 ms: docs/benchmarks.md.)"""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("must be an absolute https:// address")
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_https_address)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]


class _Strict(BaseModel):
    # defer_build: validators are built on first use, not when the app is imported (cold start).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Localized(_Strict):
    """The same text in Finnish, Swedish and English; all three are required."""

    fi: Text
    sv: Text
    en: Text

    def get(self, language: str) -> str:
        return getattr(self, language, self.fi)


class LocalizedShort(Localized):
    fi: ShortText
    sv: ShortText
    en: ShortText


class AlternativeMethod(_Strict):
    """An "Alternative service method": a printable form, a telephone service, a visit..."""

    kind: AlternativeKind
    label: LocalizedShort
    url: HttpsUrl | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,20}$")] | None = None

    @model_validator(mode="after")
    def _reachable(self) -> "AlternativeMethod":
        if self.kind == "telephone" and not self.phone:
            raise ValueError("a telephone alternative needs a phone number")
        if self.kind in ("pdf-form", "word-form", "web") and not self.url:
            raise ValueError(f"a {self.kind} alternative needs a url")
        return self


class Agreement(_Strict):
    """The electronic agreement a health-care e-service asks a person to accept before its form.

    ``version`` goes up whenever the text changes in substance: an acceptance of an older version no
    longer counts, and the person is asked again. ``text`` is paragraphs separated by a blank line.
    """

    version: int = Field(ge=1, le=1000, strict=True)
    title: LocalizedShort
    text: Localized

    @model_validator(mode="after")
    def _translated(self) -> "Agreement":
        for part in ("title", "text"):
            values = getattr(self, part)
            if len({values.fi, values.sv, values.en}) != 3:
                raise ValueError(f"the agreement's {part} must be translated: fi, sv and en are the same text")
        for language in LANGUAGES:
            if any(not p.strip() for p in self.text.get(language).split("\n\n")):
                raise ValueError(f"the agreement's {language} text has an empty paragraph")
        return self


class EService(_Strict):
    schema_version: Literal[1]
    id: Slug
    name: LocalizedShort
    short_description: LocalizedShort
    # Paragraphs separated by a blank line.
    description: Localized
    topic: Topic
    target_groups: list[TargetGroup] = Field(min_length=1)
    resident_groups: list[ResidentGroup] = Field(default_factory=list)
    # The service-description fields of the City's help guide.
    process: Localized
    processing_time: LocalizedShort
    validity: LocalizedShort
    # The id of the division that handles it: one of divisions.json, checked when the catalogue loads.
    division: Slug
    contact: Localized
    saved_in_folder: bool
    prerequisites: Localized
    languages: list[Language] = Field(min_length=1)
    alternatives: list[AlternativeMethod] = Field(default_factory=list)
    feedback_url: HttpsUrl
    # Where "Go to the e-service" leads when the service lives outside this portal (e.g. Ilmonet).
    external_url: HttpsUrl | None = None
    popular: bool = False
    health_care: bool = False
    # The electronic agreement the person accepts, once per e-service, before its form (health care only).
    agreement: Agreement | None = None
    # How long a decided or cancelled submission is kept (by law or the City's archive plan).
    retention_years: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _no_duplicates(self) -> "EService":
        for name in ("target_groups", "resident_groups", "languages"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        if self.health_care and self.saved_in_folder:
            raise ValueError("health care services are never saved in the e-services folder")
        if self.agreement and not self.health_care:
            raise ValueError("only a health care service asks for the electronic agreement")
        if self.agreement and self.external_url:
            raise ValueError("an agreement is asked before the portal's own form: a service outside the portal asks its own")
        return self
