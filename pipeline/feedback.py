"""The feedback workbook: the sender's own file with every problem cell marked and explained.

The clerk opens the copy in Excel or LibreOffice and sees a first sheet listing every
problem (each cell a link that jumps to it), and on their own sheets red (error) or
amber (warning) cells carrying a comment in Thai with English. The original is never
touched: the copy is built from its bytes and written atomically beside nothing else.
Formats openpyxl cannot open (.xls, .xlsb, .ods) are rebuilt from their values.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from copy import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.writer.excel import ExcelWriter

import schemas

from .atomic import write_bytes_atomic
from .model import FeedbackOwed, FileReport, Problem

try:  # the templates' look, so the copy reads like the template it came from
    from .xlstyle import FONT_NAME
except ImportError:  # pragma: no cover - xlstyle is part of the product
    FONT_NAME = "TH Sarabun New"

PROBLEMS_SHEET = "ปัญหา (Problems)"
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # red
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")  # amber
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
FIXED_TIME = datetime(2000, 1, 1)  # workbook properties: same report -> same bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CELL_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_COLUMNS = [  # (header, width)
    ("ลำดับ\nNo.", 6), ("ระดับ\nSeverity", 11), ("แผ่นงาน\nSheet", 20), ("ช่อง\nCell", 8),
    ("คอลัมน์\nColumn", 24), ("ค่าที่พบ\nValue seen", 18), ("ปัญหา\nProblem", 48),
    ("วิธีแก้\nFix", 44), ("รหัส\nCode", 22),
]
_LINE_HEIGHT = 21.0  # points per line at 14 pt TH Sarabun


def feedback_path(report: FileReport, out_dir: Path) -> Path:
    """out_dir/<stem>-feedback.xlsx (.xlsm when the sender's file keeps macros)."""
    stem = Path(report.display_name).stem or "file"
    suffix = ".xlsm" if report.format == "xlsm" else ".xlsx"
    return Path(out_dir) / f"{stem}-feedback{suffix}"


def _text(value: Any) -> str:
    """Text safe for a cell: no control characters openpyxl rejects."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", "" if value is None else str(value))


def _set_text(cell: Any, value: Any) -> None:
    """Write text that stays text: a value seen such as '=1+1' must never become a formula."""
    cell.value = _text(value)
    cell.data_type = "s"


def _refused(report: FileReport) -> bool:
    """A file-level error (unreadable, encrypted, too large, zip bomb, hostile XML, too many
    cells...): the copy is the problems sheet alone, the file is not opened again."""
    return any(p.is_error and p.code.startswith("file.") for p in report.problems)


def _load_copy(report: FileReport, data: bytes | None = None) -> Workbook:
    """The sender's workbook as openpyxl sees it, or rebuilt from values for other formats;
    ``data``: the file's bytes when the caller has read them already."""
    if _refused(report):  # never parse a file the reader refused (bombs, hostile XML...)
        return _empty_workbook()
    if report.format in ("xlsx", "xlsm"):
        wb = _open_xlsx(report, Path(report.path).read_bytes() if data is None else data)
        if wb is not None:
            return wb
    return _rebuild(report)


def _empty_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def _open_xlsx(report: FileReport, data: bytes) -> Workbook | None:
    try:
        return openpyxl.load_workbook(io.BytesIO(data), keep_vba=report.format == "xlsm",
                                      rich_text=False)
    except Exception:  # noqa: BLE001 - the caller falls back to the values we can read
        return None


def _rebuild(report: FileReport) -> Workbook:
    """A new workbook with the values of the sheets the problems point at (any format)."""
    wb = Workbook()
    wb.remove(wb.active)
    wanted = sorted({p.sheet for p in report.problems if p.sheet and p.sheet != schemas.STAMP_SHEET})
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(report.path))
        names = book.sheet_names
    except Exception:  # noqa: BLE001 - unreadable: the problems sheet alone is the feedback
        return wb
    for name in [n for n in names if n in wanted]:
        ws = wb.create_sheet(name[:31])
        try:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001
            continue
        for r, row in enumerate(rows[:5000], start=1):
            for c, value in enumerate(row[:100], start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r, column=c)
                if isinstance(value, str):
                    _set_text(cell, value)
                else:
                    try:
                        cell.value = value
                    except (ValueError, TypeError):
                        _set_text(cell, value)
    return wb


def _comment_text(problems: list[Problem]) -> str:
    parts = []
    for p in problems:
        parts.append(f"{p.message_th}\n{p.message_en}\n→ {p.fix_th}\n   {p.fix_en}")
    return _text("\n\n".join(parts))


