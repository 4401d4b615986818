"""How the report document looks: A4, Thai government conventions (TH Sarabun New by name,
body 16 pt, Buddhist-Era dates, page numbers in the footer), tables whose rows never split
across pages and whose header row repeats, and the text forms of money and rates.

Word and LibreOffice lay Thai out as a complex script: the font, size and language are set
for both the Latin and the complex-script runs (``w:cs``, ``w:szCs``, ``w:bidi``), so
Thai lines break at word boundaries by the renderer's Thai dictionary. Where TH Sarabun
New is not installed, the renderer substitutes its metric twin (fontconfig maps it to
TLWG's Laksaman, ``fonts-thai-tlwg``), and the font table names that twin too."""

from __future__ import annotations

import io
import re
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from lxml import etree

from ...consolidate import blank

FONT = "TH Sarabun New"
FALLBACK_FONT = "Laksaman"  # TLWG's metric twin of TH Sarabun (fonts-thai-tlwg)
BODY_PT = 16
TABLE_PT = 14
LANG = "th-TH"
HEADER_FILL = "D9E1F2"


def _fonts(rpr: Any, size_pt: float | None = None, bold: bool | None = None) -> None:
    """Font name for every script, the size for Latin and complex script, Thai language."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), "1" if bold else "0")
    if size_pt is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size_pt * 2)))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:bidi"), LANG)
    lang.set(qn("w:eastAsia"), LANG)


def new_document(title: str, subject: str) -> Any:
    """An empty A4 portrait document with the report's styles and a page-number footer."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    # the margins of a Thai government document: 3 cm left, 2 cm right, 2.5 cm top, 2 cm bottom
    sec.left_margin, sec.right_margin = Cm(3), Cm(2)
    sec.top_margin, sec.bottom_margin = Cm(2.5), Cm(2)
    sec.footer_distance = Cm(1)
    sizes = {"Normal": BODY_PT, "Title": 26, "Heading 1": 20, "Heading 2": 18,
             "Heading 3": 16, "List Bullet": BODY_PT, "List Number": BODY_PT,
             "Table Grid": TABLE_PT}
    for name, size in sizes.items():
        style = doc.styles[name]
        _fonts(style.element.get_or_add_rPr(), size,
               bold=True if name.startswith(("Heading", "Title")) else None)
        if style.font is not None and name.startswith(("Heading", "Title")):
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.italic = False
    normal = doc.styles["Normal"].paragraph_format
    normal.space_after = Pt(4)
    normal.line_spacing = 1.0
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        pf = doc.styles[name].paragraph_format
        pf.space_before, pf.space_after = Pt(12), Pt(6)
        pf.keep_with_next = True
    _font_table_fallback(doc)
    _page_number_footer(sec)
    props = doc.core_properties
    props.title, props.subject, props.author = title, subject, "Edu Roll-up"
    props.language = LANG
    return doc


def _font_table_fallback(doc: Any) -> None:
    """Name the metric twin as TH Sarabun New's alternative in the font table."""
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            root = etree.fromstring(part.blob)
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), FONT)
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), FALLBACK_FONT)
            etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "DE")  # Thai
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                        standalone=True)
            return


