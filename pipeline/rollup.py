"""The roll-up workbooks an analyst opens: one per quarter, and the year-end report.

Written with xlsxwriter (native charts, tables, conditional formats) with every
string-conversion option off, so nothing a sender typed can become a formula, a link
or a number. The bytes depend only on the ledger and the plan: the document's
'created' time is the as-of time (the latest accepted submission), xlsxwriter's zip
entries carry a fixed date, and the file goes through atomic_path, so an unchanged
night leaves the file (and its mtime) as it was.
"""

from __future__ import annotations

import copy
import csv
import math
import shutil
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from schemas.choices import CAPITAL_CATEGORIES, by_key

from . import calendar as fcal
from .atomic import atomic_path
from .consolidate import (
    DIMENSIONS,
    MEASURE_LABELS,
    MEASURES,
    STATE_LABELS,
    QuarterFigures,
    blank,
    choice_label,
    consolidate_quarter,
    parse_time,
    total_row,
)
from .plan import Plan, plan_fingerprint
from .workspace import Workspace

FONT = "TH Sarabun New"
FONT_SIZE = 14
MONEY_FMT = "#,##0.00"
RATE_FMT = "0.00%"
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
DATA_ROW_LIMIT = 50_000
AGENCY_RESULTS_LIMIT = 50_000  # per-agency indicator rows listed on the indicators sheet
HEADER_ROW = 3  # 0-based row of table headers (row 4 in Excel)
ROW_HEIGHT = 22  # points: a 14 pt Thai line with its marks
HEADER_HEIGHT = 62  # two or three wrapped lines of Thai and English


# ---- file names ------------------------------------------------------------------------------
def rollup_path(ws: Workspace, fy: int, q: int) -> Path:
    return ws.rollup_dir(fy, q) / f"rollup-{fy}-Q{q}.xlsx"


def annual_path(ws: Workspace, fy: int) -> Path:
    return ws.rollup_dir(fy) / f"annual-{fy}.xlsx"


def _load_plan(ws: Workspace, fy: int) -> Plan:
    from .plan_load import load_plan_cached

    return load_plan_cached(ws.state, ws.plan_file(fy))  # the run's parsed plan, if cached


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
    kind: str = "text"  # text | wrap | money | rate | int | number
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
            "wrap": fm.wrap}.get(kind, fm.text)


def _put(sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by type: text always as a string cell, never a formula or link."""
    if blank(value):
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_string(row, col, "ใช่ (yes)" if value else "ไม่ใช่ (no)", fmt)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, fmt)
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
    sheet.set_row(top, HEADER_HEIGHT)
    widths = sheet.__dict__.setdefault("_edu_widths", {})
    for c, col in enumerate(cols):
        sheet.write_string(top, c, f"{col.th}\n{col.en}", fm.header)
        if set_widths:
            sheet.set_column(c, c, col.width)
            widths[c] = col.width
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


def text_lines(text: str, width: float) -> int:
    """How many lines a wrapped cell needs: Thai vowel and tone marks take no width."""
    visible = sum(1 for ch in text if not unicodedata.combining(ch) and ch not in "\u0e31\u0e34"
                  "\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d")
    per_line = max(4.0, width * 0.8)  # word wrapping wastes the ends of lines
    return min(6, sum(max(1, math.ceil(len(part) and visible * len(part) / max(1, len(text))
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
    "indicators": "ตัวชี้วัด (Indicators)",
    "indicator_breakdowns": "ตัวชี้วัดจำแนก (By group)",
    "agency_results": "ผลรายหน่วยงาน (By agency)",
    "completeness": "การส่งรายงาน (Completeness)",
    "problems": "ปัญหา (Problems)",
    "data": "ข้อมูล (Data)",
    "about": "เกี่ยวกับ (About)",
}


Figures = dict[tuple[int, int], QuarterFigures]


def quarter_figures(ws: Workspace, plan: Plan, fy: int, q: int,
                    figures: Figures | None = None) -> QuarterFigures:
    """The quarter's figures: from ``figures`` when a writer of the same night already
    consolidated them, else from the ledger (and then kept in ``figures``).

    A night consolidates each quarter once and hands the figures to the quarter roll-up,
    the annual report and the status page; the caller keeps ``figures`` only while the
    ledger rows they were computed from do not change."""
    if figures is not None and (fy, q) in figures:
        return figures[(fy, q)]
    fig = consolidate_quarter(ws.ledger_path, plan, fy, q)
    if figures is not None:
        figures[(fy, q)] = fig
    return fig


def write_quarter_rollup(ws: Workspace, fy: int, q: int, plan: Plan | None = None,
                         figures: Figures | None = None) -> Path:
    """outbox/<FY>/Q<n>/rollup-<FY>-Q<n>.xlsx from the ledger; unchanged bytes are not
    rewritten. The plan defaults to the workspace's plan/<FY>.xlsx; ``figures`` (see
    :func:`quarter_figures`) shares the consolidated quarter with the other writers."""
    plan = plan or _load_plan(ws, fy)
    fig = quarter_figures(ws, plan, fy, q, figures)
    target = rollup_path(ws, fy, q)
    write_rollup_workbook(fig, target)
    return target


def write_rollup_workbook(fig: QuarterFigures, target: Path,
                          data_row_limit: int = DATA_ROW_LIMIT) -> Path:
    """Lay the quarter's figures out as the roll-up workbook at ``target`` (atomically)."""
    target = Path(target)
    data = long_budget_data([fig])
    csv_path = None
    if len(data) > data_row_limit:
        csv_path = target.with_suffix(".data.csv")
        write_csv(data, csv_path)
        data.release()
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), workbook_options())
        fm = Formats(wb)
        period = fcal.Period(fig.fiscal_year, fig.quarter)
        sub = (f"{fig.plan.office_name} จังหวัด{fig.plan.province} · {period.label_th} "
               f"({period.label_en}) · {fcal.period_text_th(fig.fiscal_year, fig.quarter)} · "
               f"ข้อมูล ณ (as of) {be_datetime(fig.as_of)}")
        sheets = {k: wb.add_worksheet(v) for k, v in SHEETS.items()}
        strat_rows = _strategies_sheet(sheets["strategies"], fm, fig, sub)
        _breakdowns_sheet(sheets["breakdowns"], fm, fig, sub)
        _agencies_sheet(sheets["agencies"], fm, fig, sub)
        _indicators_sheet(sheets["indicators"], fm, fig, sub)
        _indicator_breakdowns_sheet(sheets["indicator_breakdowns"], fm, fig, sub)
        _agency_results_sheet(sheets["agency_results"], fm, fig, sub, target)
        comp_rows = _completeness_sheet(sheets["completeness"], fm, fig, sub)
        _problems_sheet(sheets["problems"], fm, fig, sub)
        _data_sheet(sheets["data"], fm, data, sub, csv_path)
        _about_sheet(sheets["about"], fm, fig, sub, csv_path, len(data))
        _summary_sheet(wb, sheets["summary"], fm, fig, sub, strat_rows, comp_rows)
        sheets["summary"].activate()
        _properties(wb, f"Roll-up {period.label_en}", fig.as_of, fig.fiscal_year)
        wb.close()
    return target


