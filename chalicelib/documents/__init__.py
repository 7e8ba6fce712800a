"""Documents a person keeps: a structured document in, a text-based, tagged PDF out.

One module for every PDF the portal makes (the receipt of a sent form, the health-care consent
notice). Callers describe *what* the document says, in logical reading order; this package decides
how it looks. Nothing here knows forms, sessions or storage.

How to use it::

    from chalicelib.documents import Document, Heading, LabelValues, Paragraph, render_pdf

    pdf: bytes = render_pdf(Document(
        language="fi",                       # BCP 47; becomes the PDF's /Lang
        title="Vastaanottokuittaus 000123",  # /Title, shown in the viewer's title bar (DisplayDocTitle)
        blocks=(
            Heading("Vastaanottokuittaus", level=1),      # H1 and a bookmark (outline item)
            LabelValues((("Asianumero", "000123"), ("Lähetetty", "6.12.2026 klo 12.05"))),
            Heading("Hakemuksen tiedot", level=2),        # H2, a bookmark under the previous level 1
            Paragraph("Vapaa teksti.\\nRivinvaihto säilyy."),
        ),
        footer="Helsingin kaupunki",          # optional: on every page, with "page / pages", as an artifact
    ))

Import it inside the function that uses it (never at module level of a handler): every page's cold
start would pay for it otherwise (docs/benchmarks.md).

What the PDF is (docs/receipt.md has what of PDF/UA it meets and what it does not):
- Text, not pictures of text: searchable and copyable. The fonts are the standard Helvetica and
  Helvetica-Bold with WinAnsiEncoding (Windows-1252: ä ö å Ä Ö Å, é, ü, the euro sign € and the
  other West-European letters), each with a ToUnicode map, so copying and text extraction give the
  right letters. A character outside Windows-1252 is written without its accent where Unicode can
  decompose it (ł stays "?", č becomes "c"), else as "?"; control and invisible formatting
  characters (bidirectional marks, zero-width spaces) are left out. Text can never break the file:
  it is written as hexadecimal strings.
- /Lang, /Title with DisplayDocTitle, XMP metadata (title, language), bookmarks for headings, and a
  structure tree (Document > H1/H2/H3, P, L > LI > Lbl + LBody) in reading order, with page
  numbers and the footer marked as artifacts.
- A4, long texts wrap at spaces (a word wider than the line breaks inside it) and flow onto new
  pages; a heading is never left alone at the foot of a page.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    """A heading: H1 (``level`` 1, the document's own title), H2 or H3; every heading is a bookmark."""

    text: str
    level: int = 1

    def __post_init__(self):
        if self.level not in (1, 2, 3):
            raise ValueError("a heading's level is 1, 2 or 3")


@dataclass(frozen=True)
class Paragraph:
    """Running text; a line feed starts a new line (an answer typed on several lines stays so)."""

    text: str


@dataclass(frozen=True)
class LabelValues:
    """Label / value pairs (a question and its answer): a list whose items have a label and a body.
    A value may have several lines."""

    items: tuple[tuple[str, str], ...]


Block = Heading | Paragraph | LabelValues


@dataclass(frozen=True)
class Document:
    language: str  # BCP 47 language tag: "fi", "sv", "en"
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    author: str = ""  # /Author (e.g. "City of Helsinki")
    subject: str = ""  # /Subject
    footer: str = ""  # shown at the foot of every page with the page number (an artifact)


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes (imports the writer on first use)."""
    from chalicelib.documents.pdf import render

    return render(document)