def _field(run: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) the renderer fills in."""
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == code:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {code} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def _page_number_footer(section: Any) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("หน้า ")
    _fonts(run._r.get_or_add_rPr(), TABLE_PT)
    run = p.add_run()
    _fonts(run._r.get_or_add_rPr(), TABLE_PT)
    _field(run, "PAGE")
    run = p.add_run(" / ")
    _fonts(run._r.get_or_add_rPr(), TABLE_PT)
    run = p.add_run()
    _fonts(run._r.get_or_add_rPr(), TABLE_PT)
    _field(run, "NUMPAGES")


NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


def add_text(p: Any, text: str, size: float | None = None, bold: bool = False) -> None:
    """Thai text with each number in a run of its own, marked as English: LibreOffice's
    Thai dictionary break otherwise splits '281,907,500.00' between two digits."""
    pos = 0
    for m in [*NUMBER.finditer(text), None]:
        end = m.start() if m else len(text)
        for piece, lang in ((text[pos:end], LANG), (m.group() if m else "", "en-US")):
            if piece:
                run = p.add_run(piece)
                rpr = run._r.get_or_add_rPr()
                _fonts(rpr, size, bold=bold or None)
                rpr.find(qn("w:lang")).set(qn("w:val"), lang)
        if m:
            pos = m.end()


def para(doc: Any, text: str = "", *, bold: bool = False, size: float | None = None,
         align: str | None = None, style: str | None = None, indent_cm: float = 0) -> Any:
    p = doc.add_paragraph(style=style)
    add_text(p, text, size, bold)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "justify":
        p.alignment = WD_ALIGN_PARAGRAPH.THAI_JUSTIFY
    if indent_cm:
        p.paragraph_format.first_line_indent = Cm(indent_cm)
    return p


def heading(doc: Any, text: str, level: int = 1) -> Any:
    h = doc.add_heading(text, level=level)
    for run in h.runs:
        _fonts(run._r.get_or_add_rPr(), None, bold=True)
    return h


def bullet(doc: Any, text: str) -> Any:
    return para(doc, text, style="List Bullet")


def page_break(doc: Any) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _shade(cell: Any, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _row_flags(row: Any, header: bool) -> None:
    """Rows never split across pages; the header row repeats on every page."""
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _fixed_width(t: Any, width_cm: float) -> None:
    """A fixed layout of the given total width (LibreOffice otherwise shrinks the grid)."""
    tblpr = t._tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout"):
        old = tblpr.find(qn(tag))
        if old is not None:
            tblpr.remove(old)
    w = OxmlElement("w:tblW")
    w.set(qn("w:w"), str(int(width_cm / 2.54 * 1440)))
    w.set(qn("w:type"), "dxa")
    tblpr.append(w)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)


def table(doc: Any, headers: list[str], rows: list[list[Any]], widths_cm: list[float],
          align: str = "", bold_last: bool = False) -> Any:
    """A grid table: a shaded bold header row repeated on each page, rows that do not
    split; ``align``: one letter per column, l / r / c (default l)."""
    t = doc.add_table(rows=1 + len(rows), cols=len(headers))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    aligns = {"r": WD_ALIGN_PARAGRAPH.RIGHT, "c": WD_ALIGN_PARAGRAPH.CENTER}
    for r, values in enumerate([headers, *rows]):
        row = t.rows[r]
        _row_flags(row, header=r == 0)
        last = bold_last and r == len(rows)
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Cm(widths_cm[c])
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            add_text(p, "" if blank(value) else str(value), TABLE_PT, bold=r == 0 or last)
            if r == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _shade(cell, HEADER_FILL)
            elif c < len(align) and align[c] in aligns:
                p.alignment = aligns[align[c]]
    for c, w in enumerate(widths_cm):
        t.columns[c].width = Cm(w)
    _fixed_width(t, sum(widths_cm))
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return t


def picture(doc: Any, png: bytes, width_cm: float = 16) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))


ENGLISH_TAIL = re.compile(r"\s*\((?=[^()]*[A-Za-z])[^()\u0e00-\u0e7f]*\)\s*$")


def thai(label: Any) -> str:
    """A bilingual label without its English tail, for a narrow column of a Thai document:
    'สพฐ. (สพม.) (OBEC secondary area)' -> 'สพฐ. (สพม.)'."""
    text = "" if blank(label) else str(label)
    short = ENGLISH_TAIL.sub("", text)
    return short or text


# ---- the text forms of figures: as the workbook's cells show them ---------------------------
def baht(satang: Any) -> str:
    """Satang as the workbook shows baht (#,##0.00), exactly: '1,234,567.89'; '-' blank."""
    if blank(satang):
        return "-"
    s = int(satang)
    whole, frac = divmod(abs(s), 100)
    return f"{'-' if s < 0 else ''}{whole:,}.{frac:02d}"


def percent(rate: Any) -> str:
    """A fraction as the workbook's 0.00% format shows it: '38.20%'; '-' blank."""
    if blank(rate):
        return "-"
    return f"{float(rate) * 100:.2f}%"


def number(value: Any) -> str:
    """An indicator figure as the workbook's #,##0.00 format shows it."""
    if blank(value):
        return "-"
    return f"{float(value):,.2f}"


def count(value: Any) -> str:
    return "-" if blank(value) else f"{int(value):,}"