def _summary_sheet(wb: Any, sh: Any, fm: Formats, fig: QuarterFigures, sub: str,
                   strat_rows: tuple[int, int], comp_rows: tuple[int, int]) -> None:
    _titles(sh, fm, "สรุปผลการดำเนินงานและการใช้จ่ายงบประมาณ (Summary)", sub)
    sh.set_column(0, 0, 58)
    sh.set_column(1, 3, 20)
    t = fig.budget_total
    ct = fig.completeness_total
    hdr = [("ตัวเลขสำคัญ", "Headline figure"), ("ผล", "Result"), ("เป้าหมาย", "Target"),
           ("สถานะ", "Status")]
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate(hdr):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    achieved, due = fig.indicators_achieved
    rows: list[tuple[str, Any, str, Any, Any]] = [
        ("งบประมาณที่ได้รับจัดสรร (บาท) / Allocated (baht)", t["allocated"], "money", None, None),
        ("ก่อหนี้ผูกพัน (บาท) / Committed (baht)", t["committed"], "money", None, None),
        ("เบิกจ่ายสะสม (บาท) / Disbursed (baht)", t["disbursed"], "money", None, None),
        ("ใช้จ่าย ก่อหนี้+เบิกจ่าย (บาท) / Spent (baht)", t["spent"], "money", None, None),
        ("อัตราเบิกจ่ายสะสม / Disbursement rate", t["disbursement_rate"], "rate",
         t["target"], t["behind"]),
        ("อัตราใช้จ่าย / Spent rate", t["spent_rate"], "rate", None, None),
        ("อัตราเบิกจ่าย รายจ่ายประจำ / Current spending rate", t["rate_current"], "rate",
         t["target_current"], t["behind_current"]),
        ("อัตราเบิกจ่าย รายจ่ายลงทุน / Capital spending rate", t["rate_capital"], "rate",
         t["target_capital"], t["behind_capital"]),
        ("ตัวชี้วัดที่บรรลุเป้าหมาย / Indicators achieved", achieved, "int", None,
         f"จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน (of {due} due)"),
        ("หน่วยงานที่ต้องส่งรายงาน / Agencies expected", ct["expected"], "int", None, None),
        ("ส่งแล้ว / Submitted", ct["submitted"], "int", None, None),
        ("ความครบถ้วน / Completeness", ct["submitted_rate"], "rate", None, None),
        ("ส่งตรงเวลา / On time", ct["on_time"], "int", None, None),
        ("ส่งล่าช้า / Late", ct["late"], "int", None, None),
        ("ถูกส่งคืน ยังไม่แก้ไข / Rejected, not yet fixed", ct["rejected"], "int", None, None),
        ("ยังไม่ส่ง / Missing", ct["missing"], "int", None, None),
    ]
    r = HEADER_ROW + 1
    for label, value, kind, target, behind in rows:
        sh.write_string(r, 0, label, fm.label)
        v = value / 100 if (kind == "money" and value is not None) else value
        _put(sh, r, 1, v, _fmt(fm, kind))
        _put(sh, r, 2, target, fm.rate)
        _put(sh, r, 3, behind if isinstance(behind, str) else _flag(behind), fm.text)
        r += 1
    _traffic(sh, fm, HEADER_ROW + 1, r - 1, 1, 2)
    r = _indicator_headline(sh, fm, fig, r + 1)
    _page(sh, HEADER_ROW, 4)
    sh.fit_to_pages(1, 1)
    # charts: disbursement by strategy against the target; completeness by affiliation
    s_first, s_last = strat_rows
    s_name = SHEETS["strategies"]
    rate_c = 1 + 4
    chart = wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "อัตราเบิกจ่าย (Disbursement rate)",
        "categories": [s_name, s_first, 0, s_last, 0],
        "values": [s_name, s_first, rate_c, s_last, rate_c],
        "fill": {"color": "#4472C4"},
        "data_labels": {"value": True, "num_format": "0%"},
    })
    line = wb.add_chart({"type": "line"})
    line.add_series({
        "name": "เป้าหมายสะสม (Cumulative target)",
        "categories": [s_name, s_first, 0, s_last, 0],
        "values": [s_name, s_first, rate_c + 1, s_last, rate_c + 1],
        "line": {"color": "#C00000", "width": 2.25},
        "marker": {"type": "diamond", "size": 7, "fill": {"color": "#C00000"}},
    })
    chart.combine(line)
    chart.set_title({"name": "อัตราเบิกจ่ายรายยุทธศาสตร์เทียบเป้าหมาย (Disbursement by strategy)",
                     "name_font": {"name": FONT, "size": 14}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "num_font": {"name": FONT},
                      "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}})
    chart.set_x_axis({"num_font": {"name": FONT, "size": 10}})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": 900, "height": 420})
    sh.insert_chart(r + 1, 0, chart)
    c_first, c_last = comp_rows
    c_name = SHEETS["completeness"]
    bar = wb.add_chart({"type": "bar", "subtype": "stacked"})
    colors = {"on_time": "#70AD47", "late": "#FFC000", "rejected": "#C00000",
              "missing": "#A5A5A5"}
    for i, state in enumerate(("on_time", "late", "rejected", "missing")):
        th, en = STATE_LABELS[state]
        bar.add_series({
            "name": f"{th} ({en})",
            "categories": [c_name, c_first, 1, c_last, 1],
            "values": [c_name, c_first, 4 + i, c_last, 4 + i],
            "fill": {"color": colors[state]},
        })
    bar.set_title({"name": "การส่งรายงานรายสังกัด (Completeness by affiliation)",
                   "name_font": {"name": FONT, "size": 14}})
    bar.set_legend({"position": "bottom", "font": {"name": FONT}})
    n_aff = max(1, c_last - c_first + 1)
    bar.set_x_axis({"num_font": {"name": FONT}, "num_format": "0", "min": 0,
                    **({"major_unit": 1} if fig.completeness_total["expected"] <= 12 else {})})
    bar.set_y_axis({"num_font": {"name": FONT, "size": 10}, "reverse": True, "interval_unit": 1})
    bar.set_size({"width": 900, "height": max(300, 120 + 48 * n_aff)})
    sh.insert_chart(r + 23, 0, bar)


def _strategies_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> tuple[int, int]:
    _titles(sh, fm, "งบประมาณรายยุทธศาสตร์ (Budget by strategy)", sub)
    first = [Col("ยุทธศาสตร์", "Strategy", "label", "wrap", 48)]
    f, last, _ = _write_budget_block(sh, fm, HEADER_ROW, first, fig.budget["strategy"],
                                     fig.targets)
    _page(sh, HEADER_ROW, 13, 1)
    return f, last - 1  # chart rows: strategies without the total


def _breakdowns_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "งบประมาณจำแนกตามแหล่งงบ งบรายจ่าย สังกัด อำเภอ (Budget breakdowns)", sub)
    top = HEADER_ROW
    for dim in ("budget_source", "expenditure_category", "affiliation", "district"):
        th, en = DIMENSIONS[dim]
        sh.write_string(top, 0, f"จำแนกตาม{th} (by {en.lower()})", fm.label)
        first = [Col(th, en, "label", "wrap", 40)]
        _, _, nxt = _write_budget_block(sh, fm, top + 1, first, fig.budget[dim], fig.targets)
        top = nxt + 2
    sh.set_landscape()
    sh.set_paper(9)
    sh.fit_to_pages(1, 0)
    sh.repeat_rows(0, 1)


def _agencies_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "งบประมาณรายหน่วยงาน (Budget by agency)", sub)
    comp = fig.completeness
    state_of = dict(zip(comp["agency_code"], comp["state"], strict=True))
    received_of = dict(zip(comp["agency_code"], comp["received_at"], strict=True))
    types = {k: c.th for k, c in by_key("agency_type").items()}
    affs = {k: c.th for k, c in by_key("affiliation").items()}  # short: the row stays one line
    states = {k: f"{th} ({en})" for k, (th, en) in STATE_LABELS.items()}
    table = fig.budget["agency"]
    attrs = fig.plan.agencies
    recs = table.to_dict("records")
    for r in recs:
        a = attrs.get(r["key"])
        if a is None:
            continue
        r["_type"] = types.get(a.agency_type, a.agency_type)
        r["_affiliation"] = affs.get(a.affiliation, a.affiliation)
        r["_district"] = a.district
        r["_state"] = states[state_of.get(a.code, "missing")]
        r["_received"] = be_received(received_of.get(a.code))
    first = [
        Col("รหัสหน่วยงาน", "Agency code", "key", "text", 13),
        Col("หน่วยงาน", "Agency", "label", "wrap", 40),
        Col("ประเภท", "Type", "_type", "text", 16),
        Col("สังกัด", "Affiliation", "_affiliation", "text", 14),
        Col("อำเภอ", "District", "_district", "text", 14),
        Col("การส่งรายงาน", "Report", "_state", "text", 18),
        Col("วันที่ได้รับ", "Received", "_received", "text", 20),
    ]
    cols = budget_cols(first)
    nxt = _table(sh, fm, HEADER_ROW, cols, recs, total_row(table, fig.targets))
    n = len(first)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 4, n + 5)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 8, n + 9)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 10, n + 11)
    sh.autofilter(HEADER_ROW, 0, max(HEADER_ROW, nxt - 2), len(cols) - 1)
    _page(sh, HEADER_ROW, len(cols), 2)


STRATEGY_VERDICT_COLS = [
    Col("ยุทธศาสตร์", "Strategy", "label", "wrap", 58),
    Col("ตัวชี้วัด", "Indicators", "indicators", "int", 20),
    Col("ถึงรอบรายงาน", "Due", "due", "int", 20),
    Col("บรรลุ", "Achieved", "achieved", "int", 20),
    Col("ไม่บรรลุ", "Not achieved", "not_achieved", "int", 12),
    Col("ข้อมูลไม่พอ", "Too few reporters", "insufficient", "int", 12),
    Col("ยังไม่ถึงรอบ", "Not due", "not_due", "int", 12),
]