def _mark_cells(wb: Workbook, problems: list[Problem]) -> None:
    """Fill and comment every problem cell on the sender's sheets."""
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if not p.sheet or not p.cell or p.sheet not in wb.sheetnames:
            continue
        m = _CELL_RE.match(p.cell)
        if not m:
            continue
        by_cell.setdefault((p.sheet, f"{m.group(1)}{m.group(2)}"), []).append(p)
    for (sheet, ref), ps in by_cell.items():
        ws = wb[sheet]
        cell = ws[ref]
        if type(cell).__name__ == "MergedCell":  # a merged area: mark its top-left cell
            for rng in ws.merged_cells.ranges:
                if ref in rng:
                    cell = ws.cell(row=rng.min_row, column=rng.min_col)
                    break
        cell.fill = ERROR_FILL if any(p.is_error for p in ps) else WARNING_FILL
        comment = Comment(_comment_text(ps), "Edu Roll-up")
        comment.width = 360
        comment.height = min(60 + 75 * len(ps), 600)
        cell.comment = comment


class _SharedStyle:
    """One cell style for many cells: set on the first through openpyxl's style objects
    (in the order given), then copied to the others. openpyxl hashes each style object it
    is given (~2 ms a workbook for the problems sheet's ~70 cells); the copied StyleArray
    points at the same fonts, fills, borders and alignments, so the bytes are the same."""

    def __init__(self, **attrs: Any) -> None:
        self.attrs = attrs
        self.array: Any = None

    def apply(self, cell: Any) -> None:
        if self.array is None:
            for name, value in self.attrs.items():
                setattr(cell, name, value)
            self.array = copy(cell._style)
        else:
            cell._style = copy(self.array)


def _problems_sheet(wb: Workbook, report: FileReport) -> None:
    ws = wb.create_sheet(PROBLEMS_SHEET, 0)
    title = Font(name=FONT_NAME, size=16, bold=True, color="1F3864")
    body = Font(name=FONT_NAME, size=14)
    bold = Font(name=FONT_NAME, size=14, bold=True)
    link = Font(name=FONT_NAME, size=14, color="0563C1", underline="single")
    errors, warnings = len(report.errors), len(report.warnings)
    _set_text(ws["A1"], f"ผลการตรวจสอบ {report.display_name} (Validation result)")
    ws["A1"].font = title
    _set_text(ws["A2"], f"ข้อผิดพลาด {errors} รายการ (errors), คำเตือน {warnings} รายการ "
                        f"(warnings) — แก้ไขช่องสีแดงแล้วส่งไฟล์เดิมอีกครั้ง "
                        f"(fix the red cells and send your file again; amber = please check)")
    ws["A2"].font = body
    header_row = 4
    head_style = _SharedStyle(font=bold, fill=HEADER_FILL, border=_BORDER, alignment=Alignment(
        wrap_text=True, vertical="center", horizontal="center"))
    for c, (head, width) in enumerate(_COLUMNS, start=1):
        cell = ws.cell(row=header_row, column=c)
        _set_text(cell, head)
        head_style.apply(cell)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[header_row].height = 42
    body_style = _SharedStyle(font=body, border=_BORDER,
                              alignment=Alignment(wrap_text=True, vertical="top"))
    for i, p in enumerate(report.problems, start=1):
        r = header_row + i
        values = [str(i), "ข้อผิดพลาด\n(error)" if p.is_error else "คำเตือน\n(warning)",
                  p.sheet or "(ทั้งไฟล์ / whole file)", p.cell or "", p.column or "",
                  p.value or "", f"{p.message_th}\n{p.message_en}", f"{p.fix_th}\n{p.fix_en}",
                  p.code]
        lines = max(_lines(v, _COLUMNS[c][1]) for c, v in enumerate(values))
        ws.row_dimensions[r].height = min(409.0, _LINE_HEIGHT * lines + 4)
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _set_text(cell, v)
            body_style.apply(cell)
        ws.cell(row=r, column=2).fill = ERROR_FILL if p.is_error else WARNING_FILL
        target = _link_target(wb, p)
        if target:
            cell = ws.cell(row=r, column=4)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target,
                                       tooltip=_text(f"ไปที่ช่อง / go to {p.where}")[:250])
            cell.font = link
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    last = header_row + max(len(report.problems), 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(_COLUMNS))}{last}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


