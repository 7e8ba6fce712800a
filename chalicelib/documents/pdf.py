"""The PDF writer behind ``chalicelib.documents``: our layout and structure, pydyf's file format.

pydyf (a pure-Python, dependency-free, 70 kB library) writes the objects, streams, cross-reference
table and trailer; this module lays the text out on A4 pages, wraps it with the standard fonts'
metrics, and builds the tagged structure, the bookmarks and the metadata (docs/receipt.md says why
not fpdf2 or ReportLab: docs/benchmarks.md has the measurements).

Every piece of text is drawn inside a marked-content sequence whose MCID a structure element owns
(``/P <</MCID 3>> BDC ... EMC``); the footer and page numbers are artifacts. Text is written as
hexadecimal strings of Windows-1252 codes, so nothing a person typed is ever PDF syntax.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO

import pydyf

from chalicelib.documents import Document, Heading, LabelValues, Paragraph
from chalicelib.documents.metrics import FIRST_CHAR, HELVETICA, HELVETICA_BOLD

PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4 in points
MARGIN = 56.7  # 20 mm
TOP = PAGE_HEIGHT - MARGIN
BOTTOM = 72.0  # the lowest baseline of body text; the footer is below it
FOOTER_BASELINE = 36.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
ENCODING = "cp1252"  # WinAnsiEncoding
PRODUCER = "City e-services portal (chalicelib.documents, pydyf)"

REGULAR, BOLD = "F1", "F2"
WIDTHS = {REGULAR: HELVETICA, BOLD: HELVETICA_BOLD}
BASE_FONTS = {REGULAR: "Helvetica", BOLD: "Helvetica-Bold"}


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float
    space_before: float
    indent: float = 0.0


STYLES = {
    "H1": Style(BOLD, 18, 23, 0),
    "H2": Style(BOLD, 13.5, 18, 14),
    "H3": Style(BOLD, 11.5, 15.5, 10),
    "P": Style(REGULAR, 10.5, 14.5, 6),
    "Lbl": Style(BOLD, 10, 14, 7),
    "LBody": Style(REGULAR, 10.5, 14.5, 0),
    "Footer": Style(REGULAR, 8.5, 11, 0),
}


# --- text -----------------------------------------------------------------------------------------

def _encodable(ch: str) -> bool:
    try:
        code = ch.encode(ENCODING)[0]
    except UnicodeEncodeError:
        return False
    return code >= FIRST_CHAR and code != 0x7F


def clean(text) -> str:
    """Text as the PDF can show it: NFC; line breaks as "\\n"; tabs and other spaces as spaces;
    control, private-use and invisible formatting characters (bidirectional marks, zero-width
    spaces, soft hyphens) left out; a letter outside Windows-1252 without its accent when Unicode
    decomposes it, else "?"."""
    text = unicodedata.normalize("NFC", str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in "\n\u2028\u2029\x0b\x0c\x85":
            out.append("\n")
            continue
        category = unicodedata.category(ch)
        if category[0] == "C":  # Cc, Cf, Cs, Co, Cn
            if ch == "\t":
                out.append(" ")
            continue
        if _encodable(ch):
            out.append(ch)
        elif category[0] == "Z":
            out.append(" ")
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                           if not unicodedata.combining(c) and _encodable(c))
            out.append(base or "?")
    return "".join(out)


def text_width(text: str, font: str, size: float) -> float:
    widths = WIDTHS[font]
    return sum(widths[code - FIRST_CHAR] for code in text.encode(ENCODING)) * size / 1000


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` points: breaks at spaces, inside a word only when the word alone is
    wider than the line. A line feed in the text is kept; runs of empty lines become one."""
    lines: list[str] = []
    for raw in re.sub(r"\n{3,}", "\n\n", clean(text).strip("\n")).split("\n"):
        words = [w for w in raw.split(" ") if w]
        if not words:
            lines.append("")
            continue
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, font, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
                current = ""
            while text_width(word, font, size) > width:  # a word wider than the line: break inside it
                cut = 1
                while cut < len(word) and text_width(word[:cut + 1], font, size) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def _hex(text: str) -> bytes:
    return b"<" + text.encode(ENCODING).hex().upper().encode("ascii") + b">"


def _number(value: float) -> bytes:
    return f"{value:.2f}".rstrip("0").rstrip(".").encode("ascii")


# --- layout ---------------------------------------------------------------------------------------

@dataclass
class Element:
    """A structure element: kids are Elements or (page index, MCID) of marked content."""

    tag: str
    kids: list = field(default_factory=list)
    obj: pydyf.Dictionary | None = None


@dataclass
class PageContent:
    lines: list[bytes] = field(default_factory=list)
    owners: list[Element] = field(default_factory=list)  # MCID -> the element that owns it


@dataclass
class Bookmark:
    title: str
    level: int
    page: int
    top: float