def headline_text(achieved: int, due: int) -> str:
    """The committee's headline, Thai with English alongside."""
    return (f"ตัวชี้วัดที่บรรลุเป้าหมาย {achieved} จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน "
            f"({achieved} of {due} indicators due this quarter achieved their provincial "
            "target)")


def _indicator_headline(sh: Any, fm: Formats, fig: QuarterFigures, top: int) -> int:
    """The headline sentence and the small table of verdicts per strategy; returns the
    next free row."""
    achieved, due = fig.indicators_achieved
    sh.set_row(top, 30)
    sh.merge_range(top, 0, top, 3, "", fm.big_text)
    sh.write_string(top, 0, headline_text(achieved, due), fm.big_text)
    recs = fig.indicators_by_strategy()
    total = {"label": "รวม (Total)", **{k: sum(r[k] for r in recs) for k in
                                        ("indicators", "due", "achieved", "not_achieved",
                                         "insufficient", "not_due")}}
    end = _table(sh, fm, top + 1, STRATEGY_VERDICT_COLS, recs, total, set_widths=False)
    for c in (4, 5, 6):
        sh.set_column(c, c, 12)
    return end


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


INDICATOR_COLS = [
    Col("รหัส", "Code", "code", "text", 8),
    Col("ตัวชี้วัด", "Indicator", "name", "wrap", 44),
    Col("ชนิด", "Kind", "kind_label", "wrap", 18),
    Col("หน่วยนับ", "Unit", "unit_label", "wrap", 12),
    Col("ค่าเป้าหมายจังหวัด", "Provincial target", "target", "number", 12),
    Col("ผลระดับจังหวัด", "Provincial result", "figure", "number", 13),
    Col("ผลการประเมิน", "Verdict", lambda r: verdict_text(r.get("verdict")), "wrap", 18),
    Col("หน่วยงานที่รายงาน", "Reporters", "reported", "int", 11),
    Col("หน่วยงานที่ต้องรายงาน", "Expected", "expected", "int", 11),
    Col("ค่าฐาน (ปีก่อน)", "Baseline", "previous", "number", 12),
    Col("ที่มาค่าฐาน", "Baseline from", lambda r: {
        "ledger": "ผลปีก่อนจากฐานข้อมูล (ledger)", "plan": "แผน (plan)"}.get(
        r.get("previous_source") or ""), "wrap", 16),
    Col("เปลี่ยนแปลง", "Change", "change", "number", 11),
    Col("ดีขึ้น/ไม่ดีขึ้น", "Better / worse", _improved_text, "wrap", 14),
    Col("ผลของไตรมาส", "Results of", lambda r: None if blank(r.get("counted_quarter")) else (
        f"ไตรมาส {int(r['counted_quarter'])}" + (
            f" ปีการศึกษา {int(r['academic_year'])}" if not blank(r.get("academic_year"))
            else "")), "wrap", 14),
]
VERDICT_COL = 6


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


def _indicators_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ผลการดำเนินงานตามตัวชี้วัด: ผลระดับจังหวัดเทียบค่าเป้าหมายจังหวัด "
            "(Indicators: the province against its targets)", sub)
    recs = _strategy_groups(fig, fig.indicators.to_dict("records") if len(fig.indicators)
                            else [])
    nxt = _grouped_table(sh, fm, HEADER_ROW, INDICATOR_COLS, recs)
    _verdict_colours(sh, fm, HEADER_ROW + 1, nxt - 1, VERDICT_COL)
    sh.set_row(nxt + 1, 66)
    sh.merge_range(nxt + 1, 0, nxt + 1, 9, "", fm.note)
    sh.write_string(nxt + 1, 0, (
        "ผลระดับจังหวัดคำนวณตามชนิดของตัวชี้วัด: ร้อยละจากจำนวนนับ = ผลรวมตัวตั้ง ÷ ผลรวมตัวหาร; "
        "จำนวนและบาท = ผลรวม; ค่าเฉลี่ยถ่วงน้ำหนัก = ถ่วงด้วยจำนวนผู้เข้าสอบ; มี/ไม่มี = ร้อยละของหน่วยงาน"
        "ที่ตอบมี; ค่าเฉลี่ยต่อหน่วยงาน = ค่าเฉลี่ยของหน่วยงานที่รายงาน (ไม่รวมหรือหามัธยฐานของร้อยละ) / "
        "The provincial result follows the indicator's kind: percent from counts = sum of "
        "numerators / sum of denominators; counts and baht = sum; weighted mean = weighted "
        "by test takers; yes/no = share of agencies answering yes; per-agency average = mean "
        "over reporters (never a sum or median of rates). See docs/indicators.md."), fm.note)
    _page(sh, HEADER_ROW, len(INDICATOR_COLS), 2)


BREAKDOWN_COLS = [
    Col("รหัส", "Code", "code", "text", 8),
    Col("ตัวชี้วัด", "Indicator", "name", "wrap", 44),
    Col("สังกัด / อำเภอ", "Affiliation / district", "label", "wrap", 30),
    Col("ค่าเป้าหมายจังหวัด", "Provincial target", "target", "number", 16),
    Col("ผล", "Result", "figure", "number", 12),
    Col("ผลการประเมิน", "Verdict", lambda r: verdict_text(r.get("verdict")), "wrap", 20),
    Col("หน่วยงานที่รายงาน", "Reporters", "reported", "int", 11),
    Col("หน่วยงานที่ต้องรายงาน", "Expected", "expected", "int", 11),
]


def _indicator_breakdowns_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ตัวชี้วัดจำแนกตามสังกัดและอำเภอ (Indicators by affiliation and district)",
            sub)
    b = fig.indicator_breakdown
    top = HEADER_ROW
    for dim, (th, en) in (("affiliation", ("สังกัด", "affiliation")),
                          ("district", ("อำเภอ", "district"))):
        sh.write_string(top, 0, f"จำแนกตาม{th} (by {en})", fm.label)
        recs = b[b["dimension"] == dim].to_dict("records") if len(b) else []
        end = _table(sh, fm, top + 1, BREAKDOWN_COLS, recs)
        _verdict_colours(sh, fm, top + 2, end - 1, 5)
        top = end + 2
    sh.set_landscape()
    sh.set_paper(9)
    sh.fit_to_pages(1, 0)


AGENCY_RESULT_COLS = [
    Col("รหัส", "Code", "indicator_code", "text", 8),
    Col("รหัสหน่วยงาน", "Agency code", "agency_code", "text", 13),
    Col("หน่วยงาน", "Agency", "agency_name", "wrap", 40),
    Col("ตัวตั้ง", "Numerator", "numerator", "number", 11),
    Col("ตัวหาร", "Denominator", "denominator", "number", 11),
    Col("น้ำหนัก", "Weight", "weight", "number", 10),
    Col("มี/ไม่มี", "Yes / no", "answer", "text", 9),
    Col("ผลของหน่วยงาน", "Agency's result", "value", "number", 12),
    Col("เป้าหมายหน่วยงาน", "Agency target", "agency_target", "number", 12),
    Col("บรรลุเป้าหน่วยงาน", "Met agency target", "met", "text", 12),
    Col("หลักฐาน/หมายเหตุ", "Evidence / remarks", "evidence", "wrap", 30),
]


def _agency_results_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str,
                          target: Path | None = None) -> None:
    """Each agency's own results, beside the provincial figures, with the agency target
    where the plan has one; a CSV beside the workbook when there are very many rows."""
    _titles(sh, fm, "ผลตัวชี้วัดรายหน่วยงาน (Each agency's own indicator results)", sub)
    results = agency_results(fig)
    n_results = len(results["indicator_code"])
    cols = AGENCY_RESULT_COLS
    if target is not None and n_results > AGENCY_RESULTS_LIMIT:
        path = target.with_suffix(".indicators.csv")
        # 420,000 rows at 30,000 agencies, streamed; blanks written as empty fields
        write_csv_columns(path, [f"{c.th} ({c.en})" for c in cols],
                          [results[c.key] for c in cols])  # type: ignore[index]
        sh.write_string(HEADER_ROW, 0, (
            f"{n_results:,} แถว บันทึกเป็นไฟล์ {path.name} ข้างไฟล์นี้ / {n_results:,} rows: "
            f"written beside this workbook as {path.name}"), fm.text)
        return
    keys = [c.key for c in cols]
    recs = [dict(zip(keys, row, strict=True))
            for row in zip(*(results[k] for k in keys), strict=True)]  # type: ignore[index]
    end = _table(sh, fm, HEADER_ROW, cols, recs)
    if recs:
        sh.autofilter(HEADER_ROW, 0, end - 1, len(cols) - 1)
    _page(sh, HEADER_ROW, len(cols), 3)


