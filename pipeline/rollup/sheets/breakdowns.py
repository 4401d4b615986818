"""The quarter's budget by source, category, affiliation and district."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    DIMENSIONS,
    QuarterFigures,
)
from ..layout import HEADER_ROW, Col, Formats, _titles, _write_budget_block


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