class Layout:
    def __init__(self):
        self.pages: list[PageContent] = []
        self.bookmarks: list[Bookmark] = []
        self._new_page()

    def _new_page(self):
        self.pages.append(PageContent())
        self.y = TOP

    @property
    def at_top(self) -> bool:
        return self.y >= TOP

    def space(self, points: float):
        if not self.at_top:
            self.y -= points

    def keep(self, height: float):
        """Start a new page unless ``height`` points still fit on this one."""
        if self.y - height < BOTTOM and not self.at_top:
            self._new_page()

    def line(self, element: Element, style: Style, text: str):
        if self.y - style.leading < BOTTOM:
            self._new_page()
        baseline = self.y - style.size
        self.y -= style.leading
        if not text:
            return
        page = self.pages[-1]
        mcid = len(page.owners)
        page.owners.append(element)
        element.kids.append((len(self.pages) - 1, mcid))
        page.lines.append(b"/%s <</MCID %d>> BDC BT /%s %s Tf 1 0 0 1 %s %s Tm %s Tj ET EMC" % (
            element.tag.encode(), mcid, style.font.encode(), _number(style.size),
            _number(MARGIN + style.indent), _number(baseline), _hex(text)))

    def block(self, parent: Element, tag: str, text: str, *, keep_after: float = 0.0) -> Element:
        style = STYLES[tag]
        lines = wrap(text, style.font, style.size, TEXT_WIDTH - style.indent) or [""]
        element = Element(tag)
        parent.kids.append(element)
        self.space(style.space_before)
        self.keep(min(len(lines), 2) * style.leading + keep_after)
        for text_line in lines:
            self.line(element, style, text_line)
        return element


def lay_out(document: Document) -> tuple[Layout, Element]:
    layout = Layout()
    root = Element("Document")
    for block in document.blocks:
        if isinstance(block, Heading):
            tag = f"H{block.level}"
            style = STYLES[tag]
            layout.space(style.space_before)
            # A heading keeps at least two lines of what follows with it.
            lines = wrap(block.text, style.font, style.size, TEXT_WIDTH)
            layout.keep(len(lines) * style.leading + 2 * STYLES["P"].leading + STYLES["P"].space_before)
            layout.bookmarks.append(Bookmark(clean(block.text).replace("\n", " ").strip() or "-", block.level,
                                             len(layout.pages) - 1, layout.y))
            element = Element(tag)
            root.kids.append(element)
            for text_line in lines:
                layout.line(element, style, text_line)
        elif isinstance(block, Paragraph):
            layout.block(root, "P", block.text)
        elif isinstance(block, LabelValues):
            items = Element("L")
            root.kids.append(items)
            for label, value in block.items:
                item = Element("LI")
                items.kids.append(item)
                layout.block(item, "Lbl", label, keep_after=STYLES["LBody"].leading)
                if clean(value).strip():
                    layout.block(item, "LBody", value)
        else:
            raise TypeError(f"not a block: {block!r}")
    return layout, root


# --- the file -------------------------------------------------------------------------------------

def _string(text: str) -> pydyf.String:
    return pydyf.String(clean(text).replace("\n", " ").strip())


def _to_unicode() -> pydyf.Stream:
    codes = [code for code in range(FIRST_CHAR, 256) if _encodable(bytes([code]).decode(ENCODING, "replace"))]
    entries = [b"<%02X> <%04X>" % (code, ord(bytes([code]).decode(ENCODING))) for code in codes]
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange <00> <FF> endcodespacerange"]
    for start in range(0, len(entries), 100):
        chunk = entries[start:start + 100]
        lines += [b"%d beginbfchar" % len(chunk), *chunk, b"endbfchar"]
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return pydyf.Stream(lines, compress=True)


def _xmp(document: Document) -> pydyf.Stream:
    title, language = html.escape(clean(document.title).replace("\n", " ")), html.escape(document.language)
    xml = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f'<dc:format>application/pdf</dc:format>'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
        f'<dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>'
        f'<pdf:Producer>{html.escape(PRODUCER)}</pdf:Producer>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    return pydyf.Stream([xml.encode("utf-8")], {"Type": "/Metadata", "Subtype": "/XML"})


def _outline(pdf: pydyf.PDF, bookmarks: list[Bookmark], pages: list[pydyf.Dictionary]) -> pydyf.Dictionary | None:
    if not bookmarks:
        return None
    root = pydyf.Dictionary({"Type": "/Outlines"})
    pdf.add_object(root)
    children: dict[int, list[pydyf.Dictionary]] = {id(root): []}
    stack: list[tuple[int, pydyf.Dictionary]] = [(0, root)]
    for mark in bookmarks:
        while stack[-1][0] >= mark.level:
            stack.pop()
        parent = stack[-1][1]
        item = pydyf.Dictionary({
            "Title": _string(mark.title), "Parent": parent.reference,
            "Dest": pydyf.Array([pages[mark.page].reference, "/XYZ", _number(MARGIN), _number(mark.top), "null"]),
        })
        pdf.add_object(item)
        children[id(parent)].append(item)
        children[id(item)] = []
        stack.append((mark.level, item))

    def link(node: pydyf.Dictionary) -> int:
        kids = children[id(node)]
        count = 0
        for index, kid in enumerate(kids):
            if index:
                kid["Prev"] = kids[index - 1].reference
            if index + 1 < len(kids):
                kid["Next"] = kids[index + 1].reference
            count += 1 + link(kid)
        if kids:
            node["First"], node["Last"] = kids[0].reference, kids[-1].reference
            node["Count"] = count
        return count

    link(root)
    return root