def agency_results(fig: QuarterFigures) -> dict[str, list[Any]]:
    """Each agency's own results (fig.agency_indicators) by indicator then agency, as
    column lists (numbers as floats or None; met as a Thai/English label or None)."""
    res = fig.agency_indicators
    keys = [c.key for c in AGENCY_RESULT_COLS]
    if not len(res):
        return {k: [] for k in keys}  # type: ignore[misc]
    met_label = {True: "บรรลุ (met)", False: "ไม่บรรลุ (not met)"}
    out: dict[str, list[Any]] = {}
    for k in keys:
        values = [None if blank(v) else v for v in res[k].tolist()]  # type: ignore[index]
        if k == "met":
            values = [None if v is None else met_label[bool(v)] for v in values]
        elif k in ("numerator", "denominator", "weight", "value", "agency_target"):
            values = [None if v is None else float(v) for v in values]
        out[k] = values  # type: ignore[index]
    return out


COMPLETENESS_COLS = [
    Col("รหัส", "Key", "key", "text", 15),
    Col("สังกัด / อำเภอ", "Affiliation / district", "label", "wrap", 40),
    Col("ต้องส่ง", "Expected", "expected", "int", 10),
    Col("ส่งแล้ว", "Submitted", "submitted", "int", 10),
    Col("ตรงเวลา", "On time", "on_time", "int", 10),
    Col("ล่าช้า", "Late", "late", "int", 10),
    Col("ถูกส่งคืน ยังไม่แก้ไข", "Rejected, not fixed", "rejected", "int", 18),
    Col("ยังไม่ส่ง", "Missing", "missing", "int", 10),
    Col("ความครบถ้วน", "Submitted rate", "submitted_rate", "rate", 12),
    Col("ตรงเวลา (%)", "On-time rate", "on_time_rate", "rate", 12),
]


def _completeness_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> tuple[int, int]:
    _titles(sh, fm, "ความครบถ้วนและความทันเวลาของการส่งรายงาน (Completeness and timeliness)",
            sub + f" · กำหนดส่ง (due) {fcal.format_thai_date(fig.plan.due_date(fig.quarter))}")
    aff = fig.completeness_by["affiliation"]
    nxt = _table(sh, fm, HEADER_ROW, COMPLETENESS_COLS, aff.to_dict("records"),
                 fig.completeness_total)
    chart_rows = (HEADER_ROW + 1, nxt - 2)
    top = nxt + 2
    sh.write_string(top, 0, "รายอำเภอ (by district)", fm.label)
    nxt = _table(sh, fm, top + 1, COMPLETENESS_COLS, fig.completeness_by["district"]
                 .to_dict("records"), fig.completeness_total, set_widths=False)
    top = nxt + 2
    sh.write_string(top, 0, "หน่วยงานที่ต้องติดตาม (Agencies to chase)", fm.label)
    recs = []
    for r in fig.chase.to_dict("records"):
        th, en = STATE_LABELS[r["state"]]
        recs.append({**r, "state_label": f"{th} ({en})",
                     "affiliation_label": choice_label("affiliation", r["affiliation"]),
                     "received": be_received(r["received_at"])})
    cols = [Col("รหัสหน่วยงาน", "Agency code", "agency_code"),
            Col("หน่วยงาน", "Agency", "agency_name", "wrap"),
            Col("สังกัด", "Affiliation", "affiliation_label", "wrap"),
            Col("อำเภอ", "District", "district"),
            Col("สถานะ", "State", "state_label", "wrap"),
            Col("อีเมลติดต่อ", "Contact e-mail", "emails", "wrap"),
            Col("ไฟล์ล่าสุด", "Latest file", "file", "wrap"),
            Col("ได้รับเมื่อ", "Received", "received"),
            Col("เหตุผล", "Reason", "reason", "wrap")]
    _table(sh, fm, top + 1, cols, recs, set_widths=False)
    _page(sh, HEADER_ROW, len(COMPLETENESS_COLS), 2)
    return chart_rows


PROBLEM_COLS = [
    Col("เลขที่", "Submission", "submission_id", "int", 9),
    Col("รหัสหน่วยงาน", "Agency code", "agency_code", "text", 13),
    Col("หน่วยงาน", "Agency", "agency_name", "wrap", 28),
    Col("ไฟล์", "File", "original_name", "wrap", 26),
    Col("ได้รับเมื่อ", "Received", "received", "text", 19),
    Col("สถานะ", "Status", "status_label", "text", 16),
    Col("ระดับ", "Severity", "severity_label", "text", 12),
    Col("รหัสปัญหา", "Code", "code", "text", 26),
    Col("แผ่นงาน", "Sheet", "sheet", "text", 18),
    Col("เซลล์", "Cell", "cell", "text", 8),
    Col("คอลัมน์", "Column", "column_label", "wrap", 20),
    Col("ค่าที่พบ", "Value seen", "value", "wrap", 18),
    Col("ปัญหา", "Problem", "message_th", "wrap", 40),
    Col("Problem (English)", "", "message_en", "wrap", 40),
    Col("วิธีแก้", "Fix", "fix_th", "wrap", 36),
]
STATUS_LABELS = {
    "accepted": "รับแล้ว (accepted)", "superseded": "ถูกแทนที่ (superseded)",
    "rejected": "ส่งคืน (rejected)", "quarantined": "กักไว้ (quarantined)",
    "duplicate": "ซ้ำ (duplicate)",
}


def problem_records(fig: QuarterFigures) -> list[dict[str, Any]]:
    """The period's recorded problems plus the cross-quarter findings computed now."""
    names = {a.code: a.name_th for a in fig.plan.agencies.values()}
    df = fig.problems
    recs = []
    recorded = set()
    for r in (df.to_dict("records") if len(df) else []):
        if r.get("code") == "crossquarter.cumulative-fell":
            recorded.add((r["submission_id"], r.get("cell"), r.get("column_label")))
        recs.append(r)
    subs = fig.current.set_index("id") if len(fig.current) else None
    for f in fig.cross_quarter:
        p = f.problem()
        if (f.submission_id, p.cell, p.column) in recorded:
            continue
        s = subs.loc[f.submission_id] if subs is not None else {}
        recs.append({"submission_id": f.submission_id, "agency_code": f.agency_code,
                     "original_name": f.file, "received_at": s.get("received_at"),
                     "status": "accepted", "reason": None, "code": p.code,
                     "severity": p.severity, "sheet": p.sheet, "cell": p.cell,
                     "column_label": p.column, "value": p.value, "message_th": p.message_th,
                     "message_en": p.message_en, "fix_th": p.fix_th, "fix_en": p.fix_en})
    for r in recs:
        r["agency_name"] = names.get(r.get("agency_code") or "", None)
        r["received"] = be_received(r.get("received_at"))
        r["status_label"] = STATUS_LABELS.get(r.get("status") or "", r.get("status"))
        sev = r.get("severity")
        r["severity_label"] = {"error": "ข้อผิดพลาด (error)", "warning": "คำเตือน (warning)"}.get(
            sev or "", None)
        if r.get("code") is None:  # a rejected file without itemised problems
            r["message_th"] = r.get("reason")
    recs.sort(key=lambda r: (str(r.get("received_at") or ""), int(r["submission_id"])))
    return recs


def _problems_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ไฟล์ที่ถูกส่งคืนหรือมีคำเตือน และปัญหาที่พบ (Rejected and warned files)",
            sub)
    recs = problem_records(fig)
    nxt = _table(sh, fm, HEADER_ROW, PROBLEM_COLS, recs)
    if recs:
        sh.autofilter(HEADER_ROW, 0, nxt - 1, len(PROBLEM_COLS) - 1)
    else:
        sh.write_string(HEADER_ROW + 1, 0, "ไม่มีปัญหา (no problems)", fm.text)
    _page(sh, HEADER_ROW, len(PROBLEM_COLS), 2)


