"""Per-agency report templates, derived from schemas/ and the plan.

Each agency gets a workbook with its cover pre-filled and locked, a budget table listing
its plan projects (identity locked, amounts carried forward from its last accepted report,
open) above empty rows with dropdowns, a narrative sheet, its own indicators (locked, with targets) and a hidden stamp saying
which template this is. The layout is a contract with ``read.py``: table sheets have a
title (row 1), the agency and period (row 2), help (row 3), headers
(``ColumnSpec.header``) in ``spec.header_row`` from column A and data below; the cover
has the label in column A and the value in column B from ``spec.header_row``.

Protection has no password on purpose: it guards against accidents (typing over a
target, deleting a sheet), not against a determined user; the stamp's checksum lets the
validator notice an edited stamp.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.worksheet import Worksheet

import schemas
from schemas import ColumnSpec, SheetSpec
from schemas.choices import FIXED_CHOICES, INDICATOR_INPUTS, KINDS, by_key

from . import calendar as fcal
from . import xlstyle as xs
from .plan import Agency, Plan, Project
from .secret import KEY_NAME, keyed_digest, workspace_secret

# The stamp's keys, in the order they are written and hashed. The checksum covers
# every other key, so an edit to any of them is detectable.
STAMP_KEYS = ("template_id", "schema_version", "agency_code", "fiscal_year", "quarter",
              "plan_fingerprint", "locked_indicators")
CHECKSUM_KEY = "checksum"

SHEET_HELP: dict[str, tuple[str, str]] = {
    "cover": ("กรอกข้อมูลผู้รายงานในช่องสีขาว ช่องสีเทากรอกไว้ให้แล้ว",
              "Fill in the white cells; grey cells are pre-filled"),
    "budget": ("โครงการตามแผนอยู่ด้านบน (ช่องสีเทากรอกไว้ให้แล้ว) ปรับยอดสะสมตั้งแต่ 1 ต.ค. "
               "กิจกรรมนอกแผนกรอกในแถวว่างด้านล่าง",
               "Plan projects first (grey is pre-filled): update the amounts, cumulative "
               "since 1 Oct; activities not in the plan go in the empty rows below"),
    "narrative": ("หนึ่งแถวต่อหนึ่งเรื่อง: ปัญหาอุปสรรค ข้อเสนอแนะ หรือผลงานเด่น เลือกยุทธศาสตร์หรือใส่รหัสโครงการได้ถ้าเกี่ยวข้อง",
                  "One row per entry: a problem, a suggestion or a highlight; tie it to a "
                  "strategy or a project code if it concerns one"),
    "indicators": ("กรอกเฉพาะช่องสีขาวของแต่ละแถวตามวิธีรายงาน (ตัวตั้ง/ตัวหาร, ค่าเฉลี่ย+จำนวนผู้เข้าสอบ, "
                   "มี/ไม่มี หรือจำนวน) และหลักฐาน ช่องสีเทากรอกไว้ให้แล้ว",
                   "Fill in each row's white cells as its kind asks (numerator/denominator, "
                   "mean + test takers, yes/no, or a value) and the evidence; grey is pre-filled"),
}

_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
NAME_MAX = 60  # characters of the agency name kept in a file name


# ---- stamp ----------------------------------------------------------------------------------
def stamp_checksum(values: dict[str, str], key: bytes | None = None) -> str:
    """The first 16 hex digits of HMAC-SHA256 with the workspace's key (``key``) over the
    stamp's other values in a fixed order: a sender who edits a target and recomputes the
    checksum cannot, without the key, which never leaves the office (``secret.py``).
    Without a key (a workspace that never issued templates, tests): plain SHA-256.

    Missing keys count as empty; the checksum key itself, if present, is ignored.
    """
    text = "\n".join(f"{k}={'' if values.get(k) is None else str(values.get(k))}"
                     for k in STAMP_KEYS)
    if key is not None:
        return keyed_digest(key, "template-stamp", text)[:16]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stamp_key(state_dir: Path) -> bytes | None:
    """The key stamps are checked with: the workspace's, once it has one (made by
    ``edurollup template``, see :func:`issue_key`); None before that."""
    if not (Path(state_dir) / KEY_NAME).exists():
        return None
    return workspace_secret(state_dir)


def issue_key(state_dir: Path) -> bytes:
    """The key templates are issued with: the workspace's, made on first use."""
    return workspace_secret(state_dir)


