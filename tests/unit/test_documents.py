"""chalicelib.documents: the PDF read back as a reader would (text, metadata, bookmarks, tags)."""
from __future__ import annotations

import pytest

from chalicelib.documents import Document, Heading, LabelValues, Paragraph, render_pdf
from chalicelib.documents.pdf import STYLES, TEXT_WIDTH, clean, text_width, wrap
from tests.pdf_reading import letters, read_pdf, words

HOSTILE = [
    ") Tj ET EMC endstream endobj %%EOF trailer << /Root 1 0 R >>",
    "(((unbalanced \\ back\\slash \\) \\\\",
    "control\x00\x01\x07\x1b[31m\x7fchars\ttab",
    "right\u202eto\u200fleft\u200b\u2066marks\ufeff",
    "<FEFF> <</Type /Catalog>> BT /F1 99 Tf (x) Tj ET",
    "x" * 700,
    "\ud800 lone surrogate",
]


def _document(blocks, language="fi", title="Testi") -> bytes:
    return render_pdf(Document(language=language, title=title, blocks=tuple(blocks), footer="Helsingin kaupunki"))


@pytest.mark.parametrize("language,title,pairs", [
    ("fi", "Vastaanottokuittaus – Päivähoitohakemus",
     [("Lapsen nimi", "Åsa Äijälä-Öhman"), ("Hinta", "12,50 €"), ("Selitys", "Hyvää päivää, ÄÖÅ äöå")]),
    ("sv", "Mottagningskvitto – Ansökan om dagvård", [("Barnets namn", "Åke Ängström"), ("Pris", "€ 3,00")]),
    ("en", "Receipt – Application for day care", [("Child's name", "Zoë Brontë"), ("Price", "EUR 3.00 (€)")]),
])
def test_text_metadata_and_bookmarks_in_three_languages(language, title, pairs):
    pdf = read_pdf(_document([Heading(title), LabelValues(tuple(pairs)), Heading("Osio 2", 2), Paragraph("Loppu.")],
                             language=language, title=title))
    assert pdf.lang == language
    assert pdf.info["Title"] == title
    assert pdf.display_doc_title and pdf.marked
    assert pdf.fonts_without_to_unicode == 0
    assert pdf.outlines == [(1, title), (2, "Osio 2")]
    expected = [("H1", title)] + [t for label, value in pairs for t in (("Lbl", label), ("LBody", value))] + \
        [("H2", "Osio 2"), ("P", "Loppu.")]
    assert pdf.structure == expected  # the logical reading order, tag by tag
    assert words(pdf.text) == words(" ".join(text for _, text in expected) + " Helsingin kaupunki 1 / 1")
    assert pdf.unowned_mcids == 0


def test_long_text_wraps_and_flows_onto_pages_in_order():
    long = " ".join(f"sana{n}" for n in range(3000))
    lines = "rivi yksi\nrivi kaksi\n\n\n\n\nrivi kolme"
    pdf = read_pdf(_document([Heading("Pitkä"), Paragraph(long), LabelValues((("Monirivinen", lines),))]))
    assert pdf.pages >= 5
    (tag, text), *_ = [s for s in pdf.structure if s[0] == "P"]
    assert words(text) == long
    assert [s for s in pdf.structure if s[0] == "LBody"] == [("LBody", "rivi yksi rivi kaksi rivi kolme")]
    for page in range(1, pdf.pages + 1):
        assert f"{page} / {pdf.pages}" in pdf.text  # the page numbers (artifacts, outside the structure)
    assert not any("/ " in text for _, text in pdf.structure)


def test_wrap_keeps_every_line_within_the_text_width_and_breaks_only_too_long_words():
    style = STYLES["P"]
    text = "lyhyt " * 40 + "Pitkä" * 80 + " loppu"
    lines = wrap(text, style.font, style.size, TEXT_WIDTH)
    assert all(text_width(line, style.font, style.size) <= TEXT_WIDTH for line in lines)
    assert letters("".join(lines)) == letters(text)
    assert sum(1 for line in lines if "lyhyt" in line) >= 2 and all(
        word == "lyhyt" for line in lines for word in line.split() if word.startswith("lyh"))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_answer_cannot_break_the_document(hostile):
    data = _document([Heading("Kuittaus " + hostile), LabelValues(((hostile, hostile), ("Seuraava", "Viimeinen"))),
                      Paragraph(hostile)], title=hostile)
    pdf = read_pdf(data)  # strict parsing: any syntax error raises
    shown = clean(hostile)
    tags = [tag for tag, _ in pdf.structure]
    assert tags == ["H1", "Lbl", "LBody", "Lbl", "LBody", "P"]
    texts = [text for _, text in pdf.structure]
    assert letters(texts[1]) == letters(shown) == letters(texts[2]) == letters(texts[5])
    assert texts[3:5] == ["Seuraava", "Viimeinen"]
    assert pdf.info["Title"] == " ".join(shown.split("\n")).strip()
    assert pdf.outlines[0][1] == ("Kuittaus " + shown).replace("\n", " ").strip()
    assert pdf.unowned_mcids == 0


def test_clean_keeps_finnish_and_swedish_letters_and_removes_what_cannot_be_shown():
    assert clean("äöå ÄÖÅ € é ü") == "äöå ÄÖÅ € é ü"
    assert clean("a\u200fb\u202ec\u200bd\x00e\x1bf") == "abcdef"
    assert clean("Dvořák ﬁ ł") == "Dvorák fi ?"
    assert clean("Мария") == "?????"
    assert clean("a\r\nb\rc\u2028d") == "a\nb\nc\nd"
