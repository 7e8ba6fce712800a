"""Reading back the PDFs the portal makes, as a reader or assistive technology would: the text
(pdfminer.six, strict parsing), the metadata, the bookmarks and the structure tree."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass


@dataclass
class ReadPdf:
    text: str  # the text of every page, in content order
    info: dict
    lang: str | None
    display_doc_title: bool
    marked: bool
    outlines: list[tuple[int, str]]  # (level, title)
    pages: int
    structure: list[tuple[str, str]]  # (tag, its text) of every element with content, in tree order
    unowned_mcids: int  # marked content that no structure element claims (ParentTree)
    fonts_without_to_unicode: int  # fonts whose text extraction would have to guess


def _decode(value) -> str:
    if isinstance(value, bytes):
        if value.startswith(b"\xfe\xff"):
            return value[2:].decode("utf-16-be")
        return value.decode("latin-1")
    return str(value)


def words(text: str) -> str:
    """Text with every run of white space as one space: lines wrap, words do not change."""
    return " ".join(text.split())


def letters(text: str) -> str:
    """Text without any white space (a word too long for a line is broken inside it)."""
    return re.sub(r"\s+", "", text)


def read_pdf(data: bytes) -> ReadPdf:
    from pdfminer import settings as pdfminer_settings
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1

    pdfminer_settings.STRICT = True  # a syntax error raises instead of being repaired
    try:
        assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        catalog = document.catalog
        info = {k: _decode(resolve1(v)) for k, v in (document.info[0] if document.info else {}).items()}
        outlines = [(level, title) for level, title, *_ in document.get_outlines()]
        pages = list(PDFPage.create_pages(document))

        manager = PDFResourceManager()
        out = io.StringIO()
        device = TextConverter(manager, out, laparams=LAParams())
        interpreter = PDFPageInterpreter(manager, device)
        page_texts = []
        mcid_texts: dict[tuple[int, int], str] = {}
        for number, page in enumerate(pages):
            start = out.tell()
            interpreter.process_page(page)
            page_texts.append(out.getvalue()[start:])
            mcid_texts.update({(page.pageid, mcid): text for mcid, text in _marked_texts(page, manager).items()})
        device.close()

        tree = resolve1(catalog["StructTreeRoot"])
        nums = resolve1(resolve1(tree["ParentTree"])["Nums"])
        owned = set()
        for index in range(0, len(nums), 2):
            page = next(p for p in pages if resolve1(p.attrs["StructParents"]) == nums[index])
            owned |= {(page.pageid, mcid) for mcid in range(len(resolve1(nums[index + 1])))}
        structure: list[tuple[str, str]] = []

        def walk(element):  # in reading order: an element's kids in /K order
            element = resolve1(element)
            kids = resolve1(element.get("K", []))
            own = []
            for kid in kids if isinstance(kids, list) else [kids]:
                if isinstance(resolve1(kid), dict) and getattr(resolve1(kid).get("Type"), "name", None) == "MCR":
                    own.append(mcid_texts.get((kid_page(resolve1(kid)), resolve1(kid)["MCID"]), "<missing>"))
                else:
                    walk(kid)
            if own:
                structure.append((element["S"].name, " ".join(own)))

        def kid_page(mcr) -> int:
            return mcr["Pg"].objid

        fonts = {}
        for page in pages:
            fonts.update({id(f): f for f in map(resolve1, resolve1(resolve1(page.resources)["Font"]).values())})
        roots = resolve1(tree["K"])
        for root in roots if isinstance(roots, list) else [roots]:
            walk(root)
        viewer = resolve1(catalog.get("ViewerPreferences", {})) or {}
        mark_info = resolve1(catalog.get("MarkInfo", {})) or {}
        return ReadPdf(
            text="".join(page_texts), info=info, lang=_decode(resolve1(catalog.get("Lang", b""))) or None,
            display_doc_title=bool(viewer.get("DisplayDocTitle")), marked=bool(mark_info.get("Marked")),
            outlines=outlines, pages=len(pages), structure=structure,
            unowned_mcids=len(set(mcid_texts) - owned),
            fonts_without_to_unicode=sum(1 for f in fonts.values() if "ToUnicode" not in f),
        )
    finally:
        pdfminer_settings.STRICT = False


def _marked_texts(page, manager) -> dict[int, str]:
    """MCID -> the text drawn inside that marked-content sequence on ``page``."""
    from pdfminer.pdfdevice import PDFDevice
    from pdfminer.pdfinterp import PDFPageInterpreter

    class Collector(PDFDevice):
        def __init__(self, rsrcmgr):
            super().__init__(rsrcmgr)
            self.stack: list[int | None] = []
            self.texts: dict[int, list[str]] = {}

        def begin_tag(self, tag, props=None):
            self.stack.append(props.get("MCID") if isinstance(props, dict) else None)

        def end_tag(self):
            if self.stack:
                self.stack.pop()

        def render_string(self, textstate, seq, ncs, graphicstate):
            mcid = next((m for m in reversed(self.stack) if m is not None), None)
            if mcid is None:
                return
            font = textstate.font
            chars = []
            for item in seq:
                if isinstance(item, bytes):
                    chars += [font.to_unichr(cid) for cid in font.decode(item)]
            self.texts.setdefault(mcid, []).append("".join(chars))

    collector = Collector(manager)
    PDFPageInterpreter(manager, collector).process_page(page)
    return {mcid: "".join(parts) for mcid, parts in collector.texts.items()}