def render(document: Document) -> bytes:
    layout, root = lay_out(document)
    pdf = pydyf.PDF()
    to_unicode = _to_unicode()
    pdf.add_object(to_unicode)
    fonts = {}
    for key, base in BASE_FONTS.items():
        font = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/Type1", "BaseFont": f"/{base}", "Encoding": "/WinAnsiEncoding",
            "FirstChar": FIRST_CHAR, "LastChar": 255, "Widths": pydyf.Array(WIDTHS[key]),
            "ToUnicode": to_unicode.reference,
        })
        pdf.add_object(font)
        fonts[key] = font.reference

    total = len(layout.pages)
    footer_style = STYLES["Footer"]
    page_objects = []
    for index, content in enumerate(layout.pages):
        lines = list(content.lines)
        footer = clean(document.footer).replace("\n", " ").strip()
        label = f"{footer}   {index + 1} / {total}" if footer else f"{index + 1} / {total}"
        label = wrap(label, footer_style.font, footer_style.size, TEXT_WIDTH)[-1]
        lines.append(b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC BT /%s %s Tf 1 0 0 1 %s %s Tm %s Tj ET EMC" % (
            footer_style.font.encode(), _number(footer_style.size), _number(MARGIN), _number(FOOTER_BASELINE),
            _hex(label)))
        stream = pydyf.Stream(lines, compress=True)
        pdf.add_object(stream)
        page = pydyf.Dictionary({
            "Type": "/Page", "Parent": pdf.pages.reference,
            "MediaBox": pydyf.Array([0, 0, _number(PAGE_WIDTH), _number(PAGE_HEIGHT)]),
            "Contents": stream.reference,
            "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary(fonts)}),
            "StructParents": index, "Tabs": "/S",
        })
        pdf.add_page(page)
        page_objects.append(page)

    # The structure tree: every element an object, its kids elements or marked-content references.
    tree = pydyf.Dictionary({"Type": "/StructTreeRoot"})
    pdf.add_object(tree)

    def build(element: Element, parent: pydyf.Dictionary):
        element.obj = pydyf.Dictionary({"Type": "/StructElem", "S": f"/{element.tag}", "P": parent.reference})
        pdf.add_object(element.obj)
        kids = pydyf.Array()
        for kid in element.kids:
            if isinstance(kid, Element):
                build(kid, element.obj)
                kids.append(kid.obj.reference)
            else:
                page_index, mcid = kid
                kids.append(pydyf.Dictionary({"Type": "/MCR", "Pg": page_objects[page_index].reference, "MCID": mcid}))
        element.obj["K"] = kids
        first_page = next((k[0] for k in element.kids if isinstance(k, tuple)), None)
        if first_page is not None:
            element.obj["Pg"] = page_objects[first_page].reference

    build(root, tree)
    root.obj["Lang"] = pydyf.String(document.language)
    numbers = pydyf.Array()
    for index, content in enumerate(layout.pages):
        numbers += [index, pydyf.Array([owner.obj.reference for owner in content.owners])]
    tree["K"] = pydyf.Array([root.obj.reference])
    tree["ParentTree"] = pydyf.Dictionary({"Nums": numbers})
    tree["ParentTreeNextKey"] = total

    metadata = _xmp(document)
    pdf.add_object(metadata)
    outline = _outline(pdf, layout.bookmarks, page_objects)
    pdf.catalog.update({
        "Lang": pydyf.String(document.language),
        "MarkInfo": pydyf.Dictionary({"Marked": "true"}),
        "StructTreeRoot": tree.reference,
        "ViewerPreferences": pydyf.Dictionary({"DisplayDocTitle": "true"}),
        "Metadata": metadata.reference,
        "PageMode": "/UseOutlines" if outline is not None else "/UseNone",
    })
    if outline is not None:
        pdf.catalog["Outlines"] = outline.reference
    pdf.info.update({"Title": _string(document.title), "Producer": _string(PRODUCER)})
    if document.author:
        pdf.info["Author"] = _string(document.author)
    if document.subject:
        pdf.info["Subject"] = _string(document.subject)
    output = BytesIO()
    pdf.write(output, version=b"1.7", identifier=True, compress=True)
    return output.getvalue()