# ---- the long-format data -----------------------------------------------------------------------
DATA_COLUMNS = [
    ("fiscal_year", "ปีงบประมาณ", "Fiscal year", "int", 10),
    ("quarter", "ไตรมาส", "Quarter", "int", 8),
    ("agency_code", "รหัสหน่วยงาน", "Agency code", "text", 13),
    ("agency_name", "หน่วยงาน", "Agency", "text", 34),
    ("agency_type", "ประเภทหน่วยงาน", "Agency type", "text", 16),
    ("affiliation", "สังกัด", "Affiliation", "text", 16),
    ("district", "อำเภอ", "District", "text", 14),
    ("strategy", "ยุทธศาสตร์", "Strategy", "text", 30),
    ("project_code", "รหัสโครงการ", "Project code", "text", 12),
    ("project_name", "โครงการ/กิจกรรม", "Project", "text", 36),
    ("budget_source", "แหล่งงบประมาณ", "Budget source", "text", 20),
    ("expenditure_category", "งบรายจ่าย", "Expenditure category", "text", 16),
    ("spending_type", "ประจำ/ลงทุน", "Current / capital", "text", 14),
    ("progress", "สถานะการดำเนินงาน", "Progress", "text", 18),
    ("remarks", "หมายเหตุ", "Remarks", "text", 24),
    ("measure", "รายการ", "Measure", "text", 16),
    ("amount", "จำนวนเงิน (บาท)", "Amount (baht)", "money", 16),
]


class LongData:
    """The long-format budget data: one row per project line and measure (allocated,
    committed, disbursed), pivot-ready, in (fiscal year, quarter, line, measure) order.

    Kept as per-line column lists (each line's attributes once, not three times) and
    expanded row by row as it is written: at 30,000 agencies the 450,000 rows went
    through three frame copies, a concat and a sort before."""

    def __init__(self, figs: Sequence[QuarterFigures]) -> None:
        self.blocks: list[tuple[list[list[Any]], list[list[int]]]] = []
        self.sources: list[QuarterFigures] = []  # the quarter of each block
        for fig in sorted(figs, key=lambda f: (f.fiscal_year, f.quarter)):
            lines = fig.lines
            if not len(lines):
                continue
            self.sources.append(fig)
            n = len(lines)
            plan = fig.plan
            strat = {k: s.label for k, s in plan.strategies.items()}
            types = {c.key: c.th for c in by_key("agency_type").values()}
            base = [
                [fig.fiscal_year] * n,
                [fig.quarter] * n,
                lines["agency_code"].tolist(),
                lines["agency_name"].tolist(),
                lines["agency_type"].map(types).tolist(),
                lines["affiliation"].map(
                    {k: c.th for k, c in by_key("affiliation").items()}).tolist(),
                lines["district"].tolist(),
                lines["strategy_no"].map(
                    {n: strat.get(n, f"{n}. ?") for n in set(lines["strategy_no"])}).tolist(),
                lines["project_code"].tolist(),
                lines["project_name"].tolist(),
                lines["budget_source"].map(
                    {k: c.th for k, c in by_key("budget_source").items()}).tolist(),
                lines["expenditure_category"].map(
                    {k: c.th for k, c in by_key("expenditure_category").items()}).tolist(),
                lines["expenditure_category"].isin(CAPITAL_CATEGORIES).map(
                    {True: "รายจ่ายลงทุน (capital)", False: "รายจ่ายประจำ (current)"}).tolist(),
                lines["progress_status"].map(
                    {k: c.th for k, c in by_key("progress_status").items()}).tolist(),
                lines["remarks"].tolist(),
            ]
            amounts = [[int(v) for v in lines[m].tolist()] for m in MEASURES]
            self.blocks.append((base, amounts))
        self.measures = [f"{th} ({en})" for th, en in (MEASURE_LABELS[m] for m in MEASURES)]
        self.n = sum(len(base[0]) * len(MEASURES) for base, _ in self.blocks)

    def __len__(self) -> int:
        return self.n

    def release(self) -> None:
        """Drop the rows once they are in the CSV; the length stays (the workbook says it)."""
        self.blocks = []
        self.sources = []

    def rows(self, cell: Callable[[Any], Any] | None = None,
             amount: Callable[[int], Any] | None = None) -> Any:
        """Every row as a tuple in DATA_COLUMNS order; ``cell`` maps each attribute value
        (once per line), ``amount`` each amount in satang."""
        for base, amounts in self.blocks:
            if cell is not None:
                base = [[cell(v) for v in col] for col in base]
            if amount is not None:
                amounts = [[amount(v) for v in col] for col in amounts]
            for attrs, *money in zip(zip(*base, strict=True), *amounts, strict=True):
                for label, value in zip(self.measures, money, strict=True):
                    yield (*attrs, label, value)

    def columns(self) -> dict[str, list[Any]]:
        """The rows as column lists (only for data small enough for the data sheet)."""
        keys = [c[0] for c in DATA_COLUMNS]
        cols = list(zip(*self.rows(), strict=True)) or [()] * len(keys)
        return {k: list(c) for k, c in zip(keys, cols, strict=True)}


def long_budget_data(figs: Sequence[QuarterFigures]) -> LongData:
    """One row per project and measure (allocated, committed, disbursed): pivot-ready."""
    return LongData(figs)


# Long-data CSVs written in this process from one quarter's figures:
# id(figures) -> (weak reference, file, (inode, size, mtime) just after writing)
_QUARTER_CSVS: dict[int, tuple[weakref.ref, Path, tuple[int, int, int]]] = {}


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _quarter_csv(fig: QuarterFigures) -> Path | None:
    """The quarter CSV this process wrote from ``fig``, if the file is still that file."""
    hit = _QUARTER_CSVS.get(id(fig))
    if hit is None or hit[0]() is not fig or _signature(hit[1]) != hit[2]:
        return None
    return hit[1]


def write_csv(data: LongData, path: Path) -> None:
    """UTF-8 with BOM (Excel then reads Thai correctly); money as exact baht text.

    The annual report's CSV holds each quarter's rows after one another, exactly as the
    quarter's own CSV does: a quarter whose CSV this process just wrote from the same
    figures (the night's quarter roll-up) is copied from that file rather than formatted
    again."""
    header = [f"{th} ({en})" for _, th, en, _, _ in DATA_COLUMNS]
    head_bytes = len(_csv_head(header))

    def chunks() -> Iterator[bytes | tuple[Path, int]]:
        # a line's 15 attributes are the same in its three rows (one per measure): each
        # line's fields are joined once, and its three rows are those bytes followed by the
        # measure and the amount; each distinct value is quoted and encoded once
        # (csv_field_bytes): 338 MB at 30,000 agencies, 2.2-2.5 -> 1.0-1.4 s
        labels = [b"," + _csv_fields([[m]])[0].encode("utf-8") + b"," for m in data.measures]
        for (base, amounts), fig in zip(data.blocks, data.sources, strict=True):
            done = _quarter_csv(fig)
            if done is not None and done != path:
                yield (done, head_bytes)
                continue
            fields = [csv_field_bytes(col) for col in base]
            for start in range(0, len(fields[0]), CSV_CHUNK_ROWS):
                end = start + CSV_CHUNK_ROWS
                prefixes = list(map(b",".join, zip(*(col[start:end] for col in fields),
                                                    strict=True)))
                money = [[(_baht_plain(v) + "\r\n").encode("ascii") for v in col[start:end]]
                         for col in amounts]
                parts: list[bytes] = []
                for p, *amts in zip(prefixes, *money, strict=True):
                    for label, amount in zip(labels, amts, strict=True):
                        parts += (p, label, amount)
                yield b"".join(parts)

    _write_csv(path, header, chunks())
    if len(data.sources) == 1:
        sig = _signature(path)
        if sig is not None:
            _QUARTER_CSVS[id(data.sources[0])] = (weakref.ref(data.sources[0]), path, sig)


class _Pieces(list):
    """A csv.writer target that keeps each written row as one string."""

    write = list.append


