"""The quarter's roll-up workbook: one sheet module each, all from one QuarterFigures."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from .. import calendar as fcal
from ..atomic import atomic_path
from ..consolidate import (
    QuarterFigures,
)
from ..plan import Plan
from ..workspace import Workspace
from .figures import Figures, load_plan, quarter_figures, rollup_path
from .layout import SHEETS, Formats, _properties, be_datetime, workbook_options
from .longdata import DATA_ROW_LIMIT, long_data_for
from .sheets.about import _about_sheet
from .sheets.agencies import _agencies_sheet
from .sheets.breakdowns import _breakdowns_sheet
from .sheets.by_agency import _agency_results_sheet
from .sheets.completeness import _completeness_sheet
from .sheets.data import _data_sheet
from .sheets.indicator_breakdowns import _indicator_breakdowns_sheet
from .sheets.indicators import _indicators_sheet
from .sheets.narrative import _narrative_sheet
from .sheets.problems import _problems_sheet
from .sheets.projects import _projects_sheet
from .sheets.strategies import _strategies_sheet
from .sheets.summary import _summary_sheet


def write_quarter_rollup(ws: Workspace, fy: int, q: int, plan: Plan | None = None,
                         figures: Figures | None = None) -> Path:
    """outbox/<FY>/Q<n>/rollup-<FY>-Q<n>.xlsx from the ledger; unchanged bytes are not
    rewritten. The plan defaults to the workspace's plan/<FY>.xlsx; ``figures`` (see
    :func:`quarter_figures`) shares the consolidated quarter with the other writers."""
    plan = plan or load_plan(ws, fy)
    fig = quarter_figures(ws, plan, fy, q, figures)
    target = rollup_path(ws, fy, q)
    write_rollup_workbook(fig, target)
    return target


def write_rollup_workbook(fig: QuarterFigures, target: Path,
                          data_row_limit: int = DATA_ROW_LIMIT) -> Path:
    """Lay the quarter's figures out as the roll-up workbook at ``target`` (atomically)."""
    target = Path(target)
    data, csv_path = long_data_for([fig], target, data_row_limit)
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
        _projects_sheet(sheets["projects"], fm, fig, sub)
        _narrative_sheet(sheets["narrative"], fm, fig, sub)
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
