"""Shared layout of the roll-up workbooks: fonts, formats, the column model, the
table writer, page setup, Buddhist-Era dates, verdict labels and the sheet names."""

from __future__ import annotations

import copy
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from schemas.choices import by_key

from .. import calendar as fcal
from ..consolidate import (
    QuarterFigures,
    blank,
    parse_time,
    total_row,
)

FONT = "TH Sarabun New"
FONT_SIZE = 14
MONEY_FMT = "#,##0.00"
RATE_FMT = "0.00%"
# a real date-time shown in Thai with the Buddhist-Era year (Excel and LibreOffice): 3 เม.ย. 2568 16:30
DATETIME_FMT = "[$-107041E]d mmm yyyy hh:mm"
YEAR_FMT = "0"  # a fiscal year is 2568, never 2,568
_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,  # zip entries get a fixed 1980 date: same ledger, same bytes
    "default_format_properties": {"font_name": FONT, "font_size": FONT_SIZE},
}


def workbook_options() -> dict:
    """A fresh copy each time: xlsxwriter adds keys to the dicts it is given, and a shared
    dict made the second workbook of a process differ in styles.xml."""
    return copy.deepcopy(_WORKBOOK_OPTIONS)

# Above this many long-format rows, the data goes to a CSV beside the workbook.
# Measured: xlsxwriter writes roughly 0.1-0.4 million cells a second, so 50,000 rows of 17
# columns keep a 30,000-agency roll-up within its 30 s budget; above it, CSV is instant.


HEADER_ROW = 3  # 0-based row of table headers (row 4 in Excel)
ROW_HEIGHT = 22  # points: a 14 pt Thai line with its marks
HEADER_HEIGHT = 62  # two or three wrapped lines of Thai and English


# ---- formats and small writers ----------------------------------------------------------------
class Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}

        def f(**kw: Any) -> Any:
            return wb.add_format({**base, **kw})

        self.title = f(bold=True, font_size=18)
        self.subtitle = f(font_color="#444444")
        self.header = f(bold=True, text_wrap=True, bg_color="#D9E1F2", border=1,
                        valign="vcenter", align="center")
        self.text = f()
        self.wrap = f(text_wrap=True)
        self.money = f(num_format=MONEY_FMT)
        self.rate = f(num_format=RATE_FMT)
        self.int = f(num_format="#,##0")
        self.number = f(num_format="#,##0.00")
        self.datetime = f(num_format=DATETIME_FMT, align="left")
        self.year = f(num_format=YEAR_FMT, align="left")
        self.total_text = f(bold=True, top=1)
        self.total_money = f(bold=True, top=1, num_format=MONEY_FMT)
        self.total_rate = f(bold=True, top=1, num_format=RATE_FMT)
        self.total_int = f(bold=True, top=1, num_format="#,##0")
        self.label = f(bold=True)
        self.big_money = f(bold=True, font_size=18, num_format=MONEY_FMT)
        self.big_rate = f(bold=True, font_size=18, num_format=RATE_FMT)
        self.big_int = f(bold=True, font_size=18, num_format="#,##0")
        self.note = f(text_wrap=True, font_color="#333333")
        self.big_text = f(bold=True, font_size=16)
        self.group = f(bold=True, bg_color="#EDEDED", top=1)
        self.grey = wb.add_format({"bg_color": "#E7E6E6", "font_color": "#595959"})
        self.green = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


@dataclass(frozen=True)
class Col:
    """One column of a sheet table: header (Thai, English), how to get and show the value."""

    th: str
    en: str
    key: str | Callable[[dict[str, Any]], Any]
    kind: str = "text"  # text | wrap | money | rate | int | number | datetime | year
    width: float = 14

    def value(self, rec: dict[str, Any]) -> Any:
        v = self.key(rec) if callable(self.key) else rec.get(self.key)
        if blank(v):
            return None
        if self.kind == "money":
            return int(v) / 100  # exact: int/int division is correctly rounded
        return v


def _fmt(fm: Formats, kind: str, total: bool = False) -> Any:
    if total:
        return {"money": fm.total_money, "rate": fm.total_rate, "int": fm.total_int}.get(
            kind, fm.total_text)
    return {"money": fm.money, "rate": fm.rate, "int": fm.int, "number": fm.number,
            "wrap": fm.wrap, "datetime": fm.datetime, "year": fm.year}.get(kind, fm.text)