def _csv_fields(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Each row as csv.writer formats it, without its line end: fields joined by commas,
    quoted where they must be (a field holding a comma, a quote or a line break)."""
    pieces = _Pieces()
    csv.writer(pieces, lineterminator="\r\n").writerows(rows)
    return [p[:-2] for p in pieces]


def csv_field_bytes(values: Sequence[Any]) -> list[bytes]:
    """Each value as csv.writer writes it inside a row (blank -> empty, quoted where it
    must be), UTF-8 encoded; each distinct value goes through csv.writer and the encoder
    once (a column of 150,000 project lines holds a few thousand distinct texts)."""
    memo: dict[Any, bytes] = {}
    out: list[bytes] = []
    for v in values:
        if v.__class__ is str:
            key: Any = v
        elif blank(v):  # None, NaN, NA, NaT: each NaN is its own object, never a memo key
            out.append(b"")
            continue
        elif v.__class__ is float and not v:
            key = (float, str(v))  # 0.0 == -0.0, but csv.writer writes "-0.0"
        else:
            key = (v.__class__, v)  # 1, 1.0 and True are equal, but written differently
        b = memo.get(key)
        if b is None:
            # csv.writer writes a row of one empty field as "" (to tell it from no row);
            # inside a row an empty field is nothing
            b = memo[key] = b"" if v == "" else _csv_fields([[v]])[0].encode("utf-8")
        out.append(b)
    return out


CSV_CHUNK_ROWS = 20_000


def write_csv_columns(path: Path, header: list[str], columns: Sequence[Sequence[Any]]) -> None:
    """A UTF-8 CSV with a BOM and CRLF line ends, from column lists, written atomically a
    chunk at a time (at 30,000 agencies ~80-340 MB: never held whole). The bytes are those
    of csv.writer on a "utf-8-sig" file, blanks (None, NaN) written as empty fields."""
    fields = [csv_field_bytes(col) for col in columns]

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(fields[0]) if fields else 0, CSV_CHUNK_ROWS):
            end = start + CSV_CHUNK_ROWS
            rows = map(b",".join, zip(*(col[start:end] for col in fields), strict=True))
            yield b"\r\n".join(rows) + b"\r\n"

    _write_csv(path, header, chunks())


def _csv_head(header: list[str]) -> bytes:
    """The BOM (Excel then reads the Thai as UTF-8) and the header line."""
    return ("\ufeff" + _csv_fields([header])[0] + "\r\n").encode("utf-8")


def _write_csv(path: Path, header: list[str],
               chunks: Iterable[bytes | tuple[Path, int]]) -> None:
    """BOM and header, then each chunk: bytes, or (file, offset): that file's bytes from
    offset on."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(_csv_head(header))
        for chunk in chunks:
            if isinstance(chunk, bytes):
                fh.write(chunk)
                continue
            source, offset = chunk
            with open(source, "rb") as src:
                src.seek(offset)
                shutil.copyfileobj(src, fh, 1 << 20)


def _baht_plain(satang: Any) -> str:
    s = int(satang)
    sign = "-" if s < 0 else ""
    whole, frac = divmod(abs(s), 100)
    return f"{sign}{whole}.{frac:02d}"


def _data_sheet(sh: Any, fm: Formats, data: LongData, sub: str, csv_path: Path | None,
                top: int = HEADER_ROW) -> None:
    _titles(sh, fm, "ข้อมูลรายโครงการแบบยาว สำหรับ PivotTable (Long-format data for pivots)", sub)
    if csv_path is not None:
        sh.write_string(top, 0, (f"ข้อมูลมี {len(data):,} แถว เกินขนาดแผ่นงาน จึงบันทึกเป็นไฟล์ "
                                 f"{csv_path.name} ข้างไฟล์นี้ / {len(data):,} rows: written beside "
                                 f"this workbook as {csv_path.name} (UTF-8 CSV)"), fm.label)
        return
    n = len(data)
    columns = data.columns() if n else {}
    put_string, put_number, _ = _cell_writers(sh)  # up to 850,000 cells
    for c, (key, _th, _en, kind, width) in enumerate(DATA_COLUMNS):
        fmt = _fmt(fm, kind)
        sh.set_column(c, c, width, fmt)
        if not n:
            continue
        series = columns[key]
        if kind in ("money", "int"):
            values = ([int(v) / 100 for v in series] if kind == "money" else
                      [int(v) for v in series])
            for r, v in enumerate(values, start=top + 1):
                put_number(r, c, v, fmt)
        else:
            for r, v in enumerate(series, start=top + 1):
                if blank(v) or v == "":
                    continue
                put_string(r, c, str(v), fmt)
    last = top + max(n, 1)
    sh.add_table(top, 0, last, len(DATA_COLUMNS) - 1, {
        "name": "RollupData", "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": f"{th} ({en})", "format": _fmt(fm, kind)}
                    for _, th, en, kind, _ in DATA_COLUMNS],
    })
    sh.set_row(top, 36, fm.header)
    _page(sh, top, len(DATA_COLUMNS), 0)


# ---- about ---------------------------------------------------------------------------------------
METHODS = [
    ("ข้อมูลที่นับ", "What counts",
     "รายงานที่ผ่านการตรวจสอบล่าสุดของแต่ละหน่วยงานในปีงบประมาณและไตรมาสนี้ (ไฟล์ที่ส่งใหม่แทนที่ไฟล์เดิม)",
     "The latest accepted report of each agency for this fiscal year and quarter (a newer "
     "accepted file supersedes the older one)."),
    ("ยอดเงิน", "Money",
     "ยอดสะสมตั้งแต่ 1 ต.ค. รวมจากรายโครงการเป็นจำนวนเต็มสตางค์ ตรงกันทุกระดับ",
     "Cumulative since 1 October, summed per project in whole satang; totals reconcile at "
     "every level."),
    ("อัตราเบิกจ่าย", "Disbursement rate",
     "เบิกจ่าย ÷ จัดสรร; อัตราใช้จ่าย = (ก่อหนี้ผูกพัน + เบิกจ่าย) ÷ จัดสรร; เทียบกับเป้าหมายสะสมของแผน",
     "disbursed ÷ allocated; spent rate = (committed + disbursed) ÷ allocated; compared with "
     "the plan's cumulative target for the quarter."),
    ("รายจ่ายลงทุน/ประจำ", "Capital / current",
     "รายจ่ายลงทุน = งบลงทุน; รายจ่ายประจำ = งบรายจ่ายอื่นทั้งหมด",
     "capital = investment; current = every other expenditure category."),
    ("สีสถานะ", "Traffic lights",
     "เขียว: ถึงเป้า; เหลือง: ต่ำกว่าเป้าไม่เกิน 10 จุด; แดง: ต่ำกว่าเป้าเกิน 10 จุด",
     "green: at or above target; amber: up to 10 points behind; red: further behind."),
    ("ตัวชี้วัด", "Indicators",
     "ผลระดับจังหวัดตามชนิด: ผลรวมตัวตั้ง ÷ ผลรวมตัวหาร, ผลรวม, ค่าเฉลี่ยถ่วงน้ำหนัก, ร้อยละของหน่วยงาน"
     "ที่ตอบมี, ค่าเฉลี่ยของหน่วยงาน; บรรลุ/ไม่บรรลุ = ผลจังหวัดเทียบค่าเป้าหมายจังหวัดตามทิศทาง; "
     "ข้อมูลไม่พอ = ผู้รายงานน้อยกว่าขั้นต่ำของแผน; ค่าฐาน = ผลปีงบประมาณก่อนจากฐานข้อมูล หรือจากแผน",
     "the provincial result by kind: sum of numerators / sum of denominators, sum, weighted "
     "mean, share of agencies answering yes, mean over agencies; achieved / not achieved = "
     "the provincial result against the provincial target by direction; too few reporters "
     "= fewer than the plan's minimum share; baseline = the previous fiscal year's figure "
     "from the ledger, else the plan's."),
    ("ความครบถ้วน", "Completeness",
     "ตามทะเบียนหน่วยงานของแผน; ล่าช้า = ได้รับหลังวันกำหนดส่ง; ถูกส่งคืน = ไฟล์ล่าสุดถูกส่งคืน/กักไว้ "
     "และยังไม่มีไฟล์ที่ผ่าน",
     "against the plan's registry; late = received after the due date; rejected = latest "
     "file rejected or quarantined and no accepted one."),
    ("ตรวจข้ามไตรมาส", "Cross-quarter check",
     "ยอดสะสมรายโครงการหรือรวมของหน่วยงานที่ลดลงจากไตรมาสก่อน แสดงเป็นคำเตือนในแผ่นงานปัญหา",
     "a project's or an agency's cumulative figure lower than last quarter is a warning on "
     "the problems sheet."),
]