def template_id(plan: Plan, agency_code: str, quarter: int,
                fingerprint: str | None = None) -> str:
    return f"EDR-{plan.fiscal_year}-Q{quarter}-{agency_code}-{(fingerprint or plan.fingerprint)[:8]}"


def stamp_values(plan: Plan, agency: Agency, quarter: int,
                 fingerprint: str | None = None, key: bytes | None = None) -> dict[str, str]:
    """Everything the validator needs to recognise the template, as text.

    ``fingerprint`` is ``plan.fingerprint`` when the caller already has it: it hashes the
    whole plan (0.6 s at 30,000 agencies), so ``write_templates`` computes it once.
    """
    fingerprint = fingerprint or plan.fingerprint
    locked = [[i.code, i.agency_target] for i in plan.indicators_for(agency, quarter)]
    values = {
        "template_id": template_id(plan, agency.code, quarter, fingerprint),
        "schema_version": schemas.SCHEMA_VERSION,
        "agency_code": agency.code,
        "fiscal_year": str(plan.fiscal_year),
        "quarter": str(quarter),
        "plan_fingerprint": fingerprint,
        "locked_indicators": json.dumps(locked, ensure_ascii=False, separators=(",", ":")),
    }
    values[CHECKSUM_KEY] = stamp_checksum(values, key)
    return values


