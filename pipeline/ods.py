"""A tiny OpenDocument spreadsheet (.ods) writer: values only, no LibreOffice needed.

Agencies send back .ods files saved by LibreOffice; the demo province needs such a file
and ``make demo`` must work on a machine without LibreOffice, so this writes the format
directly: text (with line breaks), numbers, booleans, dates and hidden sheets. No
formulas are ever written (a text cell that begins with "=" stays text). The output is
deterministic: fixed zip timestamps and member order, so building twice gives the same
bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .atomic import write_bytes_atomic

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
# A fixed timestamp for every zip member: same input, same bytes.
ZIP_DATE_TIME = (2025, 1, 1, 0, 0, 0)

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
)


@dataclass
class OdsSheet:
    """One sheet: rows of values (None = empty cell), optionally hidden."""

    name: str
    rows: list[list[Any]] = field(default_factory=list)
    hidden: bool = False
    column_widths_cm: list[float] | None = None


def _text_paragraphs(text: str) -> str:
    """ODS keeps line breaks as separate paragraphs and runs of spaces as <text:s/>."""
    out = []
    for line in text.split("\n"):
        parts = []
        for token in re.split(r"( {2,}|\t)", line):
            if not token:
                continue
            if token == "\t":
                parts.append("<text:tab/>")
            elif token.startswith("  "):
                parts.append(f'<text:s text:c="{len(token)}"/>')
            else:
                parts.append(escape(token))
        body = "".join(parts)
        if body.startswith(" "):  # a leading space would be dropped by readers
            body = "<text:s/>" + body[1:]
        out.append(f"<text:p>{body}</text:p>")
    return "".join(out)


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _cell(value: Any) -> str:
    """The <table:table-cell> element for one value."""
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        v = "true" if value else "false"
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{v}">'
                f"<text:p>{'TRUE' if value else 'FALSE'}</text:p></table:table-cell>")
    if isinstance(value, (int, float)):
        n = _number_text(value)
        return (f'<table:table-cell office:value-type="float" office:value="{n}">'
                f"<text:p>{n}</text:p></table:table-cell>")
    if isinstance(value, datetime):
        iso = value.replace(tzinfo=None).isoformat(timespec="seconds")
        return (f'<table:table-cell table:style-name="ce_datetime" office:value-type="date" '
                f'office:date-value="{iso}"><text:p>{value:%d/%m/%Y %H:%M}</text:p>'
                "</table:table-cell>")
    if isinstance(value, date):
        return (f'<table:table-cell table:style-name="ce_date" office:value-type="date" '
                f'office:date-value="{value.isoformat()}"><text:p>{value:%d/%m/%Y}</text:p>'
                "</table:table-cell>")
    text = str(value)
    return (f'<table:table-cell office:value-type="string">{_text_paragraphs(text)}'
            "</table:table-cell>")


def _row(values: Sequence[Any]) -> str:
    """A row, with trailing empties dropped and runs of empty cells collapsed."""
    vals = list(values)
    while vals and (vals[-1] is None or vals[-1] == ""):
        vals.pop()
    cells: list[str] = []
    empties = 0
    for v in vals:
        if v is None or v == "":
            empties += 1
            continue
        if empties:
            cells.append(f'<table:table-cell table:number-columns-repeated="{empties}"/>'
                         if empties > 1 else "<table:table-cell/>")
            empties = 0
        cells.append(_cell(v))
    if not cells:
        cells.append("<table:table-cell/>")
    return "<table:table-row>" + "".join(cells) + "</table:table-row>"


def _table(sheet: OdsSheet, index: int) -> str:
    style = "ta_hidden" if sheet.hidden else "ta_visible"
    parts = [f'<table:table table:name="{escape(sheet.name, {chr(34): "&quot;"})}" '
             f'table:style-name="{style}">']
    widths = sheet.column_widths_cm or []
    if widths:
        for i, _w in enumerate(widths):
            parts.append(f'<table:table-column table:style-name="co_{index}_{i}"/>')
    else:
        parts.append("<table:table-column/>")
    rows = list(sheet.rows)
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()
    blank = 0
    for r in rows:
        if all(v is None or v == "" for v in r):
            blank += 1
            continue
        if blank:
            parts.append(f'<table:table-row table:number-rows-repeated="{blank}">'
                         "<table:table-cell/></table:table-row>")
            blank = 0
        parts.append(_row(r))
    if not rows:
        parts.append("<table:table-row><table:table-cell/></table:table-row>")
    parts.append("</table:table>")
    return "".join(parts)


def _content(sheets: Sequence[OdsSheet]) -> str:
    col_styles = []
    for i, s in enumerate(sheets):
        for j, w in enumerate(s.column_widths_cm or []):
            col_styles.append(
                f'<style:style style:name="co_{i}_{j}" style:family="table-column">'
                f'<style:table-column-properties style:column-width="{w:.2f}cm"/></style:style>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document-content {_NS} office:version="1.3">'
        "<office:automatic-styles>"
        '<style:style style:name="ta_visible" style:family="table">'
        '<style:table-properties table:display="true"/></style:style>'
        '<style:style style:name="ta_hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style>'
        '<number:date-style style:name="N_date"><number:day number:style="long"/>'
        "<number:text>/</number:text><number:month number:style=\"long\"/>"
        '<number:text>/</number:text><number:year number:style="long"/></number:date-style>'
        '<number:date-style style:name="N_datetime"><number:day number:style="long"/>'
        "<number:text>/</number:text><number:month number:style=\"long\"/>"
        '<number:text>/</number:text><number:year number:style="long"/>'
        '<number:text> </number:text><number:hours number:style="long"/>'
        '<number:text>:</number:text><number:minutes number:style="long"/></number:date-style>'
        '<style:style style:name="ce_date" style:family="table-cell" '
        'style:parent-style-name="Default" style:data-style-name="N_date"/>'
        '<style:style style:name="ce_datetime" style:family="table-cell" '
        'style:parent-style-name="Default" style:data-style-name="N_datetime"/>'
        + "".join(col_styles)
        + "</office:automatic-styles>"
        "<office:body><office:spreadsheet>"
        + "".join(_table(s, i) for i, s in enumerate(sheets))
        + "</office:spreadsheet></office:body></office:document-content>"
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-styles {_NS} office:version="1.3">'
    "<office:styles>"
    '<style:style style:name="Default" style:family="table-cell">'
    '<style:text-properties style:font-name="TH Sarabun New" fo:font-size="14pt"/>'
    "</style:style></office:styles></office:document-styles>"
)

_META = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<office:document-meta {_NS} office:version="1.3">'
    "<office:meta><meta:generator>edurollup</meta:generator></office:meta>"
    "</office:document-meta>"
)

_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{MIMETYPE}" '
    'manifest:version="1.3"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_bytes(sheets: Iterable[OdsSheet]) -> bytes:
    """The .ods file for ``sheets`` (at least one must be visible for office programs)."""
    sheets = list(sheets)
    if not sheets:
        raise ValueError("an .ods file needs at least one sheet")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        # The mimetype member comes first and uncompressed (ODF 1.3 §3.3).
        info = zipfile.ZipInfo("mimetype", ZIP_DATE_TIME)
        info.compress_type = zipfile.ZIP_STORED
        zf.writestr(info, MIMETYPE)
        for name, text in (("content.xml", _content(sheets)), ("styles.xml", _STYLES),
                           ("meta.xml", _META), ("META-INF/manifest.xml", _MANIFEST)):
            info = zipfile.ZipInfo(name, ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def write_ods(path: Path, sheets: Iterable[OdsSheet]) -> bool:
    """Write an .ods file atomically; False when the file already had these bytes."""
    return write_bytes_atomic(Path(path), ods_bytes(sheets))


def sheets_from_openpyxl(wb: Any, *, skip_formulas: bool = True) -> list[OdsSheet]:
    """The values of an openpyxl workbook as OdsSheets ("Save as .ods", values only).

    Formula cells have no saved result in an openpyxl-built workbook, so they are left
    empty (skip_formulas) rather than turned into text. Hidden and very hidden sheets
    stay hidden.
    """
    out = []
    for ws in wb.worksheets:
        rows: list[list[Any]] = []
        for row in ws.iter_rows():
            values = []
            for c in row:
                v = c.value
                if c.data_type == "f" and skip_formulas:
                    v = None
                values.append(v)
            rows.append(values)
        widths = []
        from openpyxl.utils import get_column_letter

        for i in range(1, (ws.max_column or 1) + 1):
            dim = ws.column_dimensions.get(get_column_letter(i))
            w = dim.width if dim is not None and dim.width else 10.0
            widths.append(round(w * 0.2, 2))
        out.append(OdsSheet(ws.title, rows, hidden=ws.sheet_state != "visible",
                            column_widths_cm=widths))
    return out
