"""The receipt of a sent form: the PDF copy a customer keeps (issue 19; docs/receipt.md).

It says, in the language the form was sent in: the item number, the e-service, when it was sent
(Helsinki time), who sent it and for whom, every answer as the summary shows it
(``display.answered_pages``), the attachments' names, the division that handles it and what
happens next. ``chalicelib.documents`` makes the PDF.

Two ways to it, both bound to their owner and with no personal data in the URL:
- a folder item: ``/folder/<item number>/receipt`` (the folder's own access check);
- right after sending: ``/drafts/<draft id>/receipt``, through the draft's short-lived "sent" marker
  (``sending.SENT_MARKER_LIFETIME``), for at most ``AFTER_SENDING`` after sending. This is the only
  way to a health-care submission's receipt: health care is never in the folder, and nothing of the
  receipt is stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.i18n import LANGUAGES, N_, translations

AFTER_SENDING = timedelta(hours=1)  # how long the sent page's "Download a copy (PDF)" works

# Texts of the receipt (translated in the submission's language, not the page's).
TITLE = N_("Receipt: %(service)s, item number %(item)s")
HEADING = N_("Receipt of a sent form")
INTRO = N_("The City of Helsinki has received the form below. Keep this receipt: it shows what you sent.")
SERVICE = N_("Service")
SENT_AT = N_("Sent (Helsinki time)")
SENDER = N_("Sender")
FOR_WHOM = N_("For whom")
DIVISION = N_("Division handling it")
ANSWERS = N_("Answers")
NEXT = N_("How the processing continues")
PROCESSING_TIME = N_("Processing time: %(time)s")
FOLDER_NOTE = N_("You can follow the processing in your e-services folder with the item number %(item)s.")
HEALTH_CARE_NOTE = N_("For your privacy, health care forms are not saved in the e-services folder. "
                      "Keep this receipt and the item number %(item)s.")


@dataclass(frozen=True)
class Parties:
    sender: str  # the person who sent the form
    for_whom: str  # on whose behalf: the person themself, or the organisation


def parties(item, acting_for=None) -> Parties:
    """Who sent the form and for whom: the one place that says it. The item records the principal it
    was sent for (issue 17: a child, an authorised person or an organisation); an item sent before that
    was recorded falls back to the viewing session's principal (``Session.acting_for``). A person who
    sent for themself is both. An organisation is named with its Business ID."""
    name, kind, identifier = item.principal_name, item.principal_kind, item.principal_identifier
    if not name and acting_for is not None:
        name, kind, identifier = acting_for.name, acting_for.kind, acting_for.identifier
    if not name:
        return Parties(item.sent_by, item.sent_by)
    if kind == "organisation" and identifier and identifier != name:
        return Parties(item.sent_by, f"{name} ({identifier})")
    return Parties(item.sent_by, name)


def receipt_document(item, form, service, division_name: str, who: Parties):
    """The receipt of ``item`` (a SubmissionModel) as a ``documents.Document``."""
    from chalicelib.documents import Document, Heading, LabelValues, Paragraph
    from chalicelib.forms.display import answered_pages
    from chalicelib.templating import format_datetime

    language = item.language if item.language in LANGUAGES else "fi"
    _ = translations(language).gettext
    name = service.name.get(language) if service else item.service_id
    blocks: list = [
        Heading(_(HEADING), 1),
        Paragraph(_(INTRO)),
        LabelValues((
            (_("Item number"), item.item_number),
            (_(SERVICE), name),
            (_(SENT_AT), format_datetime(item.created_at)),
            (_(SENDER), who.sender),
            (_(FOR_WHOM), who.for_whom),
            (_(DIVISION), division_name),
        )),
        Heading(_(ANSWERS), 2),
    ]
    if form is not None:
        for title, rows in answered_pages(form, item.answers or {}, list(item.attachments), language,
                                          _("Yes"), _("No")):
            blocks += [Heading(title, 3), LabelValues(tuple(rows))]
    names = [a.name for a in item.attachments]
    blocks += [Heading(_("Attachments"), 2), Paragraph("\n".join(names) if names else _("No attachments"))]
    blocks += [Heading(_(NEXT), 2)]
    if service:
        blocks += [Paragraph(service.process.get(language)),
                   Paragraph(_(PROCESSING_TIME) % {"time": service.processing_time.get(language)})]
    note = HEALTH_CARE_NOTE if item.health_care else FOLDER_NOTE
    blocks.append(Paragraph(_(note) % {"item": item.item_number}))
    return Document(
        language=language, title=_(TITLE) % {"service": name, "item": item.item_number}, blocks=tuple(blocks),
        author=_("City of Helsinki"), subject=name, footer=f"{_('City of Helsinki')} · {item.item_number}",
    )


def receipt_pdf(item, who: Parties) -> bytes:
    from chalicelib.catalogue.store import divisions, get_service
    from chalicelib.documents import render_pdf
    from chalicelib.forms.store import form_for

    language = item.language if item.language in LANGUAGES else "fi"
    division = divisions().get(item.division_id, {}).get(language, item.division_id)
    return render_pdf(receipt_document(item, form_for(item.service_id), get_service(item.service_id), division, who))


def filename(item) -> str:
    """The download's name: the item number only (no personal data), in the form's language."""
    word = {"fi": "kuittaus", "sv": "kvitto"}.get(item.language, "receipt")
    return f"{word}-{item.item_number}.pdf"


def just_sent(owner_id: str, draft_id: str):
    """The submission a draft of ``owner_id`` became, while its "sent" marker lives and for at most
    AFTER_SENDING after sending; NotFound otherwise (another customer's draft answers the same)."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.forms import drafts
    from chalicelib.models.forms import SubmissionModel

    draft = drafts.load(drafts.Owner(owner_id, ""), draft_id)
    if not draft.sent_item_number:
        raise NotFound("receipt")
    try:
        item = SubmissionModel.get(draft.sent_item_number)
    except DoesNotExist:
        raise NotFound("receipt") from None
    mine = item.owner_id == owner_id if not item.health_care else item.sender_id == owner_id
    if not mine or clock.utcnow() - item.created_at > AFTER_SENDING:
        raise NotFound("receipt")
    return item
