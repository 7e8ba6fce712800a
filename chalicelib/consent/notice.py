"""The notice of consent: what a guardian acting for a child in a health-care e-service downloads,
prints, signs and takes to the health station (the help guide: "When acting on behalf of a child,
the notice of consent is in PDF format").

It is made from the same data as the agreement page (the catalogue's agreement text and version,
the session's guardian and child), in the child's language, by the portal's one PDF module
(chalicelib/documents): text, not an image; tagged, with its language, title and bookmarks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalicelib.i18n import LANGUAGES, N_, translations

TITLE = N_("Notice of consent")
INTRO = N_("As the guardian, I consent to using the health care e-service named below on behalf of the child. "
           "I have read the agreement below, which also applies when I act for the child. Print this notice, "
           "sign it and take it or post it to the child's health station.")
CHILD = N_("Child")
CHILD_BORN = N_("Child's date of birth")
GUARDIAN = N_("Guardian")
SERVICE = N_("E-service")
VERSION = N_("Version of the agreement")
DATE = N_("Date")
AGREEMENT = N_("The agreement (version %(version)s)")
SIGNATURES = N_("Signatures")
PLACE_AND_DATE = N_("Place and date")
GUARDIAN_SIGNATURE = N_("Guardian's signature")
CLARIFICATION = N_("Name in block letters")
FOOTER = N_("City of Helsinki, health care e-services")
LINE = "_" * 48


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice says about the people: the guardian (who acts) and the child (the principal)."""

    guardian_name: str
    child_name: str
    child_birth_date: date | None


def notice_language(child_language: str | None, fallback: str) -> str:
    """The child's language (from the register) when it is one of the portal's, else ``fallback``."""
    return child_language if child_language in LANGUAGES else (fallback if fallback in LANGUAGES else "fi")


def document(service, facts: NoticeFacts, language: str, today: date):
    """The notice as the PDF module's structured document (in reading order)."""
    from chalicelib.documents import Document, Heading, LabelValues, Paragraph

    if service.agreement is None:
        raise ValueError(f"{service.id} asks for no agreement")
    _ = translations(language).gettext
    agreement = service.agreement
    name = service.name.get(language)
    facts_list = [(_(CHILD), facts.child_name)]
    if facts.child_birth_date:
        facts_list.append((_(CHILD_BORN), _day(facts.child_birth_date)))
    facts_list += [(_(GUARDIAN), facts.guardian_name), (_(SERVICE), name), (_(VERSION), str(agreement.version)),
                   (_(DATE), _day(today))]
    signatures = [(_(PLACE_AND_DATE), LINE), (_(GUARDIAN_SIGNATURE), LINE), (_(CLARIFICATION), LINE)]
    return Document(
        language=language,
        title=f"{_(TITLE)}: {name}",
        author=_(FOOTER),
        subject=agreement.title.get(language),
        footer=_(FOOTER),
        blocks=(
            Heading(f"{_(TITLE)}: {name}", level=1),
            Paragraph(_(INTRO)),
            LabelValues(tuple(facts_list)),
            Heading(_(AGREEMENT) % {"version": agreement.version}, level=2),
            Heading(agreement.title.get(language), level=3),
            *(Paragraph(p) for p in agreement.text.get(language).split("\n\n")),
            Heading(_(SIGNATURES), level=2),
            LabelValues(tuple(signatures)),
        ),
    )


def render(service, facts: NoticeFacts, language: str, today: date) -> bytes:
    from chalicelib.documents import render_pdf

    return render_pdf(document(service, facts, language, today))


def _day(value: date) -> str:
    return f"{value.day}.{value.month}.{value.year}"