def _about_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str, csv_path: Path | None,
                 data_rows: int) -> None:
    _titles(sh, fm, "เกี่ยวกับรายงานนี้ (About this roll-up)", sub)
    sh.set_column(0, 0, 34)
    sh.set_column(1, 1, 60)
    sh.set_column(2, 2, 60)
    counts = fig.status_counts
    facts = [
        ("ข้อมูล ณ (as of)", be_datetime(fig.as_of),
         "เวลาที่ได้รับรายงานที่ผ่านการตรวจสอบล่าสุด / received time of the latest accepted report"),
        ("เวลา (UTC)", fig.as_of.astimezone(UTC).isoformat() if fig.as_of else "-", ""),
        ("ปีงบประมาณ / ไตรมาส (fiscal year / quarter)", f"{fig.fiscal_year} / Q{fig.quarter}",
         fcal.period_text_th(fig.fiscal_year, fig.quarter)),
        ("กำหนดส่ง (due date)", fcal.format_thai_date(fig.plan.due_date(fig.quarter)), ""),
        ("รหัสแผน (plan fingerprint)", plan_fingerprint(fig.plan), ""),
        ("ไฟล์ที่รับ (files accepted)", counts.get("accepted", 0), "ไฟล์ที่ใช้คำนวณ / counted"),
        ("ไฟล์ที่ถูกแทนที่ (superseded)", counts.get("superseded", 0), ""),
        ("ไฟล์ที่ส่งคืน (rejected)", counts.get("rejected", 0), ""),
        ("ไฟล์ที่กักไว้ (quarantined)", counts.get("quarantined", 0), ""),
        ("ไฟล์ซ้ำ (duplicates)", counts.get("duplicate", 0), ""),
        ("แถวข้อมูลแบบยาว (long-format rows)", data_rows,
         (f"บันทึกเป็น {csv_path.name} ข้างไฟล์นี้ / written beside this file as {csv_path.name}"
          if csv_path else f"ในแผ่นงาน {SHEETS['data']} / on the data sheet")),
    ]
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate((("รายการ", "Item"), ("ค่า", "Value"), ("หมายเหตุ", "Note"))):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    r = HEADER_ROW + 1
    for label, value, note in facts:
        sh.write_string(r, 0, label, fm.label)
        _put(sh, r, 1, value, fm.int if isinstance(value, int) else fm.wrap)
        sh.write_string(r, 2, note, fm.wrap)
        r += 1
    r += 1
    sh.write_string(r, 0, "วิธีคำนวณ (How each figure is computed)", fm.title)
    r += 1
    for th, en, text_th, text_en in METHODS:
        sh.write_string(r, 0, f"{th} ({en})", fm.label)
        sh.write_string(r, 1, text_th, fm.wrap)
        sh.write_string(r, 2, text_en, fm.wrap)
        r += 1
    _page(sh, HEADER_ROW, 3)


# ---- the year-end report --------------------------------------------------------------------------
ANNUAL_SHEETS = {
    "strategies": "ยุทธศาสตร์ (Strategies)",
    "indicators": "ตัวชี้วัด (Indicators)",
    "completeness": "การส่งรายงาน (Completeness)",
    "data": "ข้อมูล (Data)",
    "about": "เกี่ยวกับ (About)",
}


def write_annual_report(ws: Workspace, fy: int, plan: Plan | None = None,
                        figures: Figures | None = None) -> Path:
    """outbox/<FY>/annual/annual-<FY>.xlsx: every quarter side by side (Q4 is the year).
    Quarters already in ``figures`` are not consolidated again."""
    plan = plan or _load_plan(ws, fy)
    figs = [quarter_figures(ws, plan, fy, q, figures) for q in (1, 2, 3, 4)]
    target = annual_path(ws, fy)
    write_annual_workbook(plan, fy, figs, target)
    return target


def write_annual_workbook(plan: Plan, fy: int, figs: list[QuarterFigures], target: Path,
                          data_row_limit: int = DATA_ROW_LIMIT) -> Path:
    target = Path(target)
    as_of = max((f.as_of for f in figs if f.as_of), default=None)
    data = long_budget_data(figs)
    csv_path = None
    if len(data) > data_row_limit:
        csv_path = target.with_suffix(".data.csv")
        write_csv(data, csv_path)
        data.release()
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), workbook_options())
        fm = Formats(wb)
        sub = (f"{plan.office_name} จังหวัด{plan.province} · รายงานประจำปีงบประมาณ {fy} "
               f"(annual report FY {fy}) · ข้อมูล ณ (as of) {be_datetime(as_of)}")
        sheets = {k: wb.add_worksheet(v) for k, v in ANNUAL_SHEETS.items()}
        _annual_strategies(wb, sheets["strategies"], fm, plan, figs, sub)
        _annual_indicators(sheets["indicators"], fm, figs, sub)
        _annual_completeness(sheets["completeness"], fm, figs, sub)
        _data_sheet(sheets["data"], fm, data, sub, csv_path)
        _annual_about(sheets["about"], fm, plan, fy, figs, as_of, sub)
        sheets["strategies"].activate()
        _properties(wb, f"Annual report FY {fy}", as_of, fy)
        wb.close()
    return target


def _annual_strategies(wb: Any, sh: Any, fm: Formats, plan: Plan, figs: list[QuarterFigures],
                       sub: str) -> None:
    _titles(sh, fm, "งบประมาณรายยุทธศาสตร์ ไตรมาส 1-4 (Budget by strategy, Q1-Q4)", sub)
    per_q = [("allocated", "จัดสรร", "Allocated", "money", 15),
             ("disbursed", "เบิกจ่าย", "Disbursed", "money", 15),
             ("disbursement_rate", "อัตราเบิกจ่าย", "Rate", "rate", 10),
             ("target", "เป้าหมาย", "Target", "rate", 10)]
    sh.set_column(0, 0, 44)
    sh.set_row(HEADER_ROW - 1, 24)
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    sh.write_string(HEADER_ROW, 0, "ยุทธศาสตร์\nStrategy", fm.header)
    sh.write_string(HEADER_ROW - 1, 0, "", fm.header)
    for qi, fig in enumerate(figs):
        c0 = 1 + qi * len(per_q)
        sh.merge_range(HEADER_ROW - 1, c0, HEADER_ROW - 1, c0 + len(per_q) - 1,
                       f"ไตรมาส {fig.quarter} (Q{fig.quarter}, {3 * fig.quarter} เดือน/months)",
                       fm.header)
        for j, (_, th, en, _, width) in enumerate(per_q):
            sh.write_string(HEADER_ROW, c0 + j, f"{th}\n{en}", fm.header)
            sh.set_column(c0 + j, c0 + j, width)
    tables = [f.budget["strategy"].set_index("key") for f in figs]
    keys = list(tables[0].index)
    r = HEADER_ROW + 1
    for k in [*keys, None]:
        is_total = k is None
        sh.write_string(r, 0, "รวม (Total)" if is_total else str(tables[0].loc[k, "label"]),
                        fm.total_text if is_total else fm.wrap)
        for qi, (fig, t) in enumerate(zip(figs, tables, strict=True)):
            rec = total_row(fig.budget["strategy"], fig.targets) if is_total else t.loc[k]
            empty = not len(fig.current)  # no report yet: blank, not zero
            for j, (key, _, _, kind, _) in enumerate(per_q):
                v = rec[key]
                v = None if blank(v) or (empty and kind == "money") else v
                if kind == "money" and v is not None:
                    v = int(v) / 100
                _put(sh, r, 1 + qi * len(per_q) + j, v, _fmt(fm, kind, is_total))
        r += 1
    for qi in range(len(figs)):
        c = 1 + qi * len(per_q) + 2
        _traffic(sh, fm, HEADER_ROW + 1, r - 1, c, c + 1)
    _page(sh, HEADER_ROW, 1 + 4 * len(per_q), 1)
    # a chart: disbursement rate per quarter, one series per quarter
    chart = wb.add_chart({"type": "column"})
    name = ANNUAL_SHEETS["strategies"]
    for qi, fig in enumerate(figs):
        c = 1 + qi * len(per_q) + 2
        chart.add_series({"name": f"Q{fig.quarter}", "categories": [name, HEADER_ROW + 1, 0,
                                                                    r - 2, 0],
                          "values": [name, HEADER_ROW + 1, c, r - 2, c]})
    chart.set_title({"name": "อัตราเบิกจ่ายสะสมรายยุทธศาสตร์ (Cumulative disbursement rate)",
                     "name_font": {"name": FONT, "size": 14}})
    chart.set_y_axis({"num_format": "0%", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 400})
    sh.insert_chart(r + 2, 0, chart)


def year_verdicts(figs: list[QuarterFigures]) -> pd.DataFrame:
    """The year's verdict per indicator: its figure at the latest quarter with accepted
    reports (Q4 when the year is complete; an annual result from the quarter it is
    reported in). This is the year-end evaluation (ประเมินผลตามตัวชี้วัดและค่าเป้าหมาย)."""
    latest = next((f for f in reversed(figs) if len(f.current)), figs[0])
    t = latest.indicators.copy()
    t["as_of_quarter"] = latest.quarter
    return t


