"""Write the plan workbook (plan/<FY>.xlsx) the provincial office maintains.

The layout is a contract with ``plan_load.py``: sheets in ``schemas.PLAN_SHEETS`` order;
tables have a title in row 1, one line of help in row 2, the headers
(``ColumnSpec.header``) in ``spec.header_row`` from column A and data below; the
settings form has the label in column A and the value in column B from
``spec.header_row``. Values are written as a person would type them (Thai labels of
choices, e-mails joined by ", ", real dates shown in BE), so the same file can be read
back whether it came from here or from a clerk's Excel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

import schemas
from schemas import SheetSpec
from schemas.choices import AGENCY_TYPES, FIXED_CHOICES, LEVELS

from . import calendar as fcal
from . import xlstyle as xs
from .plan import ALL_AGENCY_TYPES, EVERY_QUARTER, Plan

FORMATTED_ROWS = 300  # empty, formatted rows (with dropdowns) below a table's data
DISBURSEMENT_ROWS = 4  # one per quarter

SHEET_HELP: dict[str, tuple[str, str]] = {
    "settings": ("กรอกค่าในคอลัมน์ B ทีละแถว", "Fill in column B, one setting per row"),
    "agencies": ("หนึ่งแถวต่อหนึ่งหน่วยงานที่ต้องรายงาน อีเมลผู้ส่งใช้ตรวจสอบว่าใครส่งรายงานได้",
                 "One row per reporting agency; sender e-mails decide who may submit"),
    "strategies": ("หนึ่งแถวต่อหนึ่งยุทธศาสตร์ของแผนปีนี้", "One row per strategy of this year's plan"),
    "indicators": ("หนึ่งแถวต่อหนึ่งตัวชี้วัด พร้อมค่าเป้าหมายของปีนี้",
                   "One row per indicator, with this year's target"),
    "projects": ("หนึ่งแถวต่อหนึ่งโครงการ แบบรายงานของหน่วยงานที่รับผิดชอบจะแสดงโครงการนี้ไว้ให้",
                 "One row per project; the responsible agency's template lists it"),
    "disbursement": ("ร้อยละการเบิกจ่ายสะสมที่ต้องการ ณ สิ้นแต่ละไตรมาส (ใส่เป็นตัวเลข เช่น 54)",
                     "Cumulative % to be disbursed by the end of each quarter (a number, e.g. 54)"),
}


def choice_label(list_name: str, key: str | None) -> str | None:
    """The Thai label a person picks from the dropdown for a stored key."""
    if key is None:
        return None
    for c in FIXED_CHOICES[list_name]:
        if c.key == key:
            return c.th
    return key  # unknown keys are written as they are; the plan checker reports them


def agency_types_text(types: frozenset[str] | None) -> str:
    """'ทั้งหมด' or the Thai labels of the types, in the fixed list's order."""
    if types is None:
        return ALL_AGENCY_TYPES
    known = [c.th for c in AGENCY_TYPES if c.key in types]
    unknown = sorted(t for t in types if t not in {c.key for c in AGENCY_TYPES})
    return ", ".join(known + unknown)


def levels_text(levels: frozenset[str] | None) -> str | None:
    """The Thai labels of the levels, in the fixed list's order (None: no levels named)."""
    if not levels:
        return None
    known = [c.th for c in LEVELS if c.key in levels]
    return ", ".join(known + sorted(k for k in levels if k not in {c.key for c in LEVELS}))


def rhythm_text(report_quarter: int | None) -> str:
    """'ทุกไตรมาส' (every quarter) or the one quarter an annual result is reported in."""
    return EVERY_QUARTER if report_quarter is None else str(report_quarter)


# ---- rows: the plan as a person would type it -----------------------------------------------
def _settings_values(plan: Plan) -> dict[str, Any]:
    values: dict[str, Any] = {
        "province": plan.province,
        "office_name": plan.office_name,
        "office_email": plan.office_email,
        "fiscal_year": plan.fiscal_year,
        "due_day": plan.due_day,
        "open_quarters": ",".join(str(q) for q in sorted(plan.open_quarters)),
    }
    for q in range(1, 5):
        values[f"due_date_q{q}"] = plan.due_date_overrides.get(q)
    return values