def _lines(text: str, width: int) -> int:
    """Wrapped lines a text needs in a column ``width`` characters wide (Thai marks take no room)."""
    total = 0
    for part in str(text).split("\n"):
        visible = sum(1 for ch in part if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
        total += max(1, -(-int(visible * 1.3) // max(width - 1, 1)))
    return total


def _link_target(wb: Workbook, p: Problem) -> str | None:
    """"'งบประมาณ (Budget)'!F12" for a cell on a visible sheet of the copy."""
    if not p.sheet or not p.cell or p.sheet not in wb.sheetnames:
        return None
    if wb[p.sheet].sheet_state != "visible" or not _CELL_RE.match(p.cell):
        return None
    return "'{}'!{}".format(p.sheet.replace("'", "''"), p.cell.replace("$", ""))


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose members all get the same timestamp and mode, so the same report gives
    byte-identical files: openpyxl stamps each member with the clock (and writes the
    worksheets from temporary files). Writing them so in the first place costs one deflate
    per member, where saving then re-zipping cost two and an inflate. ``put_back``: rows
    set aside (sheet title -> XML), appended to that sheet's rows as it is written (and
    removed from the dict)."""

    put_back: dict[str, bytes]
    workbook: Any = None

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zi = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zinfo_or_arcname = zi
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None,
              compresslevel: Any = None) -> None:
        name = arcname or str(filename)
        data = Path(filename).read_bytes()
        if getattr(self, "put_back", None):
            data = self._put_back(name, data)
        self.writestr(name, data)

    def _put_back(self, name: str, xml: bytes) -> bytes:
        """The rows set aside from the sheet written as ``name``, after its own rows (all
        above them: _rows_free checked it)."""
        for ws in self.workbook.worksheets:
            if ws.title in self.put_back and getattr(ws, "_id", None) \
                    and ws.path.lstrip("/") == name:
                rows = self.put_back[ws.title]
                head, sep, tail = xml.partition(b"</sheetData>")
                if sep:
                    xml = head + rows + sep + tail
                else:
                    head, sep, tail = xml.partition(b"<sheetData/>")
                    if not sep:
                        return xml  # left in put_back: the caller makes the plain copy
                    xml = head + b"<sheetData>" + rows + b"</sheetData>" + tail
                del self.put_back[ws.title]
        return xml


def build_feedback(report: FileReport, data: bytes | None = None) -> Workbook:
    """The annotated copy in memory (not yet saved); ``data``: the file's bytes, if read."""
    return _annotate(_load_copy(report, data), report)


def _annotate(wb: Workbook, report: FileReport) -> Workbook:
    for ws in wb.worksheets:
        ws.protection.sheet = False  # the template's guard must not stop the highlights
    _mark_cells(wb, report.problems)
    _problems_sheet(wb, report)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    wb.active = 0
    wb.worksheets[0].sheet_view.tabSelected = True
    props = wb.properties
    props.created = props.modified = FIXED_TIME
    props.creator = props.lastModifiedBy = "Edu Roll-up"
    return wb


def feedback_bytes(report: FileReport) -> bytes:
    """The feedback workbook's bytes (the same report gives the same bytes).

    The trailing rows of a sheet that hold only empty, formatted cells (the template's
    ~150 pre-formatted budget rows: ~1,500 of a file's ~1,700 cells) are set aside before
    openpyxl opens the copy and put back, byte for byte, into the sheet it writes: openpyxl
    parses, styles and writes every cell, and those rows were half of its time (43-49 ->
    21-24 ms a file). When openpyxl ends up with anything in those rows (a comment, a
    merged area, a hyperlink), the copy is made the plain way."""
    data = None
    if report.format in ("xlsx", "xlsm") and not _refused(report):
        data = Path(report.path).read_bytes()
        slim, aside = set_aside_empty_rows(data, report.problems)
        wb = _open_xlsx(report, slim) if aside else None
        if wb is not None:
            wb = _annotate(wb, report)
            if _rows_free(wb, aside):
                out = _save(wb, aside)
                if out is not None:
                    return out
    out = _save(build_feedback(report, data), {})
    assert out is not None  # nothing to put back: always written
    return out


def _save(wb: Workbook, aside: dict[str, tuple[int, bytes]]) -> bytes | None:
    """The workbook's bytes; ``aside``: rows to put back per sheet title (None if one of
    those sheets was not written as expected)."""
    buf = io.BytesIO()
    # openpyxl's own save (Workbook.save) would stamp "modified" and each member with the
    # clock; its writer is given a zip that does not
    with _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.put_back = {title: block for title, (_first, block) in aside.items()}
        archive.workbook = wb
        ExcelWriter(wb, archive).write_data()
        if archive.put_back:  # a sheet whose rows did not go back: not a faithful copy
            return None
    return buf.getvalue()


# ---- the sender's trailing empty, formatted rows, set aside while openpyxl works --------------
_ROW_START = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
# an empty cell is <c .../>, or <c ...></c> as openpyxl writes it with lxml installed
_EMPTY_ROW = re.compile(rb'<row\b[^>]*?(?:/>|>(?:<c\b[^>]*?(?:/>|></c>))*</row>)')


def set_aside_empty_rows(data: bytes, problems: list[Problem]
                         ) -> tuple[bytes, dict[str, tuple[int, bytes]]]:
    """(the workbook without them, {sheet title: (first row set aside, the rows' XML)}).

    Only a sheet's last rows whose cells are all empty (``<c r=".." s=".."/>``, no value,
    no formula) and that no problem points at; anything else (a namespace prefix, spaces
    between rows, a row without its number) leaves the sheet as it is."""
    from .read import xlsx_sheet_parts
    from .safety import read_member

    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        parts = xlsx_sheet_parts(src)
    except Exception:  # noqa: BLE001 - the plain way will say what is wrong
        return data, {}
    keep: dict[str, set[int]] = {}
    for p in problems:
        m = _CELL_RE.match(p.cell or "")
        if p.sheet and m:
            keep.setdefault(p.sheet, set()).add(int(m.group(2)))
    members: dict[str, bytes] = {}  # sheet parts inflated here, slimmed or not
    aside: dict[str, tuple[int, bytes]] = {}
    for title, part in parts.items():
        try:
            xml = members[part] = read_member(src, part)
        except Exception:  # noqa: BLE001
            continue
        cut = _trailing_empty_rows(xml, keep.get(title, set()))
        if cut is None:
            continue
        start, end, first = cut
        members[part] = xml[:start] + xml[end:]
        aside[title] = (first, xml[start:end])
    if not aside:
        return data, {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:  # for openpyxl only: stored
        for info in src.infolist():
            body = members.get(info.filename)
            dst.writestr(info, read_member(src, info.filename) if body is None else body,
                         zipfile.ZIP_STORED)
    return out.getvalue(), aside


def _trailing_empty_rows(xml: bytes, keep: set[int]) -> tuple[int, int, int] | None:
    """(start, end, first row number) of the sheet's trailing empty rows, or None."""
    end = xml.find(b"</sheetData>")
    top = xml.find(b"<sheetData>")
    if end < 0 or top < 0:
        return None
    start, first = end, None
    while True:
        i = xml.rfind(b"<row", top, start)
        if i < 0:
            break
        m = _EMPTY_ROW.match(xml, i)
        n = _ROW_START.match(xml, i)
        if m is None or m.end() != start or n is None or int(n.group(1)) in keep:
            break
        start, first = i, int(n.group(1))
    if first is None:
        return None
    return start, end, first


def _rows_free(wb: Workbook, aside: dict[str, tuple[int, bytes]]) -> bool:
    """Whether openpyxl holds nothing (no cell, no row format) in the rows set aside."""
    for title, (first, _block) in aside.items():
        if title not in wb.sheetnames:
            return False
        ws = wb[title]
        if any(row >= first for row, _col in ws._cells) or \
                any(row >= first for row in ws.row_dimensions.keys()):
            return False
    return True


def write_feedback(report: FileReport, out_dir: Path) -> Path:
    """Write out_dir/<stem>-feedback.xlsx atomically and return its path."""
    target = feedback_path(report, out_dir)
    write_bytes_atomic(target, feedback_bytes(report))
    return target


def write_owed_later(root: Path | str, owed: FeedbackOwed) -> None:
    """:func:`write_owed` without an fsync (the run syncs once per batch), as a task a
    reader child runs (looked up here at call time, in the child)."""
    write_owed(root, owed, durable=False)


def write_owed(root: Path | str, owed: FeedbackOwed, durable: bool = True,
               plain: bool = False) -> Path:
    """Make one feedback workbook the ledger says is owed (``Ledger.feedback_owed``) from
    the archived original, and write it into the workspace at ``root`` atomically (unchanged
    bytes are not rewritten). A top-level function: the run's feedback process calls it.

    ``durable=False``: no fsync of the file and its folder; the run syncs the filesystem
    once before it strikes a batch off the ledger (``NightlyRun._feedback_done``), as the
    archive does for originals. Until then the workbook is still owed, so a crash before
    the sync means it is made again, never that the ledger calls a lost file written.

    ``plain=True``: the problems sheet alone, without opening the sender's file (what the
    run writes when making the annotated copy killed its child, see isolate.py)."""
    from .workspace import Workspace

    ws = Workspace(Path(root))
    report = FileReport(path=ws.root / owed.source, display_name=owed.display_name,
                        sha256="", format=owed.format, problems=owed.problems)
    target = ws.outbox / owed.target
    data = _save(_annotate(_empty_workbook(), report), {}) if plain else None
    write_bytes_atomic(target, data if data is not None else feedback_bytes(report),
                       durable=durable)
    return target