def _annual_indicators(sh: Any, fm: Formats, figs: list[QuarterFigures], sub: str) -> None:
    _titles(sh, fm, "ตัวชี้วัด: ผลประจำปีเทียบค่าเป้าหมายจังหวัด (Indicators: the year's verdict)",
            sub)
    year = year_verdicts(figs)
    per_q = [("figure", "ผลจังหวัด", "Provincial", "number", 12),
             ("verdict", "ผลประเมิน", "Verdict", "wrap", 20)]
    fixed = [("code", "รหัส", "Code", "text", 8), ("name", "ตัวชี้วัด", "Indicator", "wrap", 40),
             ("kind_label", "ชนิด", "Kind", "wrap", 14),
             ("unit_label", "หน่วยนับ", "Unit", "wrap", 12),
             ("target", "เป้าหมายจังหวัด", "Provincial target", "number", 14),
             ("previous", "ค่าฐาน", "Baseline", "number", 12)]
    final = [("figure", "ผลประจำปี", "Year's result", "number", 12),
             ("verdict", "ผลประเมินประจำปี", "Year's verdict", "wrap", 20),
             ("reported", "ผู้รายงาน", "Reporters", "int", 9),
             ("expected", "ต้องรายงาน", "Expected", "int", 9),
             ("improved", "เทียบค่าฐาน", "Vs baseline", "wrap", 20)]
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (_, th, en, _, width) in enumerate(fixed):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
        sh.write_string(HEADER_ROW - 1, c, "", fm.header)
        sh.set_column(c, c, width)
    for qi, fig in enumerate(figs):
        c0 = len(fixed) + qi * len(per_q)
        sh.merge_range(HEADER_ROW - 1, c0, HEADER_ROW - 1, c0 + len(per_q) - 1,
                       f"ไตรมาส {fig.quarter} (Q{fig.quarter})", fm.header)
        for j, (_, th, en, _, width) in enumerate(per_q):
            sh.write_string(HEADER_ROW, c0 + j, f"{th}\n{en}", fm.header)
            sh.set_column(c0 + j, c0 + j, width)
    f0 = len(fixed) + len(figs) * len(per_q)
    as_of = int(year["as_of_quarter"].iloc[0]) if len(year) else 4
    sh.merge_range(HEADER_ROW - 1, f0, HEADER_ROW - 1, f0 + len(final) - 1,
                   f"ผลประจำปี ณ ไตรมาส {as_of} (the year, as of Q{as_of})", fm.header)
    for j, (_, th, en, _, width) in enumerate(final):
        sh.write_string(HEADER_ROW, f0 + j, f"{th}\n{en}", fm.header)
        sh.set_column(f0 + j, f0 + j, width)
    tables = [f.indicators.set_index("code") if len(f.indicators) else None for f in figs]
    r = HEADER_ROW + 1
    for rec in (year.to_dict("records") if len(year) else []):
        for c, (key, _, _, kind, _) in enumerate(fixed):
            _put(sh, r, c, None if blank(rec[key]) else rec[key], _fmt(fm, kind))
        for qi, t in enumerate(tables):
            row = t.loc[rec["code"]] if t is not None and len(figs[qi].current) else None
            for j, (key, _, _, kind, _) in enumerate(per_q):
                v = None if row is None else row[key]
                v = None if blank(v) else (verdict_text(v) if key == "verdict" else float(v))
                _put(sh, r, len(fixed) + qi * len(per_q) + j, v, _fmt(fm, kind))
        for j, (key, _, _, kind, _) in enumerate(final):
            v = rec[key]
            if key == "verdict":
                v = verdict_text(v)
            elif key == "improved":
                v = _improved_text(rec)
            elif blank(v):
                v = None
            elif kind == "int":
                v = int(v)
            else:
                v = float(v)
            _put(sh, r, f0 + j, v, _fmt(fm, kind))
        r += 1
    for qi in range(len(figs)):
        _verdict_colours(sh, fm, HEADER_ROW + 1, r - 1, len(fixed) + qi * len(per_q) + 1)
    _verdict_colours(sh, fm, HEADER_ROW + 1, r - 1, f0 + 1)
    achieved = int((year["verdict"] == "achieved").sum()) if len(year) else 0
    due = int((year["verdict"] != "not_due").sum()) if len(year) else 0
    sh.write_string(r + 1, 0, headline_text(achieved, due).replace(
        "this quarter", f"as of Q{as_of}"), fm.big_text)
    _page(sh, HEADER_ROW, f0 + len(final), 2)


def _annual_completeness(sh: Any, fm: Formats, figs: list[QuarterFigures], sub: str) -> None:
    _titles(sh, fm, "ความครบถ้วนของการส่งรายงาน รายไตรมาส (Completeness by quarter)", sub)
    recs = []
    for fig in figs:
        t = dict(fig.completeness_total)
        t["key"] = f"Q{fig.quarter}"
        t["label"] = (f"ไตรมาส {fig.quarter} (กำหนดส่ง "
                      f"{fcal.format_thai_date(fig.plan.due_date(fig.quarter))})")
        if _not_yet(fig):  # a quarter not open and without reports: nothing to count yet
            t = {"key": t["key"], "label": t["label"] + " ยังไม่เปิดรับ (not open)",
                 "expected": t["expected"]}
        recs.append(t)
    nxt = _table(sh, fm, HEADER_ROW, COMPLETENESS_COLS, recs)
    top = nxt + 2
    sh.write_string(top, 0, "ความครบถ้วนรายสังกัด (submitted rate by affiliation)", fm.label)
    cols = [Col("รหัส", "Key", "key"), Col("สังกัด", "Affiliation", "label", "wrap")] + [
        Col(f"ไตรมาส {f.quarter}", f"Q{f.quarter}", f"q{f.quarter}", "rate") for f in figs]
    rows: dict[str, dict[str, Any]] = {}
    for fig in figs:
        for rec in fig.completeness_by["affiliation"].to_dict("records"):
            d = rows.setdefault(rec["key"], {"key": rec["key"], "label": rec["label"]})
            d[f"q{fig.quarter}"] = None if _not_yet(fig) else rec["submitted_rate"]
    _table(sh, fm, top + 1, cols, [rows[k] for k in sorted(rows)], set_widths=False)
    _page(sh, HEADER_ROW, len(COMPLETENESS_COLS), 2)


def _not_yet(fig: QuarterFigures) -> bool:
    return not len(fig.current) and fig.quarter not in fig.plan.open_quarters


def _annual_about(sh: Any, fm: Formats, plan: Plan, fy: int, figs: list[QuarterFigures],
                  as_of: datetime | None, sub: str) -> None:
    _titles(sh, fm, "เกี่ยวกับรายงานประจำปี (About the annual report)", sub)
    sh.set_column(0, 0, 34)
    sh.set_column(1, 2, 60)
    facts: list[tuple[str, Any, str]] = [
        ("ข้อมูล ณ (as of)", be_datetime(as_of), "รายงานที่ผ่านการตรวจสอบล่าสุด / latest accepted"),
        ("ปีงบประมาณ (fiscal year)", str(fy),
         f"{fcal.format_thai_date(fcal.fiscal_year_bounds(fy)[0])} – "
         f"{fcal.format_thai_date(fcal.fiscal_year_bounds(fy)[1])}"),
        ("รหัสแผน (plan fingerprint)", plan_fingerprint(plan), ""),
    ]
    for fig in figs:
        c = fig.status_counts
        facts.append((f"ไตรมาส {fig.quarter} (Q{fig.quarter}) ไฟล์", (
            f"รับ {c.get('accepted', 0)} · ส่งคืน {c.get('rejected', 0)} · กักไว้ "
            f"{c.get('quarantined', 0)} / accepted {c.get('accepted', 0)}, rejected "
            f"{c.get('rejected', 0)}, quarantined {c.get('quarantined', 0)}"),
            f"ข้อมูล ณ {be_datetime(fig.as_of)}"))
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate((("รายการ", "Item"), ("ค่า", "Value"), ("หมายเหตุ", "Note"))):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    r = HEADER_ROW + 1
    for label, value, note in facts:
        sh.write_string(r, 0, label, fm.label)
        _put(sh, r, 1, value, fm.wrap)
        sh.write_string(r, 2, note, fm.wrap)
        r += 1
    r += 1
    sh.write_string(r, 0, "วิธีคำนวณ (How each figure is computed)", fm.title)
    r += 1
    for th, en, text_th, text_en in [("ไตรมาส", "Quarters",
                                      "ยอดสะสม 3, 6, 9, 12 เดือน ไตรมาส 4 คือทั้งปี",
                                      "cumulative 3, 6, 9 and 12 months; Q4 is the year"),
                                     *METHODS]:
        sh.write_string(r, 0, f"{th} ({en})", fm.label)
        sh.write_string(r, 1, text_th, fm.wrap)
        sh.write_string(r, 2, text_en, fm.wrap)
        r += 1
    _page(sh, HEADER_ROW, 3)


def column_letter(index: int) -> str:
    return xl_col_to_name(index)
