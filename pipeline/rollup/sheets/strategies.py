"""The quarter's budget by strategy."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    QuarterFigures,
)
from ..layout import HEADER_ROW, Col, Formats, _page, _titles, _write_budget_block


def _strategies_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> tuple[int, int]:
    _titles(sh, fm, "งบประมาณรายยุทธศาสตร์ (Budget by strategy)", sub)
    first = [Col("ยุทธศาสตร์", "Strategy", "label", "wrap", 48)]
    f, last, _ = _write_budget_block(sh, fm, HEADER_ROW, first, fig.budget["strategy"],
                                     fig.targets)
    _page(sh, HEADER_ROW, 13, 1)
    return f, last - 1  # chart rows: strategies without the total