def _put(sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by type: text always as a string cell, never a formula or link."""
    if blank(value):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "ใช่ (yes)" if value else "ไม่ใช่ (no)", fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _page(sheet: Any, header_row: int, ncols: int, freeze_col: int = 0) -> None:
    """Frozen header, A4 landscape, one page wide, header rows repeated on every page."""
    sheet.freeze_panes(header_row + 1, freeze_col)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, header_row)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&C&P / &N")


def _titles(sheet: Any, fm: Formats, title: str, subtitle: str) -> None:
    sheet.set_default_row(ROW_HEIGHT)  # Thai vowels and tone marks need the height
    sheet.write_string(0, 0, title, fm.title)
    sheet.write_string(1, 0, subtitle, fm.subtitle)
    sheet.set_row(0, 30)


def _cell_writers(sheet: Any) -> tuple[Any, Any, Any]:
    """xlsxwriter's undecorated string / number / blank writers (the public ones first try
    to parse A1 notation: a third of the time of a 600,000-cell sheet); the public ones if
    a release drops them."""
    return tuple(getattr(sheet, f"_write_{kind}", getattr(sheet, f"write_{kind}"))
                 for kind in ("string", "number", "blank"))  # type: ignore[return-value]


def _table(sheet: Any, fm: Formats, top: int, cols: Sequence[Col], records: list[dict[str, Any]],
           total: dict[str, Any] | None = None, set_widths: bool = True) -> int:
    """Header at ``top``, one row per record, an optional bold total row. Returns the next
    free row."""
    widths = sheet.__dict__.setdefault("_edu_widths", {})
    for c, col in enumerate(cols):
        sheet.write_string(top, c, f"{col.th}\n{col.en}", fm.header)
        if set_widths:
            sheet.set_column(c, c, col.width)
            widths[c] = col.width
    sheet.set_row(top, header_height([(f"{col.th}\n{col.en}", widths.get(c, col.width))
                                      for c, col in enumerate(cols)]))
    fmts = [_fmt(fm, col.kind) for col in cols]
    wrapped = [(c, widths.get(c, col.width)) for c, col in enumerate(cols) if col.kind == "wrap"]
    # _put inlined, through xlsxwriter's undecorated writers (the public ones first try to
    # parse A1 notation): at 30,000 agencies this loop writes 600,000 cells. Col.value
    # gives None for every blank value, so "blank" is "is None" here.
    put_string, put_number, put_blank = _cell_writers(sheet)
    yes, no = "ใช่ (yes)", "ไม่ใช่ (no)"
    getters = [col.value for col in cols]
    r = top + 1
    for rec in records:
        values = [get(rec) for get in getters]
        for c, v in enumerate(values):
            if v is None:
                put_blank(r, c, None, fmts[c])
            elif isinstance(v, bool):
                put_string(r, c, yes if v else no, fmts[c])
            elif isinstance(v, (int, float)):
                put_number(r, c, v, fmts[c])
            elif isinstance(v, datetime):
                sheet.write_datetime(r, c, v, fmts[c])
            else:
                put_string(r, c, str(v), fmts[c])
        lines = 1
        for c, width in wrapped:
            v = values[c]
            if isinstance(v, str) and len(v) > width:
                lines = max(lines, text_lines(v, width))
        if lines > 1:
            sheet.set_row(r, ROW_HEIGHT * lines)
        r += 1
    if total is not None:
        for c, col in enumerate(cols):
            _put(sheet, r, c, col.value(total), _fmt(fm, col.kind, total=True))
        r += 1
    return r


LINE_HEIGHT = 20  # points per wrapped line of 14 pt Thai (with its marks)


def header_height(cells: Sequence[tuple[str, float]]) -> float:
    """A header row tall enough for its tallest wrapped cell (text, column width): no
    line cut at the top or the bottom (LibreOffice does not grow a set row height)."""
    lines = max((text_lines(text, width) for text, width in cells), default=1)
    return max(HEADER_HEIGHT, LINE_HEIGHT * lines + 8)


def text_lines(text: str, width: float, cap: int = 6) -> int:
    """How many lines a wrapped cell needs: Thai vowel and tone marks take no width."""
    visible = sum(1 for ch in text if not unicodedata.combining(ch) and ch not in "\u0e31\u0e34"
                  "\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d")
    per_line = max(4.0, width * 0.8)  # word wrapping wastes the ends of lines
    return min(cap, sum(max(1, math.ceil(len(part) and visible * len(part) / max(1, len(text))
                                       / per_line)) for part in text.split("\n")))


def _traffic(sheet: Any, fm: Formats, first: int, last: int, rate_col: int, target_col: int) -> None:
    """Green at or above the target, amber within 10 points below it, red further behind."""
    if last < first:
        return
    rng = f"{xl_rowcol_to_cell(first, rate_col)}:{xl_rowcol_to_cell(last, rate_col)}"
    rc = xl_rowcol_to_cell(first, rate_col, row_abs=False, col_abs=True)
    tc = xl_rowcol_to_cell(first, target_col, row_abs=False, col_abs=True)
    ok = f"AND(ISNUMBER({rc}),ISNUMBER({tc}))"
    sheet.conditional_format(rng, {"type": "formula", "criteria": f"=AND({ok},{rc}>={tc})",
                                   "format": fm.green})
    sheet.conditional_format(rng, {"type": "formula",
                                   "criteria": f"=AND({ok},{rc}<{tc},{rc}>={tc}-0.1)",
                                   "format": fm.amber})
    sheet.conditional_format(rng, {"type": "formula", "criteria": f"=AND({ok},{rc}<{tc}-0.1)",
                                   "format": fm.red})


def be_datetime(value: datetime | None) -> str:
    """'14 ม.ค. 2568 16:30 น.' in Thai time, or '-' when there is none."""
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(fcal.THAI_TZ)
    return f"{fcal.format_thai_date(value.date())} {value:%H:%M} น."


def be_received(text: Any) -> str | None:
    t = parse_time(text)
    return be_datetime(t) if t else None


def fit_row(sheet: Any, row: int, cells: Sequence[tuple[str, float]]) -> None:
    """A row of wrapped notes as tall as its longest note (text, column width), so no
    line is cut; LibreOffice keeps a set height, it does not grow it."""
    lines = max((text_lines(str(text), width, cap=40) for text, width in cells), default=1)
    if lines > 1:
        sheet.set_row(row, ROW_HEIGHT * lines)


PRINT_NOTE = ("พิมพ์เฉพาะหัวตาราง: ถ้าต้องการพิมพ์ข้อมูลทั้งหมด ให้ล้างพื้นที่พิมพ์ (เค้าโครงหน้ากระดาษ > "
              "พื้นที่พิมพ์ > ล้าง) / prints only its heading: clear the print area (Page Layout > "
              "Print Area > Clear) to print every row")


def print_heading_only(sheet: Any, fm: Formats, header_row: int, ncols: int) -> None:
    """A long listing (thousands of rows for pivots and filters) prints only its heading
    when the workbook is printed, with a note above the table saying how to print it all."""
    sheet.write_string(header_row - 1, 0, PRINT_NOTE, fm.note)
    sheet.print_area(0, 0, header_row, ncols - 1)


LABEL_COL = 20  # a hidden column beside a chart's table: the chart's short category labels


def short_labels(sheet: Any, first: int, nos: Sequence[Any]) -> tuple[int, int]:
    """'ยุทธศาสตร์ที่ 1'... in a hidden column from row ``first``, for a chart's category
    axis (the full names, cut on the axis, stay in the table). Returns (first, last row)."""
    for i, no in enumerate(nos):
        sheet.write_string(first + i, LABEL_COL, f"ยุทธศาสตร์ที่ {no}")
    sheet.set_column(LABEL_COL, LABEL_COL, None, None, {"hidden": True})
    return first, first + max(len(nos), 1) - 1


def received_cell(text: Any) -> datetime | None:
    """A received time as a real date cell: Thai wall-clock time (a sheet has no time
    zone), shown in the Buddhist Era by DATETIME_FMT; sorts as a date, not as text."""
    t = parse_time(text)
    if t is None:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(fcal.THAI_TZ).replace(tzinfo=None)
    return t


def _flag(v: Any) -> str | None:
    if blank(v):
        return None
    return "ต่ำกว่าเป้า (behind)" if v else "ตามเป้า (on track)"


def _properties(wb: xlsxwriter.Workbook, title: str, as_of: datetime | None, fy: int) -> None:
    created = as_of or datetime(fcal.be_to_ce(fy) - 1, 10, 1, tzinfo=UTC)
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    wb.set_properties({"title": title, "author": "Edu Roll-up", "company": "",
                       "created": created, "comments": "generated from the ledger"})


# ---- budget columns ---------------------------------------------------------------------------
def budget_cols(first: list[Col]) -> list[Col]:
    return [
        *first,
        Col("จัดสรร (บาท)", "Allocated (baht)", "allocated", "money", 17),
        Col("ก่อหนี้ผูกพัน (บาท)", "Committed / PO (baht)", "committed", "money", 17),
        Col("เบิกจ่าย (บาท)", "Disbursed (baht)", "disbursed", "money", 17),
        Col("ใช้จ่าย = ก่อหนี้+เบิกจ่าย (บาท)", "Spent = committed + disbursed (baht)", "spent",
            "money", 19),
        Col("อัตราเบิกจ่าย", "Disbursement rate", "disbursement_rate", "rate", 13),
        Col("เป้าหมายสะสม", "Cumulative target", "target", "rate", 13),
        Col("อัตราใช้จ่าย", "Spent rate", "spent_rate", "rate", 12),
        Col("สถานะเทียบเป้า", "Against target", lambda r: _flag(r.get("behind")), "text", 19),
        Col("อัตราเบิกจ่าย รายจ่ายประจำ", "Current: rate", "rate_current", "rate", 14),
        Col("เป้า รายจ่ายประจำ", "Current: target", "target_current", "rate", 13),
        Col("อัตราเบิกจ่าย รายจ่ายลงทุน", "Capital: rate", "rate_capital", "rate", 14),
        Col("เป้า รายจ่ายลงทุน", "Capital: target", "target_capital", "rate", 13),
    ]


def _write_budget_block(sheet: Any, fm: Formats, top: int, first: list[Col],
                        table: pd.DataFrame, fig_targets: Any) -> tuple[int, int, int]:
    """A budget table with its total row and traffic lights. Returns (first data row,
    last data row incl. total, next free row)."""
    cols = budget_cols(first)
    recs = table.to_dict("records")
    nxt = _table(sheet, fm, top, cols, recs, total_row(table, fig_targets))
    n = len(first)
    first_row, last_row = top + 1, nxt - 1
    _traffic(sheet, fm, first_row, last_row, n + 4, n + 5)
    _traffic(sheet, fm, first_row, last_row, n + 8, n + 9)
    _traffic(sheet, fm, first_row, last_row, n + 10, n + 11)
    return first_row, last_row, nxt


# ---- the quarter's workbook ---------------------------------------------------------------------
SHEETS = {
    "summary": "สรุป (Summary)",
    "strategies": "ยุทธศาสตร์ (Strategies)",
    "breakdowns": "จำแนก (Breakdowns)",
    "agencies": "หน่วยงาน (Agencies)",
    "projects": "โครงการ (Projects)",
    "narrative": "ปัญหาและข้อเสนอแนะ (Narrative)",
    "indicators": "ตัวชี้วัด (Indicators)",
    "indicator_breakdowns": "ตัวชี้วัดจำแนก (By group)",
    "agency_results": "ผลรายหน่วยงาน (By agency)",
    "completeness": "การส่งรายงาน (Completeness)",
    "problems": "ปัญหา (Problems)",
    "data": "ข้อมูล (Data)",
    "about": "เกี่ยวกับ (About)",
}


# ---- the year-end report --------------------------------------------------------------------------
ANNUAL_SHEETS = {
    "summary": "สรุป (Summary)",
    "strategies": "ยุทธศาสตร์ (Strategies)",
    "indicators": "ตัวชี้วัด (Indicators)",
    "completeness": "การส่งรายงาน (Completeness)",
    "data": "ข้อมูล (Data)",
    "about": "เกี่ยวกับ (About)",
}


def headline_text(achieved: int, due: int) -> str:
    """The committee's headline, Thai with English alongside."""
    return (f"ตัวชี้วัดที่บรรลุเป้าหมาย {achieved} จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน "
            f"({achieved} of {due} indicators due this quarter achieved their provincial "
            "target)")