def _agency_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "agency_code": a.code,
            "name_th": a.name_th,
            "agency_type": choice_label("agency_type", a.agency_type),
            "affiliation": choice_label("affiliation", a.affiliation),
            "district": a.district,
            "levels": levels_text(a.levels),
            "parent_code": a.parent_code,
            "sender_emails": ", ".join(a.sender_emails),
            # empty for the first link, as a planner leaves it; a number once rotated
            "web_link": None if a.web_link == 1 else ("ยกเลิก" if a.web_link == 0
                                                      else str(a.web_link)),
        }
        for a in plan.agencies.values()
    ]


def _strategy_rows(plan: Plan) -> list[dict[str, Any]]:
    return [{"strategy_no": s.no, "name_th": s.name_th, "name_en": s.name_en or None}
            for s in sorted(plan.strategies.values(), key=lambda s: s.no)]


def _indicator_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "indicator_code": i.code,
            "name_th": i.name_th,
            "kind": choice_label("indicator_kind", i.kind),
            "unit": choice_label("unit", i.unit),
            "direction": choice_label("direction", i.direction),
            "strategy_no": i.strategy_no,
            "agency_types": agency_types_text(i.agency_types),
            "levels": levels_text(i.levels),
            "report_quarter": rhythm_text(i.report_quarter),
            "academic_year": i.academic_year,
            "target": i.target,
            "agency_target": i.agency_target,
            "previous_result": i.previous_result,
            "min_reporting_pct": i.min_reporting_pct,
            "when_empty": choice_label("when_empty", i.when_empty),
            "plausible_min": i.plausible_min,
            "plausible_max": i.plausible_max,
        }
        for i in plan.indicators.values()
    ]


def _disbursement_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = []
    for q in range(1, 5):
        t = plan.disbursement.get(q)
        rows.append({
            "quarter": q,
            "overall_pct": t.overall_pct if t else None,
            "current_pct": t.current_pct if t else None,
            "capital_pct": t.capital_pct if t else None,
        })
    return rows


def baht(satang: int | None) -> int | float | None:
    """Satang as the baht a person types (whole baht as an int)."""
    if satang is None:
        return None
    return satang // 100 if satang % 100 == 0 else satang / 100


def _project_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "project_code": p.code,
            "name_th": p.name_th,
            "strategy_no": p.strategy_no,
            "goal": p.goal or None,
            "agency_code": p.agency_code,
            "unit": p.unit or None,
            "period": p.period or None,
            "budget_source": choice_label("budget_source", p.budget_source),
            "expenditure_category": choice_label("expenditure_category", p.expenditure_category),
            "planned": baht(p.planned),
            "output_target": p.output_target or None,
            "outcome_target": p.outcome_target or None,
            "revised_allocation": baht(p.revised_allocation),
            "revised_from_quarter": p.revised_from_quarter,
            "passed_on": choice_label("passed_on", "yes") if p.passed_on else None,
        }
        for p in plan.projects.values()
    ]


TABLE_ROWS: dict[str, Callable[[Plan], list[dict[str, Any]]]] = {
    "agencies": _agency_rows,
    "strategies": _strategy_rows,
    "indicators": _indicator_rows,
    "disbursement": _disbursement_rows,
    "projects": _project_rows,
}


# ---- sheets ---------------------------------------------------------------------------------
def _title(ws: Worksheet, spec: SheetSpec, span: int) -> None:
    ws.cell(row=1, column=1, value=f"{spec.title_th} / {spec.title_en}").font = xs.TITLE_FONT
    help_th, help_en = SHEET_HELP.get(spec.key, ("", ""))
    ws.cell(row=2, column=1, value=f"{help_th} / {help_en}").font = xs.HELP_FONT
    xs.set_row_height(ws, 1, 1)
    xs.set_row_height(ws, 2, 1)