# ---- file name ------------------------------------------------------------------------------
def _safe_name(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", _ILLEGAL.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        cut = limit
        # do not separate a Thai vowel or tone mark from its consonant
        while cut > 0 and unicodedata.category(text[cut]) in ("Mn", "Mc"):
            cut -= 1
        text = text[:cut]
    return text.rstrip(" .")


def template_filename(plan: Plan, agency: Agency | str, quarter: int) -> str:
    """'2568-Q2-1033530001-โรงเรียนบ้านหนองแวง.xlsx': sorts by year/quarter, names the
    agency, and is a legal Windows file name."""
    if isinstance(agency, str):
        agency = plan.agencies[agency]
    code = _safe_name(agency.code, 20).replace(" ", "_")
    name = _safe_name(agency.name_th, NAME_MAX)
    base = f"{plan.fiscal_year}-Q{quarter}-{code}"
    return f"{base}-{name}.xlsx" if name else f"{base}.xlsx"


# ---- sheets ---------------------------------------------------------------------------------
def _protect(ws: Worksheet) -> None:
    """Protected without a password; formatting, inserting rows, sorting and filtering
    stay allowed (openpyxl's True means 'forbidden')."""
    p = ws.protection
    p.sheet = True
    p.formatCells = True
    p.formatColumns = False
    p.formatRows = False
    p.insertRows = False
    p.sort = False
    p.autoFilter = False
    p.insertColumns = True
    p.deleteColumns = True
    p.deleteRows = True
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _heading(ws: Worksheet, spec: SheetSpec, agency: Agency, plan: Plan, quarter: int) -> None:
    ws.cell(row=1, column=1, value=f"{spec.title_th} / {spec.title_en}").font = xs.TITLE_FONT
    period = fcal.Period(plan.fiscal_year, quarter)
    line2 = (f"{agency.name_th} ({agency.code})   {period.label_th}: "
             f"{fcal.period_text_th(plan.fiscal_year, quarter)}")
    ws.cell(row=2, column=1, value=line2).font = xs.SUBTITLE_FONT
    help_th, help_en = SHEET_HELP[spec.key]
    ws.cell(row=3, column=1, value=f"{help_th} / {help_en}").font = xs.HELP_FONT
    for r in (1, 2, 3):
        xs.set_row_height(ws, r, 1)


def _input_prompt(col: ColumnSpec) -> str:
    """The column's help, or a plain 'type the <label>' when the schema gives none."""
    return xs.prompt_text(col.help_th, col.help_en) or f"กรอก{col.th}\nEnter {col.en.lower()}"


def _cover_values(plan: Plan, agency: Agency, quarter: int) -> dict[str, Any]:
    return {
        "agency_code": agency.code,
        "agency_name": agency.name_th,
        "fiscal_year": plan.fiscal_year,
        "quarter": quarter,
        "period": fcal.period_text_th(plan.fiscal_year, quarter),
        "due_date": plan.due_date(quarter),
    }


def _write_cover(ws: Worksheet, plan: Plan, agency: Agency, quarter: int) -> None:
    spec = schemas.COVER
    ws.cell(row=1, column=1, value=spec.title_th).font = xs.TITLE_FONT
    ws.cell(row=2, column=1,
            value=f"{spec.title_en} — {fcal.Period(plan.fiscal_year, quarter).label_en}"
            ).font = xs.SUBTITLE_FONT
    help_th, help_en = SHEET_HELP["cover"]
    ws.cell(row=3, column=1, value=f"{help_th} / {help_en}").font = xs.HELP_FONT
    for r in (1, 2, 3):
        xs.set_row_height(ws, r, 1)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 62
    values = _cover_values(plan, agency, quarter)
    for i, col in enumerate(spec.columns):
        row = spec.header_row + i
        label = ws.cell(row=row, column=1, value=col.header)
        xs.style_header(label)
        label.alignment = xs.WRAP_TOP
        label.fill = xs.FORM_LABEL_FILL
        cell = ws.cell(row=row, column=2, value=values.get(col.name) if col.locked else None)
        xs.style_cell(cell, locked=col.locked, number_format=xs.number_format_for(col.kind))
        cell.alignment = xs.FORM_VALUE_ALIGN
        xs.set_row_height(ws, row, xs.lines_needed(col.header, 34))
        if not col.locked:
            dv = xs.prompt_only(col.th, _input_prompt(col))
            ws.add_data_validation(dv)
            dv.add(cell.coordinate)
    xs.page_setup(ws, landscape=False, header_row=None)


def _table_header(ws: Worksheet, spec: SheetSpec) -> None:
    lines = 1
    for j, col in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
        xs.style_header(ws.cell(row=spec.header_row, column=j, value=col.header))
        lines = max(lines, xs.lines_needed(col.header, col.width))
    xs.set_row_height(ws, spec.header_row, lines)
    ws.freeze_panes = ws.cell(row=spec.header_row + 1, column=1).coordinate


def _lists_for(plan: Plan, name: str) -> list[str]:
    if name == "strategy":
        return [s.label for s in sorted(plan.strategies.values(), key=lambda s: s.no)]
    return [c.th for c in FIXED_CHOICES[name]]


# budget columns a plan project's row has pre-filled and locked; the rest stay open
PROJECT_LOCKED = ("project_code", "project_name", "strategy", "budget_source",
                  "expenditure_category", "output_target")
CARRIED = ("allocated", "committed", "disbursed", "progress_status", "output_achieved",
           "remarks")


def _label_of(plan: Plan, list_name: str, key: Any) -> Any:
    if key is None or key == "":
        return None
    if list_name == "strategy":
        s = plan.strategies.get(int(key)) if str(key).isdigit() else None
        return s.label if s else key
    c = by_key(list_name).get(str(key))
    return c.th if c else key


def _baht(satang: Any) -> Any:
    if satang is None:
        return None
    satang = int(satang)
    return satang // 100 if satang % 100 == 0 else satang / 100


def budget_rows(plan: Plan, agency: Agency, quarter: int,
                carried: list[dict[str, Any]] | None = None
                ) -> tuple[list[dict[str, Any]], int]:
    """The budget sheet's pre-filled rows and how many of them are plan projects (locked
    identity): the agency's plan projects with the amounts, progress, output and remarks of
    its last accepted report (``carried``: that report's budget lines, ledger keys and
    satang), then that report's lines not in the plan (open, so the clerk updates them).
    A revision that takes effect this quarter sets the allocation it names."""
    last = {str(r.get("project_code")): r for r in (carried or [])}
    rows: list[dict[str, Any]] = []
    mine: list[Project] = plan.projects_for(agency.code)
    for p in mine:
        prev = last.get(p.code, {})
        row: dict[str, Any] = {
            "project_code": p.code, "project_name": p.name_th,
            "strategy": _label_of(plan, "strategy", p.strategy_no),
            "budget_source": _label_of(plan, "budget_source", p.budget_source),
            "expenditure_category": _label_of(plan, "expenditure_category",
                                              p.expenditure_category),
            "output_target": p.output_target or None,
            "allocated": _baht(prev.get("allocated")),
            "committed": _baht(prev.get("committed")),
            "disbursed": _baht(prev.get("disbursed")),
            "progress_status": _label_of(plan, "progress_status", prev.get("progress_status")),
            "output_achieved": prev.get("output_achieved") or None,
            "remarks": prev.get("remarks") or None,
        }
        if p.revised_in(quarter) and (not prev or prev.get("allocated") != p.revised_allocation):
            row["allocated"] = _baht(p.revised_allocation)
        rows.append(row)
    planned = {p.code for p in mine}
    for r in carried or []:
        if str(r.get("project_code")) in planned:
            continue
        rows.append({
            "project_code": r.get("project_code"), "project_name": r.get("project_name"),
            "strategy": _label_of(plan, "strategy", r.get("strategy_no")),
            "budget_source": _label_of(plan, "budget_source", r.get("budget_source")),
            "expenditure_category": _label_of(plan, "expenditure_category",
                                              r.get("expenditure_category")),
            **{k: _baht(r.get(k)) for k in ("allocated", "committed", "disbursed")},
            "progress_status": _label_of(plan, "progress_status", r.get("progress_status")),
            "output_achieved": r.get("output_achieved") or None,
            "remarks": r.get("remarks") or None,
        })
    return rows, len(mine)


def _write_budget(ws: Worksheet, plan: Plan, lists: xs.ListsSheet,
                  rows: list[dict[str, Any]] | None = None, locked_rows: int = 0) -> None:
    spec = schemas.BUDGET
    _table_header(ws, spec)
    rows = rows or []
    first = spec.header_row + 1
    last = first + len(rows) + schemas.BUDGET_TEMPLATE_ROWS - 1
    for r in range(first, last + 1):
        xs.set_row_height(ws, r, 1)
    for j, col in enumerate(spec.columns, start=1):
        xs.style_column(ws, j, first, last, locked=False,
                        number_format=xs.number_format_for(col.kind), wrap=col.width >= 30)
        letter = get_column_letter(j)
        rng = f"{letter}{first}:{letter}{last}"
        if col.choices:
            dv = xs.list_validation(lists.add(col.choices, _lists_for(plan, col.choices)),
                                    col.th, xs.prompt_text(col.help_th, col.help_en))
        elif col.kind == "money":
            dv = xs.decimal_validation(col.th, _input_prompt(col))
        else:
            dv = xs.prompt_only(col.th, _input_prompt(col))
        ws.add_data_validation(dv)
        dv.add(rng)
    for i, values in enumerate(rows):
        r = first + i
        lines = 1
        for j, col in enumerate(spec.columns, start=1):
            value = values.get(col.name)
            cell = ws.cell(row=r, column=j, value=value)
            locked = i < locked_rows and col.name in PROJECT_LOCKED
            xs.style_cell(cell, locked=locked, number_format=xs.number_format_for(col.kind),
                          wrap=col.width >= 26)
            if isinstance(value, str):
                lines = max(lines, xs.lines_needed(value, col.width))
        xs.set_row_height(ws, r, lines)
    xs.page_setup(ws, landscape=True, header_row=spec.header_row)


def _write_narrative(ws: Worksheet, plan: Plan, lists: xs.ListsSheet) -> None:
    """Empty rows with the kind and strategy dropdowns; every cell open."""
    spec = schemas.NARRATIVE
    _table_header(ws, spec)
    first = spec.header_row + 1
    last = first + schemas.NARRATIVE_TEMPLATE_ROWS - 1
    for r in range(first, last + 1):
        xs.set_row_height(ws, r, 1)  # the empty rows print on one page
    for j, col in enumerate(spec.columns, start=1):
        xs.style_column(ws, j, first, last, locked=False,
                        number_format=xs.number_format_for(col.kind), wrap=col.width >= 30)
        letter = get_column_letter(j)
        if col.choices:
            dv = xs.list_validation(lists.add(col.choices, _lists_for(plan, col.choices)),
                                    col.th, xs.prompt_text(col.help_th, col.help_en))
        else:
            dv = xs.prompt_only(col.th, _input_prompt(col))
        ws.add_data_validation(dv)
        dv.add(f"{letter}{first}:{letter}{last}")
    xs.page_setup(ws, landscape=True, header_row=spec.header_row)


def _write_indicators(ws: Worksheet, plan: Plan, agency: Agency, quarter: int,
                      lists: xs.ListsSheet) -> None:
    """One row per indicator the agency reports this quarter; only the inputs of the row's
    kind are white (unlocked), the others stay grey and locked."""
    spec = schemas.INDICATORS
    _table_header(ws, spec)
    units, directions = by_key("unit"), by_key("direction")
    first = spec.header_row + 1
    indicators = plan.indicators_for(agency, quarter)
    input_cells: dict[str, list[str]] = {name: [] for name in INDICATOR_INPUTS}
    for r, ind in enumerate(indicators, start=first):
        kind = KINDS[ind.kind]
        values = {
            "indicator_code": ind.code,
            "indicator_name": ind.name_th,
            "kind": kind.th,
            "unit": units[ind.unit].th if ind.unit in units else ind.unit,
            "direction": directions[ind.direction].th if ind.direction in directions
            else ind.direction,
            "target": ind.agency_target,
        }
        lines = 1
        for j, col in enumerate(spec.columns, start=1):
            is_input = col.name in kind.inputs or col.name == "evidence"
            cell = ws.cell(row=r, column=j, value=values.get(col.name) if col.locked else None)
            xs.style_cell(cell, locked=not is_input,
                          number_format=xs.number_format_for(col.kind), wrap=col.width >= 18)
            if col.name in input_cells and is_input:
                input_cells[col.name].append(cell.coordinate)
            if isinstance(cell.value, str):
                lines = max(lines, xs.lines_needed(cell.value, col.width))
        xs.set_row_height(ws, r, lines)
    if indicators:
        last = first + len(indicators) - 1
        # values are not negative, unless the plan says a negative one is plausible
        lowest = min([0.0] + [i.plausible_min for i in indicators if i.plausible_min is not None])
        for col in spec.columns:
            cells = input_cells.get(col.name, [])
            if col.name in input_cells and not cells:
                continue
            if col.locked:
                continue
            if col.choices:
                dv = xs.list_validation(lists.add(col.choices, _lists_for(plan, col.choices)),
                                        col.th, xs.prompt_text(col.help_th, col.help_en))
            elif col.kind == "number":
                dv = xs.decimal_validation(col.th, _input_prompt(col),
                                           minimum=lowest if col.name == "result" else 0)
            else:
                dv = xs.prompt_only(col.th, _input_prompt(col))
            ws.add_data_validation(dv)
            if col.name in input_cells:
                for ref in cells:
                    dv.add(ref)
            else:
                letter = get_column_letter(spec.columns.index(col) + 1)
                dv.add(f"{letter}{first}:{letter}{last}")
    xs.page_setup(ws, landscape=True, header_row=spec.header_row)


def _write_stamp(ws: Worksheet, values: dict[str, str]) -> None:
    ws.sheet_state = "veryHidden"
    for r, key in enumerate((*STAMP_KEYS, CHECKSUM_KEY), start=1):
        ws.cell(row=r, column=1, value=key).number_format = xs.TEXT_FORMAT
        ws.cell(row=r, column=2, value=values[key]).number_format = xs.TEXT_FORMAT
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 60
    ws.protection.sheet = True


def _write_web_link(ws: Worksheet, url: str) -> None:
    """The agency's check-before-you-send link under the cover's form (locked, outside
    the form the reader takes), when the office serves the web page (``[web] public_url``)."""
    row = schemas.COVER.header_row + len(schemas.COVER.columns) + 1
    label = ws.cell(row=row, column=1, value="ตรวจและส่งรายงานทางเว็บ\n(check and submit online)")
    label.font = xs.HELP_FONT
    label.alignment = xs.WRAP_TOP
    cell = ws.cell(row=row, column=2, value=url)
    cell.hyperlink = url
    cell.font = Font(name=xs.FONT_NAME, size=xs.BODY_SIZE, color="0563C1", underline="single")
    cell.alignment = Alignment(vertical="top", shrink_to_fit=True)  # a URL has no breaks
    xs.set_row_height(ws, row, 2)


def build_template(plan: Plan, agency_code: str, quarter: int,
                   fingerprint: str | None = None, web_link: str | None = None,
                   key: bytes | None = None,
                   carried: list[dict[str, Any]] | None = None) -> Workbook:
    """The workbook one agency fills in for one quarter (not yet saved); ``web_link``:
    the agency's page of ``edurollup serve``, shown on the cover; ``key``: the
    workspace's, for the stamp's checksum (:func:`stamp_checksum`); ``carried``: the
    budget lines of the agency's last accepted report (:func:`budget_rows`)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, got {quarter!r}")
    agency = plan.agencies[agency_code]
    wb = Workbook()
    wb.remove(wb.active)
    cover = wb.create_sheet(schemas.COVER.name)
    budget = wb.create_sheet(schemas.BUDGET.name)
    indicators = wb.create_sheet(schemas.INDICATORS.name)
    narrative = wb.create_sheet(schemas.NARRATIVE.name)
    lists = xs.ListsSheet(wb, schemas.LISTS_SHEET)
    stamp = wb.create_sheet(schemas.STAMP_SHEET)

    _write_cover(cover, plan, agency, quarter)
    if web_link:
        _write_web_link(cover, web_link)
    _heading(budget, schemas.BUDGET, agency, plan, quarter)
    rows, locked_rows = budget_rows(plan, agency, quarter, carried)
    _write_budget(budget, plan, lists, rows, locked_rows)
    _heading(indicators, schemas.INDICATORS, agency, plan, quarter)
    _write_indicators(indicators, plan, agency, quarter, lists)
    _heading(narrative, schemas.NARRATIVE, agency, plan, quarter)
    _write_narrative(narrative, plan, lists)
    _write_stamp(stamp, stamp_values(plan, agency, quarter, fingerprint, key))

    for ws in (cover, budget, indicators, narrative, lists.ws):
        _protect(ws)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    return wb


def write_templates(plan: Plan, quarter: int, codes: list[str], out_dir: Path,
                    web_links: dict[str, str] | None = None,
                    key: bytes | None = None,
                    carried: dict[str, list[dict[str, Any]]] | None = None) -> list[Path]:
    """Write one template per agency code into ``out_dir``; returns the paths in order.
    ``web_links``: agency code -> its clerk link (``web.links.public_links``); ``key``: the
    workspace's (:func:`issue_key`), for the stamps; ``carried``: agency code -> the budget
    lines of its last accepted report (``consolidate.carried_lines``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    fingerprint = plan.fingerprint
    for code in codes:
        path = out_dir / template_filename(plan, plan.agencies[code], quarter)
        xs.save_workbook(build_template(plan, code, quarter, fingerprint,
                                        (web_links or {}).get(code), key,
                                        (carried or {}).get(code)), path)
        paths.append(path)
    return paths