def _verdict_colours(sh: Any, fm: Formats, first: int, last: int, col: int) -> None:
    """Traffic lights on a verdict column: green achieved, red not, amber too few."""
    if last < first:
        return
    rng = f"{xl_rowcol_to_cell(first, col)}:{xl_rowcol_to_cell(last, col)}"
    for key, f in (("achieved", fm.green), ("not_achieved", fm.red),
                   ("insufficient", fm.amber), ("not_due", fm.grey)):
        sh.conditional_format(rng, {"type": "cell", "criteria": "==",
                                    "value": f'"{verdict_text(key)}"', "format": f})


def verdict_text(key: str | None) -> str | None:
    c = by_key("verdict").get(key or "")
    return f"{c.th} ({c.en})" if c else None


def _improved_text(r: dict[str, Any]) -> str | None:
    v = r.get("improved")
    if v is None or blank(v):
        return None
    return "ดีขึ้น (better)" if v else "ไม่ดีขึ้น (not better)"


def _strategy_groups(fig: QuarterFigures, recs: list[dict[str, Any]]
                     ) -> list[dict[str, Any]]:
    """The records with a heading record before each strategy's indicators."""
    out: list[dict[str, Any]] = []
    strategies = fig.plan.strategies
    for no in sorted({r["strategy_no"] for r in recs}):
        s = strategies.get(no)
        out.append({"_heading": f"ยุทธศาสตร์ที่ {s.label if s else no}"})
        out += [r for r in recs if r["strategy_no"] == no]
    return out


def _grouped_table(sh: Any, fm: Formats, top: int, cols: list[Col], recs: list[dict[str, Any]]
                   ) -> int:
    """A table whose heading records span the row in bold (a strategy's name)."""
    end = _table(sh, fm, top, cols, [r if "_heading" not in r else {} for r in recs])
    for i, r in enumerate(recs):
        if "_heading" in r:
            sh.merge_range(top + 1 + i, 0, top + 1 + i, len(cols) - 1, "", fm.group)
            sh.write_string(top + 1 + i, 0, r["_heading"], fm.group)
    return end