def _cell_value(spec_kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if spec_kind in ("code", "text", "email", "emails", "choice"):
        return str(value)
    return value


def _write_settings(ws: Worksheet, spec: SheetSpec, values: dict[str, Any]) -> None:
    _title(ws, spec, 2)
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 48
    for i, col in enumerate(spec.columns):
        row = spec.header_row + i
        label = ws.cell(row=row, column=1, value=col.header)
        xs.style_header(label)
        label.alignment = xs.WRAP_TOP
        label.fill = xs.FORM_LABEL_FILL
        cell = ws.cell(row=row, column=2, value=_cell_value(col.kind, values.get(col.name)))
        xs.style_cell(cell, locked=False, number_format=xs.number_format_for(col.kind))
        cell.alignment = xs.FORM_VALUE_ALIGN
        xs.set_row_height(ws, row, xs.lines_needed(col.header, 38))
        if col.help_th or col.help_en:
            dv = xs.prompt_only(col.th, xs.prompt_text(col.help_th, col.help_en))
            ws.add_data_validation(dv)
            dv.add(cell.coordinate)
    xs.page_setup(ws, landscape=False, header_row=None)


def _write_table(ws: Worksheet, spec: SheetSpec, rows: list[dict[str, Any]],
                 lists: xs.ListsSheet, formatted: int) -> None:
    cols = spec.columns
    _title(ws, spec, len(cols))
    hr = spec.header_row
    first, last = hr + 1, hr + max(formatted, len(rows))
    header_lines = 1
    row_lines = [1] * (last - first + 1)
    for j, col in enumerate(cols, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = col.width
        xs.style_header(ws.cell(row=hr, column=j, value=col.header))
        header_lines = max(header_lines, xs.lines_needed(col.header, col.width))
        xs.style_column(ws, j, first, last, locked=False,
                        number_format=xs.number_format_for(col.kind), wrap=col.width >= 30)
        for r in range(first, first + len(rows)):
            cell = ws.cell(row=r, column=j, value=_cell_value(col.kind, rows[r - first].get(col.name)))
            if isinstance(cell.value, str):
                row_lines[r - first] = max(row_lines[r - first],
                                           xs.lines_needed(cell.value, col.width))
        rng = f"{letter}{first}:{letter}{last}"
        help_text = xs.prompt_text(col.help_th, col.help_en)
        if col.choices and col.choices in FIXED_CHOICES:
            ref = lists.add(col.choices, [c.th for c in FIXED_CHOICES[col.choices]])
            dv = xs.list_validation(ref, col.th, help_text)
        elif help_text:
            dv = xs.prompt_only(col.th, help_text)
        else:
            continue
        ws.add_data_validation(dv)
        dv.add(rng)
    xs.set_row_height(ws, hr, header_lines)
    for r, lines in enumerate(row_lines, start=first):
        xs.set_row_height(ws, r, lines)
    ws.freeze_panes = ws.cell(row=first, column=1).coordinate
    xs.page_setup(ws, landscape=True, header_row=hr)


def build_plan_workbook(plan: Plan | None, fiscal_year: int | None = None) -> Workbook:
    """The plan workbook in memory: ``plan`` filled in, or a blank one for ``fiscal_year``."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {spec.key: wb.create_sheet(spec.name) for spec in schemas.PLAN_SHEETS}
    lists = xs.ListsSheet(wb, schemas.LISTS_SHEET)
    for spec in schemas.PLAN_SHEETS:
        ws = sheets[spec.key]
        if spec.layout == "form":
            if plan is not None:
                values = _settings_values(plan)
            else:
                values = {"fiscal_year": fiscal_year, "due_day": fcal.DEFAULT_DUE_DAY,
                          "open_quarters": "1,2,3,4"}
            _write_settings(ws, spec, values)
            continue
        if plan is not None:
            rows = TABLE_ROWS[spec.key](plan)
        elif spec.key == "disbursement":
            rows = [{"quarter": q} for q in range(1, 5)]
        else:
            rows = []
        formatted = DISBURSEMENT_ROWS if spec.key == "disbursement" else FORMATTED_ROWS
        _write_table(ws, spec, rows, lists, formatted)
    wb.active = 0
    return wb


def write_plan(plan: Plan, path: Path) -> Path:
    """Write ``plan`` as the workbook the office edits (deterministic: same plan, same file)."""
    return xs.save_workbook(build_plan_workbook(plan), Path(path))


def write_blank_plan(fiscal_year: int, path: Path) -> Path:
    """A new year's plan: settings pre-filled, empty tables with dropdowns and help."""
    return xs.save_workbook(build_plan_workbook(None, fiscal_year), Path(path))
