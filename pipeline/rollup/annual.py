"""The year-end report workbook (รายงานผลการดำเนินงานประจำปี): the year's quarters side by
side, one sheet module each."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..atomic import atomic_path
from ..consolidate import (
    QuarterFigures,
)
from ..plan import Plan
from ..workspace import Workspace
from .figures import Figures, annual_path, load_plan, quarter_figures
from .layout import ANNUAL_SHEETS, Formats, _properties, be_datetime, workbook_options
from .longdata import DATA_ROW_LIMIT, long_data_for
from .sheets.annual_about import _annual_about
from .sheets.annual_completeness import _annual_completeness
from .sheets.annual_indicators import _annual_indicators
from .sheets.annual_strategies import _annual_strategies
from .sheets.annual_summary import _annual_summary
from .sheets.data import _data_sheet


def write_annual_report(ws: Workspace, fy: int, plan: Plan | None = None,
                        figures: Figures | None = None) -> Path:
    """outbox/<FY>/annual/annual-<FY>.xlsx: every quarter side by side (Q4 is the year).
    Quarters already in ``figures`` are not consolidated again."""
    plan = plan or load_plan(ws, fy)
    figs = [quarter_figures(ws, plan, fy, q, figures) for q in (1, 2, 3, 4)]
    target = annual_path(ws, fy)
    write_annual_workbook(plan, fy, figs, target)
    return target


def write_annual_workbook(plan: Plan, fy: int, figs: list[QuarterFigures], target: Path,
                          data_row_limit: int = DATA_ROW_LIMIT) -> Path:
    target = Path(target)
    as_of = max((f.as_of for f in figs if f.as_of), default=None)
    data, csv_path = long_data_for(figs, target, data_row_limit)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), workbook_options())
        fm = Formats(wb)
        sub = (f"{plan.office_name} จังหวัด{plan.province} · รายงานประจำปีงบประมาณ {fy} "
               f"(annual report FY {fy}) · ข้อมูล ณ (as of) {be_datetime(as_of)}")
        sheets = {k: wb.add_worksheet(v) for k, v in ANNUAL_SHEETS.items()}
        _annual_summary(sheets["summary"], fm, figs, sub)
        _annual_strategies(wb, sheets["strategies"], fm, plan, figs, sub)
        _annual_indicators(sheets["indicators"], fm, figs, sub)
        _annual_completeness(sheets["completeness"], fm, figs, sub)
        _data_sheet(sheets["data"], fm, data, sub, csv_path)
        _annual_about(sheets["about"], fm, plan, fy, figs, as_of, sub)
        sheets["summary"].activate()
        _properties(wb, f"Annual report FY {fy}", as_of, fy)
        wb.close()
    return target
